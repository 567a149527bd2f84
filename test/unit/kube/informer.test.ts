import * as k8s from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Informer, LAST_APPLIED_ANNOTATION, trimObject } from '../../../src/kube/informer.ts';
import type { ListPage, ListWatcher } from '../../../src/kube/listwatch.ts';
import type { KubeObject, WatchEvent } from '../../../src/kube/types.ts';

const obj = (name: string, rv: string, ns = 'ns'): KubeObject => ({
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, resourceVersion: rv },
});

interface OpenWatch {
  resourceVersion: string;
  timeoutSeconds: number;
  emit(event: WatchEvent): void;
  end(): void;
  fail(err: unknown): void;
  aborted: boolean;
}

/** A scripted API server: list responses are queued by the test; watches stay open until the test ends them. */
class FakeSource implements ListWatcher<KubeObject> {
  readonly description = 'configmaps in ns';
  lists: (ListPage<KubeObject> | Error)[] = [];
  listCalls: { continue?: string }[] = [];
  watches: OpenWatch[] = [];

  list(options: { continue?: string }): Promise<ListPage<KubeObject>> {
    this.listCalls.push({ continue: options.continue });
    const next = this.lists.shift();
    if (!next) return Promise.reject(new Error('no scripted list response'));
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }

  watch(
    options: { resourceVersion: string; timeoutSeconds: number; signal: AbortSignal },
    onEvent: (event: WatchEvent) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: OpenWatch = {
        resourceVersion: options.resourceVersion,
        timeoutSeconds: options.timeoutSeconds,
        aborted: false,
        emit: (event) => {
          try {
            onEvent(event);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
        end: () => resolve(),
        fail: (err) => reject(err instanceof Error ? err : new Error(String(err))),
      };
      options.signal.addEventListener('abort', () => {
        w.aborted = true;
        reject(new Error('aborted'));
      });
      this.watches.push(w);
    });
  }

  get current(): OpenWatch {
    const w = this.watches.at(-1);
    if (!w) throw new Error('no watch open');
    return w;
  }
}

