// The Clever priority a reconcile runs at, by the lane the worker loop says its key came from.
import { describe, expect, it } from 'vitest';
import { currentCleverPriority } from '../../../src/clever/priority.ts';
import { runWorkers } from '../../../src/kube/controller.ts';
import { WorkQueue } from '../../../src/kube/workqueue.ts';
import { atLanePriority, lanePriority } from '../../../src/reconcile/lane-priority.ts';

const signal = new AbortController().signal;
const flush = () => new Promise((r) => setTimeout(r, 5));

describe('lane priority', () => {
  it('maps an event to normal, a delay that ended to background, no lane (outside a worker) to normal', () => {
    expect(lanePriority('event')).toBe('normal');
    expect(lanePriority('scheduled')).toBe('background');
    expect(lanePriority(undefined)).toBe('normal');
  });

  it('keeps the priority across awaits inside the wrapped reconcile', async () => {
    const seen: string[] = [];
    const wrapped = atLanePriority(async (key) => {
      await Promise.resolve();
      await new Promise((r) => setTimeout(r, 1));
      seen.push(`${key}:${currentCleverPriority()}`);
    });
    await wrapped('drift', { signal, logger: undefined as never, lane: 'scheduled' });
    await wrapped('user', { signal, logger: undefined as never, lane: 'event' });
    expect(seen).toEqual(['drift:background', 'user:normal']);
    expect(currentCleverPriority()).toBe('normal');
  });

  it('runs at the lane of each key when given to the worker loop', async () => {
    const q = new WorkQueue({ name: 'priority' });
    const seen: string[] = [];
    const done = runWorkers(
      q,
      1,
      atLanePriority(async (key) => {
        await Promise.resolve();
        seen.push(`${key}:${currentCleverPriority()}`);
      }),
    );
    q.addAfter('drift', 0);
    q.add('event');
    await flush();
    await flush();
    q.shutdown();
    await done;
    expect(seen).toEqual(['drift:background', 'event:normal']);
  });
});
