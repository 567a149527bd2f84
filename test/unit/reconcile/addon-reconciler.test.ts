// The add-on reconciler driven end to end with a fake external client and a fake Kubernetes writer: no control
// plane, no Clever Cloud. Each pass is what the work queue would run for the resource's key.
import { beforeEach, describe, expect, it } from 'vitest';
import redis from '../../../providers/redis.ts';
import { OutcomeUnknownError, RetryableError, TerminalError } from '../../../src/clever/index.ts';
import { silentLogger } from '../../../src/log.ts';
import type { ProviderDefinition } from '../../../src/model/provider.ts';
import { AddonReconciler } from '../../../src/reconcile/addon/reconciler.ts';
import type { AddonResource } from '../../../src/reconcile/addon/types.ts';
import { ANNOTATIONS, addonName } from '../../../src/reconcile/names.ts';
import { ENV, FakeClever, FakeKube, type Journal } from './fakes/addon.ts';

// Redis without a requested version: the catalogue's version view is not needed here.
const def: ProviderDefinition = { ...redis, requestedVersion: undefined };
const UID = 'uid-cache';
const KEY = 'ns/cache-secrets';
const T0 = Date.parse('2026-01-01T12:00:00Z');
const ctx = { signal: new AbortController().signal, logger: silentLogger };

