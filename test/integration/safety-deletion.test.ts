// Issue 13, on the real API server and the simulator: deletion never destroys what the user did not ask for.
// 1. Only what it owns: deletion deletes only the add-on status records as created or adopted; an adoption
//    annotation that disagrees with status is reported, never acted on.
// 2. Fail safe under uncertainty: a spec the operator cannot parse does not turn deletionPolicy Orphan into Delete.
// 3. Deletion never wedges a namespace: with the credentials gone the resource says so, and the orphan-on-delete
//    annotation lets it go with no delete call.
// Each test asserts the objects in the API server, the requests the simulator received (no DELETE where nothing may
// be deleted) and that the add-on still exists on the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleverClient, findPlan, type Addon } from '../../src/clever/index.ts';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID } from '../../src/simulator/index.ts';
import { CREATE_ADDON, DELETE_ADDON, pendingCreate } from '../support/addons.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { POSTGRESQL, REDIS, condition, namespaceApi, type NamespaceApi } from '../support/resources.ts';

const ADDON_ID = 'clever-cloud.com/addon-id';
const PAUSED = 'clever-cloud.com/paused';
const ORPHAN_ON_DELETE = 'clever-cloud.com/orphan-on-delete';
const NAMESPACE_SECRET = 'clever-kubernetes-operator';
const GET_ADDON = 'GET /v2/organisations/{ownerId}/addons/{addonId}';
const REDIS_SPEC = { instance: { plan: 's_mono' } };

