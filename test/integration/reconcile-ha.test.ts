// Crashes and replicas, with the operator as real child processes: SIGKILL between the create call and the status
// write, right after a create whose response was lost, and in the middle of a deletion; then two replicas with
// Lease leader election, where only the leader talks to Clever and a SIGTERM (lease released) or a SIGKILL (lease
// expires) hands over to the standby. Throughout, no resource ever has more than one add-on.
import * as k8s from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS } from '../../src/reconcile/names.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import {
  CREATE_ADDON,
  DELETE_ADDON,
  REDIS_KIND,
  addonsOf,
  createCalls,
  pendingCreate,
  resources,
  stopProcess,
  type AddonResource,
} from '../support/addons.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { ensureCrds, spawnOperator } from '../support/operator.ts';

/** Fails the test if any add-on name is ever held by two live add-ons (sampled every 50 ms). */
function watchForDuplicates(sim: Simulator) {
  const seen: string[] = [];
  const timer = setInterval(() => {
    const counts = new Map<string, number>();
    for (const a of sim.addons()) counts.set(a.name, (counts.get(a.name) ?? 0) + 1);
    for (const [name, n] of counts) if (n > 1) seen.push(`${name} x${n}`);
  }, 50);
  return {
    duplicates: () => [...new Set(seen)],
    stop: () => clearInterval(timer),
  };
}

interface Proc {
  child: ChildProcess;
  output: () => string;
}

/** JSON log lines of a child operator with this message. */
function logLines(proc: Proc, msg: string): Record<string, unknown>[] {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((l) => l.msg === msg);
}

function identityOf(proc: Proc): string | undefined {
  return logLines(proc, 'starting clever-addon-operator')[0]?.identity as string | undefined;
}

describe('SIGKILL at the worst moments: still one add-on', () => {
  const kc = adminKubeConfig();
  let sim: Simulator;
  let namespace = '';
  let api: ReturnType<typeof resources>;
  let guard: ReturnType<typeof watchForDuplicates>;
  const procs: Proc[] = [];

  const spawn = (): Proc => {
    const p = spawnOperator({
      simUrl: sim.url,
      bridgeUrl: sim.bridgeUrl,
      namespaces: [namespace],
      // Longer than the simulated slow create, so a restarted operator waits for its outcome.
      extraArgs: ['--leader-election', 'false', '--create-grace', '8'],
    });
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    await ensureCrds();
    namespace = await createTestNamespace(kc, 'crash');
    api = resources(kc, namespace);
    sim = await startSimulator({ seed: 11 });
    guard = watchForDuplicates(sim);
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p.child, 'SIGKILL')));
  });
  afterAll(async () => {
    guard?.stop();
    await Promise.all(procs.splice(0).map((p) => stopProcess(p.child, 'SIGKILL')));
    await sim?.stop();
  });

  it('killed while the create call is in flight: the add-on Clever commits later is adopted, not duplicated', async () => {
    sim.setFaults([{ route: CREATE_ADDON, kind: 'latency', ms: 3_000, count: 1 }]);
    const first = spawn();
    const created = await api.create(REDIS_KIND, 'killed-mid-create');
    const post = await eventually(() => createCalls(sim.requests())[0], 20_000, 'the create call to arrive');
    await stopProcess(first.child, 'SIGKILL');
    const orphaned = await api.get(REDIS_KIND, 'killed-mid-create');
    expect(orphaned?.metadata?.annotations?.[ANNOTATIONS.createPending]).toBeDefined();
    expect(orphaned?.status?.addonId).toBeUndefined();

    // The simulator finishes the request although its client is gone: the add-on appears with no operator running.
    const late = await eventually(
      () => addonsOf(sim, created)[0],
      10_000,
      'the add-on committed after the client died',
    );
    expect(late.creationDate - post.at).toBeGreaterThanOrEqual(2_900);

    spawn();
    const res = await api.waitSettled(REDIS_KIND, 'killed-mid-create', 40_000);
    expect(pendingCreate(res)).toBeUndefined();
    expect(createCalls(sim.requests())).toHaveLength(1);
    expect(addonsOf(sim, res)).toHaveLength(1);
    expect(res.status?.addonId).toBe(late.id);
    expect(guard.duplicates()).toEqual([]);
  });

  it('killed at once after a create whose response was lost (commitThenFail): one add-on', async () => {
    sim.clearRequests();
    sim.setFaults([{ route: CREATE_ADDON, kind: 'commitThenFail', count: 1 }]);
    const first = spawn();
    await api.create(REDIS_KIND, 'killed-after-commit');
    await eventually(() => createCalls(sim.requests())[0], 20_000, 'the create call');
    await stopProcess(first.child, 'SIGKILL');

    spawn();
    const res = await api.waitSettled(REDIS_KIND, 'killed-after-commit', 40_000);
    expect(createCalls(sim.requests())).toHaveLength(1);
    expect(addonsOf(sim, res)).toHaveLength(1);
    expect(guard.duplicates()).toEqual([]);
  });

  it('killed during deletion: after restart the resource is gone and so is its add-on; no finalizer left behind', async () => {
    const op = spawn();
    const res = await api.waitSettled(REDIS_KIND, 'killed-after-commit', 40_000);
    expect(addonsOf(sim, res)).toHaveLength(1);
    sim.clearRequests();
    sim.setFaults([{ route: DELETE_ADDON, kind: 'latency', ms: 3_000, count: 1 }]);
    await api.delete(REDIS_KIND, 'killed-after-commit');
    await eventually(() => sim.requests().find((r) => r.route === DELETE_ADDON), 20_000, 'the delete call');
    await stopProcess(op.child, 'SIGKILL');
    const stuck = await api.get(REDIS_KIND, 'killed-after-commit');
    expect(stuck?.metadata?.deletionTimestamp).toBeDefined();
    expect(stuck?.metadata?.finalizers?.length).toBeGreaterThan(0);

    spawn();
    await api.waitGone(REDIS_KIND, 'killed-after-commit', 40_000);
    expect(addonsOf(sim, res)).toHaveLength(0);
    expect(await api.secret('killed-after-commit-secrets')).toBeUndefined();
  });
});

