// The kube runtime against a real kube-apiserver: informers (list+watch, reconnects, label selection), server-side
// apply (managers, conflicts, status), finalizer races, events, and Lease leader election.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, applyStatus } from '../../src/kube/apply.ts';
import { KubeClient, type RequestOptions } from '../../src/kube/client.ts';
import { runWorkers } from '../../src/kube/controller.ts';
import { ConflictError, isConflict, isInvalid } from '../../src/kube/errors.ts';
import { EventRecorder, type CoreEvent } from '../../src/kube/events.ts';
import { Informer } from '../../src/kube/informer.ts';
import { LeaderElector, type Lease, type LeaderElectorOptions } from '../../src/kube/leader.ts';
import {
  deleteObject,
  ensureFinalizer,
  getObject,
  mergePatch,
  removeFinalizer,
  updateWithResourceVersion,
} from '../../src/kube/objects.ts';
import { gracefulShutdown } from '../../src/kube/shutdown.ts';
import { objectKey, splitKey, type KubeObject, type ObjectList } from '../../src/kube/types.ts';
import { WorkQueue } from '../../src/kube/workqueue.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';

const group = 'kube-runtime.clever-addon-operator.test';
const version = 'v1';
const plural = 'gizmos';

interface Gizmo extends KubeObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string; observedGeneration?: number };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kube runtime (real API server)', () => {
  const kc = adminKubeConfig();
  const client = new KubeClient(kc);
  let namespace = '';
  const informers: Informer<KubeObject>[] = [];

  const gizmo = (name: string, spec: Gizmo['spec']): Gizmo => ({
    apiVersion: `${group}/${version}`,
    kind: 'Gizmo',
    metadata: { name, namespace },
    spec,
  });
  const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels },
    data,
  });
  const track = <T extends KubeObject>(informer: Informer<T>): Informer<T> => {
    informers.push(informer as unknown as Informer<KubeObject>);
    return informer;
  };

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'kube-rt');
    // Raw JSON so the CRD schema reaches the server as written (no typed-model renaming).
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'Gizmo', plural, singular: 'gizmo', listKind: 'GizmoList' },
          versions: [
            {
              name: version,
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: { size: { type: 'integer' }, color: { type: 'string' } },
                    },
                    status: {
                      type: 'object',
                      properties: { phase: { type: 'string' }, observedGeneration: { type: 'integer' } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await eventually(
      async () => {
        const crd = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${group}`,
        );
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      30_000,
      'CRD Established',
    );
    // Discovery can lag behind Established for a moment.
    await eventually(() => client.resolveKind(`${group}/${version}`, 'Gizmo'), 30_000, 'Gizmo discovery');
  });

  afterAll(async () => {
    await Promise.all(informers.map((i) => i.stop()));
  });

  describe('informer', () => {
    it('lists existing objects, then sees adds, updates and deletes through the watch', async () => {
      await applyObject(kc, configMap('pre-existing', { a: '1' }), 'test');
      const informer = track(
        Informer.forResource<ConfigMap>(kc, { group: '', version: 'v1', plural: 'configmaps', namespace }),
      );
      const log: string[] = [];
      informer
        .onAdd((o) => log.push(`add ${o.metadata?.name}`))
        .onUpdate((_, o) => log.push(`update ${o.metadata?.name} ${o.data?.a}`))
        .onDelete((o) => log.push(`delete ${o.metadata?.name}`));
      informer.start();
      await informer.waitForSync(10_000);
      expect(informer.get(`${namespace}/pre-existing`)?.data).toEqual({ a: '1' });

      await applyObject(kc, configMap('watched', { a: '1' }), 'test');
      await eventually(() => informer.get(`${namespace}/watched`), 10_000, 'watched in cache');
      await applyObject(kc, configMap('watched', { a: '2' }), 'test');
      await eventually(() => (informer.get(`${namespace}/watched`)?.data?.a === '2' ? true : undefined), 10_000);
      await deleteObject(kc, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'watched' });
      await eventually(() => (informer.get(`${namespace}/watched`) ? undefined : true), 10_000, 'delete seen');
      const own = log.filter((l) => l.includes('watched') || l.includes('pre-existing'));
      expect(own).toEqual(['add pre-existing', 'add watched', 'update watched 2', 'delete watched']);
    });

    it('survives its watch being cut: reconnects from its resourceVersion without replaying or missing events', async () => {
      const informer = track(
        Informer.forResource<Gizmo>(kc, { group, version, plural, namespace }, { backoff: { baseMs: 50, maxMs: 200 } }),
      );
      const log: string[] = [];
      informer.onAdd((o) => log.push(`add ${o.metadata?.name}`));
      informer.onUpdate((_, o) => log.push(`update ${o.metadata?.name} ${o.spec?.size}`));
      informer.start();
      await informer.waitForSync(10_000);
      await applyObject(kc, gizmo('g1', { size: 1 }), 'test');
      await eventually(() => informer.get(`${namespace}/g1`), 10_000);

      informer.restartWatch();
      // A change made while the watch is down must arrive once it is back.
      await applyObject(kc, gizmo('g1', { size: 2 }), 'test');
      await applyObject(kc, gizmo('g2', { size: 1 }), 'test');
      await eventually(() => informer.get(`${namespace}/g2`), 10_000, 'g2 after reconnect');
      await eventually(() => (informer.get(`${namespace}/g1`)?.spec?.size === 2 ? true : undefined), 10_000);
      expect(log).toEqual(['add g1', 'update g1 2', 'add g2']);
      // Resumed from its resourceVersion, never relisted. The cut is one restart; on a loaded machine the server
      // may also end a reconnected watch early, which is another (CI once saw 2), so only the lower bound is fixed.
      expect(informer.stats().relists).toBe(1);
      expect(informer.stats().restarts).toBeGreaterThanOrEqual(1);
    });

    it('keeps working across short server-side watch timeouts', async () => {
      const informer = track(
        Informer.forResource<Gizmo>(kc, { group, version, plural, namespace }, { watchTimeoutSeconds: 1 }),
      );
      informer.start();
      await informer.waitForSync(10_000);
      // Several watch cycles end on the server's timeout; the informer must keep following.
      await new Promise((r) => setTimeout(r, 2_500));
      await applyObject(kc, gizmo('late', { size: 9 }), 'test');
      await eventually(() => informer.get(`${namespace}/late`), 10_000, 'late object');
      // Normal server-side ends are neither errors nor relists.
      expect(informer.stats()).toMatchObject({ relists: 1, restarts: 0 });
    });

    it('a label-selected Secret informer only caches labelled Secrets', async () => {
      const informer = track(
        Informer.forResource<Secret>(kc, {
          group: '',
          version: 'v1',
          plural: 'secrets',
          namespace,
          labelSelector: 'app.kubernetes.io/managed-by=clever-addon-operator',
        }),
      );
      const secret = (name: string, labels?: Record<string, string>): Secret => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, labels },
        type: 'Opaque',
        data: { password: b64('s3cret') },
      });
      const managed = { 'app.kubernetes.io/managed-by': 'clever-addon-operator' };
      // Before the informer starts (the LIST must filter) and after (the WATCH must filter).
      await applyObject(kc, secret('foreign-before'), 'test');
      await applyObject(kc, secret('ours-before', managed), 'test');
      informer.start();
      await informer.waitForSync(10_000);
      expect(informer.keys()).toEqual([`${namespace}/ours-before`]);
      await applyObject(kc, secret('foreign-after'), 'test');
      await applyObject(kc, secret('ours-after', managed), 'test');
      await eventually(() => informer.get(`${namespace}/ours-after`), 10_000, 'labelled Secret');
      // Events arrive in order, so had the foreign Secret been delivered it would be cached by now.
      expect(informer.keys().sort()).toEqual([`${namespace}/ours-after`, `${namespace}/ours-before`]);
      // Label removed: the object leaves the selection, which the watch reports as a deletion.
      await mergePatch(
        kc,
        { apiVersion: 'v1', kind: 'Secret', namespace, name: 'ours-after' },
        { metadata: { labels: { 'app.kubernetes.io/managed-by': null } } },
      );
      await eventually(() => (informer.keys().length === 1 ? true : undefined), 10_000, 'unlabelled Secret dropped');
      expect(informer.keys()).toEqual([`${namespace}/ours-before`]);
    });

    it('exposes its counters for metrics', async () => {
      const { registerInformerMetrics } = await import('../../src/kube/metrics.ts');
      const registry = new Registry();
      const informer = track(
        Informer.forResource<ConfigMap>(kc, { group: '', version: 'v1', plural: 'configmaps', namespace }),
      );
      registerInformerMetrics(registry, informer);
      informer.start();
      await informer.waitForSync(10_000);
      const text = await registry.metrics();
      expect(text).toContain(`informer_relists_total{resource="configmaps in ${namespace}"} 1`);
      expect(text).toContain(`informer_watch_restarts_total{resource="configmaps in ${namespace}"} 0`);
    });
  });

  describe('server-side apply and object helpers', () => {
    it('applies a Secret with a field manager; another manager conflicting on a field gets 409 unless forced', async () => {
      const secret: Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'binding', namespace, labels: { tier: 'db' } },
        type: 'servicebinding.io/postgresql',
        data: { password: b64('one') },
      };
      const applied = await applyObject(kc, secret, 'clever-addon-operator');
      expect(applied.data?.password).toBe(b64('one'));
      expect(applied.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toContainEqual([
        'clever-addon-operator',
        'Apply',
      ]);
      // What reached the server is exactly what we sent (type included).
      const stored = await getObject<Secret>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name: 'binding' });
      expect(stored?.type).toBe('servicebinding.io/postgresql');

      let err: unknown;
      try {
        await applyObject(kc, { ...secret, data: { password: b64('two') } }, 'someone-else');
      } catch (e) {
        err = e;
      }
      expect(isConflict(err)).toBe(true);
      const forced = await applyObject(kc, { ...secret, data: { password: b64('two') } }, 'someone-else', {
        force: true,
      });
      expect(forced.data?.password).toBe(b64('two'));
    });

    it('applies status through the status subresource of a custom resource', async () => {
      const created = await applyObject(kc, gizmo('st', { size: 1, color: 'red' }), 'clever-addon-operator');
      const withStatus = await applyStatus(
        kc,
        { ...gizmo('st', undefined), status: { phase: 'Ready', observedGeneration: created.metadata?.generation } },
        'clever-addon-operator',
      );
      expect(withStatus.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
      expect(withStatus.spec).toEqual({ size: 1, color: 'red' });
      expect(withStatus.metadata?.managedFields?.some((m) => m.subresource === 'status')).toBe(true);
      // The main resource ignores status.
      const main = await applyObject(
        kc,
        { ...gizmo('st', { size: 1, color: 'red' }), status: { phase: 'Hacked' } },
        'clever-addon-operator',
      );
      expect(main.status?.phase).toBe('Ready');
    });

    it('updateWithResourceVersion refuses a stale object with ConflictError', async () => {
      const created = await applyObject(kc, gizmo('occ', { size: 1 }), 'test');
      const fresh = await updateWithResourceVersion(kc, { ...created, spec: { size: 2 } });
      expect(fresh.spec?.size).toBe(2);
      await expect(updateWithResourceVersion(kc, { ...created, spec: { size: 3 } })).rejects.toBeInstanceOf(
        ConflictError,
      );
      await expect(
        updateWithResourceVersion(kc, { ...fresh, metadata: { ...fresh.metadata, resourceVersion: undefined } }),
      ).rejects.toThrow(/needs metadata.resourceVersion/);
    });

    it('adds and removes finalizers; a concurrent edit of the list makes the stale writer fail with a conflict', async () => {
      const created = await applyObject(kc, gizmo('fin', { size: 1 }), 'test');
      const ref = { apiVersion: `${group}/${version}`, kind: 'Gizmo', namespace, name: 'fin' };

      // First finalizer, guarded by resourceVersion; a stale copy of the object cannot add one after someone wrote.
      const withOurs = await ensureFinalizer(kc, created, 'example.com/ours');
      expect(withOurs.metadata?.finalizers).toEqual(['example.com/ours']);
      await expect(ensureFinalizer(kc, created, 'example.com/stale')).rejects.toBeInstanceOf(ConflictError);
      expect(await ensureFinalizer(kc, withOurs, 'example.com/ours')).toBe(withOurs); // no-op, no request

      // Another controller adds its finalizer; our view (withOurs) is now stale.
      const withTheirs = await ensureFinalizer(kc, withOurs, 'example.com/theirs');
      expect(withTheirs.metadata?.finalizers).toEqual(['example.com/ours', 'example.com/theirs']);
      // Removing ours from the stale view must not drop theirs: it fails instead.
      await expect(removeFinalizer(kc, { ...withOurs }, 'example.com/ours')).rejects.toBeInstanceOf(ConflictError);
      // From a fresh read it succeeds, and keeps theirs.
      const fresh = (await getObject<Gizmo>(kc, ref))!;
      const removed = await removeFinalizer(kc, fresh, 'example.com/ours');
      expect(removed.metadata?.finalizers).toEqual(['example.com/theirs']);
      const cleared = await removeFinalizer(kc, removed, 'example.com/theirs');
      expect(cleared.metadata?.finalizers).toBeUndefined();
    });

    it('a JSON patch the schema rejects stays a validation error, not a conflict', async () => {
      const { jsonPatch } = await import('../../src/kube/objects.ts');
      const created = await applyObject(kc, gizmo('invalid', { size: 1 }), 'test');
      const err = await jsonPatch(
        kc,
        { apiVersion: `${group}/${version}`, kind: 'Gizmo', namespace, name: 'invalid' },
        [
          { op: 'test', path: '/metadata/resourceVersion', value: created.metadata?.resourceVersion },
          { op: 'replace', path: '/spec/size', value: 'not-a-number' },
        ],
      ).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(ConflictError);
      expect(isInvalid(err)).toBe(true);
    });

    it('deleteObject with a stale resourceVersion precondition is a conflict; with the right one it deletes', async () => {
      const created = await applyObject(kc, gizmo('del', { size: 1 }), 'test');
      const ref = { apiVersion: `${group}/${version}`, kind: 'Gizmo', namespace, name: 'del' };
      await applyObject(kc, gizmo('del', { size: 2 }), 'test');
      await expect(
        deleteObject(kc, ref, { resourceVersion: created.metadata?.resourceVersion }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await deleteObject(kc, ref, { uid: created.metadata?.uid })).toBe(true);
      expect(await deleteObject(kc, ref)).toBe(false);
      expect(await getObject(kc, ref)).toBeUndefined();
    });
  });

  describe('events', () => {
    it('creates one Event, then bumps its count and lastTimestamp for a repeat', async () => {
      const cm = await applyObject(kc, configMap('evented', { a: '1' }), 'test');
      let t = Date.now();
      const recorder = new EventRecorder(kc, {
        component: 'clever-addon-operator',
        instance: 'test-pod',
        reasons: ['Synced', 'SyncFailed'] as const,
        now: () => t,
      });
      const first = await recorder.record(cm, 'Warning', 'SyncFailed', 'Clever API unavailable');
      expect(first?.count).toBe(1);
      t += 3_000;
      const second = await recorder.record(cm, 'Warning', 'SyncFailed', 'Clever API unavailable');
      await recorder.record(cm, 'Normal', 'Synced', 'add-on ready');

      const events = await client.request<ObjectList<CoreEvent>>('GET', `/api/v1/namespaces/${namespace}/events`, {
        query: { fieldSelector: `involvedObject.uid=${cm.metadata?.uid}` },
      });
      expect(events.items).toHaveLength(2);
      const failed = events.items.find((e) => e.reason === 'SyncFailed')!;
      expect(failed.metadata?.name).toBe(first?.metadata?.name);
      expect(second?.metadata?.name).toBe(first?.metadata?.name);
      expect(failed).toMatchObject({
        type: 'Warning',
        count: 2,
        message: 'Clever API unavailable',
        reportingComponent: 'clever-addon-operator',
        reportingInstance: 'test-pod',
        source: { component: 'clever-addon-operator', host: 'test-pod' },
        involvedObject: {
          kind: 'ConfigMap',
          name: 'evented',
          uid: cm.metadata?.uid,
          resourceVersion: cm.metadata?.resourceVersion,
        },
      });
      expect(Date.parse(failed.lastTimestamp!) - Date.parse(failed.firstTimestamp!)).toBe(3_000);
    });
  });

  describe('controller loop', () => {
    it('informer -> queue -> workers reconcile real objects, then shut down gracefully', async () => {
      const informer = track(
        Informer.forResource<ConfigMap>(kc, {
          group: '',
          version: 'v1',
          plural: 'configmaps',
          namespace,
          labelSelector: 'loop=yes',
        }),
      );
      const queue = new WorkQueue({ name: 'loop' });
      const enqueue = (o: KubeObject) => queue.add(objectKey(o));
      informer
        .onAdd(enqueue)
        .onUpdate((_, o) => enqueue(o))
        .onDelete(enqueue);
      informer.start();
      await informer.waitForSync(10_000);
      const reconciled: string[] = [];
      let conflictsLeft = 1;
      const workers = runWorkers(queue, 2, async (key) => {
        const { namespace: ns, name } = splitKey(key);
        const cm = informer.get(key);
        if (!cm) return;
        if (cm.data?.seen === 'true') return;
        if (conflictsLeft-- > 0) throw new ConflictError('simulated stale read');
        reconciled.push(name);
        // Write back through the API with the cached resourceVersion, as a real reconciler would.
        await updateWithResourceVersion(kc, {
          ...cm,
          metadata: { ...cm.metadata, namespace: ns },
          data: { ...cm.data, seen: 'true' },
        });
      });
      for (const n of ['l1', 'l2', 'l3'])
        await applyObject(kc, configMap(n, { seen: 'false' }, { loop: 'yes' }), 'test');
      await eventually(
        () =>
          ['l1', 'l2', 'l3'].every((n) => informer.get(`${namespace}/${n}`)?.data?.seen === 'true') ? true : undefined,
        15_000,
        'all reconciled',
      );
      expect([...reconciled].sort()).toEqual(['l1', 'l2', 'l3']);
      const result = await gracefulShutdown({
        queues: [queue],
        informers: [informer],
        workers: [workers],
        deadlineMs: 5_000,
      });
      expect(result.timedOut).toBe(false);
    });
  });

  describe('leader election', () => {
    // Short timings keep the tests fast; the protocol is the same as with 15/10/2 s.
    const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 };
    const electors: LeaderElector[] = [];
    const candidate = (
      lease: string,
      identity: string,
      extra: Partial<LeaderElectorOptions> = {},
      via: KubeClient = client,
    ) => {
      const events: string[] = [];
      const elector = new LeaderElector(via, {
        namespace,
        name: lease,
        identity,
        ...timings,
        onStartedLeading: () => events.push('started'),
        onStoppedLeading: () => events.push('stopped'),
        ...extra,
      });
      electors.push(elector);
      void elector.run();
      return { elector, events };
    };
    const readLease = (lease: string) =>
      client.request<Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${lease}`);

    afterAll(async () => {
      await Promise.all(electors.map((e) => e.stop()));
    });

    it('two candidates on one Lease: exactly one leads, and the Lease names it', async () => {
      const registry = new Registry();
      const a = candidate('two', 'cand-a', { registry });
      const b = candidate('two', 'cand-b', { registry });
      const leader = await eventually(
        () => (a.elector.isLeader() ? a : b.elector.isLeader() ? b : undefined),
        10_000,
        'a leader',
      );
      const standby = leader === a ? b : a;
      // Watch for a while: never two leaders, the standby keeps standing by while the leader renews.
      const deadline = Date.now() + 4_000;
      while (Date.now() < deadline) {
        expect(a.elector.isLeader() && b.elector.isLeader()).toBe(false);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(leader.elector.isLeader()).toBe(true);
      expect(standby.elector.isLeader()).toBe(false);
      expect(standby.events).toEqual([]);
      expect(standby.elector.leader()).toBe(leader.elector.identity);
      const lease = await readLease('two');
      expect(lease.spec?.holderIdentity).toBe(leader.elector.identity);
      expect(lease.spec?.leaseDurationSeconds).toBe(3);
      expect(lease.spec?.renewTime).toMatch(/\.\d{6}Z$/);
      const text = await registry.metrics();
      expect(text).toContain('leader_election_master_status{name="two"} 1');
    });

    it('when the leader releases, the standby takes over quickly (well before the lease would expire)', async () => {
      const a = candidate('release', 'rel-a');
      await eventually(() => (a.elector.isLeader() ? true : undefined), 10_000, 'a leads');
      const b = candidate('release', 'rel-b');
      await new Promise((r) => setTimeout(r, 1_000)); // b has observed a's renewals
      expect(b.elector.isLeader()).toBe(false);
      const released = Date.now();
      await a.elector.release();
      expect((await readLease('release')).spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
      await eventually(() => (b.elector.isLeader() ? true : undefined), 10_000, 'b takes over');
      expect(Date.now() - released).toBeLessThan(timings.leaseDurationMs);
      expect(a.events).toEqual(['started']); // a voluntary release is not a loss
      const lease = await readLease('release');
      expect(lease.spec?.holderIdentity).toBe('rel-b');
      expect(lease.spec?.leaseTransitions).toBe(1);
    });

    it('when the leader cannot renew, it steps down and the standby takes over only after the lease expires', async () => {
      // The leader's API access breaks (network partition): its requests fail from now on.
      class PartitionedClient extends KubeClient {
        partitioned = false;
        override request<T>(method: Parameters<KubeClient['request']>[0], path: string, options?: RequestOptions) {
          if (this.partitioned) return Promise.reject(new Error('connect ETIMEDOUT (simulated partition)'));
          return super.request<T>(method, path, options);
        }
      }
      const partitioned = new PartitionedClient(kc);
      const a = candidate('expiry', 'exp-a', {}, partitioned);
      await eventually(() => (a.elector.isLeader() ? true : undefined), 10_000, 'a leads');
      const b = candidate('expiry', 'exp-b');
      await new Promise((r) => setTimeout(r, 1_000));
      const lastRenewal = Date.parse((await readLease('expiry')).spec!.renewTime!);
      partitioned.partitioned = true;
      const cut = Date.now();

      await eventually(() => (a.events.includes('stopped') ? true : undefined), 10_000, 'a steps down');
      const steppedDown = Date.now();
      expect(a.elector.isLeader()).toBe(false);
      await eventually(() => (b.elector.isLeader() ? true : undefined), 15_000, 'b takes over');
      const tookOver = Date.now();
      // a stops within its renew deadline; b never starts before a's lease could have expired.
      expect(steppedDown - cut).toBeLessThanOrEqual(timings.renewDeadlineMs + timings.retryPeriodMs + 500);
      expect(tookOver).toBeGreaterThanOrEqual(lastRenewal + timings.leaseDurationMs);
      expect(steppedDown).toBeLessThan(tookOver);
      expect((await readLease('expiry')).spec?.holderIdentity).toBe('exp-b');
    });
  });
});
