// "No duplicate add-on, ever", under simulator faults: 5xx, 429 with Retry-After, latency beyond the client timeout,
// connection resets, commits whose response is lost, and a list that lags behind creates. Every resource ends Ready
// with exactly one add-on carrying its deterministic name; while faults last, Synced=False says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/simulator/index.ts';
import {
  CREATE_ADDON,
  PG_KIND,
  REDIS_KIND,
  addonsOf,
  conditionOf,
  createCalls,
  recordStatuses,
  resources,
  type AddonResource,
  type Kind,
} from '../support/addons.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';

const LIST_ADDONS = 'GET /v2/organisations/{ownerId}/addons';
const ADDON_ENV = 'GET /v2/organisations/{ownerId}/addons/{addonId}/env';
const CLIENT_TIMEOUT_MS = 1_000;
const GRACE_MS = 3_000;

describe('simulator faults: every resource converges with exactly one add-on', () => {
  const kc = adminKubeConfig();
  let op: OperatorHarness;
  let api: ReturnType<typeof resources>;
  let namespace = '';

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'faults');
    api = resources(kc, namespace);
    op = await startOperator({
      namespaces: [namespace],
      simulator: { seed: 4242 },
      clientOptions: { timeoutMs: CLIENT_TIMEOUT_MS, retry: { maxAttempts: 5, baseMs: 50, maxMs: 400 } },
      manager: { createGraceMs: GRACE_MS },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  /** Creates a resource with `faults` active and returns it once settled, with the create calls made meanwhile. */
  async function createUnder(kind: Kind, name: string, faults: FaultRule[]) {
    const from = op.sim.requests().length;
    op.sim.setFaults(faults);
    const created = await api.create(kind, name);
    return { created, calls: () => op.sim.requests().slice(from) };
  }

  function expectOneAddon(res: AddonResource): void {
    const own = addonsOf(op.sim, res);
    expect(own, `add-ons named for ${res.metadata?.name}`).toHaveLength(1);
    expect(res.status?.addonId).toBe(own[0]!.id);
  }

  it('5xx on reads: Synced=False CleverApiUnavailable while they last; a 5xx on create is waited out, not duplicated', async () => {
    const { created, calls } = await createUnder(REDIS_KIND, 'five-hundreds', [
      { route: LIST_ADDONS, kind: 'error', status: 503 },
    ]);
    const failing = await api.waitFor(
      REDIS_KIND,
      'five-hundreds',
      (r) =>
        conditionOf(r, 'Synced')?.status === 'False' && conditionOf(r, 'Synced')?.reason === 'CleverApiUnavailable',
      'Synced=False CleverApiUnavailable',
    );
    expect(conditionOf(failing, 'Synced')?.message).toMatch(/HTTP 503/);
    expect(createCalls(calls())).toHaveLength(0);

    // Reads recover; the first create answers 500 (Clever did not act on it), the second goes through.
    op.sim.setFaults([{ route: CREATE_ADDON, kind: 'error', status: 500, count: 1 }]);
    const res = await api.waitSettled(REDIS_KIND, 'five-hundreds');
    expect(res.metadata?.uid).toBe(created.metadata?.uid);
    const creates = createCalls(calls());
    expect(creates.map((c) => c.status)).toEqual([500, 200]);
    // A 500 on a POST leaves the outcome unknown: the second create waited for the grace period.
    expect(creates[1]!.at - creates[0]!.at).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expectOneAddon(res);
  });

  it('429 bursts: the client waits Retry-After between attempts and creates once', async () => {
    const { calls } = await createUnder(PG_KIND, 'rate-limited', [
      { route: CREATE_ADDON, kind: 'rateLimit', retryAfterSeconds: 1, count: 2 },
      { route: ADDON_ENV, kind: 'rateLimit', retryAfterSeconds: 1, count: 1 },
    ]);
    const res = await api.waitSettled(PG_KIND, 'rate-limited');
    const creates = createCalls(calls());
    expect(creates.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(creates[1]!.at - creates[0]!.at).toBeGreaterThanOrEqual(950);
    expect(creates[2]!.at - creates[1]!.at).toBeGreaterThanOrEqual(950);
    // The env rule may hit any resource's read (earlier ones get drift passes too): follow the one it hit.
    const limited = calls().find((c) => c.route === ADDON_ENV && c.fault === 'rateLimit');
    expect(limited?.status).toBe(429);
    const retried = calls().find((c) => c.path === limited!.path && c.at > limited!.at);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expectOneAddon(res);
  });

  it('latency beyond the client timeout: the late commit is found by name, never created twice', async () => {
    const statuses = recordStatuses(kc, namespace, REDIS_KIND, 'slow-create');
    try {
      const { calls } = await createUnder(REDIS_KIND, 'slow-create', [
        { route: CREATE_ADDON, kind: 'latency', ms: CLIENT_TIMEOUT_MS + 1_000, count: 1 },
        { route: ADDON_ENV, kind: 'latency', ms: CLIENT_TIMEOUT_MS + 500, count: 2 },
      ]);
      const res = await api.waitSettled(REDIS_KIND, 'slow-create');
      // While the create timed out, status said so (seen through a watch: the state lasts one retry).
      expect(statuses.saw('Synced', 'False', 'CleverApiUnavailable')).toBeDefined();
      expect(createCalls(calls())).toHaveLength(1);
      expect(calls().filter((c) => c.route === ADDON_ENV && c.fault === 'latency')).toHaveLength(2);
      expectOneAddon(res);
    } finally {
      await statuses.stop();
    }
  });

  it('a create call that outlasts the grace period (429 then a timeout) does not start the grace clock early', async () => {
    // Intent at t0; 429 with Retry-After 2 s; the retry times out at t0+3 s and Clever commits it at t0+4.5 s.
    // The grace period (3 s) must count from the end of the call, not from the intent, or a second create
    // goes out at once and both commit.
    const { calls } = await createUnder(REDIS_KIND, 'long-call', [
      { route: CREATE_ADDON, kind: 'rateLimit', retryAfterSeconds: 2, count: 1 },
      { route: CREATE_ADDON, kind: 'latency', ms: CLIENT_TIMEOUT_MS + 1_500, count: 1 },
    ]);
    const res = await api.waitSettled(REDIS_KIND, 'long-call');
    expectOneAddon(res);
    expect(createCalls(calls()).map((c) => c.fault)).toEqual(['rateLimit', 'latency']);
  });

  it('connection resets: on reads they are retried; on create (not committed) the create is repeated once', async () => {
    const { calls } = await createUnder(PG_KIND, 'resets', [
      { route: CREATE_ADDON, kind: 'reset', count: 1 },
      { route: ADDON_ENV, kind: 'reset', count: 2 },
    ]);
    const res = await api.waitSettled(PG_KIND, 'resets');
    const creates = createCalls(calls());
    expect(creates.map((c) => c.status)).toEqual([0, 200]);
    expect(calls().filter((c) => c.route === ADDON_ENV && c.fault === 'reset')).toHaveLength(2);
    expectOneAddon(res);
  });

  it.each([
    ['socket closed', undefined],
    ['HTTP 502', 502],
  ])(
    'commitThenFail on create (%s): the add-on exists, the response is lost, exactly one add-on',
    async (_, status) => {
      const name = `commit-then-fail-${status ?? 'reset'}`;
      const { calls } = await createUnder(REDIS_KIND, name, [
        { route: CREATE_ADDON, kind: 'commitThenFail', count: 1, ...(status ? { status } : {}) },
      ]);
      const res = await api.waitSettled(REDIS_KIND, name);
      const creates = createCalls(calls());
      expect(creates).toHaveLength(1);
      expect(creates[0]!.fault).toBe('commitThenFail');
      expectOneAddon(res);
    },
  );

  it('ten resources under a mixed, seeded fault profile: all Ready, one add-on each; all deleted, none left', async () => {
    op.sim.setFaults([
      { route: CREATE_ADDON, kind: 'commitThenFail', probability: 0.25 },
      { route: CREATE_ADDON, kind: 'latency', ms: CLIENT_TIMEOUT_MS + 500, probability: 0.15 },
      { route: CREATE_ADDON, kind: 'error', status: 503, probability: 0.1 },
      { route: '*', kind: 'rateLimit', retryAfterSeconds: 1, probability: 0.05 },
      { route: '*', kind: 'error', status: 502, probability: 0.1 },
      { route: '*', kind: 'reset', probability: 0.05 },
      { route: '*', kind: 'latency', ms: 200, probability: 0.1 },
    ]);
    const names = Array.from({ length: 10 }, (_, i) => ({ kind: i % 2 ? PG_KIND : REDIS_KIND, name: `mixed-${i}` }));
    await Promise.all(names.map(({ kind, name }) => api.create(kind, name)));
    const settled = await Promise.all(names.map(({ kind, name }) => api.waitSettled(kind, name, 60_000)));
    for (const res of settled) expectOneAddon(res);
    expect(op.sim.requests().some((r) => r.fault)).toBe(true);

    await Promise.all(names.map(({ kind, name }) => api.delete(kind, name)));
    await Promise.all(names.map(({ kind, name }) => api.waitGone(kind, name, 60_000)));
    for (const res of settled) expect(addonsOf(op.sim, res)).toHaveLength(0);
    op.sim.setFaults([]);
  });
});

describe('a list that lags behind creates (listConsistencyDelayMs) with a lost create response', () => {
  const kc = adminKubeConfig();
  let op: OperatorHarness;
  let api: ReturnType<typeof resources>;

  beforeAll(async () => {
    const namespace = await createTestNamespace(kc, 'faults-lag');
    api = resources(kc, namespace);
    // Longer than a commitThenFail round trip and the requeue after it, shorter than the grace period.
    op = await startOperator({
      namespaces: [namespace],
      simulator: { seed: 7, listConsistencyDelayMs: 2_000 },
      manager: { createGraceMs: 5_000 },
    });
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('waits for the add-on to show up in the list instead of creating a second one', async () => {
    op.sim.setFaults([{ route: CREATE_ADDON, kind: 'commitThenFail', count: 1 }]);
    await api.create(REDIS_KIND, 'lagging');
    const res = await api.waitSettled(REDIS_KIND, 'lagging');
    const creates = createCalls(op.sim.requests());
    expect(creates).toHaveLength(1);
    // The operator looked (and did not find it) at least once before the list caught up.
    const lists = op.sim.requests().filter((r) => r.route === LIST_ADDONS && r.at > creates[0]!.at);
    expect(lists.length).toBeGreaterThanOrEqual(2);
    const own = addonsOf(op.sim, res);
    expect(own).toHaveLength(1);
    expect(res.status?.addonId).toBe(own[0]!.id);
    await eventually(async () => ((await api.get(REDIS_KIND, 'lagging'))?.status?.addonId ? true : undefined));
  });
});
