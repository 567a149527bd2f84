// Spend nothing that cannot be delivered (issue 13, guarantee 6). Creating an add-on is billed; the connection Secret
// is what the user gets for it. Everything that would make the Secret (or the backup CronJob) impossible to write is
// checked before the create call: from the spec alone here (pure), and the names held by someone else's objects by
// the reconciler's pre-create read (decideNamesFree). Each problem names the field at fault.
import type { Binding } from '../../model/provider.ts';
import { nextRun, parseCron, parseRetention } from '../backup/index.ts';
import { isOurSecret, templateValues } from '../secret.ts';
import { TemplateError, renderTemplate } from '../template.ts';
import type { KubeObject } from '../../kube/types.ts';
import { secretName } from '../names.ts';

/** Kubernetes limits (apimachinery validation): object names, label values, qualified-name parts, annotations. */
export const DNS_SUBDOMAIN_MAX = 253;
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
/** The sum of the lengths of every annotation key and value of one object. */
export const ANNOTATIONS_TOTAL_MAX = 256 * 1024;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface DeliverableInput {
  resourceName: string;
  secret:
    | {
        name?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        template?: Record<string, string>;
      }
    | undefined;
  backup: { schedule: string; retention: string } | undefined;
  /**
   * The environment keys the provider's add-ons carry, when the provider declares them; the template is then
   * rendered against them (and the binding derived from them). Without them only the template's syntax is checked.
   */
  envKeys: readonly string[] | undefined;
  binding: (env: Record<string, string>) => Binding;
  now: Date;
}

export type DeliverableProblem =
  | { kind: 'spec'; field: string; message: string; why: string }
  | { kind: 'template'; error: TemplateError; why: string };

/** The first reason the Secret could never be written for this spec; undefined when it can be. */
export function checkDeliverable(input: DeliverableInput): DeliverableProblem | undefined {
  const secret = input.secret ?? {};
  const name = secretName(input.resourceName, secret.name);
  if (name.length > DNS_SUBDOMAIN_MAX) {
    const field = secret.name !== undefined ? 'spec.secret.name' : 'metadata.name';
    return spec(
      field,
      `the Secret name ${name.slice(0, 40)}... would be ${name.length} characters, over the ${DNS_SUBDOMAIN_MAX} ` +
        'Kubernetes allows; set a shorter spec.secret.name',
      'the Secret name is too long',
    );
  }
  for (const [key, value] of Object.entries(secret.labels ?? {})) {
    const field = `spec.secret.labels[${key}]`;
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) return spec(field, `not a valid label key: ${keyProblem}`, 'invalid label key');
    const valueProblem = labelValueProblem(value);
    if (valueProblem) return spec(field, `not a valid label value: ${valueProblem}`, 'invalid label value');
  }
  let total = 0;
  for (const [key, value] of Object.entries(secret.annotations ?? {})) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) {
      return spec(`spec.secret.annotations[${key}]`, `not a valid annotation key: ${keyProblem}`, 'invalid key');
    }
    total += key.length + value.length;
  }
  if (total > ANNOTATIONS_TOTAL_MAX) {
    const message = `the annotations total ${total} bytes, over the ${ANNOTATIONS_TOTAL_MAX} Kubernetes allows`;
    return spec('spec.secret.annotations', message, 'annotations too large');
  }
  if (secret.template && Object.keys(secret.template).length > 0) {
    try {
      renderTemplate(secret.template, knownValues(input));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      return { kind: 'template', error: err, why: 'the template cannot render' };
    }
  }
  if (input.backup) {
    try {
      if (!nextRun(parseCron(input.backup.schedule), input.now)) {
        return spec('spec.backup.schedule', 'the schedule never fires', 'the schedule never fires');
      }
    } catch (err) {
      return spec('spec.backup.schedule', (err as Error).message, 'invalid schedule');
    }
    try {
      parseRetention(input.backup.retention);
    } catch (err) {
      return spec('spec.backup.retention', (err as Error).message, 'invalid retention');
    }
  }
  return undefined;
}

function spec(field: string, message: string, why: string): DeliverableProblem {
  return { kind: 'spec', field, message, why };
}

/**
 * The values a template may name, with placeholder content: the provider's declared environment keys, and the
 * servicebinding.io and consumer keys its binding derives from them. Without declared keys, any name is accepted
 * (only syntax and filters are checked): refusing a key the add-on may well carry would refuse a valid resource.
 */
function knownValues(input: DeliverableInput): Record<string, string> {
  if (!input.envKeys) return new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? 'x' : undefined) });
  const env = Object.fromEntries(input.envKeys.map((k) => [k, 'x']));
  try {
    return templateValues(env, input.binding(env));
  } catch {
    return env;
  }
}

/** Why `key` is not a Kubernetes qualified name (`[prefix/]name`), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'at most one "/"';
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'the prefix before "/" is empty';
    if (prefix.length > DNS_SUBDOMAIN_MAX) return `the prefix is over ${DNS_SUBDOMAIN_MAX} characters`;
    if (!DNS_SUBDOMAIN.test(prefix)) return 'the prefix must be a lowercase DNS subdomain';
  }
  if (name.length === 0) return 'the name is empty';
  if (name.length > QUALIFIED_NAME_MAX) return `the name is over ${QUALIFIED_NAME_MAX} characters`;
  if (!NAME_PART.test(name)) {
    return 'the name must be alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined (empty is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > LABEL_VALUE_MAX) return `over ${LABEL_VALUE_MAX} characters`;
  if (!NAME_PART.test(value)) return 'must be alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric';
  return undefined;
}

export type NameDecision =
  | { action: 'free'; why: string }
  | { action: 'taken'; kind: 'Secret' | 'CronJob'; field: string; message: string; why: string };

/**
 * Before a create: the names this resource will write must not be held by someone else's object (another kind's
 * Secret under the same `<name>-secrets`, a hand-made Secret or CronJob), or the add-on is billed for nothing.
 */
export function decideNamesFree(input: {
  uid: string;
  kind: string;
  secret: { name: string; field: string; live: KubeObject | undefined };
  cronJob: { name: string; live: KubeObject | undefined } | undefined;
}): NameDecision {
  const { secret, cronJob } = input;
  if (secret.live && !isOurSecret(secret.live, input.uid)) {
    return {
      action: 'taken',
      kind: 'Secret',
      field: secret.field,
      message:
        `${secret.field}: Secret ${secret.name} exists and is not owned by this ${input.kind}; ` +
        'no add-on was created (choose another spec.secret.name, or remove that Secret)',
      why: 'the Secret name is held by something else',
    };
  }
  if (cronJob?.live && !(cronJob.live.metadata?.ownerReferences ?? []).some((o) => o.uid === input.uid)) {
    return {
      action: 'taken',
      kind: 'CronJob',
      field: 'spec.backup',
      message:
        `spec.backup: CronJob ${cronJob.name} exists and is not owned by this ${input.kind}; ` +
        'no add-on was created (rename or remove that CronJob)',
      why: 'the backup CronJob name is held by something else',
    };
  }
  return { action: 'free', why: 'the names are free or ours' };
}
