// The Clever client's budget, shared by every caller of one client (one set of credentials): a token bucket (calls
// per second with a burst) and a cap on calls in flight. A caller waits until both a token and a slot are free, and
// waiting callers are served by priority (src/clever/priority.ts), then in arrival order: a delete issued behind a
// thousand drift checks is sent next, not after them.
//
// Starvation guard: a reserved share rather than promotion by age. When `shareEvery` grants in a row have gone to
// higher priorities while a level was waiting, that level gets the next grant (the highest such level first). So
// under a flood of urgent work (default 10), normal and background calls each still get one grant in 12, and an
// urgent call waits behind at most two calls of lower priorities (one per owed level) beyond those in flight. Promotion by age would turn a sustained
// backlog of drift checks (all old) back into one FIFO, which is the case this limiter exists for.
//
// Pauses: `pause(until)` (a 429 with its Retry-After) holds every priority until then, urgent included: the server
// said the whole account is over its budget. The caller that received the 429 waits out its Retry-After itself and
// passes `pauseServed`, so it does not wait for the same pause twice.
import { TokenBucket } from '../util/token-bucket.ts';
import type { CleverMetrics } from './metrics.ts';
import { CLEVER_PRIORITIES, type CleverPriority } from './priority.ts';

export const DEFAULT_SHARE_EVERY = 10;

export interface LimiterOptions {
  ratePerSecond: number;
  burst: number;
  /** Calls in flight at most. */
  concurrency: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** See the starvation guard above (default 10). */
  shareEvery?: number;
  metrics?: Pick<CleverMetrics, 'rateLimited' | 'waitDuration' | 'waiting'>;
}

export interface AcquireOptions {
  /** The end of a pause this caller already waited out (it set the pause after its own 429). */
  pauseServed?: number;
}

/** Gives the slot back; call it exactly once (further calls are ignored). */
export type Release = () => void;

interface Waiter {
  priority: CleverPriority;
  enqueuedAt: number;
  pauseServed: number;
  granted: boolean;
  resolve: (release: Release) => void;
}

export class PriorityLimiter {
  private readonly bucket: TokenBucket;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly shareEvery: number;
  private readonly metrics: LimiterOptions['metrics'];
  private readonly queues: Record<CleverPriority, WaiterQueue>;
  /** Grants that went to a higher priority while this level had waiters, since this level's last grant. */
  private readonly skipped: Record<CleverPriority, number>;
  private inFlight = 0;
  private pausedUntil = 0;
  private dispatching = false;
  /** The dispatcher waited for a token: the next grant takes it, whatever the clock says (fake clocks). */
  private tokenWaited = false;
  private wake: (() => void) | undefined;

