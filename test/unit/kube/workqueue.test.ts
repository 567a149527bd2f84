import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../../src/util/token-bucket.ts';
import { WorkQueue } from '../../../src/kube/workqueue.ts';

/** mulberry32: a tiny seeded PRNG, so backoff jitter is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves a promise's state without waiting for it. */
async function settled<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let state: { done: boolean; value?: T } = { done: false };
  void p.then((value) => (state = { done: true, value }));
  await Promise.resolve();
  await Promise.resolve();
  return state;
}

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('deduplicates keys that are waiting', async () => {
    const q = new WorkQueue({ name: 'dedup' });
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
  });

  it('never hands out a key that is being processed; a re-add during processing is deferred until done', async () => {
    const q = new WorkQueue({ name: 'inflight' });
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    const next = q.get();
    expect((await settled(next)).done).toBe(false);
    q.done('a');
    expect(await next).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('hands out keys added now before keys whose delay ended, FIFO within each lane', async () => {
    const q = new WorkQueue({ name: 'lanes' });
    q.addAfter('drift-1', 0);
    q.addAfter('drift-2', 10);
    vi.advanceTimersByTime(10);
    q.add('event-1');
    q.add('event-2');
    expect(q.len()).toBe(4);
    const order = [];
    for (let i = 0; i < 4; i++) order.push(await q.get());
    expect(order).toEqual(['event-1', 'event-2', 'drift-1', 'drift-2']);
    expect(q.len()).toBe(0);
  });

  it('moves a waiting scheduled key up when an event adds it, and hands it out once', async () => {
    const q = new WorkQueue({ name: 'promote' });
    for (const k of ['d1', 'd2', 'd3']) q.addAfter(k, 0);
    q.add('d3');
    expect(q.len()).toBe(3);
    expect(await q.get()).toBe('d3');
    expect(await q.get()).toBe('d1');
    expect(await q.get()).toBe('d2');
    expect(q.len()).toBe(0);
    // The stale entry of d3 in the scheduled lane is never handed out.
    expect((await settled(q.get())).done).toBe(false);
  });

  it('keeps the best lane asked for by the adds made while a key was processed', async () => {
    const q = new WorkQueue({ name: 'deferred-lane' });
    q.add('a');
    expect(await q.get()).toBe('a');
    q.addAfter('a', 0);
    q.add('a');
    q.addAfter('b', 0);
    q.done('a');
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('remembers the lane each key being processed was taken from, until done', async () => {
    const q = new WorkQueue({ name: 'lane-of' });
    q.addAfter('drift', 0);
    q.addAfter('promoted', 0);
    q.add('promoted');
    q.add('event');
    const waiting = q.get();
    expect(await waiting).toBe('promoted');
    expect(q.laneOf('promoted')).toBe('event');
    expect(await q.get()).toBe('event');
    expect(await q.get()).toBe('drift');
    expect(q.laneOf('drift')).toBe('scheduled');
    q.done('drift');
    expect(q.laneOf('drift')).toBeUndefined();
    // Handed straight to a waiting worker: the lane of the add.
    const direct = q.get();
    q.addAfter('late', 0);
    expect(await direct).toBe('late');
    expect(q.laneOf('late')).toBe('scheduled');
  });

  it('does not re-queue a key on done when nobody re-added it', async () => {
    const q = new WorkQueue({ name: 'clean' });
    q.add('a');
    await q.get();
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('hands a key to a waiting worker immediately', async () => {
    const q = new WorkQueue({ name: 'waiter' });
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
    expect(q.inFlight()).toBe(1);
  });

  it('backs off per attempt exponentially with jitter (1 s base, 5 min cap), reproducibly with a seeded random', () => {
    const delays = (seed: number) => {
      const q = new WorkQueue({ name: `backoff-${seed}`, random: seeded(seed) });
      return Array.from({ length: 12 }, () => q.addRateLimited('k'));
    };
    const a = delays(42);
    expect(delays(42)).toEqual(a);
    expect(delays(7)).not.toEqual(a);
    a.forEach((d, attempt) => {
      const exp = Math.min(300_000, 1000 * 2 ** attempt);
      expect(d).toBeGreaterThanOrEqual(exp / 2);
      expect(d).toBeLessThanOrEqual(exp);
    });
    expect(a[11]).toBeGreaterThanOrEqual(150_000);
  });

  it('delivers a rate-limited key exactly when its backoff ends, and counts requeues', async () => {
    const q = new WorkQueue({ name: 'delay', random: () => 0.5 });
    expect(q.addRateLimited('k')).toBe(750);
    expect(q.numRequeues('k')).toBe(1);
    vi.advanceTimersByTime(749);
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('k');
    q.done('k');
    expect(q.addRateLimited('k')).toBe(1500);
    expect(q.addRateLimited('k')).toBe(3000);
    expect(q.numRequeues('k')).toBe(3);
  });

  it('forget resets the backoff of one key only', () => {
    const q = new WorkQueue({ name: 'forget', random: () => 1 });
    q.addRateLimited('a');
    q.addRateLimited('a');
    q.addRateLimited('b');
    expect(q.addRateLimited('a')).toBe(4000);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(1000);
    expect(q.numRequeues('b')).toBe(1);
  });

  it('caps the per-key part with maxMs (conflict path)', () => {
    const q = new WorkQueue({ name: 'cap', random: () => 1 });
    for (let i = 0; i < 10; i++) q.addRateLimited('a');
    expect(q.addRateLimited('a', { maxMs: 5000 })).toBe(5000);
  });

  it('addAfter keeps the earliest due time', () => {
    const q = new WorkQueue({ name: 'after' });
    q.addAfter('late-then-early', 5000);
    q.addAfter('late-then-early', 1000);
    q.addAfter('early-then-late', 1000);
    q.addAfter('early-then-late', 5000);
    vi.advanceTimersByTime(999);
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(2);
    vi.advanceTimersByTime(10_000);
    // The later requests were dropped, not queued a second time.
    expect(q.len()).toBe(2);
  });

  it('addAfter with no delay adds now', () => {
    const q = new WorkQueue({ name: 'after0' });
    q.addAfter('a', 0);
    expect(q.len()).toBe(1);
  });

  it('paces rate-limited adds through the global token bucket', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, now: () => Date.now() });
    const q = new WorkQueue({ name: 'bucket', bucket, backoff: { baseMs: 1, maxMs: 1 }, random: () => 1 });
    const delays = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => q.addRateLimited(k));
    // Burst of 3 goes out with only the per-key 1 ms; then one every 500 ms.
    expect(delays).toEqual([1, 1, 1, 500, 1000, 1500]);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(3);
    vi.advanceTimersByTime(499);
    expect(q.len()).toBe(4);
    vi.advanceTimersByTime(1000);
    expect(q.len()).toBe(6);
  });

  it('shutdown stops handing out keys and ignores new adds', async () => {
    const q = new WorkQueue({ name: 'shutdown' });
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    q.addAfter('b', 10);
    q.addRateLimited('c');
    vi.advanceTimersByTime(10_000);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('shutdown cancels pending delayed adds and does not hand out queued keys', async () => {
    const q = new WorkQueue({ name: 'shutdown2' });
    q.add('queued');
    q.addAfter('later', 100);
    q.shutdown();
    vi.advanceTimersByTime(200);
    expect(await q.get()).toBeUndefined();
  });

  it('drain waits for in-flight keys to be done', async () => {
    const q = new WorkQueue({ name: 'drain' });
    q.add('a');
    q.add('b');
    await q.get();
    await q.get();
    const drained = q.drain();
    expect((await settled(drained)).done).toBe(false);
    q.done('a');
    expect((await settled(drained)).done).toBe(false);
    q.done('b');
    expect((await settled(drained)).done).toBe(true);
    // Re-added-while-processing keys are not re-queued during shutdown.
    expect(q.len()).toBe(0);
  });

  it('drain resolves at once when idle', async () => {
    const q = new WorkQueue({ name: 'drain-idle' });
    expect((await settled(q.drain())).done).toBe(true);
  });

  it('exports controller-runtime workqueue metrics', async () => {
    const registry = new Registry();
    const q = new WorkQueue({ name: 'm', registry });
    new WorkQueue({ name: 'other', registry }); // a second queue on the same registry must not clash
    q.add('a');
    q.add('a');
    q.add('b');
    await q.get();
    vi.advanceTimersByTime(2_000);
    q.addRateLimited('c');
    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="m"} 1');
    expect(text).toContain('workqueue_adds_total{name="m"} 2'); // deduplicated adds are not counted
    expect(text).toContain('workqueue_retries_total{name="m"} 1');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="m"} 2');
    expect(text).toContain('workqueue_unfinished_work_seconds{name="m"} 2');
    expect(text).toMatch(/workqueue_queue_duration_seconds_count\{name="m"\} 1/);
    q.done('a');
    expect(await registry.metrics()).toMatch(/workqueue_work_duration_seconds_sum\{name="m"\} 2\n/);
  });
});
