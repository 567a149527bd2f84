import * as k8s from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../src/log.ts';
import { runWorkers } from '../../../src/kube/controller.ts';
import { ConflictError } from '../../../src/kube/errors.ts';
import { WorkQueue } from '../../../src/kube/workqueue.ts';

/** Lets pending promise callbacks run (fake timers do not advance microtasks by themselves). */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('runWorkers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never reconciles one key concurrently, even with many workers and re-adds in flight', async () => {
    const q = new WorkQueue({ name: 'conc' });
    let active = 0;
    let maxActive = 0;
    const runs: string[] = [];
    const release: (() => void)[] = [];
    const done = runWorkers(q, 4, async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(key);
      await new Promise<void>((r) => release.push(r));
      active--;
    });
    q.add('a');
    await flush();
    q.add('a');
    q.add('a');
    q.add('b');
    await flush();
    expect(runs).toEqual(['a', 'b']);
    expect(maxActive).toBe(2);
    release.shift()!(); // finish the first 'a': the deferred re-add runs now
    await flush();
    expect(runs).toEqual(['a', 'b', 'a']);
    while (release.length) {
      release.shift()!();
      await flush();
    }
    q.shutdown();
    await done;
    expect(runs).toEqual(['a', 'b', 'a']);
    expect(maxActive).toBe(2);
  });

  it('requeues a failing key with backoff, then forgets it on success', async () => {
    const registry = new Registry();
    const q = new WorkQueue({ name: 'retry', random: () => 1 });
    let calls = 0;
    const done = runWorkers(
      q,
      1,
      () => {
        calls++;
        if (calls < 3) return Promise.reject(new Error('boom'));
        return Promise.resolve();
      },
      { registry },
    );
    q.add('k');
    await flush();
    expect(calls).toBe(1);
    expect(q.numRequeues('k')).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(3);
    expect(q.numRequeues('k')).toBe(0);
    q.shutdown();
    await done;
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="retry",result="error"} 2');
    expect(text).toContain('controller_runtime_reconcile_total{controller="retry",result="success"} 1');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="retry"} 2');
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="retry"} 1');
    expect(text).toContain('controller_runtime_active_workers{controller="retry"} 0');
    expect(text).toMatch(/controller_runtime_reconcile_time_seconds_count\{controller="retry"\} 3/);
  });

  it('honours requeueAfterMs and resets the backoff', async () => {
    const registry = new Registry();
    const q = new WorkQueue({ name: 'after', random: () => 1 });
    let calls = 0;
    const done = runWorkers(
      q,
      1,
      () => {
        calls++;
        return Promise.resolve(calls === 1 ? { requeueAfterMs: 60_000 } : undefined);
      },
      { registry },
    );
    q.addRateLimited('k'); // leaves a requeue count behind that success must clear
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(1);
    expect(q.numRequeues('k')).toBe(0);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    q.shutdown();
    await done;
    expect(await registry.metrics()).toContain(
      'controller_runtime_reconcile_total{controller="after",result="requeue_after"} 1',
    );
  });

  it('requeues conflicts quickly and silently (no error count, no error log)', async () => {
    const registry = new Registry();
    const q = new WorkQueue({ name: 'conflict', random: () => 1 });
    const errorLog = vi.fn();
    const logger = { child: () => logger, error: errorLog, debug: vi.fn() } as unknown as Logger;
    let calls = 0;
    const done = runWorkers(
      q,
      1,
      () => {
        calls++;
        if (calls === 1) return Promise.reject(new ConflictError('stale'));
        if (calls === 2) return Promise.reject(new k8s.ApiException(409, 'conflict', '{}', {}));
        return Promise.resolve();
      },
      { registry, logger, conflictMaxBackoffMs: 100 },
    );
    for (let i = 0; i < 10; i++) q.addRateLimited('k'); // a long backoff history; conflicts must not inherit it
    await vi.advanceTimersByTimeAsync(300_000);
    expect(calls).toBe(3);
    expect(errorLog).not.toHaveBeenCalled();
    q.shutdown();
    await done;
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="conflict",result="requeue"} 2');
    expect(text).not.toMatch(/controller_runtime_reconcile_errors_total\{controller="conflict"\} [1-9]/);
  });

  it('retries a conflict within conflictMaxBackoffMs even after a long backoff history', async () => {
    const q = new WorkQueue({ name: 'conflict-cap', random: () => 1 });
    for (let i = 0; i < 10; i++) q.addRateLimited('other');
    let calls = 0;
    const done = runWorkers(
      q,
      1,
      () => {
        calls++;
        return calls === 1 ? Promise.reject(new ConflictError('stale')) : Promise.resolve();
      },
      { conflictMaxBackoffMs: 100 },
    );
    // Give 'k' a long failure history first (as if it had failed for a while), then deliver it now.
    for (let i = 0; i < 10; i++) q.addRateLimited('k');
    q.add('k');
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    q.shutdown();
    await done;
  });

  it('tells a reconcile the lane its key came from: an event, or a delay that ended', async () => {
    const q = new WorkQueue({ name: 'lanes' });
    const seen: string[] = [];
    const done = runWorkers(q, 1, async (key, ctx) => {
      await Promise.resolve();
      seen.push(`${key}:${ctx.lane}`);
    });
    q.addAfter('drift', 0);
    q.add('event');
    await flush();
    await flush();
    q.shutdown();
    await done;
    expect(seen).toEqual(['drift:scheduled', 'event:event']);
  });

  it('shutdown lets in-flight reconciles finish and stops the workers', async () => {
    const q = new WorkQueue({ name: 'stop' });
    let finish!: () => void;
    let finished = false;
    const done = runWorkers(q, 2, async () => {
      await new Promise<void>((r) => (finish = r));
      finished = true;
    });
    q.add('a');
    await flush();
    const drained = q.drain();
    let exited = false;
    void done.then(() => (exited = true));
    await flush();
    expect(exited).toBe(false);
    finish();
    await drained;
    await done;
    expect(finished).toBe(true);
  });
});
