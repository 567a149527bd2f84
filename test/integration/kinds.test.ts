// Every kind, end to end, from a manifest in the upstream operator's shape: accepted by our CRDs, reconciled to
// Ready on the simulator, the same Secret name and Clever-native keys the upstream operator writes, our extra keys
// and status fields, and deletion that leaves nothing behind on Clever's side.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../providers/index.ts';
import { CleverClient } from '../../src/clever/index.ts';
import { getObject } from '../../src/kube/objects.ts';
import type { AddonStatus } from '../../src/model/status.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID } from '../../src/simulator/index.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';

const GROUP = 'api.clever-cloud.com';
const ORG = DEV_ORG_ID;

interface Case {
  kind: string;
  spec: Record<string, unknown>;
  /** Keys the upstream operator's Secret holds (its examples), which ours must hold too. */
  cleverKeys: string[];
  /** Our additions: servicebinding.io and consumer keys. */
  extraKeys: string[];
  status?: string[];
}

const cases: Case[] = [
  {
    kind: 'PostgreSql',
    spec: {
      organisation: ORG,
      options: { version: 16, encryption: false },
      instance: { region: 'par', plan: 'xxs_sml' },
    },
    cleverKeys: [
      'POSTGRESQL_ADDON_DB',
      'POSTGRESQL_ADDON_HOST',
      'POSTGRESQL_ADDON_PASSWORD',
      'POSTGRESQL_ADDON_PORT',
      'POSTGRESQL_ADDON_URI',
      'POSTGRESQL_ADDON_USER',
      'POSTGRESQL_ADDON_VERSION',
    ],
    extraKeys: ['DATABASE_URL', 'type', 'uri', 'database'],
  },
  {
    kind: 'Redis',
    spec: {
      organisation: ORG,
      options: { version: 724, encryption: false },
      instance: { region: 'par', plan: 's_mono' },
    },
    cleverKeys: ['REDIS_HOST', 'REDIS_PASSWORD', 'REDIS_PORT', 'REDIS_TOKEN', 'REDIS_URL', 'REDIS_VERSION'],
    extraKeys: ['type', 'host', 'password'],
  },
  {
    kind: 'MySql',
    spec: { organisation: ORG, options: { version: 80, encryption: false }, instance: { region: 'par', plan: 'dev' } },
    cleverKeys: [
      'MYSQL_ADDON_DB',
      'MYSQL_ADDON_HOST',
      'MYSQL_ADDON_PASSWORD',
      'MYSQL_ADDON_PORT',
      'MYSQL_ADDON_URI',
      'MYSQL_ADDON_USER',
      'MYSQL_ADDON_VERSION',
    ],
    extraKeys: ['DATABASE_URL', 'type', 'username'],
  },
  {
    kind: 'MongoDb',
    spec: {
      organisation: ORG,
      options: { version: 403, encryption: false },
      instance: { region: 'par', plan: 'xs_sml' },
    },
    cleverKeys: [
      'MONGODB_ADDON_DB',
      'MONGODB_ADDON_HOST',
      'MONGODB_ADDON_PASSWORD',
      'MONGODB_ADDON_PORT',
      'MONGODB_ADDON_URI',
      'MONGODB_ADDON_USER',
      'MONGODB_ADDON_VERSION',
    ],
    extraKeys: ['DATABASE_URL', 'MONGODB_URI', 'type'],
  },
  {
    kind: 'ElasticSearch',
    spec: {
      organisation: ORG,
      options: { version: 8, encryption: false, kibana: true, apm: false },
      instance: { region: 'par', plan: 'xs' },
    },
    cleverKeys: [
      'ES_ADDON_HOST',
      'ES_ADDON_USER',
      'ES_ADDON_PASSWORD',
      'ES_ADDON_URI',
      'ES_ADDON_VERSION',
      'ES_ADDON_KIBANA_HOST',
      'ES_ADDON_KIBANA_USER',
      'ES_ADDON_APM_HOST',
      'ES_ADDON_APM_USER',
      'ES_ADDON_APM_PASSWORD',
      'ES_ADDON_APM_AUTH_TOKEN',
    ],
    extraKeys: ['ELASTICSEARCH_URL', 'type'],
    status: ['url'],
  },
  {
    kind: 'Pulsar',
    spec: { organisation: ORG, instance: { region: 'par' } },
    cleverKeys: [
      'ADDON_PULSAR_BINARY_PORT',
      'ADDON_PULSAR_BINARY_URL',
      'ADDON_PULSAR_HOSTNAME',
      'ADDON_PULSAR_HTTP_PORT',
      'ADDON_PULSAR_HTTP_URL',
      'ADDON_PULSAR_NAMESPACE',
      'ADDON_PULSAR_TENANT',
      'ADDON_PULSAR_TOKEN',
    ],
    extraKeys: ['PULSAR_SERVICE_URL', 'PULSAR_TOKEN', 'tenant', 'namespace'],
  },
  {
    kind: 'KV',
    spec: { organisation: ORG, instance: { region: 'par' } },
    cleverKeys: [
      'KV_HOST',
      'KV_PORT',
      'KV_TOKEN',
      'KV_TOKEN_ID',
      'REDISCLI_AUTH',
      'REDIS_CLI_URL',
      'REDIS_HOST',
      'REDIS_PASSWORD',
      'REDIS_PORT',
      'REDIS_URL',
    ],
    extraKeys: ['type', 'host', 'password'],
  },
  {
    kind: 'ConfigProvider',
    spec: { organisation: ORG, variables: { FEATURE_FLAG: 'on', API_BASE: 'https://example.org/v1' } },
    cleverKeys: ['FEATURE_FLAG', 'API_BASE'],
    extraKeys: ['type'],
  },
  {
    kind: 'Metabase',
    spec: { organisation: ORG, instance: { region: 'par', plan: 'plan_2925d534-7155-4521-8052-d068d7ce8915' } },
    cleverKeys: ['METABASE_URL'],
    extraKeys: ['type', 'uri'],
    status: ['url'],
  },
  {
    kind: 'Keycloak',
    spec: { organisation: ORG, instance: { region: 'par', plan: 'base' } },
    cleverKeys: [
      'CC_KEYCLOAK_ADMIN',
      'CC_KEYCLOAK_ADMIN_DEFAULT_PASSWORD',
      'CC_KEYCLOAK_ADMIN_URL',
      'CC_KEYCLOAK_FSBUCKET_ID',
      'CC_KEYCLOAK_JAVA_APPID',
      'CC_KEYCLOAK_POSTGRES_ID',
      'CC_KEYCLOAK_URL',
    ],
    extraKeys: ['type', 'uri', 'username', 'password'],
    status: ['url', 'adminUrl', 'admin_url'],
  },
  {
    kind: 'Matomo',
    spec: { organisation: ORG, instance: { region: 'par', plan: 'beta' } },
    cleverKeys: ['MATOMO_URL'],
    extraKeys: ['type'],
    status: ['url'],
  },
  {
    kind: 'Otoroshi',
    spec: { organisation: ORG, instance: { region: 'par', plan: 'base' } },
    cleverKeys: [
      'CC_OTOROSHI_API_URL',
      'CC_OTOROSHI_INITIAL_ADMIN_LOGIN',
      'CC_OTOROSHI_INITIAL_ADMIN_PASSWORD',
      'CC_OTOROSHI_SSO_URL',
      'CC_OTOROSHI_URL',
    ],
    extraKeys: ['type', 'username', 'password'],
    status: ['url', 'adminUrl'],
  },
  {
    kind: 'Azimutt',
    spec: { organisation: ORG, instance: { region: 'par', plan: 'free' } },
    cleverKeys: [],
    extraKeys: ['type', 'provider'],
  },
  {
    kind: 'Cellar',
    spec: { organisation: ORG, instance: { region: 'par', plan: 's' } },
    cleverKeys: ['CELLAR_ADDON_HOST', 'CELLAR_ADDON_KEY_ID', 'CELLAR_ADDON_KEY_SECRET'],
    extraKeys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION'],
    status: ['url'],
  },
  {
    kind: 'FSBucket',
    spec: { instance: { plan: 's' } },
    cleverKeys: ['BUCKET_HOST', 'BUCKET_FTP_USERNAME', 'BUCKET_FTP_PASSWORD'],
    extraKeys: ['type', 'username', 'password'],
  },
];

