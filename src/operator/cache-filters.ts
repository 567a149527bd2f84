// What the manager's informers keep and which of their updates are worth a reconcile: pure functions over objects,
// used by src/operator/manager.ts.
import { trimObject } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import type { AddonResource } from '../reconcile/addon-reconciler.ts';
import type { SecretObject } from '../reconcile/secret.ts';

/** Whether the part `pick` of status differs between two versions of a resource. */
export function changed(
  before: AddonResource,
  after: AddonResource,
  pick: (s: AddonResource['status']) => unknown,
): boolean {
  return JSON.stringify(pick(before.status) ?? null) !== JSON.stringify(pick(after.status) ?? null);
}

/** Only changes that matter re-trigger a reconcile: not our own status writes. */
export function worthReconciling(before: KubeObject, after: KubeObject): boolean {
  const a = before.metadata ?? {};
  const b = after.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
  );
}

/**
 * What the Secret cache keeps of a connection Secret (or its last-bound copy): what the reconciler reads of a cached
 * Secret and nothing else. The owner, labels and annotations say whose it is and how it was rendered; `data` stays,
 * because a pass compares it with the desired content (its hash) and the restore path rebuilds a deleted Secret from
 * the cached copy's data (src/reconcile/addon/bind.ts, last-bound.ts): a digest in its place would turn every such
 * read into a GET. managedFields (one entry per data key), creationTimestamp and other fields are dropped.
 */
export function trimSecret(secret: SecretObject): SecretObject {
  const meta = trimObject(secret).metadata ?? {};
  const kept: SecretObject['metadata'] = {};
  for (const key of [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'labels',
    'annotations',
    'ownerReferences',
    'deletionTimestamp',
  ] as const) {
    if (meta[key] !== undefined) Object.assign(kept, { [key]: meta[key] });
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: kept,
    ...(secret.type !== undefined ? { type: secret.type } : {}),
    ...(secret.data !== undefined ? { data: secret.data } : {}),
  };
}
