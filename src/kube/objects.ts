// Object helpers over the raw client: path resolution by discovery, get/delete, optimistic-concurrency updates and
// finalizer edits that can never clobber a concurrent writer.
import { KubeClient, type KubeTarget } from './client.ts';
import { apiStatus, apiStatusCode, ConflictError, describeError, isNotFound } from './errors.ts';
import type { KubeObject } from './types.ts';
import { resourcePath } from './types.ts';

export type KubeConfigOrClient = KubeTarget | KubeClient;

/** Identifies one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The REST path of an object (or its subresource), resolving kind -> resource through discovery. */
export async function objectPath(client: KubeClient, ref: ObjectRef, subresource?: string): Promise<string> {
  const kind = await client.resolveKind(ref.apiVersion, ref.kind);
  if (kind.namespaced && !ref.namespace) throw new Error(`${ref.kind} ${ref.name}: namespaced kind needs a namespace`);
  const namespace = kind.namespaced ? ref.namespace : undefined;
  return resourcePath(
    { group: kind.group, version: kind.version, plural: kind.plural, namespace },
    ref.name,
    subresource,
  );
}

/** The ObjectRef of a full object; throws when apiVersion, kind or name is missing. */
export function refOf(obj: KubeObject): ObjectRef {
  const { apiVersion, kind } = obj;
  const name = obj.metadata?.name;
  if (!apiVersion || !kind || !name) throw new Error('object needs apiVersion, kind and metadata.name');
  return { apiVersion, kind, name, namespace: obj.metadata?.namespace };
}

/** Reads an object; undefined when it does not exist. */
export async function getObject<T extends KubeObject>(kc: KubeConfigOrClient, ref: ObjectRef): Promise<T | undefined> {
  const client = KubeClient.for(kc);
  let path: string;
  try {
    path = await objectPath(client, ref);
  } catch (err) {
    if (isNotFound(err)) return undefined; // the group/version is not served (a CRD not installed)
    throw err;
  }
  return client.request<T | undefined>('GET', path, { notFoundAsUndefined: true });
}

/**
 * Deletes an object; false when it was already gone. With `uid`/`resourceVersion` the delete is conditional, so a
 * re-created object of the same name, or one changed since it was read, is not deleted (409 -> ConflictError).
 */
export async function deleteObject(
  kc: KubeConfigOrClient,
  ref: ObjectRef,
  options: { uid?: string; resourceVersion?: string; propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' } = {},
): Promise<boolean> {
  const client = KubeClient.for(kc);
  const preconditions =
    options.uid || options.resourceVersion ? { uid: options.uid, resourceVersion: options.resourceVersion } : undefined;
  try {
    await client.request('DELETE', await objectPath(client, ref), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions, propagationPolicy: options.propagationPolicy },
    });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw asConflict(err);
  }
}

/**
 * Replaces an object (PUT) only if it is unchanged since it was read: `metadata.resourceVersion` is required and
 * the API server refuses a stale one with 409, surfaced as ConflictError. `subresource: 'status'` writes status.
 */
export async function updateWithResourceVersion<T extends KubeObject>(
  kc: KubeConfigOrClient,
  obj: T,
  options: { subresource?: 'status'; fieldManager?: string } = {},
): Promise<T> {
  if (!obj.metadata?.resourceVersion) {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: updateWithResourceVersion needs metadata.resourceVersion`);
  }
  const client = KubeClient.for(kc);
  try {
    return await client.request<T>('PUT', await objectPath(client, refOf(obj), options.subresource), {
      body: obj,
      query: { fieldManager: options.fieldManager },
    });
  } catch (err) {
    throw asConflict(err);
  }
}

/** A JSON Patch operation (RFC 6902). */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** Sends a JSON patch; a failed `test` op (or a 409) is a ConflictError. */
export async function jsonPatch<T extends KubeObject>(
  kc: KubeConfigOrClient,
  ref: ObjectRef,
  ops: JsonPatchOp[],
  options: { subresource?: string; fieldManager?: string } = {},
): Promise<T> {
  const client = KubeClient.for(kc);
  try {
    return await client.request<T>('PATCH', await objectPath(client, ref, options.subresource), {
      body: ops,
      contentType: 'application/json-patch+json',
      query: { fieldManager: options.fieldManager },
    });
  } catch (err) {
    throw ops.some((o) => o.op === 'test') && isFailedPatchTest(err)
      ? new ConflictError(describeError(err), { cause: err })
      : asConflict(err);
  }
}

/**
 * The API server answers a failed JSON patch `test` op with a bare 422 ("the server rejected our request due to an
 * error in our request") and no field causes, unlike validation failures, which list their causes.
 */
function isFailedPatchTest(err: unknown): boolean {
  if (apiStatusCode(err) !== 422) return false;
  const causes = apiStatus(err)?.details?.causes;
  return !Array.isArray(causes) || causes.length === 0;
}

/** Sends a JSON merge patch (RFC 7386). */
export async function mergePatch<T extends KubeObject>(
  kc: KubeConfigOrClient,
  ref: ObjectRef,
  patch: unknown,
  options: { subresource?: string; fieldManager?: string } = {},
): Promise<T> {
  const client = KubeClient.for(kc);
  return client.request<T>('PATCH', await objectPath(client, ref, options.subresource), {
    body: patch,
    contentType: 'application/merge-patch+json',
    query: { fieldManager: options.fieldManager },
  });
}

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/**
 * Adds `finalizer` unless present, guarded by a JSON patch `test` of the list we saw (or of resourceVersion when
 * there is none yet), so a concurrent edit makes this fail with ConflictError instead of dropping someone's
 * finalizer, as a merge patch of the whole list would. Returns the updated object (or `obj` when nothing to do).
 */
export async function ensureFinalizer<T extends KubeObject>(
  kc: KubeConfigOrClient,
  obj: T,
  finalizer: string,
): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  const current = obj.metadata?.finalizers ?? [];
  let ops: JsonPatchOp[];
  if (current.length > 0) {
    ops = [
      { op: 'test', path: '/metadata/finalizers', value: current },
      { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
    ];
  } else {
    const rv = obj.metadata?.resourceVersion;
    if (!rv) throw new Error(`${obj.kind} ${obj.metadata?.name}: ensureFinalizer needs metadata.resourceVersion`);
    ops = [
      { op: 'test', path: '/metadata/resourceVersion', value: rv },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return jsonPatch<T>(kc, refOf(obj), ops);
}

/** Removes `finalizer` if present, guarded by a `test` of the list we saw (see ensureFinalizer). */
export async function removeFinalizer<T extends KubeObject>(
  kc: KubeConfigOrClient,
  obj: T,
  finalizer: string,
): Promise<T> {
  const current = obj.metadata?.finalizers ?? [];
  const index = current.indexOf(finalizer);
  if (index < 0) return obj;
  return jsonPatch<T>(kc, refOf(obj), [
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ]);
}

/** Maps a lost optimistic-concurrency race (HTTP 409) to ConflictError. */
function asConflict(err: unknown): unknown {
  if (err instanceof ConflictError) return err;
  if (apiStatusCode(err) === 409) return new ConflictError(describeError(err), { cause: err });
  return err;
}
