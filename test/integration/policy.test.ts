// Tenancy policies (issue 14) on the real API server and the simulator: two tenant namespaces under different
// AddonPolicies, each refusal (organisation, budget, adoption, custom endpoint, backup image) with Synced=False
// reason PolicyDenied naming policy and rule, a Warning event, and no Clever write call; open mode leaves an
// unselected namespace as before; strict mode refuses it; the policy status adds up the namespace's spend.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID } from '../../src/simulator/index.ts';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION, type AddonPolicy } from '../../src/policy/types.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { ensureCrds, startOperator, type OperatorHarness } from '../support/operator.ts';
import { POSTGRESQL, condition, namespaceApi, writeCalls, type NamespaceApi } from '../support/resources.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);

async function labelled(prefix: string, labels: Record<string, string>): Promise<NamespaceApi> {
  const ns = await createTestNamespace(kc, prefix);
  await core.patchNamespace(
    { name: ns, body: { metadata: { labels } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  return namespaceApi(kc, ns);
}

async function createPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
  await custom.createClusterCustomObject({
    group: POLICY_GROUP,
    version: POLICY_VERSION,
    plural: POLICY_PLURAL,
    body: { apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`, kind: 'AddonPolicy', metadata: { name }, spec },
  });
}

describe('AddonPolicy: tenants, refusals without Clever writes, budgets, open and strict modes', () => {
  const run = Math.random().toString(16).slice(2, 8);
  const tenantA = `a-${run}`;
  const tenantB = `b-${run}`;
  let a: NamespaceApi;
  let b: NamespaceApi;
  let open: NamespaceApi;
  let op: OperatorHarness;

  beforeAll(async () => {
    await ensureCrds();
    a = await labelled('pol-a', { tenant: tenantA });
    b = await labelled('pol-b', { tenant: tenantB });
    open = await labelled('pol-open', {});
    await createPolicy(`team-a-${run}`, {
      namespaceSelector: { matchLabels: { tenant: tenantA } },
      organisations: [DEV_ORG_ID],
      credentials: { allowGlobal: true },
      monthlyBudget: 40,
      backupImages: ['registry.example/backup:*'],
    });
    await createPolicy(`team-b-${run}`, {
      namespaceSelector: { matchLabels: { tenant: tenantB } },
      organisations: ['orga_elsewhere'],
      credentials: { allowGlobal: true },
    });
    op = await startOperator({
      namespaces: [a.namespace, b.namespace, open.namespace],
      manager: { policyStatusIntervalMs: 500 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  async function refused(api: NamespaceApi, name: string, rule: string, policy: string) {
    const res = await api.waitSyncedFalse(POSTGRESQL, name, 'PolicyDenied');
    const message = condition(res, 'Synced')?.message ?? '';
    expect(message).toContain(`AddonPolicy ${policy}`);
    expect(message).toContain(`rule ${rule}`);
    const events = await api.waitEvent(name, 'PolicyDenied');
    expect(events[0]?.type).toBe('Warning');
    return res;
  }

  it('allows what the policy allows, and open mode leaves an unselected namespace as it was', async () => {
    await a.create(POSTGRESQL, 'ok', { instance: { plan: 'xxs_sml' } });
    await open.create(POSTGRESQL, 'free', { instance: { plan: 'xl_big' } });
    const ok = await a.waitReady(POSTGRESQL, 'ok');
    expect(typeof ok.status?.monthlyPrice).toBe('number');
    expect(ok.status!.monthlyPrice!).toBeGreaterThan(0);
    await open.waitReady(POSTGRESQL, 'free');
  });

  it('refuses an organisation, a plan over budget, an adoption and a backup image, with no Clever write', async () => {
    const before = writeCalls(op.sim.requests()).length;
    await b.create(POSTGRESQL, 'org', {});
    await a.create(POSTGRESQL, 'big', { instance: { plan: 'xl_big' } });
    await a.create(
      POSTGRESQL,
      'adopt',
      {},
      { 'clever-cloud.com/addon-id': 'addon_00000000-0000-4000-8000-000000000000' },
    );
    await a.create(POSTGRESQL, 'img', {
      instance: { plan: 'dev' },
      backup: {
        schedule: '0 3 * * *',
        image: 'evil.example/exfiltrate:1',
        target: { cellarRef: { name: 'store', bucket: 'backups' } },
      },
    });
    await refused(b, 'org', 'organisations', `team-b-${run}`);
    await refused(a, 'big', 'monthlyBudget', `team-a-${run}`);
    const adopt = await refused(a, 'adopt', 'adoption.allowed', `team-a-${run}`);
    // Deleting it later must not delete the add-on it named.
    expect(adopt.status?.deletionPolicy).toBe('Orphan');
    await refused(a, 'img', 'backupImages', `team-a-${run}`);
    expect(writeCalls(op.sim.requests()).slice(before)).toEqual([]);
  });

  it('refuses namespace credentials with a custom endpoint before any call to it', async () => {
    const c = await labelled('pol-c', { tenant: tenantA });
    // A second operator for this namespace only (the first does not watch it).
    const op2 = await startOperator({ namespaces: [c.namespace], manager: { policyStatusIntervalMs: 600_000 } });
    try {
      await c.createSecret('clever-kubernetes-operator', {
        token: DEV_OAUTH_TOKEN,
        secret: DEV_OAUTH_SECRET,
        endpoint: op2.sim.url,
      });
      await c.create(POSTGRESQL, 'ep', {});
      await refused(c, 'ep', 'credentials.allowCustomEndpoints', `team-a-${run}`);
      expect(op2.sim.requests()).toEqual([]);
    } finally {
      await op2.stop();
    }
  });

  it("the policy status adds up the namespace's committed spend", async () => {
    const ok = await a.get(POSTGRESQL, 'ok');
    const price = ok!.status!.monthlyPrice!;
    const policy = await eventually(
      async () => {
        const p = (await custom.getClusterCustomObject({
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          plural: POLICY_PLURAL,
          name: `team-a-${run}`,
        })) as AddonPolicy;
        const entry = p.status?.namespaces?.find((n) => n.namespace === a.namespace);
        // The status is refreshed on a timer: wait for one written after every resource of the namespace was seen.
        return entry && entry.committed === price && entry.resources === 4 ? p : undefined;
      },
      15_000,
      'policy status with the committed spend',
    );
    const entry = policy.status!.namespaces!.find((n) => n.namespace === a.namespace)!;
    expect(entry).toMatchObject({ committed: price, budget: 40, resources: 4 });
    // The gauge says the same.
    const metrics = await op.registry.getSingleMetricAsString('clever_addon_monthly_price');
    expect(metrics).toContain(`namespace="${a.namespace}"`);
  });

  it('strict mode refuses a namespace no policy selects, with no Clever call', async () => {
    const s = await labelled('pol-strict', {});
    const strict = await startOperator({
      namespaces: [s.namespace],
      manager: { policyMode: 'strict', policyStatusIntervalMs: 600_000 },
    });
    try {
      await s.create(POSTGRESQL, 'db', {});
      const res = await s.waitSyncedFalse(POSTGRESQL, 'db', 'PolicyDenied');
      expect(condition(res, 'Synced')?.message).toContain('rule strictMode');
      expect(writeCalls(strict.sim.requests())).toEqual([]);
    } finally {
      await strict.stop();
    }
  });
});