describe('data safety at deletion (issue 13: 1, 3, 10)', () => {
  const kc = adminKubeConfig();
  let ns: NamespaceApi;
  /** A namespace whose credentials Secret the last test deletes. */
  let bare: NamespaceApi;
  let op: OperatorHarness;
  let clever: CleverClient;

  beforeAll(async () => {
    ns = namespaceApi(kc, await createTestNamespace(kc, 'safe-del'));
    bare = namespaceApi(kc, await createTestNamespace(kc, 'safe-del-creds'));
    for (const n of [ns, bare]) {
      await n.createSecret(NAMESPACE_SECRET, {
        token: DEV_OAUTH_TOKEN,
        secret: DEV_OAUTH_SECRET,
        organisation: DEV_ORG_ID,
      });
    }
    await ns.createSecret('wrong-creds', { token: 'not-a-token', secret: 'not-a-secret' });
    op = await startOperator({
      namespaces: [ns.namespace, bare.namespace],
      global: null,
      clientOptions: { retry: { maxAttempts: 5 } },
    });
    clever = new CleverClient({
      credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
      apiUrl: op.sim.url,
      retry: { baseMs: 10, maxMs: 50 },
    });
  });
  afterAll(async () => {
    op?.sim.setFaults([]);
    await op?.stop();
  });

  /** An add-on made on Clever directly (console, clever-tools): not this operator's. */
  async function createOnClever(providerId: string, planSlug: string, name: string): Promise<Addon> {
    const provider = (await clever.listAddonProviders()).find((p) => p.id === providerId)!;
    return clever.createAddon(DEV_ORG_ID, { name, providerId, plan: findPlan(provider, planSlug)!.id, region: 'par' });
  }
  const exists = (id: string) => op.sim.addons().some((a) => a.id === id);
  /** DELETE calls the simulator received since `from` (an index into its request log), for add-on `id` if given. */
  const deletes = (from: number, id?: string) =>
    op.sim
      .requests()
      .slice(from)
      .filter((r) => r.route === DELETE_ADDON && (id === undefined || r.path.includes(id)));
  const touching = (from: number, id: string) =>
    op.sim
      .requests()
      .slice(from)
      .filter((r) => r.path.includes(id));

  describe('1. only what it owns', () => {
    it('reports an adoption annotation added next to its own add-on, and neither adopts nor touches it', async () => {
      const name = 'own-annotated';
      await ns.create(REDIS, name, REDIS_SPEC);
      const own = (await ns.waitReady(REDIS, name)).status!.addonId!;
      const other = await createOnClever('redis-addon', 's_mono', 'made-by-hand-1');
      const from = op.sim.requests().length;

      await ns.patch(REDIS, name, { metadata: { annotations: { [ADDON_ID]: other.id } } });
      const res = await ns.waitSyncedFalse(REDIS, name, 'AdoptionAnnotationIgnored');
      expect(condition(res, 'Synced')?.message).toContain(other.id);
      expect(condition(res, 'Synced')?.message).toContain(own);
      expect(res.status?.addonId).toBe(own);
      expect(condition(res, 'Ready')?.status).toBe('True');
      const warnings = await ns.waitEvent(name, 'AdoptionAnnotationIgnored');
      expect(warnings).toMatchObject([{ type: 'Warning' }]);
      expect(touching(from, other.id)).toEqual([]);
      expect(exists(other.id)).toBe(true);
    });

    it('after a DELETE whose answer was lost, deletion does not delete the add-on the annotation names', async () => {
      const name = 'own-lost-delete';
      await ns.create(REDIS, name, REDIS_SPEC);
      const own = (await ns.waitReady(REDIS, name)).status!.addonId!;
      const other = await createOnClever('redis-addon', 's_mono', 'made-by-hand-2');
      await ns.patch(REDIS, name, { metadata: { annotations: { [ADDON_ID]: other.id } } });
      await ns.waitSyncedFalse(REDIS, name, 'AdoptionAnnotationIgnored');
      const from = op.sim.requests().length;

      // The first DELETE commits and its answer is lost, as are the client's retries: the pass fails, and the next
      // one finds the recorded add-on gone.
      op.sim.setFaults([{ route: DELETE_ADDON, kind: 'commitThenFail', count: 5 }]);
      await ns.delete(REDIS, name);
      await ns.waitGone(REDIS, name, 30_000);
      op.sim.setFaults([]);

      // The answer was indeed lost: the pass that sent the DELETE failed.
      expect(deletes(from, own).filter((r) => r.fault === 'commitThenFail')).toHaveLength(5);
      expect(exists(own)).toBe(false);
      expect(exists(other.id)).toBe(true);
      expect(deletes(from, other.id)).toEqual([]);
      expect(deletes(from).every((r) => r.path.includes(own))).toBe(true);
      const ignored = await ns.eventsWithReason(name, 'AdoptionAnnotationIgnored');
      expect(ignored.some((e) => e.type === 'Warning' && e.message?.includes('left in place'))).toBe(true);
    });

    it.each<{ why: string; spec: Record<string, unknown>; annotations: Record<string, string>; reason: string }>([
      { why: 'bad plan', spec: { instance: { plan: 'zz_mono' } }, annotations: {}, reason: 'InvalidPlan' },
      { why: 'paused', spec: REDIS_SPEC, annotations: { [PAUSED]: 'true' }, reason: 'Paused' },
      {
        why: 'bad credentials',
        spec: { ...REDIS_SPEC, credentialsRef: { name: 'wrong-creds' } },
        annotations: {},
        reason: 'Unauthorized',
      },
    ])(
      'applied with an adoption annotation whose pass fails before observe ($why): deletion keeps the add-on',
      async ({ why, spec, annotations, reason }) => {
        const other = await createOnClever('redis-addon', 's_mono', `made-by-hand-${why.replace(' ', '-')}`);
        const name = `early-${why.replace(' ', '-')}`;
        const from = op.sim.requests().length;
        await ns.create(REDIS, name, spec, { ...annotations, [ADDON_ID]: other.id });
        const res = await ns.waitSyncedFalse(REDIS, name, reason);
        expect(res.status?.addonId).toBeUndefined();

        await ns.delete(REDIS, name);
        await ns.waitGone(REDIS, name);
        expect(exists(other.id)).toBe(true);
        expect(deletes(from)).toEqual([]);
        const ignored = await ns.eventsWithReason(name, 'AdoptionAnnotationIgnored');
        expect(ignored.some((e) => e.type === 'Warning' && e.message?.includes('never adopted'))).toBe(true);
      },
    );

    it('when the recorded add-on was deleted outside, deletion does not delete the one the annotation names', async () => {
      const name = 'own-gone';
      await ns.create(REDIS, name, REDIS_SPEC);
      const own = (await ns.waitReady(REDIS, name)).status!.addonId!;
      const other = await createOnClever('redis-addon', 's_mono', 'made-by-hand-3');
      await ns.patch(REDIS, name, { metadata: { annotations: { [ADDON_ID]: other.id } } });
      await ns.waitSyncedFalse(REDIS, name, 'AdoptionAnnotationIgnored');

      // Deletion is held up (Clever cannot be asked: reads by id and deletes fail) while the recorded add-on is
      // deleted on Clever directly; no live pass runs any more, so nothing can adopt the annotated one meanwhile.
      op.sim.setFaults([
        { route: GET_ADDON, kind: 'error', status: 503 },
        { route: DELETE_ADDON, kind: 'error', status: 503 },
      ]);
      const from = op.sim.requests().length;
      await ns.delete(REDIS, name);
      await ns.waitFor(REDIS, name, (r) => condition(r, 'Synced')?.reason === 'CleverApiUnavailable', 'held up');
      op.sim.deleteAddonBehindBack(own);
      op.sim.setFaults([]);
      await ns.waitGone(REDIS, name, 30_000);

      // The recorded one was asked for (it was gone: 404 is the confirmation); the annotated one never.
      expect(exists(other.id)).toBe(true);
      expect(deletes(from, other.id)).toEqual([]);
      expect(deletes(from).every((r) => r.path.includes(own))).toBe(true);
    });
  });

  describe('3. fail safe under uncertainty', () => {
    // A URL with a no-break space: the API server's RE2 \s does not match it, the operator's JS \s does, so the
    // stored spec passes the CRD's pattern and fails the operator's schema.
    const unparseable = {
      schedule: '0 3 * * *',
      target: {
        s3: {
          endpoint: 'https://s3.example\u00a0com',
          bucket: 'dumps',
          credentialsSecretRef: { name: 's3-creds' },
        },
      },
    };

    it('a stored spec the operator cannot parse does not turn deletionPolicy Orphan into Delete', async () => {
      const name = 'orphan-unparseable';
      await ns.create(POSTGRESQL, name, { instance: { plan: 'xxs_sml' }, deletionPolicy: 'Orphan' });
      const own = (await ns.waitReady(POSTGRESQL, name)).status!.addonId!;
      await ns.patch(POSTGRESQL, name, { spec: { backup: unparseable } });
      const res = await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidSpec');
      expect(condition(res, 'Synced')?.message).toContain('spec.backup.target.s3.endpoint');
      const from = op.sim.requests().length;

      await ns.delete(POSTGRESQL, name);
      await ns.waitGone(POSTGRESQL, name);
      expect(exists(own)).toBe(true);
      expect(deletes(from)).toEqual([]);
      expect(await ns.eventsWithReason(name, 'Orphaned')).toHaveLength(1);
    });

    it('a readable deletionPolicy Delete still holds when another field does not parse (no leak)', async () => {
      const name = 'delete-unparseable';
      await ns.create(POSTGRESQL, name, { instance: { plan: 'xxs_sml' } });
      const own = (await ns.waitReady(POSTGRESQL, name)).status!.addonId!;
      await ns.patch(POSTGRESQL, name, { spec: { backup: unparseable } });
      await ns.waitSyncedFalse(POSTGRESQL, name, 'InvalidSpec');
      const from = op.sim.requests().length;

      await ns.delete(POSTGRESQL, name);
      await ns.waitGone(POSTGRESQL, name);
      expect(exists(own)).toBe(false);
      expect(deletes(from).map((r) => r.path.includes(own))).toEqual([true]);
    });
  });

  describe('10. deletion never wedges a namespace', () => {
    it('with the credentials Secret gone the resource stays and says so; orphan-on-delete releases it', async () => {
      const name = 'creds-gone';
      await bare.create(REDIS, name, REDIS_SPEC);
      const own = (await bare.waitReady(REDIS, name)).status!.addonId!;
      await bare.deleteSecret(NAMESPACE_SECRET);
      const from = op.sim.requests().length;

      await bare.delete(REDIS, name);
      const blocked = await bare.waitSyncedFalse(REDIS, name, 'DeletionBlocked');
      const message = condition(blocked, 'Synced')!.message;
      expect(message).toContain(own);
      expect(message).toContain(NAMESPACE_SECRET);
      expect(message).toContain(`${ORPHAN_ON_DELETE}=true`);
      expect(condition(blocked, 'Ready')).toMatchObject({ status: 'False', reason: 'Deleting' });
      expect(blocked.metadata?.deletionTimestamp).toBeDefined();
      expect(blocked.metadata?.finalizers?.length).toBeGreaterThan(0);
      expect(await bare.waitEvent(name, 'DeletionBlocked')).toMatchObject([{ type: 'Warning' }]);

      await bare.patch(REDIS, name, { metadata: { annotations: { [ORPHAN_ON_DELETE]: 'true' } } });
      await bare.waitGone(REDIS, name);
      expect(deletes(from)).toEqual([]);
      expect(exists(own)).toBe(true);
      const orphaned = await bare.eventsWithReason(name, 'Orphaned');
      expect(orphaned.map((e) => e.message)).toEqual([expect.stringContaining(ORPHAN_ON_DELETE)]);
    });
  });
});

