// Buckets of object-storage add-ons (Cellar), kept through the add-on's own S3 API with its own keys. The decisions
// (what to create, delete or let go of; whether a bucket may be deleted) are pure functions; the S3 calls sit
// behind BucketStore so the reconciler only orchestrates. Nothing here ever destroys objects unless the resource
// says DeleteContents, and no message built here carries a credential.
import { describeS3Error, lazyS3Client, ObjectStorageError, s3ErrorCode } from '../s3/index.ts';
import type { BucketDeletionPolicy, BucketSpec, S3Connection } from '../model/provider.ts';

/**
 * State of a bucket in status: Ready (exists, reachable with the add-on keys), Unavailable (the name is taken or
 * unreachable with these keys), NotEmpty (deletion refused: it holds objects), Deleting (objects being deleted).
 */
export type BucketState = 'Ready' | 'Unavailable' | 'NotEmpty' | 'Deleting';

export interface BucketStatus {
  name: string;
  state: BucketState;
  message?: string;
}

export interface BucketPlan {
  /** Declared buckets: created when missing. */
  ensure: string[];
  /** Managed buckets no longer declared, with pruning on: deleted (following the bucket deletion policy). */
  remove: string[];
  /** Managed buckets no longer declared, pruning off: kept with their objects and no longer managed. */
  release: string[];
}

/** What to do with the buckets, from the declared ones and those status says we manage. */
export function planBuckets(desired: readonly BucketSpec[], managed: readonly string[], prune: boolean): BucketPlan {
  const ensure = [...new Set(desired.map((b) => b.name))];
  const gone = [...new Set(managed)].filter((name) => !ensure.includes(name));
  return prune ? { ensure, remove: gone, release: [] } : { ensure, remove: [], release: gone };
}

/** Every bucket the resource manages: declared ones and any still listed in status (e.g. a blocked removal). */
export function managedBuckets(desired: readonly BucketSpec[], status: readonly BucketStatus[] | undefined): string[] {
  return [...new Set([...desired.map((b) => b.name), ...(status ?? []).map((b) => b.name)])];
}

export type DeletionStep = 'delete' | 'empty-then-delete' | 'blocked';

/** A bucket holding objects is only deleted when the resource opted in with DeleteContents. */
export function deletionStep(empty: boolean, policy: BucketDeletionPolicy): DeletionStep {
  if (empty) return 'delete';
  return policy === 'DeleteContents' ? 'empty-then-delete' : 'blocked';
}

export function notEmptyMessage(names: readonly string[], deleting: boolean): string {
  const list = names.join(', ');
  const what = names.length === 1 ? `bucket ${list} holds objects` : `buckets ${list} hold objects`;
  const consequence = deleting
    ? 'the add-on is kept until they are empty: empty them, set spec.bucketDeletionPolicy: DeleteContents, or set ' +
      'deletionPolicy: Orphan to keep the add-on'
    : 'they are not deleted: empty them or set spec.bucketDeletionPolicy: DeleteContents';
  return `${what}; ${consequence}`;
}

export { ObjectStorageError };

/** The S3 calls buckets need. `s3BucketStore` is the real one. */
export interface BucketStore {
  /** owned: exists and reachable with these keys; missing: no such bucket; forbidden: exists, not ours. */
  exists(name: string): Promise<'owned' | 'missing' | 'forbidden'>;
  /** Creates the bucket; `taken` when the name already exists (ours or someone else's). */
  create(name: string): Promise<'created' | 'taken'>;
  /** forbidden: the keys cannot list it (someone else's bucket). */
  contents(name: string): Promise<'missing' | 'forbidden' | 'empty' | 'objects'>;
  /** Deletes up to `maxBatches` × 1000 objects; true when the bucket is then empty. */
  deleteObjects(name: string, maxBatches: number): Promise<boolean>;
  delete(name: string): Promise<'deleted' | 'notEmpty'>;
  close(): void;
}

export interface EnsureResult {
  status: BucketStatus;
  created: boolean;
}

/** Makes a declared bucket exist. An existing bucket the keys can use is adopted; one they cannot is Unavailable. */
export async function ensureBucket(store: BucketStore, name: string): Promise<EnsureResult> {
  const unavailable = (): EnsureResult => ({
    status: {
      name,
      state: 'Unavailable',
      message:
        `bucket ${name} exists but this add-on's keys cannot use it: bucket names are global on Cellar, so the ` +
        'name is probably taken by another account; choose another name',
    },
    created: false,
  });
  const found = await store.exists(name);
  if (found === 'owned') return { status: { name, state: 'Ready' }, created: false };
  if (found === 'forbidden') return unavailable();
  if ((await store.create(name)) === 'created') return { status: { name, state: 'Ready' }, created: true };
  // Taken between our look and our create: by us (a concurrent pass) or by someone else.
  return (await store.exists(name)) === 'owned' ? { status: { name, state: 'Ready' }, created: false } : unavailable();
}

/** Objects deleted per pass at most (× 1000); a larger bucket is emptied over several passes. */
export const MAX_DELETE_BATCHES = 20;

