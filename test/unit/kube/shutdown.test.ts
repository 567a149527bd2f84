import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { gracefulShutdown, onShutdownSignal, type SignalSource } from '../../../src/kube/shutdown.ts';
import { WorkQueue } from '../../../src/kube/workqueue.ts';

describe('gracefulShutdown', () => {
  it('stops handing out work, stops informers, waits for in-flight work, then releases the lease', async () => {
    const order: string[] = [];
    const queue = new WorkQueue({ name: 'sd' });
    queue.add('busy');
    queue.add('waiting');
    expect(await queue.get()).toBe('busy');
    const informer = {
      stop: () => {
        order.push('informer stopped');
        return Promise.resolve();
      },
    };
    const leader = {
      release: () => {
        order.push('lease released');
        return Promise.resolve();
      },
    };
    const done = gracefulShutdown({ queues: [queue], informers: [informer], leader, deadlineMs: 5_000 });
    // The queue stops handing out at once: the waiting key is not started.
    expect(await queue.get()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(['informer stopped']);
    order.push('reconcile finished');
    queue.done('busy');
    const result = await done;
    expect(order).toEqual(['informer stopped', 'reconcile finished', 'lease released']);
    expect(result.timedOut).toBe(false);
  });

  it('gives up at the deadline: aborts in-flight work and leaves the lease to expire', async () => {
    const queue = new WorkQueue({ name: 'sd-timeout' });
    queue.add('stuck');
    await queue.get();
    const inFlight = new AbortController();
    const release = vi.fn(() => Promise.resolve());
    const result = await gracefulShutdown({ queues: [queue], inFlight, leader: { release }, deadlineMs: 50 });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(45);
    expect(inFlight.signal.aborted).toBe(true);
    expect(release).not.toHaveBeenCalled();
  });

  it('survives failing parts', async () => {
    const result = await gracefulShutdown({
      informers: [{ stop: () => Promise.reject(new Error('nope')) }],
      workers: [Promise.reject(new Error('worker crashed'))],
      leader: { release: () => Promise.reject(new Error('api down')) },
      deadlineMs: 1_000,
    });
    expect(result.timedOut).toBe(false);
  });
});

describe('onShutdownSignal', () => {
  it('runs the handler once on the first signal and forces on the second', () => {
    const source = new EventEmitter();
    const handler = vi.fn();
    const onForce = vi.fn();
    const remove = onShutdownSignal(handler, { source: source as unknown as SignalSource, onForce });
    source.emit('SIGTERM');
    expect(handler).toHaveBeenCalledWith('SIGTERM');
    source.emit('SIGINT');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(onForce).toHaveBeenCalledTimes(1);
    remove();
    expect(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT')).toBe(0);
  });
});
