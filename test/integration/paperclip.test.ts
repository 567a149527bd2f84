// Paperclip end to end: the Paperclip Instance CRD (v0.2.0 fixture) on the real API server, examples/paperclip
// applied as a user would, the operator with the simulator whose Cellar add-ons point at a local S3 server. Every
// Secret reference of the Instance must resolve to a key with a well-formed value, and its buckets must exist.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.ts';
import { httpsEndpoint } from '../../src/model/env.ts';
import type { AddonStatus } from '../../src/model/status.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { DEFAULT_CELLAR_HOST } from '../../src/simulator/env.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { kubectl } from '../support/kubectl.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { ensurePaperclipCrd } from '../support/paperclip.ts';
import { startLocalS3, type LocalS3 } from '../support/s3.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

const load = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as Manifest);
const addons = load('examples/paperclip/addons.yaml');
const [instance] = load('examples/paperclip/instance.yaml') as [Manifest];

/** A Secret reference found in the Instance: where, which Secret, and the keys it needs. */
interface SecretRef {
  path: string;
  name: string;
  keys: string[];
}

/**
 * Every Secret reference of an Instance: SecretKeySelectors (`*SecretRef` or `secretKeyRef` with name and key) and
 * LocalObjectReferences whose keys the Paperclip operator hard-codes (`credentialsSecretRef`: the two AWS keys).
 */