  constructor(options: LimiterOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('limiter concurrency must be an integer >= 1');
    }
    this.bucket = new TokenBucket({ ratePerSecond: options.ratePerSecond, burst: options.burst, now: options.now });
    this.concurrency = options.concurrency;
    this.now = options.now;
    this.sleep = options.sleep;
    this.shareEvery = Math.max(1, options.shareEvery ?? DEFAULT_SHARE_EVERY);
    this.metrics = options.metrics;
    this.queues = { urgent: new WaiterQueue(), normal: new WaiterQueue(), background: new WaiterQueue() };
    this.skipped = { urgent: 0, normal: 0, background: 0 };
  }

  /** Resolves with a release function once this caller holds a token and an in-flight slot. */
  acquire(priority: CleverPriority, options: AcquireOptions = {}): Promise<Release> {
    return new Promise((resolve) => {
      const queue = this.queues[priority];
      if (queue.size === 0) this.skipped[priority] = 0;
      queue.push({
        priority,
        enqueuedAt: this.now(),
        pauseServed: options.pauseServed ?? -Infinity,
        granted: false,
        resolve,
      });
      this.metrics?.waiting.inc({ priority });
      if (options.pauseServed !== undefined) this.wake?.();
      this.kick();
    });
  }

  /** Holds every caller until `until` (the limiter's clock); a pause only ever extends. */
  pause(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  /** Callers waiting, at one priority or in all. */
  waiting(priority?: CleverPriority): number {
    if (priority) return this.queues[priority].size;
    return CLEVER_PRIORITIES.reduce((n, p) => n + this.queues[p].size, 0);
  }

  private kick(): void {
    if (!this.dispatching) void this.dispatch();
  }

  /** The one loop that hands out tokens and slots; runs while callers wait and a slot is free. */
  private async dispatch(): Promise<void> {
    this.dispatching = true;
    try {
      while (this.waiting() > 0 && this.inFlight < this.concurrency) {
        let chosen: Waiter | undefined;
        const pausedFor = this.pausedUntil - this.now();
        if (pausedFor > 0) {
          chosen = this.firstWhere((w) => w.pauseServed >= this.pausedUntil);
          if (!chosen) {
            const target = this.pausedUntil;
            // Woken early when a caller that already waited out this pause arrives.
            const slept = await Promise.race([
              this.sleep(pausedFor).then(() => true),
              new Promise<boolean>((resolve) => (this.wake = () => resolve(false))),
            ]);
            this.wake = undefined;
            if (slept && this.pausedUntil === target) this.pausedUntil = 0;
            continue;
          }
        }
        if (!this.tokenWaited) {
          const wait = this.bucket.msUntilToken();
          if (wait > 0) {
            await this.sleep(wait);
            this.tokenWaited = true;
            continue;
          }
        }
        const throttled = this.tokenWaited;
        this.tokenWaited = false;
        this.bucket.consume();
        this.grant(chosen ?? this.next(), throttled);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** The next waiter by priority then arrival, unless a level is owed its share. */
  private next(): Waiter {
    let level: CleverPriority | undefined;
    for (const p of CLEVER_PRIORITIES) {
      if (this.queues[p].size > 0 && this.skipped[p] >= this.shareEvery) {
        level = p;
        break;
      }
    }
    level ??= CLEVER_PRIORITIES.find((p) => this.queues[p].size > 0);
    const waiter = level && this.queues[level].peek();
    if (!waiter) throw new Error('limiter: no waiter although some are counted');
    return waiter;
  }

  /** The first waiter by priority then arrival that `accept`s (only while paused: a linear scan). */
  private firstWhere(accept: (w: Waiter) => boolean): Waiter | undefined {
    for (const p of CLEVER_PRIORITIES) {
      const found = this.queues[p].find(accept);
      if (found) return found;
    }
    return undefined;
  }

  private grant(waiter: Waiter, throttled: boolean): void {
    const { priority } = waiter;
    this.queues[priority].remove(waiter);
    this.skipped[priority] = 0;
    for (const p of CLEVER_PRIORITIES.slice(CLEVER_PRIORITIES.indexOf(priority) + 1)) {
      if (this.queues[p].size > 0) this.skipped[p] += 1;
    }
    this.inFlight += 1;
    this.metrics?.waiting.dec({ priority });
    this.metrics?.waitDuration.observe({ priority }, Math.max(0, this.now() - waiter.enqueuedAt) / 1000);
    if (throttled) this.metrics?.rateLimited.inc();
    let released = false;
    waiter.resolve(() => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      this.kick();
    });
  }
}

/** A FIFO of waiters with removal from anywhere (marked, skipped when reached); `head` avoids O(n) shifts. */
class WaiterQueue {
  private items: Waiter[] = [];
  private head = 0;
  size = 0;

  push(w: Waiter): void {
    this.items.push(w);
    this.size += 1;
  }

  peek(): Waiter | undefined {
    this.skipGranted();
    return this.items[this.head];
  }

  find(accept: (w: Waiter) => boolean): Waiter | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const w = this.items[i]!;
      if (!w.granted && accept(w)) return w;
    }
    return undefined;
  }

  remove(w: Waiter): void {
    if (w.granted) return;
    w.granted = true;
    this.size -= 1;
    this.skipGranted();
  }

  private skipGranted(): void {
    while (this.head < this.items.length && this.items[this.head]!.granted) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.items.length && this.head > 0) {
      this.items = [];
      this.head = 0;
    }
  }
}
