// Cellar buckets end to end: the real API server validates spec.buckets, the operator creates the buckets through
// the S3 API of a real S3 server (s3rver) that the simulator's Cellar add-ons point at, and deletion never destroys
// objects unless the resource opted in.
import { HeadBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.ts';
import type { AddonStatus, Condition } from '../../src/model/status.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { adminKubeConfig, apiError, createTestNamespace, eventually, statusMessage } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { startLocalS3, type LocalS3 } from '../support/s3.ts';

const GROUP = 'api.clever-cloud.com';

interface Cellar extends k8s.KubernetesObject {
  spec: Record<string, unknown>;
  status?: AddonStatus;
}

const condition = (r: Cellar | undefined, type: Condition['type']) =>
  r?.status?.conditions?.find((c) => c.type === type);

describe('Cellar buckets on a local S3 server', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';
  let s3: LocalS3;
  let op: OperatorHarness;
  // Bucket names are global on an S3 server: unique per run.
  const suffix = Math.random().toString(36).slice(2, 8);
  const bucket = (name: string) => `${name}-${suffix}`;

  beforeAll(async () => {
    s3 = await startLocalS3();
    namespace = await createTestNamespace(kc, 'buckets');
    op = await startOperator({
      namespaces: [namespace],
      simulator: { cellarHost: s3.endpoint, onCellarKeys: (keys) => void s3.acceptKeys(keys) },
    });
  });
  afterAll(async () => {
    await op?.stop();
    await s3?.stop();
  });

  const create = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'cellars',
      body: { apiVersion: `${GROUP}/v1`, kind: 'Cellar', metadata: { name }, spec },
    });
  const get = async (name: string): Promise<Cellar | undefined> => {
    try {
      return (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural: 'cellars',
        name,
      })) as Cellar;
    } catch (err) {
      if (err instanceof k8s.ApiException && err.code === 404) return undefined;
      throw err;
    }
  };
  const patchSpec = (name: string, spec: Record<string, unknown>) =>
    custom.patchNamespacedCustomObject(
      { group: GROUP, version: 'v1', namespace, plural: 'cellars', name, body: { spec } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  const remove = (name: string) =>
    custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: 'cellars', name });
  const until = (name: string, what: string, test: (r: Cellar) => boolean, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const r = await get(name);
        return r && test(r) ? r : undefined;
      },
      timeoutMs,
      what,
    );
  const gone = (name: string) => eventually(async () => ((await get(name)) ? undefined : true), 20_000, 'deleted');
  const secretData = async (name: string) => {
    const s = await getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    return Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  };
  const exists = async (name: string) => {
    try {
      await s3.client().send(new HeadBucketCommand({ Bucket: name }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  };
  const put = (name: string, key: string) =>
    s3.client().send(new PutObjectCommand({ Bucket: name, Key: key, Body: 'paperclip attachment' }));
  const allReady = (r: Cellar, names: string[]) =>
    names.every((n) => r.status?.buckets?.some((b) => b.name === n && b.state === 'Ready')) &&
    condition(r, 'Synced')?.status === 'True';

  it('refuses invalid bucket names at admission, with a message', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['UPPER-case', [{ name: 'UPPER-case' }], /should match|pattern/i],
      ['too short', [{ name: 'ab' }], /at least 3|minLength|should be at least/i],
      ['adjacent periods', [{ name: 'a..b' }], /two adjacent periods/],
      ['ip address', [{ name: '192.168.1.10' }], /IP address/],
      ['xn-- prefix', [{ name: 'xn--bucket' }], /xn--/],
      ['duplicate', [{ name: 'same-name' }, { name: 'same-name' }], /[Dd]uplicate/],
    ];
    for (const [label, buckets, message] of cases) {
      const err = await apiError(create(`bad-${label.replace(/[^a-z]/g, '')}`, { buckets }));
      expect(err.code, label).toBe(422);
      expect(statusMessage(err), label).toMatch(/spec\.buckets/);
      expect(statusMessage(err), label).toMatch(message);
    }
  });

  it('creates the declared buckets before writing the Secret, usable with the Secret keys', async () => {
    const names = [bucket('files'), bucket('backups')];
    await create('store', { buckets: names.map((name) => ({ name })) });
    const r = await until('store', 'buckets Ready', (x) => allReady(x, names));
    expect(condition(r, 'Ready')?.status).toBe('True');
    expect(r.status?.buckets).toEqual(names.map((name) => ({ name, state: 'Ready' })));

    const data = await secretData('store-secrets');
    expect(data.AWS_ENDPOINT_URL_S3).toBe(s3.endpoint);
    const client = s3.client({ accessKeyId: data.AWS_ACCESS_KEY_ID!, secretAccessKey: data.AWS_SECRET_ACCESS_KEY! });
    for (const name of names) {
      const head = await client.send(new HeadBucketCommand({ Bucket: name }));
      expect(head.$metadata.httpStatusCode).toBe(200);
    }
    // The server does know keys: an unknown key id is refused, so the operator really used the add-on's keys.
    const stranger = s3.client({ accessKeyId: 'NOTACELLARKEY', secretAccessKey: 'x' });
    await expect(stranger.send(new HeadBucketCommand({ Bucket: names[0] }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    // And it verifies signatures: the right key id with a wrong secret is refused too, so the Secret's secret key is
    // the one that works.
    const forger = s3.client({
      accessKeyId: data.AWS_ACCESS_KEY_ID!,
      secretAccessKey: `${data.AWS_SECRET_ACCESS_KEY}x`,
    });
    await expect(forger.send(new ListObjectsV2Command({ Bucket: names[0] }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('keeps a bucket removed from the list, with its objects, and stops managing it', async () => {
    const [files, backups] = [bucket('files'), bucket('backups')];
    await put(backups, 'db/2026-01-01.dump.gz');
    await patchSpec('store', { buckets: [{ name: files }] });
    const r = await until('store', 'bucket released', (x) => x.status?.buckets?.length === 1);
    expect(r.status?.buckets).toEqual([{ name: files, state: 'Ready' }]);
    expect(condition(r, 'Synced')?.status).toBe('True');
    expect(await exists(backups)).toBe(true);
    const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: backups }));
    expect(listed.KeyCount).toBe(1);
  });

  it('pruneBuckets deletes a removed bucket only when empty, or with DeleteContents', async () => {
    const [keep, empty, full] = [bucket('p-keep'), bucket('p-empty'), bucket('p-full')];
    await create('prune', { buckets: [{ name: keep }, { name: empty }, { name: full }] });
    await until('prune', 'buckets Ready', (x) => allReady(x, [keep, empty, full]));
    await put(full, 'a.txt');
    await put(full, 'nested/b.txt');

    await patchSpec('prune', { buckets: [{ name: keep }], pruneBuckets: true });
    const blocked = await until('prune', 'BucketNotEmpty', (x) => condition(x, 'Synced')?.reason === 'BucketNotEmpty');
    expect(condition(blocked, 'Synced')?.message).toContain(`bucket ${full} holds objects`);
    expect(blocked.status?.buckets).toEqual([
      { name: keep, state: 'Ready' },
      { name: full, state: 'NotEmpty', message: expect.stringContaining('DeleteContents') as string },
    ]);
    expect(await exists(empty)).toBe(false);
    expect(await exists(full)).toBe(true);
    expect((await s3.client().send(new ListObjectsV2Command({ Bucket: full }))).KeyCount).toBe(2);

    await patchSpec('prune', { bucketDeletionPolicy: 'DeleteContents' });
    const done = await until('prune', 'pruned', (x) => x.status?.buckets?.length === 1 && allReady(x, [keep]));
    expect(done.status?.buckets).toEqual([{ name: keep, state: 'Ready' }]);
    expect(await exists(full)).toBe(false);
  });

  it('a bucket holding objects keeps the add-on on deletion until DeleteContents is set', async () => {
    const name = bucket('guarded');
    await create('guarded', { buckets: [{ name }] });
    const r = await until('guarded', 'bucket Ready', (x) => allReady(x, [name]));
    const addonId = r.status!.addonId!;
    await put(name, 'report.pdf');

    await remove('guarded');
    const blocked = await until(
      'guarded',
      'deletion blocked',
      (x) => condition(x, 'Synced')?.reason === 'BucketNotEmpty',
    );
    expect(condition(blocked, 'Synced')?.message).toBe(
      `bucket ${name} holds objects; the add-on is kept until they are empty: empty them, set ` +
        'spec.bucketDeletionPolicy: DeleteContents, or set deletionPolicy: Orphan to keep the add-on',
    );
    expect(blocked.metadata?.deletionTimestamp).toBeDefined();
    expect(op.sim.addons().some((a) => a.id === addonId)).toBe(true);
    expect(await exists(name)).toBe(true);

    await patchSpec('guarded', { bucketDeletionPolicy: 'DeleteContents' });
    await gone('guarded');
    expect(await exists(name)).toBe(false);
    expect(op.sim.addons().some((a) => a.id === addonId)).toBe(false);
  });

  it('deletes empty buckets with the add-on (Delete), keeps them with Orphan', async () => {
    const [deleted, orphaned] = [bucket('d-empty'), bucket('o-kept')];
    await create('del', { buckets: [{ name: deleted }] });
    await create('orph', { buckets: [{ name: orphaned }], deletionPolicy: 'Orphan' });
    await until('del', 'bucket Ready', (x) => allReady(x, [deleted]));
    const o = await until('orph', 'bucket Ready', (x) => allReady(x, [orphaned]));
    await put(orphaned, 'kept.txt');
    await Promise.all([remove('del'), remove('orph')]);
    await Promise.all([gone('del'), gone('orph')]);
    expect(await exists(deleted)).toBe(false);
    expect(await exists(orphaned)).toBe(true);
    expect(op.sim.addons().some((a) => a.id === o.status?.addonId)).toBe(true);
  });

  it('never logs the add-on keys', () => {
    const logs = op.logs.text();
    for (const a of op.sim.addons()) {
      const secret = a.env.find((e) => e.name === 'CELLAR_ADDON_KEY_SECRET')?.value;
      if (secret) expect(logs).not.toContain(secret);
    }
  });
});

describe('Cellar buckets when S3 is unreachable', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';
  let op: OperatorHarness;

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'buckets-down');
    // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
    op = await startOperator({ namespaces: [namespace], simulator: { cellarHost: 'http://127.0.0.1:9' } });
  });
  afterAll(async () => {
    await op?.stop();
  });

  const get = (name: string) =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'cellars',
      name,
    }) as Promise<Cellar>;

  it('reports ObjectStorageError without credentials, writes no Secret, and keeps the add-on on deletion', async () => {
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'cellars',
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: 'Cellar',
        metadata: { name: 'down' },
        spec: { buckets: [{ name: 'down-b' }] },
      },
    });
    const r = await eventually(
      async () => {
        const x = await get('down');
        return condition(x, 'Synced')?.reason === 'ObjectStorageError' ? x : undefined;
      },
      20_000,
      'ObjectStorageError',
    );
    const message = condition(r, 'Synced')!.message;
    expect(message).toMatch(/^S3 lookup of bucket down-b at http:\/\/127\.0\.0\.1:9 failed with /);
    const addon = op.sim.addons().find((a) => a.id === r.status?.addonId)!;
    for (const e of addon.env.filter((v) => v.name.startsWith('CELLAR_ADDON_KEY'))) {
      expect(message).not.toContain(e.value);
      expect(op.logs.text()).not.toContain(addon.env.find((v) => v.name === 'CELLAR_ADDON_KEY_SECRET')!.value);
    }
    // Buckets come before the Secret: consumers never start against missing buckets.
    expect(await getObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name: 'down-secrets' })).toBeUndefined();

    // Whether the bucket holds objects is unknown: deleting the add-on (and them) must wait.
    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'cellars',
      name: 'down',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(op.sim.addons().some((a) => a.id === addon.id)).toBe(true);
    expect((await get('down')).metadata?.deletionTimestamp).toBeDefined();
    // Orphan is the way out.
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: 'v1',
        namespace,
        plural: 'cellars',
        name: 'down',
        body: { spec: { deletionPolicy: 'Orphan' } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      async () => {
        try {
          await get('down');
          return undefined;
        } catch {
          return true;
        }
      },
      20_000,
      'deleted',
    );
    expect(op.sim.addons().some((a) => a.id === addon.id)).toBe(true);
  });
});