const upstreamKinds = parseAllDocuments(
  readFileSync('test/fixtures/upstream/clever-kubernetes-operator-v0.8.0-crds.yaml', 'utf8'),
)
  .map((d) => (d.toJS() as { spec: { names: { kind: string } } } | null)?.spec.names.kind)
  .filter((k): k is string => k !== undefined);

interface Resource extends k8s.KubernetesObject {
  spec: Record<string, unknown>;
  status?: AddonStatus & Record<string, unknown>;
}

describe('every kind, from an upstream-shaped manifest', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';
  let op: OperatorHarness;
  const def = (kind: string) => providers.find((p) => p.kind === kind)!;
  const params = (kind: string) => ({
    group: GROUP,
    version: def(kind).crdVersion,
    namespace,
    plural: def(kind).plural,
  });
  const name = (kind: string) => `kind-${kind.toLowerCase()}`;
  const get = (kind: string) =>
    custom.getNamespacedCustomObject({ ...params(kind), name: name(kind) }) as Promise<Resource>;
  const ready = (r: Resource) => r.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const secretData = async (kind: string) => {
    const s = await getObject<SecretObject>(kc, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name: `${name(kind)}-secrets`,
    });
    return Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  };

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'kinds');
    op = await startOperator({ namespaces: [namespace], manager: { driftIntervalMs: 2_000 } });
    await Promise.all(
      cases.map((c) =>
        custom.createNamespacedCustomObject({
          ...params(c.kind),
          body: {
            apiVersion: `${GROUP}/${def(c.kind).crdVersion}`,
            kind: c.kind,
            metadata: { name: name(c.kind) },
            spec: c.spec,
          },
        }),
      ),
    );
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('covers every kind the upstream operator serves, and every provider has a case', () => {
    expect(upstreamKinds.length).toBe(14);
    for (const kind of upstreamKinds) expect(cases.map((c) => c.kind)).toContain(kind);
    expect(cases.map((c) => c.kind).sort()).toEqual(providers.map((p) => p.kind).sort());
  });

  it.each(cases)('$kind reconciles to Ready with the upstream Secret name and keys, plus ours', async (c) => {
    const res = await eventually(
      async () => {
        const r = await get(c.kind);
        return ready(r) ? r : undefined;
      },
      30_000,
      `${c.kind} Ready`,
    );
    expect(res.status?.addonId).toMatch(/^addon_/);
    expect(res.status?.binding?.name).toBe(`${name(c.kind)}-secrets`);
    const data = await secretData(c.kind);
    for (const key of [...c.cleverKeys, ...c.extraKeys])
      expect(Object.keys(data), `${c.kind} Secret key ${key}`).toContain(key);
    expect(data.provider).toBe('clever-cloud');
    for (const field of c.status ?? [])
      expect(res.status?.[field], `${c.kind} status.${field}`).toMatch(/^https?:\/\//);
    const addon = op.sim.addons().find((a) => a.id === res.status?.addonId)!;
    expect(addon.providerId).toBe(def(c.kind).providerId);
    expect(addon.name).toBe(`kubernetes::${c.kind}::${res.metadata?.uid}`);
  });

  it('sends the ElasticSearch kibana/apm choices and upstream version codes as Clever options', () => {
    const es = op.sim.addons().find((a) => a.providerId === 'es-addon')!;
    expect(es.options).toMatchObject({ kibana: 'true', apm: 'false', version: '8' });
    const redis = op.sim.addons().find((a) => a.providerId === 'redis-addon')!;
    expect(redis.version).toBe('7.2.4');
  });

  it('keeps ConfigProvider variables in line both ways: spec changes go to Clever, outside edits are reverted', async () => {
    const res = await get('ConfigProvider');
    await custom.patchNamespacedCustomObject(
      {
        ...params('ConfigProvider'),
        name: name('ConfigProvider'),
        body: { spec: { variables: { FEATURE_FLAG: 'off', NEW_ONE: '1' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const client = new CleverClient({
      credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
      apiUrl: op.sim.url,
    });
    const realId = res.status!.realId!;
    await eventually(
      async () => {
        const env = await client.getConfigProviderEnv(realId);
        return env.FEATURE_FLAG === 'off' && env.NEW_ONE === '1' && env.API_BASE === 'https://example.org/v1'
          ? true
          : undefined;
      },
      20_000,
      'spec variables pushed to Clever',
    );
    const data = await eventually(
      async () => {
        const d = await secretData('ConfigProvider');
        return d.FEATURE_FLAG === 'off' ? d : undefined;
      },
      20_000,
      'Secret refreshed',
    );
    expect(data.NEW_ONE).toBe('1');
    // Someone edits the variables in the Clever console: the next drift check puts the spec back.
    await client.putConfigProviderEnv(realId, { FEATURE_FLAG: 'hacked' });
    await eventually(
      async () => {
        const env = await client.getConfigProviderEnv(realId);
        return env.FEATURE_FLAG === 'off' && env.NEW_ONE === '1' ? true : undefined;
      },
      20_000,
      'outside edit reverted',
    );
  });

  it('deletes every add-on and Secret when the resources are deleted', async () => {
    const ids = await Promise.all(cases.map(async (c) => (await get(c.kind)).status!.addonId!));
    await Promise.all(cases.map((c) => custom.deleteNamespacedCustomObject({ ...params(c.kind), name: name(c.kind) })));
    await eventually(
      () => (op.sim.addons().some((a) => ids.includes(a.id)) ? undefined : true),
      30_000,
      'add-ons deleted',
    );
    for (const c of cases) {
      await eventually(
        async () => (Object.keys(await secretData(c.kind)).length === 0 ? true : undefined),
        10_000,
        `${c.kind} Secret deleted`,
      );
    }
  });
});
