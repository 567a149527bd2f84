// Issue 13, "never destroy, replace, duplicate or leak what users did not ask for", on the real API server and the
// simulator, for three of its guarantees:
//   2. the owner never changes under a bound resource;
//   8. catalogue changes never break what exists;
//  11. what was never created can be fixed in place.
// Each test reproduces the scenario the issue reported and asserts the objects in the API server, the Clever calls
// the simulator saw (no create, no migration where none may happen) and the Secret bytes.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ORG_ID, DEV_USER_ID } from '../../src/simulator/index.ts';
import { adminKubeConfig, apiError, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { pendingCreate } from '../support/addons.ts';
import {
  CREATE_ROUTE,
  MYSQL,
  POSTGRESQL,
  condition,
  namespaceApi,
  type KindRef,
  type NamespaceApi,
} from '../support/resources.ts';

const MIGRATION_ROUTE = 'POST /v2/organisations/{ownerId}/addons/{addonId}/migrations';

/** The add-on's env as the Secret must carry it. */
function envOf(op: OperatorHarness, addonId: string): Record<string, string> {
  const addon = op.sim.addons().find((a) => a.id === addonId)!;
  return Object.fromEntries(addon.env.map((e) => [e.name, e.value]));
}

/** A metadata-only change: the informer queues a pass, the generation stays the same. */
async function nudge(ns: NamespaceApi, kind: KindRef, name: string): Promise<void> {
  await ns.patch(kind, name, { metadata: { annotations: { 'test.example/nudge': String(Date.now()) } } });
}

describe('issue 13: owner, catalogue changes, fixing what was never created', () => {
  const kc = adminKubeConfig();
  let ns: NamespaceApi;
  let op: OperatorHarness;

  beforeAll(async () => {
    ns = namespaceApi(kc, await createTestNamespace(kc, 'safety-owner'));
    // Environment and version are read on every pass here (hourly and every 3 h by default): the subject is what a
    // catalogue change does to those passes, not how often they read.
    op = await startOperator({
      namespaces: [ns.namespace],
      manager: { rotationCheckMs: 0, versionCheckMs: 0 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  const creates = () => op.sim.requests().filter((r) => r.route === CREATE_ROUTE);

  /**
   * Makes the operator read the live catalogue now rather than when its cache expires (minutes): a plan missing from
   * the cached catalogue makes it load the catalogue afresh, which is what this resource's InvalidPlan proves.
   */
  async function refreshOperatorCatalogue(name: string): Promise<void> {
    await ns.create(POSTGRESQL, name, { instance: { plan: 'no_such_plan' } });
    await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidPlan');
  }
  const migrations = () => op.sim.requests().filter((r) => r.route === MIGRATION_ROUTE);

  describe('2. the owner never changes under a bound resource', () => {
    it('refuses adding spec.organisation to a bound resource created without it: no new add-on, Secret kept', async () => {
      const name = 'owner-added-later';
      await ns.create(POSTGRESQL, name, { instance: { plan: 'xxs_sml' } });
      const bound = await ns.waitReady(POSTGRESQL, name);
      const addonId = bound.status!.addonId!;
      expect(bound.status?.organisation).toBe(DEV_ORG_ID);
      const before = await ns.secretData(`${name}-secrets`);
      expect(before).toMatchObject(envOf(op, addonId));
      const createsBefore = creates().length;
      const addonsBefore = op.sim.addons().map((a) => a.id);

      // The reproduced case: the personal space of the same credentials, where a lookup by id answers 404.
      const err = await apiError(ns.patch(POSTGRESQL, name, { spec: { organisation: DEV_USER_ID } }));
      expect(err.code).toBe(422);
      expect(String(err.body)).toContain('organisation is immutable once the add-on exists');

      // Writing down the owner it already has is accepted and changes nothing.
      await ns.patch(POSTGRESQL, name, { spec: { organisation: DEV_ORG_ID } });
      const after = await ns.waitReady(POSTGRESQL, name);
      expect(after.spec).toMatchObject({ organisation: DEV_ORG_ID });
      expect(after.status?.addonId).toBe(addonId);
      expect(creates()).toHaveLength(createsBefore);
      expect(op.sim.addons().map((a) => a.id)).toEqual(addonsBefore);
      expect(op.sim.requests().filter((r) => r.path.includes(DEV_USER_ID))).toEqual([]);
      expect(await ns.secretData(`${name}-secrets`)).toEqual(before);
    });
  });

  describe('2. (continued) an owner change that got past admission', () => {
    // A create whose answer was lost leaves the create-pending annotation and no status.addonId: the API server
    // cannot know an add-on exists, so the spec's owner can still be edited. The add-on it made is under the
    // recorded owner; looking under the new one finds nothing and, once the grace period ends, creates a second
    // add-on there while the first leaks. The list lags behind (as Clever's does) so the edit lands while the
    // operator still waits for the first add-on to surface.
    let op2: OperatorHarness;
    let ns2: NamespaceApi;
    beforeAll(async () => {
      ns2 = namespaceApi(kc, await createTestNamespace(kc, 'safety-owner-race'));
      op2 = await startOperator({
        namespaces: [ns2.namespace],
        simulator: {
          listConsistencyDelayMs: 30_000,
          faults: [{ route: CREATE_ROUTE, kind: 'commitThenFail', count: 1 }],
        },
        manager: { createGraceMs: 20_000 },
      });
    });
    afterAll(async () => {
      await op2?.stop();
    });

    it('refuses the new owner with OwnerChanged and a Warning, making zero Clever calls for it', async () => {
      const name = 'owner-changed-pending';
      await ns2.create(POSTGRESQL, name, { instance: { plan: 'xxs_sml' } });
      const pending = await ns2.waitFor(
        POSTGRESQL,
        name,
        (r) => Boolean(pendingCreate(r)) && r.status?.organisation === DEV_ORG_ID,
        'a create whose answer was lost',
      );
      expect(pending.status?.addonId).toBeUndefined();
      const committed = op2.sim.addons();
      expect(committed).toHaveLength(1);
      expect(committed[0]!.ownerId).toBe(DEV_ORG_ID);

      // Accepted by the API server: nothing in the object says an add-on exists.
      await ns2.patch(POSTGRESQL, name, { spec: { organisation: DEV_USER_ID } });
      const refused = await ns2.waitSyncedFalse(POSTGRESQL, name, 'OwnerChanged');
      const synced = condition(refused, 'Synced')!;
      expect(synced.message).toContain('spec.organisation');
      expect(synced.message).toContain(DEV_ORG_ID);
      const warnings = await ns2.waitEvent(name, 'OwnerChanged');
      expect(warnings).toMatchObject([{ type: 'Warning' }]);

      // Another pass: still refused, and not a single Clever call for it.
      op2.sim.clearRequests();
      await nudge(ns2, POSTGRESQL, name);
      await sleep(3_000);
      expect(op2.sim.requests()).toEqual([]);
      expect(op2.sim.addons().map((a) => a.id)).toEqual(committed.map((a) => a.id));
      expect(op2.sim.addons().filter((a) => a.ownerId === DEV_USER_ID)).toEqual([]);
      expect(condition(await ns2.get(POSTGRESQL, name), 'Synced')?.reason).toBe('OwnerChanged');
      expect(await ns2.secret(`${name}-secrets`)).toBeUndefined();
    });
  });

  describe('8. catalogue changes never break what exists', () => {
    it('keeps a bound resource on a retired plan binding: a rotation reaches the Secret, no create or migration', async () => {
      const name = 'retired-plan';
      await ns.create(POSTGRESQL, name, { instance: { plan: 'xs_sml' } });
      const bound = await ns.waitReady(POSTGRESQL, name);
      const addonId = bound.status!.addonId!;
      expect(bound.status?.target).toMatchObject({ generation: bound.metadata?.generation, region: 'par' });
      const before = (await ns.secretData(`${name}-secrets`))!;
      const createsBefore = creates().length;
      const migrationsBefore = migrations().length;

      op.sim.changeCatalogue({ retirePlan: { providerId: 'postgresql-addon', plan: 'xs_sml' } });
      await refreshOperatorCatalogue('refresh-after-retired-plan');
      op.sim.rotateCredentials(addonId);
      const rotated = envOf(op, addonId);
      expect(rotated).not.toEqual(before);
      await nudge(ns, POSTGRESQL, name);
      await eventually(
        async () => {
          const data = (await ns.secretData(`${name}-secrets`)) ?? {};
          return Object.entries(rotated).every(([k, v]) => data[k] === v) ? true : undefined;
        },
        20_000,
        'the rotated credentials in the Secret',
      );
      const after = (await ns.get(POSTGRESQL, name))!;
      expect(condition(after, 'Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
      expect(condition(after, 'Ready')?.status).toBe('True');
      expect(after.status?.addonId).toBe(addonId);
      expect(creates()).toHaveLength(createsBefore);
      expect(migrations()).toHaveLength(migrationsBefore);
    });

    it('still gates creation on the catalogue: no add-on is created on a retired plan', async () => {
      // Runs after the retirement above (same simulator). The operator's catalogue cache may still list the plan
      // (it is kept for minutes), in which case Clever refuses the create; either way nothing is created.
      const addonsBefore = op.sim.addons().length;
      await ns.create(POSTGRESQL, 'retired-plan-new', { instance: { plan: 'xs_sml' } });
      const res = await ns.waitFor(
        POSTGRESQL,
        'retired-plan-new',
        (r) => ['InvalidPlan', 'CreateFailed'].includes(condition(r, 'Synced')?.reason ?? ''),
        'Synced=False InvalidPlan or CreateFailed',
      );
      const synced = condition(res, 'Synced')!;
      expect(synced.message).toContain(synced.reason === 'InvalidPlan' ? 'xs_sml' : 'no longer offered');
      expect(res.status?.addonId).toBeUndefined();
      expect(op.sim.addons()).toHaveLength(addonsBefore);
    });

    it('never migrates a live 8.0 on spec "8" when Clever adds 8.4; migrates when the spec asks for 8.4', async () => {
      const name = 'mysql-eight';
      op.sim.changeCatalogue({ retireVersion: { providerId: 'mysql-addon', version: '8.4' } });
      await ns.create(MYSQL, name, { instance: { plan: 'xs_sml' }, options: { version: '8' } });
      const bound = await ns.waitReady(MYSQL, name);
      const addonId = bound.status!.addonId!;
      expect(op.sim.addons().find((a) => a.id === addonId)?.version).toBe('8.0');
      const secret = await ns.secretData(`${name}-secrets`);

      // Clever offers 8.4 again: a newer minor of the "8" the spec asks for.
      op.sim.changeCatalogue({ addVersion: { providerId: 'mysql-addon', version: '8.4', full: '8.4.8' } });
      await refreshOperatorCatalogue('refresh-after-new-version');
      await nudge(ns, MYSQL, name);
      // An unrelated spec change (a new generation) re-resolves nothing it did not change.
      await ns.patch(MYSQL, name, { spec: { secret: { labels: { team: 'a' } } } });
      const relabelled = await ns.waitReady(MYSQL, name);
      expect(relabelled.metadata?.generation).toBeGreaterThan(bound.metadata!.generation!);
      await nudge(ns, MYSQL, name);
      await sleep(2_000);
      expect(migrations().filter((r) => r.path.includes(addonId))).toEqual([]);
      expect(op.sim.addons().find((a) => a.id === addonId)?.version).toBe('8.0');
      expect((await ns.get(MYSQL, name))?.status?.target?.version).toBe('8.0');
      expect(await ns.secretData(`${name}-secrets`)).toEqual(secret);

      // The spec asks for 8.4: that is a migration, exactly one.
      await ns.patch(MYSQL, name, { spec: { options: { version: '8.4' } } });
      await eventually(
        () => (migrations().filter((r) => r.path.includes(addonId)).length > 0 ? true : undefined),
        20_000,
        'a migration to 8.4',
      );
      expect(migrations().filter((r) => r.path.includes(addonId))).toHaveLength(1);
    });
  });

  describe('11. what was never created can be fixed in place', () => {
    it('corrects a region typo and a plan typo of a resource whose add-on was never created', async () => {
      const name = 'typos';
      const createsBefore = creates().length;
      await ns.create(POSTGRESQL, name, { instance: { region: 'parr', plan: 'xxs_sml' } });
      await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidRegion');
      expect(creates()).toHaveLength(createsBefore);

      // The region was immutable from creation on: only delete and recreate could fix this.
      await ns.patch(POSTGRESQL, name, { spec: { instance: { region: 'par', plan: 'xxs_smll' } } });
      await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidPlan');
      expect(creates()).toHaveLength(createsBefore);
      await ns.patch(POSTGRESQL, name, { spec: { instance: { plan: 'xxs_sml' } } });
      const ready = await ns.waitReady(POSTGRESQL, name);
      const addon = op.sim.addons().find((a) => a.id === ready.status?.addonId)!;
      expect(addon.region).toBe('par');
      expect(creates()).toHaveLength(createsBefore + 1);
      expect(await ns.secretData(`${name}-secrets`)).toMatchObject(envOf(op, addon.id));

      // Once it exists, the region is immutable again.
      const err = await apiError(ns.patch(POSTGRESQL, name, { spec: { instance: { region: 'mtl' } } }));
      expect(err.code).toBe(422);
      expect(String(err.body)).toContain('region is immutable once the add-on exists');
    });
  });
});
