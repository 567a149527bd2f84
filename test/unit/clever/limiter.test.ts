// The Clever client's limiter on a fake clock: tokens and in-flight slots go to waiting callers by priority then in
// arrival order, a lower priority still gets its share under a flood of urgent work, a 429 pause holds everyone, and
// the priority follows the async context. No wall time is asserted.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PriorityLimiter, type Release } from '../../../src/clever/limiter.ts';
import { createCleverMetrics } from '../../../src/clever/metrics.ts';
import { currentCleverPriority, withCleverPriority, type CleverPriority } from '../../../src/clever/priority.ts';

/** A clock that moves only when the test says so; sleeps resolve when it passes their end. */
function fakeClock() {
  let t = 0;
  const pending: { at: number; resolve: () => void }[] = [];
  const settle = async () => {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((resolve) => pending.push({ at: t + ms, resolve })),
    settle,
    /** Moves the clock by `ms`, waking the sleeps that end by then. */
    async advance(ms: number) {
      t += ms;
      for (const p of pending.splice(0).filter((p) => (p.at <= t ? (p.resolve(), false) : true))) pending.push(p);
      await settle();
    },
  };
}

function limiterOn(
  clock: ReturnType<typeof fakeClock>,
  options: Partial<ConstructorParameters<typeof PriorityLimiter>[0]>,
) {
  return new PriorityLimiter({
    ratePerSecond: 1,
    burst: 1,
    concurrency: 100,
    now: clock.now,
    sleep: clock.sleep,
    ...options,
  });
}

/** Queues named callers; `granted` lists the names in the order the limiter let them through. */
function callers(limiter: PriorityLimiter) {
  const granted: string[] = [];
  const releases = new Map<string, Release>();
  return {
    granted,
    ask(name: string, priority: CleverPriority) {
      void limiter.acquire(priority).then((release) => {
        granted.push(name);
        releases.set(name, release);
      });
    },
    release(name: string) {
      releases.get(name)!();
    },
  };
}

describe('PriorityLimiter: tokens', () => {
  it('hands each new token to the most urgent waiter, then the oldest of that priority', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, {});
    const c = callers(limiter);
    c.ask('first', 'background'); // takes the burst
    c.ask('b1', 'background');
    c.ask('b2', 'background');
    c.ask('n1', 'normal');
    c.ask('b3', 'background');
    c.ask('u1', 'urgent');
    c.ask('n2', 'normal');
    await clock.settle();
    expect(c.granted).toEqual(['first']);
    for (let i = 0; i < 6; i++) await clock.advance(1000);
    expect(c.granted).toEqual(['first', 'u1', 'n1', 'n2', 'b1', 'b2', 'b3']);
  });

  it('a caller arriving while the limiter waits for a token overtakes those of lower priority', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, {});
    const c = callers(limiter);
    c.ask('first', 'background');
    for (let i = 1; i <= 3; i++) c.ask(`b${i}`, 'background');
    await clock.advance(500); // half-way to the next token
    c.ask('u1', 'urgent');
    await clock.advance(500);
    expect(c.granted).toEqual(['first', 'u1']);
  });
});

describe('PriorityLimiter: in-flight slots', () => {
  it('a freed slot goes to the most urgent waiter', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, { ratePerSecond: 1000, burst: 1000, concurrency: 1 });
    const c = callers(limiter);
    c.ask('held', 'background');
    c.ask('b1', 'background');
    c.ask('n1', 'normal');
    c.ask('b2', 'background');
    c.ask('u1', 'urgent');
    await clock.settle();
    const order = ['held', 'u1', 'n1', 'b1', 'b2'];
    for (const name of order.slice(0, -1)) {
      c.release(name);
      await clock.settle();
    }
    expect(c.granted).toEqual(order);
  });

  it('a double release frees one slot only', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, { ratePerSecond: 1000, burst: 1000, concurrency: 1 });
    const c = callers(limiter);
    c.ask('a', 'normal');
    c.ask('b', 'normal');
    c.ask('c', 'normal');
    await clock.settle();
    c.release('a');
    c.release('a');
    await clock.settle();
    expect(c.granted).toEqual(['a', 'b']);
  });
});

