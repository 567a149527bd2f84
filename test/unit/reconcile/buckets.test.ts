// The pure parts of Cellar bucket management: what to create, delete or let go of, when a deletion is allowed,
// how removals and ensures decide from what S3 answers, and that no message ever carries a key.
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import cellar from '../../../providers/cellar.ts';
import type { BucketDeletionPolicy, S3Connection } from '../../../src/model/provider.ts';
import {
  deletionStep,
  ensureBucket,
  leftBucket,
  managedBuckets,
  notEmptyMessage,
  planBuckets,
  removeBucket,
  type BucketStore,
} from '../../../src/reconcile/buckets.ts';
import { describeS3Error, s3ErrorCode } from '../../../src/s3/index.ts';

const b = (...names: string[]) => names.map((name) => ({ name }));

describe('planBuckets', () => {
  it.each([
    { desired: ['a', 'b'], managed: [], prune: false, plan: { ensure: ['a', 'b'], remove: [], release: [] } },
    { desired: ['a'], managed: ['a', 'b'], prune: false, plan: { ensure: ['a'], remove: [], release: ['b'] } },
    { desired: ['a'], managed: ['a', 'b'], prune: true, plan: { ensure: ['a'], remove: ['b'], release: [] } },
    { desired: [], managed: ['x'], prune: true, plan: { ensure: [], remove: ['x'], release: [] } },
    { desired: ['a', 'a'], managed: ['a', 'a'], prune: true, plan: { ensure: ['a'], remove: [], release: [] } },
  ])('desired $desired, managed $managed, prune $prune', ({ desired, managed, prune, plan }) => {
    expect(planBuckets(b(...desired), managed, prune)).toEqual(plan);
  });

  it('managedBuckets joins declared and recorded buckets once each', () => {
    expect(
      managedBuckets(b('a', 'b'), [
        { name: 'b', state: 'Ready' },
        { name: 'c', state: 'NotEmpty' },
      ]),
    ).toEqual(['a', 'b', 'c']);
    expect(managedBuckets([], undefined)).toEqual([]);
  });
});

describe('deletionStep', () => {
  it.each<[boolean, BucketDeletionPolicy, string]>([
    [true, 'RequireEmpty', 'delete'],
    [true, 'DeleteContents', 'delete'],
    [false, 'RequireEmpty', 'blocked'],
    [false, 'DeleteContents', 'empty-then-delete'],
  ])('empty=%s policy=%s -> %s', (empty, policy, step) => {
    expect(deletionStep(empty, policy)).toBe(step);
  });

  it('explains how to unblock, naming the buckets', () => {
    expect(notEmptyMessage(['files'], true)).toBe(
      'bucket files holds objects; the add-on is kept until they are empty: empty them, set ' +
        'spec.bucketDeletionPolicy: DeleteContents, or set deletionPolicy: Orphan to keep the add-on',
    );
    expect(notEmptyMessage(['a', 'b'], false)).toBe(
      'buckets a, b hold objects; they are not deleted: empty them or set spec.bucketDeletionPolicy: DeleteContents',
    );
  });
});

/** An in-memory S3 that records calls, for the decisions of ensureBucket and removeBucket. */
function fakeStore(buckets: Record<string, number | 'foreign'>, raceCreate = false) {
  const calls: string[] = [];
  const store: BucketStore = {
    exists(name) {
      calls.push(`exists ${name}`);
      const v = buckets[name];
      return Promise.resolve(v === undefined ? 'missing' : v === 'foreign' ? 'forbidden' : 'owned');
    },
    create(name) {
      calls.push(`create ${name}`);
      if (raceCreate) {
        buckets[name] = 0;
        return Promise.resolve('taken');
      }
      if (buckets[name] !== undefined) return Promise.resolve('taken');
      buckets[name] = 0;
      return Promise.resolve('created');
    },
    contents(name) {
      calls.push(`contents ${name}`);
      const v = buckets[name];
      return Promise.resolve(v === undefined ? 'missing' : v === 'foreign' ? 'forbidden' : v > 0 ? 'objects' : 'empty');
    },
    deleteObjects(name, maxBatches) {
      calls.push(`deleteObjects ${name}`);
      const v = buckets[name] as number;
      buckets[name] = Math.max(0, v - maxBatches * 1000);
      return Promise.resolve(buckets[name] === 0);
    },
    delete(name) {
      calls.push(`delete ${name}`);
      if ((buckets[name] as number) > 0) return Promise.resolve('notEmpty');
      delete buckets[name];
      return Promise.resolve('deleted');
    },
    close() {},
  };
  return { store, calls, buckets };
}