describe('data safety at deletion: its own unrecorded create is still deleted (no leak)', () => {
  const kc = adminKubeConfig();
  let ns: NamespaceApi;
  let op: OperatorHarness;

  beforeAll(async () => {
    ns = namespaceApi(kc, await createTestNamespace(kc, 'safe-del-lag'));
    // The list lags behind creates: an add-on whose create answer was lost stays unrecorded for a while.
    op = await startOperator({
      namespaces: [ns.namespace],
      simulator: { listConsistencyDelayMs: 2_000 },
      manager: { createGraceMs: 5_000 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('deleting a resource whose create answer was lost deletes the add-on that create made', async () => {
    const name = 'own-unrecorded';
    op.sim.setFaults([{ route: CREATE_ADDON, kind: 'commitThenFail', count: 1 }]);
    await ns.create(REDIS, name, REDIS_SPEC);
    const pending = await ns.waitFor(
      REDIS,
      name,
      (r) => !!pendingCreate(r) && op.sim.requests().some((q) => q.fault),
      'create intent recorded, answer lost',
    );
    expect(pending.status?.addonId).toBeUndefined();
    await ns.delete(REDIS, name);
    await ns.waitGone(REDIS, name, 30_000);

    expect(op.sim.requests().filter((r) => r.route === CREATE_ADDON)).toHaveLength(1);
    expect(op.sim.addons().filter((a) => a.name === `kubernetes::Redis::${pending.metadata!.uid!}`)).toEqual([]);
    expect(op.sim.requests().filter((r) => r.route === DELETE_ADDON)).toHaveLength(1);
  });
});
