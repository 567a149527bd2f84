// The whole chain for the three kinds a Paperclip deployment needs: a resource applied to the real API server is
// created on the simulator, becomes Ready, gets a connection Secret with the right keys, migrates on a plan
// change, and is deleted (or orphaned) according to its deletion policy.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.ts';
import type { AddonStatus } from '../../src/model/status.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';

const GROUP = 'api.clever-cloud.com';

interface Resource extends k8s.KubernetesObject {
  spec: Record<string, unknown>;
  status?: AddonStatus;
}

const cases = [
  {
    kind: 'PostgreSql',
    plural: 'postgresqls',
    spec: { instance: { plan: 'xxs_sml' }, options: { version: 17 } },
    newPlan: 'xs_sml',
    keys: [
      'POSTGRESQL_ADDON_HOST',
      'POSTGRESQL_ADDON_PASSWORD',
      'DATABASE_URL',
      'type',
      'host',
      'port',
      'username',
      'password',
      'database',
      'uri',
    ],
    type: 'postgresql',
  },
  {
    kind: 'Redis',
    plural: 'redis',
    spec: { instance: { plan: 's_mono' } },
    newPlan: 'm_mono',
    keys: ['REDIS_HOST', 'REDIS_PASSWORD', 'REDIS_URL', 'type', 'host', 'port', 'password', 'uri'],
    type: 'redis',
  },
  {
    kind: 'Cellar',
    plural: 'cellars',
    spec: {},
    newPlan: undefined,
    keys: [
      'CELLAR_ADDON_HOST',
      'CELLAR_ADDON_KEY_ID',
      'CELLAR_ADDON_KEY_SECRET',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_ENDPOINT_URL_S3',
      'AWS_REGION',
      'type',
    ],
    type: 's3',
  },
] as const;