function secretRefs(node: unknown, path = 'spec'): SecretRef[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => secretRefs(v, `${path}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]): SecretRef[] => {
    const here = `${path}.${k}`;
    if (/(^s|S)ecretRef$|^secretKeyRef$/.test(k) && typeof v === 'object' && v !== null) {
      const ref = v as { name?: string; key?: string };
      if (ref.key) return [{ path: here, name: ref.name ?? '', keys: [ref.key] }];
      if (k === 'credentialsSecretRef') {
        return [{ path: here, name: ref.name ?? '', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] }];
      }
      throw new Error(`${here}: a Secret reference this test does not know the keys of`);
    }
    return secretRefs(v, here);
  });
}

describe('examples/paperclip', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';
  let s3: LocalS3;
  let op: OperatorHarness;
  const secrets = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    s3 = await startLocalS3();
    namespace = await createTestNamespace(kc, 'paperclip');
    [, op] = await Promise.all([
      ensurePaperclipCrd(),
      startOperator({
        namespaces: [namespace],
        simulator: {
          cellarHost: s3.endpoint,
          onCellarKeys: (keys) => void s3.acceptKeys(keys),
          // Passwords with characters that break URLs unless percent-encoded.
          passwordAlphabet: 'abcXYZ0189@:/?#[]%&=+$, ',
        },
      }),
    ]);
  });
  afterAll(async () => {
    await op?.stop();
    await s3?.stop();
  });

  it('is the Paperclip wiring: external database, S3 object storage and backups on our Secrets', () => {
    const spec = instance.spec as {
      database: { mode: string; externalURLSecretRef: { name: string; key: string } };
      objectStorage: { provider: string; bucket: string; endpoint: string; region: string };
      backup: { s3: { bucket: string; endpoint: string } };
    };
    expect(instance.apiVersion).toBe('paperclip.inc/v1alpha1');
    expect(spec.database).toMatchObject({ mode: 'external', externalURLSecretRef: { key: 'DATABASE_URL' } });
    expect(spec.objectStorage.provider).toBe('s3');
    expect(spec.objectStorage.region).not.toBe('');
    // The endpoint written in the example is what our Secret holds for a real Cellar host: https.
    expect(spec.objectStorage.endpoint).toBe(httpsEndpoint(DEFAULT_CELLAR_HOST));
    expect(spec.backup.s3.endpoint).toBe(spec.objectStorage.endpoint);
    const cellar = addons.find((m) => m.kind === 'Cellar')!;
    const declared = (cellar.spec.buckets as { name: string }[]).map((b) => b.name);
    expect(declared).toContain(spec.objectStorage.bucket);
    expect(declared).toContain(spec.backup.s3.bucket);
    expect(addons.map((m) => m.kind).sort()).toEqual(['Cellar', 'PostgreSql', 'Redis']);
  });

  it('applies: the API server accepts the Instance under the fixture CRD, our resources become Ready', async () => {
    // As the README says: the auth Secret is the user's; the endpoint is AWS_ENDPOINT_URL_S3 of the Cellar
    // Secret, here the local S3 server's.
    await kubectl([
      'create',
      'secret',
      'generic',
      'paperclip-auth',
      '-n',
      namespace,
      '--from-literal=BETTER_AUTH_SECRET=0123456789abcdef0123456789abcdef',
    ]);
    const local = readFileSync('examples/paperclip/instance.yaml', 'utf8').replaceAll(
      httpsEndpoint(DEFAULT_CELLAR_HOST),
      s3.endpoint,
    );
    // Strict field validation (kubectl's default for server-side apply): an unknown or misspelt field fails.
    await kubectl(['apply', '--server-side', '-n', namespace, '-f', '-'], local);
    await kubectl(['apply', '--server-side', '-n', namespace, '-f', 'examples/paperclip/addons.yaml']);

    const stored = (await custom.getNamespacedCustomObject({
      group: 'paperclip.inc',
      version: 'v1alpha1',
      namespace,
      plural: 'instances',
      name: 'paperclip',
    })) as Manifest;
    // Nothing was pruned or defaulted away: every field of the example is there as written.
    expect(stored.spec).toMatchObject(
      JSON.parse(JSON.stringify(instance.spec).replaceAll(httpsEndpoint(DEFAULT_CELLAR_HOST), s3.endpoint)) as Record<
        string,
        unknown
      >,
    );

    for (const m of addons) {
      const [group, version] = m.apiVersion.split('/') as [string, string];
      const plural = { PostgreSql: 'postgresqls', Cellar: 'cellars', Redis: 'redis' }[m.kind]!;
      const res = await eventually(
        async () => {
          const r = (await custom.getNamespacedCustomObject({
            group,
            version,
            namespace,
            plural,
            name: m.metadata.name,
          })) as { status?: AddonStatus };
          return r.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && r.status.binding
            ? r
            : undefined;
        },
        30_000,
        `${m.kind}/${m.metadata.name} Ready`,
      );
      const s = await getObject<SecretObject>(kc, {
        apiVersion: 'v1',
        kind: 'Secret',
        namespace,
        name: res.status!.binding!.name,
      });
      secrets.set(
        res.status!.binding!.name,
        Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
      );
    }
  });

  it('every Secret reference of the Instance resolves to a present, well-formed key', async () => {
    const refs = secretRefs(instance.spec);
    expect(refs.map((r) => r.path).sort()).toEqual([
      'spec.auth.secretRef',
      'spec.backup.s3.credentialsSecretRef',
      'spec.database.externalURLSecretRef',
      'spec.env[0].valueFrom.secretKeyRef',
      'spec.objectStorage.credentialsSecretRef',
    ]);
    for (const ref of refs) {
      const data =
        secrets.get(ref.name) ??
        (await getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name }))?.data;
      expect(data, `${ref.path}: Secret ${ref.name}`).toBeDefined();
      for (const key of ref.keys) expect(data?.[key], `${ref.path}: ${ref.name}/${key}`).toBeTruthy();
    }

    const db = secrets.get('paperclip-db-secrets')!;
    const url = new URL(db.DATABASE_URL!);
    expect(url.protocol).toBe('postgresql:');
    expect(url.searchParams.get('sslmode')).toBe('require');
    expect(decodeURIComponent(url.username)).toBe(db.POSTGRESQL_ADDON_USER);
    expect(decodeURIComponent(url.password)).toBe(db.POSTGRESQL_ADDON_PASSWORD);
    expect(url.hostname).toBe(db.POSTGRESQL_ADDON_HOST);
    expect(url.port).toBe(db.POSTGRESQL_ADDON_PORT);
    expect(decodeURIComponent(url.pathname.slice(1))).toBe(db.POSTGRESQL_ADDON_DB);

    const redis = new URL(secrets.get('paperclip-redis-secrets')!.REDIS_URL!);
    expect(redis.protocol).toMatch(/^rediss?:$/);
    expect(decodeURIComponent(redis.password)).toBe(secrets.get('paperclip-redis-secrets')!.REDIS_PASSWORD);

    const files = secrets.get('paperclip-files-secrets')!;
    expect(files.AWS_ACCESS_KEY_ID).toBe(files.CELLAR_ADDON_KEY_ID);
    expect(files.AWS_SECRET_ACCESS_KEY).toBe(files.CELLAR_ADDON_KEY_SECRET);
    // The add-on's endpoint: here the local server (http, as CELLAR_ADDON_HOST carries it); https for real Cellar.
    expect(files.AWS_ENDPOINT_URL_S3).toBe(s3.endpoint);
    expect(files.AWS_REGION).toBe('us-east-1');
  });

  it("the Instance's buckets exist, reachable with the Secret's keys", async () => {
    const spec = instance.spec as { objectStorage: { bucket: string }; backup: { s3: { bucket: string } } };
    const files = secrets.get('paperclip-files-secrets')!;
    const client = s3.client({ accessKeyId: files.AWS_ACCESS_KEY_ID!, secretAccessKey: files.AWS_SECRET_ACCESS_KEY! });
    for (const bucket of [spec.objectStorage.bucket, spec.backup.s3.bucket]) {
      const head = await client.send(new HeadBucketCommand({ Bucket: bucket }));
      expect(head.$metadata.httpStatusCode, bucket).toBe(200);
    }
  });

  it('the PostgreSql resource put its Secret hash into the Instance pod annotations (rotation restarts pods)', async () => {
    const pg = (await custom.getNamespacedCustomObject({
      group: 'api.clever-cloud.com',
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      name: 'paperclip-db',
    })) as { status?: AddonStatus };
    const annotations = await eventually(async () => {
      const i = (await custom.getNamespacedCustomObject({
        group: 'paperclip.inc',
        version: 'v1alpha1',
        namespace,
        plural: 'instances',
        name: 'paperclip',
      })) as { spec: { podAnnotations?: Record<string, string> } };
      return i.spec.podAnnotations;
    });
    expect(Object.values(annotations)).toContain(pg.status?.secretHash);
  });
});