describe('ensureBucket', () => {
  it('creates a missing bucket', async () => {
    const { store, calls } = fakeStore({});
    expect(await ensureBucket(store, 'new')).toEqual({ status: { name: 'new', state: 'Ready' }, created: true });
    expect(calls).toEqual(['exists new', 'create new']);
  });

  it('adopts a bucket the keys can use, without creating it', async () => {
    const { store, calls } = fakeStore({ mine: 3 });
    expect(await ensureBucket(store, 'mine')).toEqual({ status: { name: 'mine', state: 'Ready' }, created: false });
    expect(calls).toEqual(['exists mine']);
  });

  it('reports a name held by another account as Unavailable', async () => {
    const { store } = fakeStore({ taken: 'foreign' });
    const { status } = await ensureBucket(store, 'taken');
    expect(status.state).toBe('Unavailable');
    expect(status.message).toMatch(/^bucket taken exists but this add-on's keys cannot use it: .*global/);
  });

  it('looks again when the name was taken between look and create (a concurrent pass)', async () => {
    const { store, calls } = fakeStore({}, true);
    expect(await ensureBucket(store, 'raced')).toEqual({ status: { name: 'raced', state: 'Ready' }, created: false });
    expect(calls).toEqual(['exists raced', 'create raced', 'exists raced']);
  });
});

describe('removeBucket', () => {
  it('deletes an empty bucket under either policy', async () => {
    for (const policy of ['RequireEmpty', 'DeleteContents'] as const) {
      const { store, buckets } = fakeStore({ e: 0 });
      expect(await removeBucket(store, 'e', policy)).toBe('deleted');
      expect(buckets).toEqual({});
    }
  });

  it('never touches the objects of a non-empty bucket without DeleteContents', async () => {
    const { store, calls, buckets } = fakeStore({ full: 5 });
    expect(await removeBucket(store, 'full', 'RequireEmpty')).toBe('notEmpty');
    expect(calls).toEqual(['contents full']);
    expect(buckets).toEqual({ full: 5 });
  });

  it('empties then deletes with DeleteContents, over several passes for a large bucket', async () => {
    const { store, buckets } = fakeStore({ big: 45_000 });
    expect(await removeBucket(store, 'big', 'DeleteContents')).toBe('inProgress');
    expect(buckets.big).toBe(25_000);
    expect(await removeBucket(store, 'big', 'DeleteContents')).toBe('inProgress');
    expect(await removeBucket(store, 'big', 'DeleteContents')).toBe('deleted');
    expect(buckets).toEqual({});
  });

  it('says absent for a bucket already gone, forbidden for one it cannot list', async () => {
    const { store } = fakeStore({ theirs: 'foreign' });
    expect(await removeBucket(store, 'gone', 'DeleteContents')).toBe('absent');
    expect(await removeBucket(store, 'theirs', 'DeleteContents')).toBe('forbidden');
  });

  it('leftBucket turns outcomes into status entries', () => {
    expect(leftBucket('a', 'deleted', true)).toBeUndefined();
    expect(leftBucket('a', 'absent', true)).toBeUndefined();
    expect(leftBucket('a', 'notEmpty', true)).toMatchObject({ name: 'a', state: 'NotEmpty' });
    expect(leftBucket('a', 'inProgress', false)).toEqual({
      name: 'a',
      state: 'Deleting',
      message: 'deleting its objects',
    });
    expect(leftBucket('a', 'forbidden', true)).toMatchObject({ name: 'a', state: 'Unavailable' });
  });
});

describe('S3 errors', () => {
  const conn: S3Connection = {
    endpoint: 'https://cellar-c2.services.clever-cloud.com',
    region: 'us-east-1',
    accessKeyId: 'AKIAEXAMPLEKEY000001',
    secretAccessKey: 'sEcReT/with+odd=chars0123456789abcdefghij',
  };

  it('reads the code and status of SDK errors and of network errors', () => {
    const sdk = new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', $metadata: { httpStatusCode: 404 } });
    expect(s3ErrorCode(sdk)).toEqual({ code: 'NoSuchBucket', status: 404 });
    const net = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(s3ErrorCode(net)).toEqual({ code: 'ECONNREFUSED', status: undefined });
    expect(s3ErrorCode('weird')).toEqual({ code: 'UnknownError', status: undefined });
  });

  it('describes a failure with action, bucket, endpoint and code, and never the keys', () => {
    const err = new S3ServiceException({
      name: 'SignatureDoesNotMatch',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: `signature for ${conn.accessKeyId} computed with ${conn.secretAccessKey} does not match`,
    });
    const text = describeS3Error(err, 'creation', 'files', conn);
    expect(text).toBe(
      'S3 creation of bucket files at https://cellar-c2.services.clever-cloud.com failed with SignatureDoesNotMatch ' +
        '(HTTP 403): signature for *** computed with *** does not match',
    );
    expect(text).not.toContain(conn.secretAccessKey);
    expect(text).not.toContain(conn.accessKeyId);
  });
});

describe('the Cellar provider declares its object storage', () => {
  const env = {
    CELLAR_ADDON_HOST: 'cellar-c2.services.clever-cloud.com',
    CELLAR_ADDON_KEY_ID: 'KEYID0000000000000001',
    CELLAR_ADDON_KEY_SECRET: 'secret0000000000000000000000000000000001',
  };
  const storage = cellar.objectStorage!;

  it('reaches a real Cellar host over https, and a local server as given', () => {
    expect(storage.connection(env)).toEqual({
      endpoint: 'https://cellar-c2.services.clever-cloud.com',
      region: 'us-east-1',
      accessKeyId: env.CELLAR_ADDON_KEY_ID,
      secretAccessKey: env.CELLAR_ADDON_KEY_SECRET,
    });
    expect(storage.connection({ ...env, CELLAR_ADDON_HOST: 'http://127.0.0.1:4568' }).endpoint).toBe(
      'http://127.0.0.1:4568',
    );
    // The Secret's endpoint and the operator's are the same value.
    expect(cellar.binding(env).consumer.AWS_ENDPOINT_URL_S3).toBe('https://cellar-c2.services.clever-cloud.com');
  });

  it('defaults to no buckets, RequireEmpty and no pruning', () => {
    const spec = cellar.spec.parse({});
    expect(storage.buckets(spec)).toEqual([]);
    expect(storage.bucketDeletionPolicy(spec)).toBe('RequireEmpty');
    expect(storage.pruneBuckets(spec)).toBe(false);
    const opted = cellar.spec.parse({ buckets: [{ name: 'files' }], bucketDeletionPolicy: 'DeleteContents' });
    expect(storage.buckets(opted)).toEqual([{ name: 'files' }]);
    expect(storage.bucketDeletionPolicy(opted)).toBe('DeleteContents');
  });

  it.each(['Files', 'ab', '-files', 'files-', 'a_b', 'x'.repeat(64)])('rejects the bucket name %j', (name) => {
    expect(cellar.spec.safeParse({ buckets: [{ name }] }).success).toBe(false);
  });
});