function resource(extra: { spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): AddonResource {
  return {
    apiVersion: 'api.clever-cloud.com/v1',
    kind: 'Redis',
    metadata: {
      name: 'cache',
      namespace: 'ns',
      uid: UID,
      generation: 1,
      creationTimestamp: '2026-01-01T11:00:00Z',
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: { instance: { plan: 's', region: 'par' }, ...extra.spec },
  };
}

let journal: Journal;
let kube: FakeKube;
let clever: FakeClever;
let events: { type: string; reason: string; message: string }[];
let clock: number;
let reconciler: AddonReconciler;

function setup(res: AddonResource, options: { workloadRollouts?: boolean } = {}): void {
  journal = [];
  kube = new FakeKube(res, journal);
  clever = new FakeClever(journal);
  events = [];
  clock = T0;
  reconciler = new AddonReconciler({
    definition: def,
    kube,
    clever,
    // The informer cache, always up to date here.
    resources: {
      get: (key) => (key === KEY ? structuredClone(kube.resource) : undefined),
      list: () => [kube.resource],
    },
    events: { emit: (_obj, type, reason, message) => events.push({ type, reason, message }) },
    now: () => new Date(clock),
    createGraceMs: 60_000,
    ...options,
  });
}

const pass = () => reconciler.reconcile(KEY, ctx);
const creates = () => journal.filter((j) => j === 'clever.create').length;
const condition = (type: string) => kube.resource.status?.conditions?.find((c) => c.type === type);
const pending = () => kube.resource.metadata?.annotations?.[ANNOTATIONS.createPending];

describe('AddonReconciler with fakes', () => {
  beforeEach(() => setup(resource()));

  it('first pass: finalizer, intent recorded before the one create, result recorded, Secret applied', async () => {
    const result = await pass();
    expect(creates()).toBe(1);
    const intent = journal.indexOf(`kube.patch add /metadata/annotations`);
    const create = journal.indexOf('clever.create');
    expect(journal.indexOf('kube.ensureFinalizer api.clever-cloud.com/redis')).toBeLessThan(intent);
    expect(intent).toBeGreaterThan(-1);
    expect(intent).toBeLessThan(create);
    // The intent is guarded by the resourceVersion the pass saw.
    expect(journal[intent - 1]).toBe('kube.patch test /metadata/resourceVersion');
    // Result recorded at once (a status write) before the intent is cleared.
    expect(journal.indexOf('kube.patchStatus')).toBeGreaterThan(create);
    expect(journal.indexOf('kube.patchStatus')).toBeLessThan(
      journal.lastIndexOf('kube.patch remove /metadata/annotations/clever-cloud.com~1create-pending'),
    );
    expect(pending()).toBeUndefined();
    const [addon] = clever.addons.values();
    expect(addon?.name).toBe(addonName('Redis', UID));
    expect(kube.resource.status).toMatchObject({
      addonId: addon?.id,
      addon: addon?.id,
      phase: 'Ready',
      binding: { name: 'cache-secrets' },
    });
    expect(condition('Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition('Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
    expect(kube.secrets.get('ns/cache-secrets')?.data).toBeDefined();
    expect(events.map((e) => e.reason)).toEqual(['Created']);
    expect(result).toMatchObject({ requeueAfterMs: expect.any(Number) as number });

    // The next pass finds it by status id and creates nothing.
    await pass();
    expect(creates()).toBe(1);
    expect(journal).toContain(`clever.byId ${addon?.id}`);
  });

  it('a lost create answer does not create twice inside the grace, then the add-on surfaces', async () => {
    clever.failCreate = {
      error: new OutcomeUnknownError('timeout', { method: 'POST', route: 'create' }),
      commit: false,
    };
    const first = await pass();
    expect(creates()).toBe(1);
    expect(first).toEqual({ requeueAfterMs: 3_000 });
    expect(pending()).toBe(new Date(T0).toISOString());
    expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'Creating' });
    expect(condition('Synced')).toMatchObject({ status: 'False', reason: 'CleverApiUnavailable' });

    for (const after of [1_000, 30_000, 59_000]) {
      clock = T0 + after;
      const waiting = await pass();
      expect(creates()).toBe(1);
      expect(waiting).toEqual({ requeueAfterMs: Math.min(3_000, Math.max(500, 60_000 - after)) });
      expect(condition('Ready')).toMatchObject({ reason: 'Creating' });
    }

    // Clever committed it after all: it surfaces by name, is used, and the intent goes.
    clever.add(addonName('Redis', UID));
    clock = T0 + 59_500;
    await pass();
    expect(creates()).toBe(1);
    expect(pending()).toBeUndefined();
    expect(condition('Ready')).toMatchObject({ status: 'True' });
  });

  it('a create that never surfaces is made again only after the grace', async () => {
    clever.failCreate = {
      error: new OutcomeUnknownError('timeout', { method: 'POST', route: 'create' }),
      commit: false,
    };
    await pass();
    clock = T0 + 61_000;
    await pass();
    expect(creates()).toBe(2);
    expect(clever.addons.size).toBe(1);
    expect(pending()).toBeUndefined();
  });

  it('a create Clever refused clears the intent at once and says CreateFailed', async () => {
    clever.failCreate = {
      error: new TerminalError('plan refused', { method: 'POST', route: 'create' }),
      commit: false,
    };
    await pass();
    expect(pending()).toBeUndefined();
    expect(condition('Synced')).toMatchObject({ status: 'False', reason: 'CreateFailed', message: 'plan refused' });
    expect(kube.resource.status?.phase).toBe('Failed');
    expect(events.map((e) => e.reason)).toEqual(['CreateFailed']);
  });

  it('a bound resource gets its Secret applied, and only when it differs', async () => {
    const existing = clever.add('made-elsewhere');
    setup(resource());
    clever.addons.set(existing.id, existing);
    kube.resource.status = { addonId: existing.id, addon: existing.id, organisation: 'orga_test' };
    await pass();
    expect(creates()).toBe(0);
    const secret = kube.secrets.get('ns/cache-secrets');
    expect(secret?.metadata?.ownerReferences?.[0]).toMatchObject({ uid: UID, controller: true });
    expect(JSON.stringify(secret)).toContain(Buffer.from(ENV.REDIS_HOST).toString('base64'));
    expect(journal.filter((j) => j.startsWith('kube.applySecret'))).toHaveLength(1);
    await pass();
    expect(journal.filter((j) => j.startsWith('kube.applySecret'))).toHaveLength(1);
  });

  it('while Clever is unreachable, a deleted Secret is put back from its last known content', async () => {
    await pass();
    const bound = kube.secrets.get('ns/cache-secrets');
    kube.secrets.delete('ns/cache-secrets');
    clever.down = new RetryableError('503', { method: 'GET', route: 'addon' });
    await expect(pass()).rejects.toThrow('503');
    expect(kube.secrets.get('ns/cache-secrets')).toEqual(bound);
    expect(events.at(-1)).toMatchObject({ reason: 'SecretRestored' });
    expect(condition('Synced')).toMatchObject({ status: 'False', reason: 'CleverApiUnavailable' });
  });

  describe('spec.secret.rolloutRestart', () => {
    const rollout = () => resource({ spec: { secret: { rolloutRestart: [{ kind: 'Deployment', name: 'web' }] } } });

    it('off at install (the default): Secret bound, no workload touched, Synced False RolloutsDisabled, one Warning', async () => {
      setup(rollout());
      await pass();
      expect(kube.secrets.get('ns/cache-secrets')?.data).toBeDefined();
      expect(journal.filter((j) => j.startsWith('kube.rolloutRestart'))).toEqual([]);
      expect(condition('Ready')).toMatchObject({ status: 'True', reason: 'Available' });
      expect(condition('Synced')).toMatchObject({ status: 'False', reason: 'RolloutsDisabled' });
      expect(condition('Synced')?.message).toContain('Deployment/web');
      expect(condition('Synced')?.message).toContain('rbac.workloadRollouts');
      await pass();
      expect(events.filter((e) => e.reason === 'RolloutsDisabled')).toEqual([
        expect.objectContaining({ type: 'Warning' }),
      ]);
    });

    it('on: the listed workload is restarted and Synced is True', async () => {
      setup(rollout(), { workloadRollouts: true });
      await pass();
      expect(journal).toContain('kube.rolloutRestart Deployment/web');
      expect(condition('Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
    });
  });

  it('paused: no Clever call at all', async () => {
    setup(resource({ annotations: { [ANNOTATIONS.paused]: 'true' } }));
    expect(await pass()).toEqual({});
    expect(journal.filter((j) => j.startsWith('clever.'))).toEqual([]);
    expect(condition('Synced')).toMatchObject({ reason: 'Paused' });
  });

  describe('deletion', () => {
    async function deleteWith(policy: 'Delete' | 'Orphan') {
      setup(resource({ spec: { deletionPolicy: policy } }));
      await pass();
      kube.resource.metadata = { ...kube.resource.metadata, deletionTimestamp: new Date(T0).toISOString() };
      journal.length = 0;
      events.length = 0;
      return pass();
    }

    it('policy Orphan makes no Clever call, keeps the add-on and removes the finalizer', async () => {
      await deleteWith('Orphan');
      expect(journal.filter((j) => j.startsWith('clever.'))).toEqual([]);
      expect(clever.addons.size).toBe(1);
      expect(kube.resource.metadata?.finalizers).toEqual([]);
      expect(events.map((e) => e.reason)).toEqual(['Orphaned']);
      expect(kube.secrets.size).toBe(0);
    });

    it('policy Delete deletes the recorded add-on, confirms it is gone, then removes the finalizer', async () => {
      await deleteWith('Delete');
      const id = [...journal].find((j) => j.startsWith('clever.delete'));
      expect(id).toMatch(/^clever\.delete addon_/);
      expect(clever.addons.size).toBe(0);
      expect(journal.indexOf('kube.removeFinalizer api.clever-cloud.com/redis')).toBeGreaterThan(journal.indexOf(id!));
      expect(events.map((e) => e.reason)).toEqual(['Deleted']);
    });

    it('policy Delete waits out a fresh create intent before letting go', async () => {
      setup(resource());
      kube.resource.metadata = {
        ...kube.resource.metadata,
        finalizers: [def.finalizer],
        deletionTimestamp: new Date(T0).toISOString(),
        annotations: { [ANNOTATIONS.createPending]: new Date(T0 - 1_000).toISOString() },
      };
      expect(await pass()).toEqual({ requeueAfterMs: 3_000 });
      expect(kube.resource.metadata?.finalizers).toEqual([def.finalizer]);
      expect(condition('Ready')).toMatchObject({ reason: 'Deleting' });
      clock = T0 + 60_000;
      expect(await pass()).toEqual({});
      expect(kube.resource.metadata?.finalizers).toEqual([]);
      expect(journal.some((j) => j.startsWith('clever.delete'))).toBe(false);
    });
  });
});