describe('two replicas with Lease leader election', () => {
  const kc = adminKubeConfig();
  const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  const LEASE = 'addons-ha';
  let sim: Simulator;
  let namespace = '';
  let api: ReturnType<typeof resources>;
  let guard: ReturnType<typeof watchForDuplicates>;
  const procs: Proc[] = [];

  const spawnReplica = (): Proc => {
    const p = spawnOperator({
      simUrl: sim.url,
      bridgeUrl: sim.bridgeUrl,
      namespaces: [namespace],
      extraArgs: [
        '--leader-election-namespace',
        namespace,
        '--leader-election-id',
        LEASE,
        '--lease-duration',
        '4',
        '--renew-deadline',
        '3',
        '--retry-period',
        '1',
        '--create-grace',
        '10',
      ],
    });
    procs.push(p);
    return p;
  };
  const holder = async () =>
    (await coordination.readNamespacedLease({ namespace, name: LEASE })).spec?.holderIdentity ?? '';
  /** The replica holding the lease, once exactly one of `candidates` does. */
  const leaderAmong = (candidates: Proc[]) =>
    eventually(
      async () => {
        const h = await holder();
        return candidates.find((p) => h !== '' && identityOf(p) === h);
      },
      20_000,
      'a leader among the replicas',
    );
  const cleverCalls = (p: Proc) => logLines(p, 'clever api request').length;

  beforeAll(async () => {
    await ensureCrds();
    namespace = await createTestNamespace(kc, 'ha');
    api = resources(kc, namespace);
    sim = await startSimulator({ seed: 23 });
    guard = watchForDuplicates(sim);
  });
  afterAll(async () => {
    guard?.stop();
    await Promise.all(procs.map((p) => stopProcess(p.child, 'SIGKILL')));
    await sim?.stop();
  });

  it('one leader reconciles, the standby sends nothing to Clever; each resource is created exactly once', async () => {
    const a = spawnReplica();
    const b = spawnReplica();
    await eventually(() => (identityOf(a) && identityOf(b) ? true : undefined), 20_000, 'both replicas started');
    const leader = await leaderAmong([a, b]);
    const standby = leader === a ? b : a;

    const names = ['ha-0', 'ha-1', 'ha-2'];
    const created = await Promise.all(names.map((n) => api.create(REDIS_KIND, n)));
    const settled = await Promise.all(names.map((n) => api.waitSettled(REDIS_KIND, n, 30_000)));
    for (const res of settled) expect(addonsOf(sim, res)).toHaveLength(1);
    expect(createCalls(sim.requests())).toHaveLength(created.length);
    expect(cleverCalls(leader)).toBeGreaterThan(0);
    expect(cleverCalls(standby)).toBe(0);
    expect(logLines(standby, 'became leader')).toHaveLength(0);
    expect(await holder()).toBe(identityOf(leader));
  });

  it('SIGTERM on the leader releases the Lease; the standby takes over within seconds and reconciles new work', async () => {
    const [a, b] = procs as [Proc, Proc];
    const leader = await leaderAmong([a, b]);
    const standby = leader === a ? b : a;
    const before = (await coordination.readNamespacedLease({ namespace, name: LEASE })).spec?.leaseTransitions ?? 0;

    const t0 = Date.now();
    await stopProcess(leader.child, 'SIGTERM');
    expect(leader.child.exitCode).toBe(0);
    expect(logLines(leader, 'lease released')).toHaveLength(1);
    await eventually(async () => ((await holder()) === identityOf(standby) ? true : undefined), 10_000, 'handover');
    // Released, not expired: the standby did not wait out the 4 s lease.
    expect(Date.now() - t0).toBeLessThan(8_000);
    const lease = await coordination.readNamespacedLease({ namespace, name: LEASE });
    expect(lease.spec?.leaseTransitions).toBe(before + 1);

    const callsBefore = createCalls(sim.requests()).length;
    const res = await api.create(REDIS_KIND, 'after-sigterm');
    const settled = await api.waitSettled(REDIS_KIND, 'after-sigterm', 30_000);
    expect(settled.metadata?.uid).toBe(res.metadata?.uid);
    expect(addonsOf(sim, settled)).toHaveLength(1);
    expect(createCalls(sim.requests())).toHaveLength(callsBefore + 1);
    expect(logLines(standby, 'became leader')).toHaveLength(1);
  });

  it('SIGKILL on the leader mid-create: a new standby takes over after the lease expires; still one add-on', async () => {
    const leader = procs.find((p) => p.child.exitCode === null && p.child.signalCode === null)!;
    const standby = spawnReplica();
    await eventually(() => (identityOf(standby) ? true : undefined), 20_000, 'the new standby started');
    expect(await holder()).toBe(identityOf(leader));

    sim.setFaults([{ route: CREATE_ADDON, kind: 'latency', ms: 2_000, count: 1 }]);
    const callsBefore = createCalls(sim.requests()).length;
    const res = await api.create(REDIS_KIND, 'leader-killed');
    await eventually(() => createCalls(sim.requests())[callsBefore], 20_000, 'the create call');
    const t0 = Date.now();
    await stopProcess(leader.child, 'SIGKILL');

    await eventually(async () => ((await holder()) === identityOf(standby) ? true : undefined), 20_000, 'takeover');
    // Not released: the standby had to see the record unchanged for the lease duration (4 s) first.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3_000);
    const settled = await api.waitSettled(REDIS_KIND, 'leader-killed', 30_000);
    expect(settled.metadata?.uid).toBe(res.metadata?.uid);
    expect(addonsOf(sim, settled)).toHaveLength(1);
    expect(createCalls(sim.requests())).toHaveLength(callsBefore + 1);

    // Every resource of the namespace, through all the handovers: one add-on each, never two at any moment.
    for (const name of ['ha-0', 'ha-1', 'ha-2', 'after-sigterm', 'leader-killed']) {
      const r = (await api.get(REDIS_KIND, name)) as AddonResource;
      expect(addonsOf(sim, r), name).toHaveLength(1);
    }
    expect(guard.duplicates()).toEqual([]);
  });
});