/**
 * Deletes a managed bucket if the policy allows it. `absent`: already gone. `forbidden`: the keys cannot even list
 * it, so whether it holds objects is unknown (someone else's bucket, or access lost): the caller decides.
 */
export async function removeBucket(
  store: BucketStore,
  name: string,
  policy: BucketDeletionPolicy,
): Promise<'deleted' | 'absent' | 'forbidden' | 'notEmpty' | 'inProgress'> {
  const contents = await store.contents(name);
  if (contents === 'missing') return 'absent';
  if (contents === 'forbidden') return 'forbidden';
  const step = deletionStep(contents === 'empty', policy);
  if (step === 'blocked') return 'notEmpty';
  if (step === 'empty-then-delete' && !(await store.deleteObjects(name, MAX_DELETE_BATCHES))) return 'inProgress';
  // Still refused (objects written meanwhile, or object versions of a versioned bucket): reported, not forced.
  return store.delete(name);
}

/** The real BucketStore: the operator's S3 client (src/s3) on the add-on's endpoint, with the add-on's keys. */
export function s3BucketStore(conn: S3Connection): BucketStore {
  const s3 = lazyS3Client(conn, { requestTimeoutMs: 15_000 });
  const fail = (err: unknown, action: string, bucket: string): never => {
    throw new ObjectStorageError(describeS3Error(err, action, bucket, conn));
  };
  const code = (err: unknown) => s3ErrorCode(err);

  return {
    async exists(name) {
      try {
        await s3.use((client, sdk) => client.send(new sdk.HeadBucketCommand({ Bucket: name })));
        return 'owned';
      } catch (err) {
        const { code: c, status } = code(err);
        if (status === 404 || c === 'NotFound' || c === 'NoSuchBucket') return 'missing';
        if (status === 403) return 'forbidden';
        return fail(err, 'lookup', name);
      }
    },
    async create(name) {
      try {
        await s3.use((client, sdk) => client.send(new sdk.CreateBucketCommand({ Bucket: name })));
        return 'created';
      } catch (err) {
        const { code: c } = code(err);
        if (c === 'BucketAlreadyOwnedByYou' || c === 'BucketAlreadyExists') return 'taken';
        return fail(err, 'creation', name);
      }
    },
    async contents(name) {
      try {
        const page = await s3.use((client, sdk) =>
          client.send(new sdk.ListObjectsV2Command({ Bucket: name, MaxKeys: 1 })),
        );
        return (page.KeyCount ?? page.Contents?.length ?? 0) > 0 ? 'objects' : 'empty';
      } catch (err) {
        const { code: c, status } = code(err);
        if (c === 'NoSuchBucket' || status === 404) return 'missing';
        if (c === 'AccessDenied' || status === 403) return 'forbidden';
        return fail(err, 'listing', name);
      }
    },
    async deleteObjects(name, maxBatches) {
      for (let batch = 0; batch < maxBatches; batch++) {
        let keys: string[];
        try {
          const page = await s3.use((client, sdk) =>
            client.send(new sdk.ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 })),
          );
          keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
        } catch (err) {
          if (code(err).code === 'NoSuchBucket') return true;
          return fail(err, 'listing', name);
        }
        if (keys.length === 0) return true;
        try {
          const out = await s3.use((client, sdk) =>
            client.send(
              new sdk.DeleteObjectsCommand({
                Bucket: name,
                Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
              }),
            ),
          );
          const first = out.Errors?.[0];
          if (first) {
            throw new ObjectStorageError(
              `S3 deletion of ${out.Errors?.length ?? 0} objects in bucket ${name} at ${conn.endpoint} failed ` +
                `with ${first.Code ?? 'UnknownError'}`,
            );
          }
        } catch (err) {
          if (err instanceof ObjectStorageError) throw err;
          return fail(err, 'object deletion', name);
        }
      }
      return false;
    },
    async delete(name) {
      try {
        await s3.use((client, sdk) => client.send(new sdk.DeleteBucketCommand({ Bucket: name })));
        return 'deleted';
      } catch (err) {
        const { code: c, status } = code(err);
        if (c === 'BucketNotEmpty' || status === 409) return 'notEmpty';
        if (c === 'NoSuchBucket' || status === 404) return 'deleted';
        return fail(err, 'deletion', name);
      }
    },
    close() {
      s3.close();
    },
  };
}

/** The status of a bucket that a removal left in place, if any. */
export function leftBucket(
  name: string,
  outcome: Awaited<ReturnType<typeof removeBucket>>,
  deleting: boolean,
): BucketStatus | undefined {
  switch (outcome) {
    case 'deleted':
    case 'absent':
      return undefined;
    case 'notEmpty':
      return { name, state: 'NotEmpty', message: notEmptyMessage([name], deleting) };
    case 'inProgress':
      return { name, state: 'Deleting', message: 'deleting its objects' };
    case 'forbidden':
      return {
        name,
        state: 'Unavailable',
        message: `bucket ${name} cannot be listed with this add-on's keys (HTTP 403), so it may hold objects`,
      };
  }
}
