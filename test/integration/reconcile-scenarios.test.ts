// Scenarios beyond the happy path, on the real API server and the simulator: adopting an add-on that already exists
// on Clever Cloud, pausing reconciliation, and refusing bad input without a single Clever write call.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleverClient, findPlan, type Addon } from '../../src/clever/index.ts';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID, DEV_USER_ID } from '../../src/simulator/index.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import {
  CELLAR,
  CREATE_ROUTE,
  POSTGRESQL,
  REDIS,
  condition,
  namespaceApi,
  writeCalls,
  type KindRef,
  type NamespaceApi,
} from '../support/resources.ts';

const ADDON_ID_ANNOTATION = 'clever-cloud.com/addon-id';
const PAUSED_ANNOTATION = 'clever-cloud.com/paused';

describe('reconcile scenarios: adoption, pause, bad input', () => {
  const kc = adminKubeConfig();
  let ns: NamespaceApi;
  let op: OperatorHarness;
  let clever: CleverClient;

  beforeAll(async () => {
    ns = namespaceApi(kc, await createTestNamespace(kc, 'scenarios'));
    op = await startOperator({ namespaces: [ns.namespace] });
    clever = new CleverClient({
      credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
      apiUrl: op.sim.url,
      retry: { baseMs: 10, maxMs: 50 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  /** Creates an add-on directly on Clever (as the console or clever-tools would). */
  async function createOnClever(providerId: string, planSlug: string, name: string): Promise<Addon> {
    const provider = (await clever.listAddonProviders()).find((p) => p.id === providerId)!;
    const plan = findPlan(provider, planSlug)!;
    return clever.createAddon(DEV_ORG_ID, { name, providerId, plan: plan.id, region: 'par' });
  }

  const creates = () => op.sim.requests().filter((r) => r.route === CREATE_ROUTE);

  it('uses the global configuration when neither credentialsRef nor a namespace Secret is there', async () => {
    await ns.create(POSTGRESQL, 'global-creds', { instance: { plan: 'xxs_sml' } });
    const res = await ns.waitReady(POSTGRESQL, 'global-creds');
    expect(res.status?.organisation).toBe(DEV_ORG_ID);
    expect(op.sim.addons().find((a) => a.id === res.status?.addonId)?.ownerId).toBe(DEV_ORG_ID);
    const created = creates();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ host: 'api', principal: DEV_USER_ID, status: 200 });
  });

  describe('adoption', () => {
    const adoptable = [
      { kind: POSTGRESQL, providerId: 'postgresql-addon', plan: 'xs_sml', by: 'addonId' as const },
      { kind: REDIS, providerId: 'redis-addon', plan: 'm_mono', by: 'realId' as const },
      { kind: CELLAR, providerId: 'cellar-addon', plan: 'S', by: 'addonId' as const },
    ];

    it.each(adoptable)('adopts an existing $kind.kind add-on by $by without creating one', async (c) => {
      const existing = await createOnClever(c.providerId, c.plan, `hand-made-${c.kind.plural}`);
      const createsBefore = creates().length;
      const name = `adopt-${c.kind.plural}`;
      const ref = c.by === 'addonId' ? existing.id : existing.realId;
      // No plan in the spec: adopting must keep the add-on's plan, not "migrate" it to the cheapest one.
      await ns.create(c.kind, name, {}, { [ADDON_ID_ANNOTATION]: ref });
      const res = await ns.waitReady(c.kind, name);

      expect(res.status?.addonId).toBe(existing.id);
      expect(res.status?.realId).toBe(existing.realId);
      expect(res.status?.plan?.id).toBe(existing.plan.id);
      expect(creates()).toHaveLength(createsBefore);
      expect(op.sim.requests().filter((r) => r.route.endsWith('/migrations') && r.method === 'POST')).toEqual([]);
      expect(op.sim.addons().filter((a) => a.providerId === c.providerId && a.id === existing.id)).toHaveLength(1);

      const data = (await ns.secretData(`${name}-secrets`))!;
      const env = op.sim.addons().find((a) => a.id === existing.id)!.env;
      expect(env.length).toBeGreaterThan(0);
      for (const { name: key, value } of env) expect(data[key]).toBe(value);

      const adopted = await ns.waitEvent(name, 'Adopted');
      expect(adopted).toHaveLength(1);
      expect(adopted[0]).toMatchObject({ type: 'Normal' });
      expect(adopted[0]!.message).toContain(existing.id);
    });

    it('deletes an adopted add-on with the resource (deletionPolicy Delete), and nothing else', async () => {
      const name = `adopt-${POSTGRESQL.plural}`;
      const addonId = (await ns.get(POSTGRESQL, name))!.status!.addonId!;
      const others = op.sim.addons().filter((a) => a.id !== addonId).length;
      await ns.delete(POSTGRESQL, name);
      await ns.waitGone(POSTGRESQL, name);
      expect(op.sim.addons().find((a) => a.id === addonId)).toBeUndefined();
      expect(op.sim.addons()).toHaveLength(others);
    });

    it('refuses an adoption annotation naming an add-on that does not exist', async () => {
      const name = 'adopt-missing';
      const missing = 'addon_00000000-0000-4000-8000-00000000dead';
      const createsBefore = creates().length;
      await ns.create(POSTGRESQL, name, {}, { [ADDON_ID_ANNOTATION]: missing });
      const res = await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidSpec');
      const synced = condition(res, 'Synced')!;
      expect(synced.message).toContain(`metadata.annotations[${ADDON_ID_ANNOTATION}]`);
      expect(synced.message).toContain(missing);
      expect(synced.observedGeneration).toBe(res.metadata?.generation);
      expect(res.status?.addonId).toBeUndefined();
      const warnings = await ns.waitEvent(name, 'InvalidSpec');
      expect(warnings).toMatchObject([{ type: 'Warning' }]);
      // Never falls back to creating a new add-on.
      expect(creates()).toHaveLength(createsBefore);
    });

    it('refuses to adopt an add-on of another provider', async () => {
      const redis = await createOnClever('redis-addon', 's_mono', 'not-a-postgresql');
      const createsBefore = creates().length;
      const name = 'adopt-wrong-provider';
      await ns.create(POSTGRESQL, name, {}, { [ADDON_ID_ANNOTATION]: redis.id });
      const res = await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidSpec');
      const synced = condition(res, 'Synced')!;
      expect(synced.message).toContain(`metadata.annotations[${ADDON_ID_ANNOTATION}]`);
      expect(synced.message).toContain('redis-addon');
      expect(res.status?.addonId).toBeUndefined();
      expect(creates()).toHaveLength(createsBefore);
      expect(await ns.secret(`${name}-secrets`)).toBeUndefined();

      // Deleting the refused resource must not delete the Redis add-on it named.
      await ns.delete(POSTGRESQL, name);
      await ns.waitGone(POSTGRESQL, name);
      expect(op.sim.addons().find((a) => a.id === redis.id)).toBeDefined();
    });

    it('refuses to adopt an add-on another resource manages, and deleting the refused one keeps it', async () => {
      const owner = 'managed-pg';
      await ns.create(POSTGRESQL, owner, { instance: { plan: 'xxs_sml' } });
      const addonId = (await ns.waitReady(POSTGRESQL, owner)).status!.addonId!;
      const createsBefore = creates().length;

      const name = 'second-claim';
      await ns.create(POSTGRESQL, name, {}, { [ADDON_ID_ANNOTATION]: addonId });
      const res = await ns.waitSyncedFalse(POSTGRESQL, name, 'AdoptionConflict');
      const synced = condition(res, 'Synced')!;
      expect(synced.message).toContain(`metadata.annotations[${ADDON_ID_ANNOTATION}]`);
      expect(synced.message).toContain(`already managed by PostgreSql ${ns.namespace}/${owner}`);
      expect(res.status?.addonId).toBeUndefined();
      expect(await ns.secret(`${name}-secrets`)).toBeUndefined();
      expect(await ns.waitEvent(name, 'InvalidSpec')).toMatchObject([{ type: 'Warning' }]);
      expect(creates()).toHaveLength(createsBefore);

      await ns.delete(POSTGRESQL, name);
      await ns.waitGone(POSTGRESQL, name);
      expect(op.sim.addons().find((a) => a.id === addonId)).toBeDefined();
      expect(condition(await ns.get(POSTGRESQL, owner), 'Ready')?.status).toBe('True');
    });

    it('lets only the older of two resources adopting one add-on at once have it', async () => {
      const existing = await createOnClever('postgresql-addon', 'xs_sml', 'claimed-twice');
      // Back to back, so usually neither holds it yet when the other is reconciled. creationTimestamp has
      // one-second resolution: within the same second the namespace/name order decides; either way claim-a wins.
      await ns.create(POSTGRESQL, 'claim-a', {}, { [ADDON_ID_ANNOTATION]: existing.id });
      await ns.create(POSTGRESQL, 'claim-b', {}, { [ADDON_ID_ANNOTATION]: existing.id });
      const a = await ns.waitReady(POSTGRESQL, 'claim-a');
      const b = await ns.waitSyncedFalse(POSTGRESQL, 'claim-b', 'AdoptionConflict');
      expect(a.status?.addonId).toBe(existing.id);
      expect(b.status?.addonId).toBeUndefined();
      expect(condition(b, 'Synced')?.message).toContain(`${ns.namespace}/claim-a`);
    });
  });

  describe('pause', () => {
    it('stops every Clever call while paused and resumes when the annotation goes', async () => {
      const name = 'paused-pg';
      await ns.create(POSTGRESQL, name, { instance: { plan: 'xxs_sml' } });
      const ready = await ns.waitReady(POSTGRESQL, name);
      const addonId = ready.status!.addonId!;

      await ns.patch(POSTGRESQL, name, { metadata: { annotations: { [PAUSED_ANNOTATION]: 'true' } } });
      const paused = await ns.waitSyncedFalse(POSTGRESQL, name, 'Paused');
      expect(condition(paused, 'Synced')!.message).toContain(PAUSED_ANNOTATION);
      expect(paused.status?.phase).toBe('Paused');

      // A spec change while paused: reconciled (status says Paused) but not a single Clever call is made for it.
      const before = op.sim.requests().length;
      const changed = await ns.patch(POSTGRESQL, name, { spec: { instance: { plan: 'xs_sml' } } });
      await ns.waitFor(
        POSTGRESQL,
        name,
        (r) => condition(r, 'Synced')?.observedGeneration === changed.metadata?.generation,
        'paused pass over the new generation',
      );
      await sleep(1_500);
      expect(op.sim.requests().slice(before)).toEqual([]);
      expect(op.sim.addons().find((a) => a.id === addonId)?.planId).toBe(ready.status?.plan?.id);

      // Resume: the pending plan change is applied.
      await ns.patch(POSTGRESQL, name, { metadata: { annotations: { [PAUSED_ANNOTATION]: null } } });
      const resumed = await ns.waitFor(
        POSTGRESQL,
        name,
        (r) => r.status?.plan?.slug === 'xs_sml' && r.status.phase === 'Ready',
        'migrated after resume',
      );
      expect(condition(resumed, 'Synced')).toMatchObject({
        status: 'True',
        observedGeneration: changed.metadata?.generation,
      });
      expect(
        op.sim
          .requests()
          .slice(before)
          .some((r) => r.method === 'POST' && r.route.endsWith('/migrations')),
      ).toBe(true);
    });

    it('creates nothing for a resource created paused', async () => {
      const name = 'born-paused';
      const before = op.sim.requests().length;
      await ns.create(POSTGRESQL, name, {}, { [PAUSED_ANNOTATION]: 'true' });
      await ns.waitSyncedFalse(POSTGRESQL, name, 'Paused');
      await sleep(1_000);
      expect(op.sim.requests().slice(before)).toEqual([]);
      await ns.patch(POSTGRESQL, name, { metadata: { annotations: { [PAUSED_ANNOTATION]: 'false' } } });
      const res = await ns.waitReady(POSTGRESQL, name);
      expect(res.status?.addonId).toMatch(/^addon_/);
    });
  });

  describe('bad input', () => {
    const cases: {
      what: string;
      kind: KindRef;
      spec: Record<string, unknown>;
      reason: string;
      field: string;
      allowed: string[];
      fix?: Record<string, unknown>;
    }[] = [
      {
        what: 'an unknown plan',
        kind: POSTGRESQL,
        spec: { instance: { plan: 'xxl_huge' } },
        reason: 'InvalidPlan',
        field: 'spec.instance.plan',
        allowed: ['allowed:', 'xxs_sml', 'xs_sml'],
        fix: { spec: { instance: { plan: 'xs_sml' } } },
      },
      {
        what: 'an unknown Redis plan',
        kind: REDIS,
        spec: { instance: { plan: 'gigantic' } },
        reason: 'InvalidPlan',
        field: 'spec.instance.plan',
        allowed: ['allowed:', 's_mono'],
        fix: { spec: { instance: { plan: 's_mono' } } },
      },
      {
        // Region is immutable (CEL): the only fix is a new resource, so this case checks clean deletion instead.
        what: 'an unknown region',
        kind: POSTGRESQL,
        spec: { instance: { region: 'atlantis' } },
        reason: 'InvalidRegion',
        field: 'spec.instance.region',
        allowed: ['allowed:', 'par'],
      },
      {
        what: 'an unknown version string',
        kind: POSTGRESQL,
        spec: { instance: { plan: 'xs_sml' }, options: { version: '9.6' } },
        reason: 'InvalidVersion',
        field: 'spec.options.version',
        allowed: ['allowed:', '17'],
        fix: { spec: { options: { version: '17' } } },
      },
      {
        what: 'an unknown upstream integer version code',
        kind: REDIS,
        spec: { options: { version: 999 } },
        reason: 'InvalidVersion',
        field: 'spec.options.version',
        allowed: ['upstream codes:', '724'],
        fix: { spec: { options: { version: 724 } } },
      },
    ];

    it.each(cases)('reports $what once, makes no write call, and converges once fixed', async (c) => {
      const name = `bad-${c.reason.toLowerCase()}-${c.kind.plural}`;
      const before = op.sim.requests().length;
      await ns.create(c.kind, name, c.spec);
      const res = await ns.waitSyncedFalse(c.kind, name, c.reason);
      const synced = condition(res, 'Synced')!;
      expect(synced.message).toContain(c.field);
      for (const v of c.allowed) expect(synced.message).toContain(v);
      expect(synced.observedGeneration).toBe(res.metadata?.generation);
      expect(res.status?.phase).toBe('Failed');
      expect(res.status?.addonId).toBeUndefined();

      // One Warning, not a flood: a few seconds later there is still exactly one Event with count 1.
      await ns.waitEvent(name, 'InvalidSpec');
      await sleep(2_500);
      const warnings = (await ns.events(name)).filter((e) => e.type === 'Warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ reason: 'InvalidSpec', count: 1 });
      expect(warnings[0]!.message).toContain(c.field);
      expect(writeCalls(op.sim.requests().slice(before))).toEqual([]);

      if (c.fix) {
        await ns.patch(c.kind, name, c.fix);
        const fixed = await ns.waitReady(c.kind, name);
        expect(fixed.status?.addonId).toMatch(/^addon_/);
        expect(fixed.status?.phase).toBe('Ready');
        expect(creates().slice(-1)[0]).toMatchObject({ status: 200 });
      } else {
        await ns.delete(c.kind, name);
        await ns.waitGone(c.kind, name);
        expect(writeCalls(op.sim.requests().slice(before))).toEqual([]);
      }
    });

    it('reports a second, different problem with its own single Warning', async () => {
      const name = 'bad-twice';
      await ns.create(POSTGRESQL, name, { instance: { plan: 'nope' } });
      await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidPlan');
      await ns.patch(POSTGRESQL, name, { spec: { instance: { plan: 'xs_sml' }, options: { version: '1.0' } } });
      await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidVersion');
      await sleep(2_000);
      const warnings = (await ns.events(name)).filter((e) => e.type === 'Warning');
      expect(warnings.map((e) => [e.reason, e.count, e.message?.split(':')[0]]).sort()).toEqual([
        ['InvalidSpec', 1, 'spec.instance.plan'],
        ['InvalidSpec', 1, 'spec.options.version'],
      ]);
      const uid = (await ns.get(POSTGRESQL, name))!.metadata!.uid!;
      expect(op.sim.addons().filter((a) => a.name.endsWith(uid))).toEqual([]);
    });
  });

  it('never writes a secret value into logs, events or status', async () => {
    await eventually(() => (op.sim.addons().length > 0 ? true : undefined));
    const secrets = op.sim
      .addons()
      .flatMap((a) => a.env)
      .filter((e) => /PASSWORD|SECRET|KEY_ID|_URI|_URL/.test(e.name))
      .map((e) => e.value);
    expect(secrets.length).toBeGreaterThan(0);
    const events = JSON.stringify((await ns.events()).map((e) => e.message));
    const statuses = JSON.stringify(
      await Promise.all(
        ['adopt-redis', 'adopt-cellars', 'paused-pg', 'born-paused'].map(
          async (n) =>
            (await ns.get(n === 'adopt-redis' ? REDIS : n === 'adopt-cellars' ? CELLAR : POSTGRESQL, n))?.status,
        ),
      ),
    );
    const logs = op.logs.text();
    for (const value of [...secrets, DEV_OAUTH_TOKEN, DEV_OAUTH_SECRET]) {
      expect(logs).not.toContain(value);
      expect(events).not.toContain(value);
      expect(statuses).not.toContain(value);
    }
  });
});
