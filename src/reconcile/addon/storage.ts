// Buckets of object-storage add-ons (Cellar): kept equal to the spec while the add-on lives (step 8b), emptied and
// removed before the add-on under deletion policy Delete. What to create, delete or let go of is decided by
// planBuckets and removeBucket (src/reconcile/buckets.ts); this module carries it out and reports it.
import type { Addon } from '../../clever/index.ts';
import {
  ensureBucket,
  leftBucket,
  managedBuckets,
  notEmptyMessage,
  planBuckets,
  removeBucket,
  type BucketStatus,
} from '../buckets.ts';
import { BUCKET_RECHECK_MS, POLL_MS } from './failures.ts';
import type { ExternalClient } from './external.ts';
import { Stop, type Pass } from './pass.ts';
import type { StepContext } from './types.ts';

/** Creates declared buckets, deletes or lets go of undeclared ones. */
export async function syncBuckets(
  c: StepContext,
  pass: Pass,
  ext: ExternalClient,
  addon: Addon,
  spec: unknown,
): Promise<void> {
  const storage = c.def.objectStorage;
  if (!storage) return;
  const desired = storage.buckets(spec);
  // Never ours to delete: buckets whose name another account holds.
  const managed = (pass.status.buckets ?? []).filter((b) => b.state !== 'Unavailable').map((b) => b.name);
  if (desired.length === 0 && managed.length === 0) {
    delete pass.status.buckets;
    return;
  }
  const store = c.bucketStore(storage.connection(await ext.env(addon.id)));
  const statuses: BucketStatus[] = [];
  try {
    const plan = planBuckets(desired, managed, storage.pruneBuckets(spec));
    for (const name of plan.ensure) {
      const { status, created } = await ensureBucket(store, name);
      statuses.push(status);
      if (created) pass.emit('Normal', 'BucketCreated', `created bucket ${name}`);
    }
    for (const name of plan.remove) {
      const outcome = await removeBucket(store, name, storage.bucketDeletionPolicy(spec));
      const left = leftBucket(name, outcome, false);
      if (left) statuses.push(left);
      if (outcome === 'deleted') {
        pass.emit('Normal', 'BucketDeleted', `deleted bucket ${name} (no longer in spec.buckets)`);
      }
    }
    for (const name of plan.release) {
      const message = `bucket ${name} left spec.buckets: kept with its objects, no longer managed (see spec.pruneBuckets)`;
      pass.emit('Normal', 'BucketReleased', message);
    }
  } finally {
    store.close();
  }
  if (statuses.length > 0) pass.status.buckets = statuses;
  else delete pass.status.buckets;
  pass.requeueSoon ||= statuses.some((b) => b.state === 'Deleting');
  const notEmpty = statuses.filter((b) => b.state === 'NotEmpty').map((b) => b.name);
  const unavailable = statuses.filter((b) => b.state === 'Unavailable');
  if (notEmpty.length > 0) {
    pass.softProblem = { reason: 'BucketNotEmpty', message: notEmptyMessage(notEmpty, false) };
    pass.warnOnce('BucketNotEmpty', 'BucketNotEmpty', pass.softProblem.message);
  } else if (unavailable.length > 0) {
    pass.softProblem = { reason: 'BucketUnavailable', message: unavailable.map((b) => b.message).join('; ') };
    pass.warnOnce('BucketUnavailable', 'BucketUnavailable', pass.softProblem.message);
  }
}

/**
 * Deletion policy Delete: the managed buckets go before the add-on. One holding objects (without
 * bucketDeletionPolicy DeleteContents), or one we can no longer look into, keeps the add-on: deleting the add-on
 * would destroy the objects too. Ends the pass (Stop) while any bucket is left.
 */
export async function deleteBuckets(c: StepContext, pass: Pass, ext: ExternalClient, addon: Addon): Promise<void> {
  const storage = c.def.objectStorage;
  if (!storage) return;
  const parsed = c.def.spec.safeParse(pass.res.spec ?? {});
  const known = pass.status.buckets ?? [];
  const names = managedBuckets(parsed.success ? storage.buckets(parsed.data) : [], known).filter(
    (name) => known.find((b) => b.name === name)?.state !== 'Unavailable',
  );
  if (names.length === 0) return;
  const policy = parsed.success ? storage.bucketDeletionPolicy(parsed.data) : 'RequireEmpty';
  const store = c.bucketStore(storage.connection(await ext.env(addon.id)));
  const left: BucketStatus[] = [];
  try {
    for (const name of names) {
      const outcome = await removeBucket(store, name, policy);
      // A declared bucket we never recorded and cannot list is someone else's: nothing of ours to keep.
      const remaining = leftBucket(name, outcome, true);
      if (remaining && (outcome !== 'forbidden' || known.some((b) => b.name === name))) left.push(remaining);
      if (outcome === 'deleted') pass.emit('Normal', 'BucketDeleted', `deleted bucket ${name}`);
    }
  } finally {
    store.close();
  }
  if (left.length === 0) {
    delete pass.status.buckets;
    return;
  }
  pass.status.buckets = left;
  const blocking = left.filter((b) => b.state !== 'Deleting');
  if (blocking.length > 0) {
    const notEmpty = blocking.filter((b) => b.state === 'NotEmpty').map((b) => b.name);
    const reason = notEmpty.length > 0 ? 'BucketNotEmpty' : 'BucketUnavailable';
    const message = [
      ...(notEmpty.length > 0 ? [notEmptyMessage(notEmpty, true)] : []),
      ...blocking.filter((b) => b.state === 'Unavailable').map((b) => `${b.message}; the add-on is kept`),
    ].join('; ');
    pass.condition('Synced', { status: 'False', reason, message });
    pass.warnOnce(reason, reason, message);
    throw new Stop({ requeueAfterMs: BUCKET_RECHECK_MS });
  }
  pass.condition('Ready', { status: 'False', reason: 'Deleting', message: 'deleting the objects of the buckets' });
  throw new Stop({ requeueAfterMs: POLL_MS });
}