describe('add-on lifecycle on the real API server and the simulator', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';
  let op: OperatorHarness;

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'lifecycle');
    op = await startOperator({
      namespaces: [namespace],
      simulator: { provisioningDelayMs: 500, migrationStepMs: 200 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  const get = (plural: string, name: string) =>
    custom.getNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural, name }) as Promise<Resource>;
  const secret = (name: string) => getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
  const ready = (r: Resource) => r.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

  describe.each(cases)('$kind', (c) => {
    it('creates the add-on, becomes Ready and writes the connection Secret', async () => {
      const name = `life-${c.plural}`;
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural: c.plural,
        body: { apiVersion: `${GROUP}/v1`, kind: c.kind, metadata: { name }, spec: c.spec },
      });
      const res = await eventually(
        async () => {
          const r = await get(c.plural, name);
          return ready(r) ? r : undefined;
        },
        30_000,
        `${c.kind} Ready`,
      );
      expect(res.status?.addonId).toMatch(/^addon_/);
      expect(res.status?.addon).toBe(res.status?.addonId);
      expect(res.status?.phase).toBe('Ready');
      expect(res.status?.binding?.name).toBe(`${name}-secrets`);
      expect(res.metadata?.finalizers).toContain(
        `api.clever-cloud.com/${c.kind === 'PostgreSql' ? 'postgresql' : c.kind.toLowerCase()}`,
      );
      const synced = res.status?.conditions?.find((x) => x.type === 'Synced');
      expect(synced).toMatchObject({ status: 'True', observedGeneration: res.metadata?.generation });

      const onClever = op.sim.addons().filter((a) => a.name === `kubernetes::${c.kind}::${res.metadata?.uid}`);
      expect(onClever).toHaveLength(1);

      const s = await secret(`${name}-secrets`);
      expect(s).toBeDefined();
      const data = Object.fromEntries(
        Object.entries(s!.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      );
      for (const key of c.keys) expect(Object.keys(data)).toContain(key);
      expect(data.type).toBe(c.type);
      expect(data.provider).toBe('clever-cloud');
      expect(s!.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: c.kind,
        name,
        uid: res.metadata?.uid,
        controller: true,
      });
      expect(s!.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('clever-addon-operator');
      // The Clever-native keys are what Clever gave, byte for byte.
      const addon = op.sim.addons().find((a) => a.id === res.status?.addonId)!;
      for (const { name: key, value } of addon.env) expect(data[key]).toBe(value);
      expect(res.status?.secretHash).toMatch(/^[0-9a-f]{64}$/);
      if (c.kind === 'PostgreSql') {
        const url = new URL(data.DATABASE_URL!);
        expect(url.searchParams.get('sslmode')).toBe('require');
        expect(url.hostname).toBe(data.POSTGRESQL_ADDON_HOST);
      }
    });

    if (c.newPlan) {
      it('migrates to a new plan and reports it in status, not in spec', async () => {
        const name = `life-${c.plural}`;
        await custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: 'v1',
            namespace,
            plural: c.plural,
            name,
            body: { spec: { instance: { plan: c.newPlan } } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
        const res = await eventually(
          async () => {
            const r = await get(c.plural, name);
            return r.status?.plan?.slug === c.newPlan && r.status.phase === 'Ready' ? r : undefined;
          },
          30_000,
          'plan migrated',
        );
        expect(res.spec.instance).toMatchObject({ plan: c.newPlan });
        expect(res.status?.migration?.status).toBe('OK');
        const migrations = op.sim.requests().filter((r) => r.method === 'POST' && r.route.endsWith('/migrations'));
        expect(migrations.length).toBeGreaterThanOrEqual(1);
      });
    }

    if (c.kind === 'PostgreSql') {
      it('follows a migration whose request answer was lost instead of asking twice', async () => {
        const name = `life-${c.plural}`;
        op.sim.setFaults([
          { route: 'POST /v2/organisations/{ownerId}/addons/{addonId}/migrations', kind: 'commitThenFail', count: 1 },
        ]);
        await custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: 'v1',
            namespace,
            plural: c.plural,
            name,
            body: { spec: { instance: { plan: 'xxs_med' } } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
        const res = await eventually(
          async () => {
            const r = await get(c.plural, name);
            return r.status?.plan?.slug === 'xxs_med' && r.status.phase === 'Ready' ? r : undefined;
          },
          30_000,
          'plan migrated after a lost answer',
        );
        op.sim.setFaults([]);
        const addon = op.sim.addons().find((a) => a.id === res.status?.addonId)!;
        // One migration from the first plan change, exactly one more from this one.
        expect(addon.migrations).toHaveLength(2);
      });
    }

    it('deletes the add-on and the Secret with deletionPolicy Delete', async () => {
      const name = `life-${c.plural}`;
      const before = await get(c.plural, name);
      const addonId = before.status!.addonId!;
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: c.plural, name });
      await eventually(
        async () => {
          try {
            await get(c.plural, name);
            return undefined;
          } catch {
            return true;
          }
        },
        30_000,
        'resource gone',
      );
      expect(op.sim.addons().find((a) => a.id === addonId)).toBeUndefined();
      expect(await secret(`${name}-secrets`)).toBeUndefined();
    });

    it('leaves the add-on in place with deletionPolicy Orphan', async () => {
      const name = `orphan-${c.plural}`;
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural: c.plural,
        body: {
          apiVersion: `${GROUP}/v1`,
          kind: c.kind,
          metadata: { name },
          spec: { ...c.spec, deletionPolicy: 'Orphan' },
        },
      });
      const res = await eventually(
        async () => {
          const r = await get(c.plural, name);
          return ready(r) ? r : undefined;
        },
        30_000,
        'Ready',
      );
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: c.plural, name });
      await eventually(
        async () => {
          try {
            await get(c.plural, name);
            return undefined;
          } catch {
            return true;
          }
        },
        30_000,
        'resource gone',
      );
      expect(op.sim.addons().find((a) => a.id === res.status?.addonId)).toBeDefined();
    });
  });
});
