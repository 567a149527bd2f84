// The AddonPolicy CustomResourceDefinition: cluster-scoped, in the operator's own group, generated from the zod
// schema like the add-on kinds' CRDs (src/model/crd.ts).
import { z } from 'zod';
import { toStructural, type CustomResourceDefinition } from '../model/crd.ts';
import { addonPolicySpecSchema } from './schema.ts';
import { POLICY_GROUP, POLICY_KIND, POLICY_PLURAL, POLICY_VERSION } from './types.ts';

const str = (description: string) => ({ type: 'string', description });

const statusSchema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', description: 'The spec generation last read.' },
    selectedNamespaces: { type: 'integer', description: 'How many namespaces the policy selects.' },
    namespaces: {
      type: 'array',
      description: 'Each selected namespace with its committed monthly spend.',
      items: {
        type: 'object',
        description: 'A selected namespace.',
        required: ['namespace', 'committed', 'resources'],
        properties: {
          namespace: str('Namespace name.'),
          committed: { type: 'number', description: 'Sum of status.monthlyPrice of its add-on resources.' },
          budget: {
            type: 'number',
            description: 'The budget in force there: the smallest monthlyBudget of the policies selecting it.',
          },
          resources: { type: 'integer', description: 'Add-on resources counted.' },
        },
      },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['namespace'],
    },
    conditions: {
      type: 'array',
      description: 'Valid: the spec was read (False names the problem; the policy then refuses everything).',
      items: {
        type: 'object',
        description: 'A condition.',
        required: ['type', 'status'],
        properties: {
          type: str('Valid.'),
          status: str('True, False or Unknown.'),
          reason: str('A CamelCase reason.'),
          message: str('A human readable explanation.'),
          lastTransitionTime: { type: 'string', format: 'date-time', description: 'When the status last changed.' },
        },
      },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
  },
};

export const POLICY_DESCRIPTION =
  'AddonPolicy: what add-on resources of the namespaces it selects may do (organisations, credentials, kinds, ' +
  'plans, regions, prices, budget, adoption, backup images). Cluster-scoped; see docs/policy.md.';

export function buildPolicyCrd(): CustomResourceDefinition {
  const missing: string[] = [];
  const json = z.toJSONSchema(addonPolicySpecSchema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>;
  const spec = toStructural(json, 'spec', missing);
  if (missing.length > 0) throw new Error(`AddonPolicy: fields without a description: ${missing.join(', ')}`);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${POLICY_PLURAL}.${POLICY_GROUP}`,
      labels: {
        'app.kubernetes.io/name': 'clever-addon-operator',
        'app.kubernetes.io/part-of': 'clever-addon-operator',
      },
    },
    spec: {
      group: POLICY_GROUP,
      scope: 'Cluster',
      names: {
        kind: POLICY_KIND,
        listKind: `${POLICY_KIND}List`,
        plural: POLICY_PLURAL,
        singular: 'addonpolicy',
        shortNames: ['addonpol'],
      },
      versions: [
        {
          name: POLICY_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: 'Selector',
              type: 'string',
              jsonPath: '.spec.namespaceSelector.matchLabels',
              description: 'Namespace labels selected.',
            },
            { name: 'Namespaces', type: 'integer', jsonPath: '.status.selectedNamespaces', description: 'Selected.' },
            { name: 'Budget', type: 'number', jsonPath: '.spec.monthlyBudget', description: 'Monthly budget.' },
            { name: 'MaxPrice', type: 'number', jsonPath: '.spec.maxMonthlyPrice', description: 'Per add-on.' },
            {
              name: 'Adoption',
              type: 'boolean',
              jsonPath: '.spec.adoption.allowed',
              description: 'Adoption allowed.',
            },
            {
              name: 'Valid',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Valid")].status',
              description: 'The spec was read.',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: POLICY_DESCRIPTION,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'API version of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec: spec,
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}