describe('PriorityLimiter: starvation guard', () => {
  it('with a constant stream of urgent work, normal and background still get a grant after every shareEvery urgent ones', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, { ratePerSecond: 1000, burst: 1000, concurrency: 1, shareEvery: 3 });
    const granted: string[] = [];
    let urgent = 0;
    // The assumption of strict priority (urgent work is rare) fails: an urgent caller is always waiting.
    const askUrgent = () => {
      const name = `u${++urgent}`;
      void limiter.acquire('urgent').then((release) => {
        granted.push(name);
        askUrgent();
        setImmediate(release);
      });
    };
    const hold = await limiter.acquire('urgent');
    askUrgent();
    for (let i = 1; i <= 3; i++) {
      void limiter.acquire('background').then((release) => (granted.push(`b${i}`), setImmediate(release)));
      void limiter.acquire('normal').then((release) => (granted.push(`n${i}`), setImmediate(release)));
    }
    hold();
    while (granted.filter((g) => g.startsWith('b')).length < 3) await clock.settle();
    // After 3 grants to urgent while they waited, both lower levels are owed one: normal first, then background.
    expect(granted.slice(0, 15)).toEqual([
      ...['u1', 'u2', 'u3', 'n1', 'b1'],
      ...['u4', 'u5', 'u6', 'n2', 'b2'],
      ...['u7', 'u8', 'u9', 'n3', 'b3'],
    ]);
    // Neither lower level waited more than shareEvery grants of higher levels plus the other owed level's one.
    const gaps = (prefix: string) => {
      const at = granted.flatMap((g, i) => (g.startsWith(prefix) ? [i] : []));
      return at.slice(1).map((i, k) => i - at[k]!);
    };
    for (const gap of [...gaps('n'), ...gaps('b')]) expect(gap).toBeLessThanOrEqual(5);
    expect(limiter.waiting('background')).toBe(0);
  });

  it('with no higher priority waiting, background is served back to back', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, { ratePerSecond: 1000, burst: 1000, concurrency: 1, shareEvery: 2 });
    const c = callers(limiter);
    for (let i = 1; i <= 4; i++) c.ask(`b${i}`, 'background');
    await clock.settle();
    for (let i = 1; i <= 3; i++) {
      c.release(`b${i}`);
      await clock.settle();
    }
    expect(c.granted).toEqual(['b1', 'b2', 'b3', 'b4']);
  });
});

describe('PriorityLimiter: pauses', () => {
  it('a pause holds every priority until it ends, except the caller that already waited it out', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, { ratePerSecond: 1000, burst: 1000 });
    limiter.pause(5_000);
    const c = callers(limiter);
    c.ask('u1', 'urgent');
    c.ask('b1', 'background');
    const served: string[] = [];
    void limiter.acquire('background', { pauseServed: 5_000 }).then(() => served.push('retry'));
    await clock.settle();
    expect(c.granted).toEqual([]);
    expect(served).toEqual(['retry']);
    await clock.advance(4_999);
    expect(c.granted).toEqual([]);
    await clock.advance(1);
    expect(c.granted).toEqual(['u1', 'b1']);
  });

  it('a pause only ever extends', async () => {
    const clock = fakeClock();
    const limiter = limiterOn(clock, { ratePerSecond: 1000, burst: 1000 });
    limiter.pause(5_000);
    limiter.pause(2_000);
    const c = callers(limiter);
    c.ask('n1', 'normal');
    await clock.advance(3_000);
    expect(c.granted).toEqual([]);
    await clock.advance(2_000);
    expect(c.granted).toEqual(['n1']);
  });
});

describe('PriorityLimiter: metrics', () => {
  it('records the wait per priority and the calls still waiting', async () => {
    const clock = fakeClock();
    const registry = new Registry();
    const metrics = createCleverMetrics(registry);
    const limiter = limiterOn(clock, { metrics });
    const c = callers(limiter);
    c.ask('n1', 'normal');
    c.ask('b1', 'background');
    c.ask('u1', 'urgent');
    await clock.settle();
    expect(await registry.metrics()).toMatch(/^clever_api_waiting\{priority="background"\} 1$/m);
    await clock.advance(1000); // u1
    await clock.advance(1000); // b1
    const text = await registry.metrics();
    expect(text).toMatch(/^clever_api_wait_seconds_sum\{priority="normal"\} 0$/m);
    expect(text).toMatch(/^clever_api_wait_seconds_sum\{priority="urgent"\} 1$/m);
    expect(text).toMatch(/^clever_api_wait_seconds_sum\{priority="background"\} 2$/m);
    expect(text).toMatch(/^clever_api_waiting\{priority="background"\} 0$/m);
    expect(text).toMatch(/^clever_api_rate_limited_total 2$/m);
  });
});

describe('Clever priority context', () => {
  it('defaults to normal and follows the async context across awaits', async () => {
    expect(currentCleverPriority()).toBe('normal');
    const seen = await withCleverPriority('urgent', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const inner = await withCleverPriority('background', () => Promise.resolve(currentCleverPriority()));
      return [currentCleverPriority(), inner];
    });
    expect(seen).toEqual(['urgent', 'background']);
    expect(currentCleverPriority()).toBe('normal');
  });
});
