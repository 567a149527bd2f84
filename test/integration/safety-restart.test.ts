// Issue 13, guarantee 12: a restart loses nothing the guarantees rely on. The last-bound connection Secret is kept in
// the cluster (a copy the resource owns), so an operator that just started (after a SIGKILL, or a standby that just
// became leader) puts a deleted or edited Secret back at once, from the cluster alone, while every Clever Cloud
// route answers 503: not one successful Clever call is needed.
import * as k8s from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { REDIS_KIND, resources, stopProcess } from '../support/addons.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { ensureCrds, spawnOperator } from '../support/operator.ts';
import { namespaceApi, type NamespaceApi } from '../support/resources.ts';

interface Proc {
  child: ChildProcess;
  output: () => string;
}

describe('a restart loses nothing: the Secret comes back from the cluster alone', () => {
  const kc = adminKubeConfig();
  let sim: Simulator;
  let namespace = '';
  let api: ReturnType<typeof resources>;
  let ns: NamespaceApi;
  const procs: Proc[] = [];

  const spawn = (extraArgs: string[] = ['--leader-election', 'false']): Proc => {
    const p = spawnOperator({ simUrl: sim.url, bridgeUrl: sim.bridgeUrl, namespaces: [namespace], extraArgs });
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    await ensureCrds();
    namespace = await createTestNamespace(kc, 'restart');
    api = resources(kc, namespace);
    ns = namespaceApi(kc, namespace);
    sim = await startSimulator({ seed: 1213 });
  });
  afterEach(async () => {
    sim.setFaults([]);
    await Promise.all(procs.splice(0).map((p) => stopProcess(p.child, 'SIGKILL')));
  });
  afterAll(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p.child, 'SIGKILL')));
    await sim?.stop();
  });

  /** Binds `name`, then puts every Clever route on 503; returns the bound Secret. */
  async function bindThenOutage(name: string): Promise<SecretObject> {
    await api.create(REDIS_KIND, name);
    const res = await api.waitSettled(REDIS_KIND, name, 40_000);
    // The copy is written right after the Secret; wait for it so the kill below cannot fall between the two.
    await eventually(() => ns.secret(`${name}-secrets-last`), 10_000, 'the last-bound copy');
    const bound = (await ns.secret(`${name}-secrets`))!;
    expect(res.status?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    sim.setFaults([{ route: '*', kind: 'error', status: 503 }]);
    return bound;
  }

  /** Clever requests since `from` that succeeded: none may, the outage is total. */
  const successesSince = (from: number) => sim.requests().filter((r) => r.at >= from && r.status < 400);

  async function waitRestored(name: string, before: SecretObject, what: string): Promise<SecretObject> {
    return eventually(
      async () => {
        const s = await ns.secret(`${name}-secrets`);
        return s && s.metadata?.uid !== before.metadata?.uid && sameData(s, before) ? s : undefined;
      },
      30_000,
      what,
    );
  }

  it('SIGKILL, Secret deleted, a new operator: the same bytes come back with SecretRestored, no Clever success', async () => {
    const name = 'restart-deleted';
    spawn();
    const bound = await bindThenOutage(name);
    await stopProcess(procs[0]!.child, 'SIGKILL');
    await ns.deleteSecret(`${name}-secrets`);
    const from = Date.now();

    spawn();
    const restored = await waitRestored(name, bound, 'the Secret put back by the new operator');
    expect(restored.data).toEqual(bound.data);
    expect(restored.type).toBe(bound.type);
    expect(restored.metadata?.labels).toEqual(bound.metadata?.labels);
    expect(restored.metadata?.ownerReferences).toEqual(bound.metadata?.ownerReferences);
    const events = await ns.waitEvent(name, 'SecretRestored');
    expect(events.some((e) => e.message?.includes(`Secret ${name}-secrets restored`))).toBe(true);
    // Nothing secret in the event.
    for (const value of Object.values(bound.data ?? {})) {
      for (const e of events) expect(e.message).not.toContain(Buffer.from(value, 'base64').toString());
    }
    expect(successesSince(from)).toEqual([]);
  });

  it('SIGKILL, Secret edited by someone else, a new operator: the edit is reverted, no Clever success', async () => {
    const name = 'restart-edited';
    spawn();
    const bound = await bindThenOutage(name);
    await stopProcess(procs[0]!.child, 'SIGKILL');
    await ns.patchSecret(`${name}-secrets`, { data: { REDIS_PASSWORD: Buffer.from('hijacked').toString('base64') } });
    const from = Date.now();

    spawn();
    await eventually(
      async () => {
        const s = await ns.secret(`${name}-secrets`);
        return s && sameData(s, bound) ? true : undefined;
      },
      30_000,
      'the edit reverted by the new operator',
    );
    const events = await ns.waitEvent(name, 'SecretRestored');
    expect(events.some((e) => e.message?.includes(`Secret ${name}-secrets reverted`))).toBe(true);
    expect(successesSince(from)).toEqual([]);
  });

  it('leader change: the standby that takes over puts the deleted Secret back, no Clever success', async () => {
    const name = 'leader-change';
    const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = 'restart-ha';
    const args = [
      '--leader-election-namespace',
      namespace,
      '--leader-election-id',
      lease,
      '--lease-duration',
      '4',
      '--renew-deadline',
      '3',
      '--retry-period',
      '1',
    ];
    const identity = (p: Proc) =>
      p
        .output()
        .split('\n')
        .filter((l) => l.includes('"starting clever-addon-operator"'))
        .map((l) => (JSON.parse(l) as { identity?: string }).identity)[0];
    const a = spawn(args);
    const b = spawn(args);
    await eventually(() => (identity(a) && identity(b) ? true : undefined), 20_000, 'both replicas started');
    const leader = await eventually(
      async () => {
        const h = (await coordination.readNamespacedLease({ namespace, name: lease })).spec?.holderIdentity;
        return [a, b].find((p) => h && identity(p) === h);
      },
      20_000,
      'a leader',
    );
    const bound = await bindThenOutage(name);
    await stopProcess(leader.child, 'SIGKILL');
    await ns.deleteSecret(`${name}-secrets`);
    const from = Date.now();
    // The standby never reconciled this resource: all it has is the cluster. It takes over once the lease expires.
    const restored = await waitRestored(name, bound, 'the Secret put back by the new leader');
    expect(restored.data).toEqual(bound.data);
    await ns.waitEvent(name, 'SecretRestored');
    expect(successesSince(from)).toEqual([]);
  });
});

function sameData(a: SecretObject, b: SecretObject): boolean {
  const ka = Object.keys(a.data ?? {}).sort();
  const kb = Object.keys(b.data ?? {}).sort();
  return JSON.stringify(ka) === JSON.stringify(kb) && ka.every((k) => a.data?.[k] === b.data?.[k]);
}