function recorder(informer: Informer<KubeObject>): string[] {
  const log: string[] = [];
  informer
    .onAdd((o) => log.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`))
    .onUpdate((a, b) =>
      log.push(`update ${b.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    )
    .onDelete((o) => log.push(`delete ${o.metadata?.name}`));
  return log;
}

const tick = () => vi.advanceTimersByTimeAsync(0);
const backoff = { baseMs: 1000, maxMs: 30_000 };

describe('Informer', () => {
  let source: FakeSource;
  let informer: Informer<KubeObject>;

  beforeEach(() => {
    vi.useFakeTimers();
    source = new FakeSource();
  });
  afterEach(async () => {
    await informer.stop();
    vi.useRealTimers();
  });

  it('lists, emits adds, syncs, then watches from the list resourceVersion with a jittered timeout', async () => {
    informer = new Informer(source, { backoff, random: () => 0.5 });
    const log = recorder(informer);
    source.lists.push({ items: [obj('a', '5'), obj('b', '6')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await tick();
    expect(informer.hasSynced()).toBe(true);
    expect(log).toEqual(['add a@5', 'add b@6']);
    expect(informer.get('ns/a')?.metadata?.resourceVersion).toBe('5');
    expect(informer.keys().sort()).toEqual(['ns/a', 'ns/b']);
    expect(source.current.resourceVersion).toBe('10');
    expect(source.current.timeoutSeconds).toBe(450);
  });

  it('keeps watch timeouts between 5 and 10 minutes', async () => {
    for (const r of [0, 1]) {
      source = new FakeSource();
      informer = new Informer(source, { random: () => r });
      source.lists.push({ items: [], resourceVersion: '1' });
      informer.start();
      await tick();
      expect(source.current.timeoutSeconds).toBeGreaterThanOrEqual(300);
      expect(source.current.timeoutSeconds).toBeLessThanOrEqual(600);
      await informer.stop();
    }
  });

  it('applies watch events to the cache and emits only real changes', async () => {
    informer = new Informer(source, { backoff });
    const log = recorder(informer);
    source.lists.push({ items: [obj('a', '5')], resourceVersion: '10' });
    informer.start();
    await tick();
    source.current.emit({ type: 'ADDED', object: obj('b', '11') });
    source.current.emit({ type: 'MODIFIED', object: obj('a', '12') });
    source.current.emit({ type: 'MODIFIED', object: obj('a', '12') }); // same version: no event
    source.current.emit({ type: 'ADDED', object: obj('a', '12') }); // known object, same version: no event
    source.current.emit({ type: 'BOOKMARK', object: { kind: 'ConfigMap', metadata: { resourceVersion: '20' } } });
    source.current.emit({ type: 'DELETED', object: obj('b', '21') });
    source.current.emit({ type: 'DELETED', object: obj('zzz', '22') }); // unknown: nothing to delete
    expect(log).toEqual(['add a@5', 'add b@11', 'update a 5->12', 'delete b']);
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['a']);
    expect(informer.resourceVersion()).toBe('22');
    expect(informer.stats().events).toBe(7);
    // The server ends the watch normally (its timeout): reconnect from the last version, no relist.
    source.current.end();
    await tick();
    expect(source.watches).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('22');
    expect(informer.stats().relists).toBe(1);
  });

  it('relists on a 410 ERROR event and diffs the cache: no re-emit of unchanged objects, deletions computed', async () => {
    informer = new Informer(source, { backoff });
    const log = recorder(informer);
    source.lists.push({ items: [obj('keep', '1'), obj('change', '2'), obj('gone', '3')], resourceVersion: '10' });
    informer.start();
    await tick();
    log.length = 0;
    source.lists.push({ items: [obj('keep', '1'), obj('change', '7'), obj('new', '8')], resourceVersion: '50' });
    source.current.emit({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
    });
    await tick();
    expect(log.sort()).toEqual(['add new@8', 'delete gone', 'update change 2->7']);
    expect(informer.stats().relists).toBe(2);
    expect(source.current.resourceVersion).toBe('50');
    expect(informer.keys().sort()).toEqual(['ns/change', 'ns/keep', 'ns/new']);
  });

  it('treats a non-410 ERROR event as a watch failure: backoff and rewatch from the last version, no relist', async () => {
    informer = new Informer(source, { backoff, random: () => 1 });
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await tick();
    source.current.emit({ type: 'ADDED', object: obj('a', '11') });
    source.current.emit({ type: 'ERROR', object: { kind: 'Status', code: 500, message: 'etcd leader changed' } });
    await vi.advanceTimersByTimeAsync(999);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('11');
    expect(informer.stats()).toMatchObject({ relists: 1, restarts: 1 });
  });

  it('relists when the watch request itself fails with HTTP 410', async () => {
    informer = new Informer(source, { backoff });
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await tick();
    source.lists.push({ items: [obj('x', '60')], resourceVersion: '60' });
    source.current.fail(new k8s.ApiException(410, 'Gone', '{"code":410}', {}));
    await tick();
    expect(informer.stats().relists).toBe(2);
    expect(informer.get('ns/x')).toBeDefined();
    expect(source.current.resourceVersion).toBe('60');
  });

  it('reconnects after any other error with jittered exponential backoff, from the last resourceVersion', async () => {
    informer = new Informer(source, { backoff, random: () => 1 });
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await tick();
    source.current.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await vi.advanceTimersByTimeAsync(999);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(2);
    source.current.fail(new k8s.ApiException(500, 'boom', '{}', {}));
    await vi.advanceTimersByTimeAsync(1999);
    expect(source.watches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(3);
    expect(source.current.resourceVersion).toBe('10');
    expect(informer.stats()).toMatchObject({ restarts: 2, relists: 1 });
    // An event resets the backoff.
    source.current.emit({ type: 'ADDED', object: obj('a', '11') });
    source.current.fail(new Error('socket hang up'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.watches).toHaveLength(4);
    expect(source.current.resourceVersion).toBe('11');
  });

  it('retries a failed LIST with backoff and only syncs once it succeeds', async () => {
    informer = new Informer(source, { backoff, random: () => 1 });
    source.lists.push(new Error('connect ECONNREFUSED'), new k8s.ApiException(503, 'unavailable', '{}', {}));
    source.lists.push({ items: [obj('a', '1')], resourceVersion: '3' });
    informer.start();
    await tick();
    expect(informer.hasSynced()).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(informer.hasSynced()).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(informer.hasSynced()).toBe(true);
    expect(source.listCalls).toHaveLength(3);
  });

  it('waitForSync rejects after its timeout', async () => {
    informer = new Informer(source, { backoff });
    source.lists.push(new Error('down'));
    informer.start();
    const wait = informer.waitForSync(500);
    const assertion = expect(wait).rejects.toThrow(/not synced after 500 ms/);
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
  });

  it('restarts a watch that stays silent past the watchdog threshold; bookmarks count as activity', async () => {
    informer = new Informer(source, { backoff, watchdogMs: 60_000 });
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await tick();
    await vi.advanceTimersByTimeAsync(50_000);
    source.current.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(source.watches[0]?.aborted).toBe(true);
    expect(source.watches).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('15');
    expect(informer.stats()).toMatchObject({ watchdogRestarts: 1, restarts: 1, relists: 1 });
  });

  it('relists periodically when resync is enabled', async () => {
    informer = new Informer(source, { backoff, resyncMs: 600_000, random: () => 0.5 });
    const log = recorder(informer);
    source.lists.push({ items: [obj('a', '1')], resourceVersion: '10' });
    source.lists.push({ items: [obj('a', '1')], resourceVersion: '90' });
    informer.start();
    await tick();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(informer.stats().relists).toBe(2);
    expect(log).toEqual(['add a@1']);
    expect(source.current.resourceVersion).toBe('90');
  });

  it('restarts a paged LIST whose continue token expired', async () => {
    informer = new Informer(source, { backoff, pageSize: 1 });
    source.lists.push({ items: [obj('a', '1')], resourceVersion: '10', continue: 'tok' });
    source.lists.push(new k8s.ApiException(410, 'expired continue', '{}', {}));
    source.lists.push({ items: [obj('a', '1')], resourceVersion: '12', continue: 'tok2' });
    source.lists.push({ items: [obj('b', '2')], resourceVersion: '12' });
    informer.start();
    await tick();
    expect(source.listCalls.map((c) => c.continue)).toEqual([undefined, 'tok', undefined, 'tok2']);
    expect(informer.keys().sort()).toEqual(['ns/a', 'ns/b']);
    expect(source.current.resourceVersion).toBe('12');
  });

  it('trims every object before caching it: managedFields and the last-applied annotation, list and watch alike', async () => {
    informer = new Informer(source, { backoff });
    const seen: KubeObject[] = [];
    informer.onAdd((o) => seen.push(o)).onUpdate((_a, b) => seen.push(b));
    const heavy = (name: string, rv: string): KubeObject => ({
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: 'ns',
        resourceVersion: rv,
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', keep: 'me' },
      },
    });
    source.lists.push({ items: [heavy('a', '1')], resourceVersion: '1' });
    informer.start();
    await informer.waitForSync();
    await tick();
    source.current.emit({ type: 'MODIFIED', object: heavy('a', '2') });
    for (const o of [informer.get('ns/a')!, ...seen]) {
      expect(o.metadata?.managedFields).toBeUndefined();
      expect(o.metadata?.annotations).toEqual({ keep: 'me' });
    }
    expect(seen).toHaveLength(2);
    // An annotation map left empty is dropped rather than kept as {}.
    expect(trimObject(heavy('b', '1')).metadata?.annotations).toEqual({ keep: 'me' });
    const only = { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } } };
    expect(trimObject(only).metadata).toEqual({});
  });

  it('a custom transform replaces the default, and a relist keeps the cached instance of an unchanged object', async () => {
    const transform = vi.fn((o: KubeObject) => ({ ...o, kind: 'Trimmed' }));
    informer = new Informer(source, { backoff, transform });
    source.lists.push({ items: [obj('a', '1'), obj('b', '1')], resourceVersion: '1' });
    informer.start();
    await informer.waitForSync();
    await tick();
    const cachedA = informer.get('ns/a');
    expect(cachedA?.kind).toBe('Trimmed');
    source.lists.push({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '3' });
    informer.relist();
    await tick();
    await tick();
    expect(informer.get('ns/a')).toBe(cachedA);
    expect(informer.get('ns/b')?.metadata?.resourceVersion).toBe('2');
    // a@1 was not transformed twice: the cached one was kept.
    expect(transform).toHaveBeenCalledTimes(3);
  });

  it('survives a throwing handler', async () => {
    informer = new Informer(source, { backoff });
    const seen: string[] = [];
    informer.onAdd(() => {
      throw new Error('handler bug');
    });
    informer.onAdd((o) => seen.push(o.metadata?.name ?? ''));
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await tick();
    source.current.emit({ type: 'ADDED', object: obj('a', '11') });
    source.current.emit({ type: 'ADDED', object: obj('b', '12') });
    expect(seen).toEqual(['a', 'b']);
    expect(source.watches).toHaveLength(1);
  });

  it('stop aborts the in-flight watch and ends the loop', async () => {
    informer = new Informer(source, { backoff });
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await tick();
    await informer.stop();
    expect(source.watches[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.watches).toHaveLength(1);
  });
});
