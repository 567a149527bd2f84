// The AddonPolicy spec as zod reads it (the operator parses every policy with it) and as its CRD declares it
// (generated from the same schema, with a description on every field for `kubectl explain`).
import { z } from 'zod';
import type { AddonPolicySpec } from './types.ts';

const names = (description: string) =>
  z
    .array(z.string().min(1).meta({ description: 'An allowed value.' }))
    .optional()
    .meta({ description });
const price = (description: string) => z.number().min(0).optional().meta({ description });

export const labelSelectorSchema = z
  .object({
    matchLabels: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Labels a namespace must all carry (key: value).' }),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().min(1).meta({ description: 'Label key.' }),
            operator: z
              .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
              .meta({ description: 'In, NotIn, Exists or DoesNotExist.' }),
            values: z
              .array(z.string().meta({ description: 'A value.' }))
              .optional()
              .meta({ description: 'Values for In and NotIn.' }),
          })
          .meta({ description: 'A label requirement.' }),
      )
      .optional()
      .meta({ description: 'Label requirements a namespace must all meet.' }),
  })
  .meta({
    description:
      'Namespaces this policy applies to, by their labels (Kubernetes label selector). An empty selector ({}) ' +
      'selects every namespace.',
  });

export const addonPolicySpecSchema = z
  .object({
    namespaceSelector: labelSelectorSchema,
    organisations: names(
      'Clever Cloud owners (orga_... or user_...) the add-ons may belong to (spec.organisation, else the ' +
        "credentials' default). Absent: any.",
    ),
    credentials: z
      .object({
        allowGlobal: z
          .boolean()
          .optional()
          .meta({
            description:
              "Resources may fall back to the operator's own (global) credentials. Default false: the namespace " +
              'brings its credentials (namespace Secret or spec.credentialsRef).',
          }),
        allowCustomEndpoints: z
          .boolean()
          .optional()
          .meta({
            description:
              'Namespace or spec.credentialsRef credentials may set endpoint or bridgeEndpoint (the operator would ' +
              'call that URL). Default false; refused before any call is made.',
          }),
      })
      .optional()
      .meta({ description: 'Which Clever Cloud credentials resources may use.' }),
    kinds: names('Add-on kinds allowed (PostgreSql, Redis, Cellar, ...). Absent: any.'),
    plans: names('Plan slugs allowed (case-insensitive; a spec without a plan resolves to the cheapest). Absent: any.'),
    regions: names('Regions allowed (par, rbx, ...). Absent: any.'),
    maxMonthlyPrice: price(
      "Highest monthly price of one add-on's plan, from Clever Cloud's live catalogue. Checked when a resource's " +
        'price would grow (create, or a move to a dearer plan).',
    ),
    monthlyBudget: price(
      'Highest sum of the monthly prices of the add-ons of one selected namespace (each namespace has this ' +
        'budget). Checked when a resource would add to the spend; status.namespaces shows what is committed.',
    ),
    adoption: z
      .object({
        allowed: z
          .boolean()
          .optional()
          .meta({ description: 'Resources may adopt an existing add-on (clever-cloud.com/addon-id). Default false.' }),
        deletionPolicy: z
          .enum(['Delete', 'Orphan'])
          .optional()
          .meta({
            description:
              'Deletion policy of an adopted add-on whose spec sets no deletionPolicy. Default Orphan: deleting the ' +
              'resource never deletes an add-on Kubernetes did not create.',
          }),
      })
      .optional()
      .meta({ description: 'Adopting add-ons that exist already.' }),
    backupImages: names(
      'Images spec.backup.image and spec.restoreFrom.image may name: exact references, or prefixes ending in *. ' +
        "Absent or empty: only the operator's configured backup image (resources may not name one).",
    ),
  })
  .meta({
    description:
      'What add-on resources of the selected namespaces may do. Every policy that selects a namespace must allow ' +
      'a resource (intersection); budgets: the smallest applies.',
  });

export function parsePolicySpec(spec: unknown): { spec: AddonPolicySpec } | { error: string } {
  const parsed = addonPolicySpecSchema.safeParse(spec ?? {});
  if (parsed.success) return { spec: parsed.data };
  const issue = parsed.error.issues[0];
  return { error: `spec.${(issue?.path ?? []).join('.')}: ${issue?.message ?? 'invalid'}` };
}
