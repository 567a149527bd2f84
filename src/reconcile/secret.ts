// The connection Secret: one Secret, three audiences.
//  * Clever-native keys, verbatim from the add-on env (POSTGRESQL_ADDON_HOST, ...): upstream users keep working.
//  * servicebinding.io keys (type, provider, host, port, username, password, database, uri, ...).
//  * Consumer keys (DATABASE_URL, REDIS_URL, AWS_*), for Paperclip and 12-factor apps.
// Where a consumer key has the same name as a Clever-native one (REDIS_URL), the Clever value wins, so the Secret
// stays byte-compatible with what the upstream operator wrote.
import { createHash } from 'node:crypto';
import type { Binding } from '../model/provider.ts';
import type { KubeObject, OwnerReference } from '../kube/types.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './names.ts';

export interface SecretObject extends KubeObject {
  apiVersion: 'v1';
  kind: 'Secret';
  type?: string;
  data?: Record<string, string>;
}

export const SERVICE_BINDING_PROVIDER = 'clever-cloud';

export const DIALECTS = ['clever', 'serviceBinding', 'consumer'] as const;
export type Dialect = (typeof DIALECTS)[number];

function serviceBindingEntries(binding: Binding): Record<string, string> {
  const sb = binding.serviceBinding;
  const all: Record<string, string | undefined> = {
    type: sb.type,
    provider: SERVICE_BINDING_PROVIDER,
    host: sb.host,
    port: sb.port,
    username: sb.username,
    password: sb.password,
    database: sb.database,
    uri: sb.uri,
    ...sb.extra,
  };
  const entries: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (v !== undefined) entries[k] = v;
  return entries;
}

/** Every value a template may use: all three dialects, whatever the Secret itself carries. */
export function templateValues(env: Record<string, string>, binding: Binding): Record<string, string> {
  return { ...serviceBindingEntries(binding), ...binding.consumer, ...env };
}

/** The key/value pairs of the Secret, before base64, for the chosen dialects (default: all three). */
export function bindingEntries(
  env: Record<string, string>,
  binding: Binding,
  dialects: readonly Dialect[] = DIALECTS,
): Record<string, string> {
  const entries: Record<string, string> = {};
  if (dialects.includes('serviceBinding')) Object.assign(entries, serviceBindingEntries(binding));
  if (dialects.includes('consumer')) Object.assign(entries, binding.consumer);
  if (dialects.includes('clever')) Object.assign(entries, env);
  return entries;
}

/** SHA-256 over the sorted entries: changes exactly when a value changes; safe to show (it reveals nothing). */
export function entriesHash(entries: Record<string, string>): string {
  const h = createHash('sha256');
  for (const key of Object.keys(entries).sort()) h.update(`${key}\u0000${entries[key]}\u0000`);
  return h.digest('hex');
}

export function dataHash(data: Record<string, string> | undefined): string {
  const entries: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) entries[k] = Buffer.from(v, 'base64').toString('utf8');
  return entriesHash(entries);
}

export interface RenderSecretInput {
  name: string;
  namespace: string;
  owner: OwnerReference;
  entries: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function renderSecret(input: RenderSecretInput): SecretObject {
  const data: Record<string, string> = {};
  for (const key of Object.keys(input.entries).sort()) data[key] = Buffer.from(input.entries[key]!).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      // Our label last, so a user label cannot take it away (the informer selects on it).
      labels: { ...input.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      ...(input.annotations && Object.keys(input.annotations).length > 0 ? { annotations: input.annotations } : {}),
      ownerReferences: [{ ...input.owner, controller: true, blockOwnerDeletion: true }],
    },
    type: 'Opaque',
    data,
  };
}

/**
 * Whether an existing Secret of that name is ours to write: one we manage, or one whose owner is this very
 * resource (the upstream operator sets an ownerReference without `controller`). Anything else is someone else's.
 */
export function isOurSecret(secret: KubeObject, ownerUid: string): boolean {
  const owners = secret.metadata?.ownerReferences ?? [];
  if (owners.some((o) => o.uid === ownerUid)) return true;
  return false;
}
