// Server-side apply for any kind (custom resources, Secrets, status): the body is the raw JSON object, sent with
// the apply-patch content type, so nothing is lost to client-node's typed serializer and the API server records
// exactly the fields we own under our field manager.
import { KubeClient } from './client.ts';
import { objectPath, refOf, type KubeConfigOrClient } from './objects.ts';
import type { KubeObject } from './types.ts';

export interface ApplyOptions {
  /** Take ownership of fields another manager owns instead of failing with 409 (use for our own objects only). */
  force?: boolean;
  /** Validate and compute the result without persisting it. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

async function apply<T extends KubeObject>(
  kc: KubeConfigOrClient,
  obj: T,
  fieldManager: string,
  options: ApplyOptions,
  subresource?: 'status',
): Promise<T> {
  const client = KubeClient.for(kc);
  // An apply body must not carry managedFields; a copy from a GET would otherwise be refused.
  const metadata = obj.metadata ? { ...obj.metadata, managedFields: undefined } : undefined;
  const body = { ...obj, metadata };
  return client.request<T>('PATCH', await objectPath(client, refOf(obj), subresource), {
    body,
    // JSON is valid YAML: the apply-patch+yaml content type accepts a JSON body.
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager, force: options.force ? 'true' : undefined, dryRun: options.dryRun ? 'All' : undefined },
    signal: options.signal,
  });
}

/**
 * Server-side applies `obj` (apiVersion, kind, metadata.name and, if namespaced, metadata.namespace required) and
 * returns the object as stored. Without `force`, a field owned by another manager yields HTTP 409 (isConflict).
 */
export function applyObject<T extends KubeObject>(
  kc: KubeConfigOrClient,
  obj: T,
  fieldManager: string,
  options: ApplyOptions = {},
): Promise<T> {
  return apply(kc, obj, fieldManager, options);
}

/** Server-side applies the status subresource (only `status` of `obj` is taken; spec changes are ignored there). */
export function applyStatus<T extends KubeObject>(
  kc: KubeConfigOrClient,
  obj: T,
  fieldManager: string,
  options: ApplyOptions = {},
): Promise<T> {
  return apply(kc, obj, fieldManager, options, 'status');
}
