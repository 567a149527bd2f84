// A work queue with client-go/controller-runtime semantics:
// - a key is queued at most once (dedup), whatever the number of adds;
// - a key being processed is never handed out again until `done(key)`: adds during processing mark it dirty and it
//   is re-queued when the worker finishes (so one object is never reconciled concurrently, yet no change is lost);
// - delayed adds (`addAfter`) keep the earliest due time per key;
// - `addRateLimited` = max(per-key exponential backoff with jitter, global token bucket), reset by `forget`;
// - two lanes: keys added now (`add`: a watch event, a Secret touched) go before keys whose delay ended (`addAfter`,
//   `addRateLimited`: drift checks, polls, retries), and a waiting scheduled key an event touches moves up. With a
//   thousand add-ons, a drift check wave used to hold a deleted Secret's restore for minutes behind it (as
//   controller-runtime's priority queue does for the same reason).
import type { Registry } from 'prom-client';
import { backoffDelay, type BackoffPolicy } from '../util/backoff.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import { workqueueMetrics, type InFlightSource, type WorkqueueMetrics } from './metrics.ts';

export interface WorkQueueOptions {
  /** Metric label; usually the controller name. */
  name: string;
  registry?: Registry;
  /** Per-key backoff for `addRateLimited` (default 1 s doubling to 5 min, jittered). */
  backoff?: BackoffPolicy;
  /** Global rate of rate-limited adds (default 10 qps, burst 100). Pass a shared bucket to span several queues. */
  bucket?: TokenBucket;
  random?: () => number;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

export class WorkQueue implements InFlightSource {
  readonly name: string;
  private readonly backoff: BackoffPolicy;
  private readonly bucket: TokenBucket;
  private readonly random: () => number;
  private readonly metrics: WorkqueueMetrics;

  // FIFO lanes of ready keys; a key may sit in both after a promotion, and the stale entry is skipped.
  private readonly lanes: Record<Lane, Fifo> = { event: new Fifo(), scheduled: new Fifo() };
  /** Keys waiting in a lane, with the best lane asked for. */
  private readonly queued = new Map<string, Lane>();
  /** Keys that need processing (queued, or re-added while processing). Value: when first added (queue latency). */
  private readonly dirty = new Map<string, number>();
  /** The best lane asked for by the adds of a dirty key (used when a deferred key is queued on done). */
  private readonly dirtyLane = new Map<string, Lane>();
  /** Keys handed to a worker and not yet `done`, with their start time. */
  private readonly processing = new Map<string, number>();
  /** The lane each key being processed was taken from (its reconcile's Clever priority follows it). */
  private readonly processingLane = new Map<string, WorkLane>();
  private readonly delayed = new Map<string, { dueAt: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly drainers: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.backoff = options.backoff ?? DEFAULT_QUEUE_BACKOFF;
    // `() => Date.now()` rather than `Date.now`: fake timers installed later must still be seen.
    this.bucket = options.bucket ?? new TokenBucket({ ratePerSecond: 10, burst: 100, now: () => Date.now() });
    this.random = options.random ?? Math.random;
    this.metrics = workqueueMetrics(options.registry);
    this.metrics.sources.add(this);
    this.metrics.depth.set({ name: this.name }, 0);
  }

  now(): number {
    return Date.now();
  }

  /** Number of keys waiting to be handed out (not counting delayed or in-flight ones). */
  len(): number {
    return this.queued.size;
  }

  /** Number of keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  inFlightStartTimes(): number[] {
    return [...this.processing.values()];
  }

  /** The lane a key being processed was taken from; undefined when it is not being processed. */
  laneOf(key: string): WorkLane | undefined {
    return this.processingLane.get(key);
  }

  /** Adds `key` now, in the event lane (ahead of scheduled keys); a waiting scheduled `key` moves up. */
  add(key: string): void {
    this.enqueue(key, 'event');
  }

  private enqueue(key: string, lane: Lane): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) {
      if (lane === 'event' && this.dirtyLane.get(key) === 'scheduled') {
        this.dirtyLane.set(key, 'event');
        if (this.queued.get(key) === 'scheduled') {
          this.queued.set(key, 'event');
          this.lanes.event.push(key);
        }
      }
      return;
    }
    // Counted after dedup, as client-go does: adds_total is the number of times a key became pending.
    this.metrics.adds.inc({ name: this.name });
    this.dirty.set(key, this.now());
    this.dirtyLane.set(key, lane);
    // Deferred: `done(key)` re-queues it, so the key is never processed by two workers at once.
    if (this.processing.has(key)) return;
    this.push(key, lane);
  }

  /**
   * Adds `key` after `delayMs`, in the scheduled lane. When the key is already waiting, the earliest due time wins.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.enqueue(key, 'scheduled');
      return;
    }
    const dueAt = this.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing) {
      if (existing.dueAt <= dueAt) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.enqueue(key, 'scheduled');
    }, delayMs);
    // A pending retry must not keep a finished process alive.
    timer.unref();
    this.delayed.set(key, { dueAt, timer });
  }

  /**
   * Adds `key` after its backoff: the larger of the per-key exponential delay (attempt = `numRequeues(key)`) and the
   * global token bucket's wait. `maxMs` caps the per-key part (used for conflicts, which resolve fast).
   * Returns the delay chosen.
   */
  addRateLimited(key: string, options: { maxMs?: number } = {}): number {
    if (this.shuttingDown) return 0;
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    const policy = options.maxMs === undefined ? this.backoff : { ...this.backoff, maxMs: options.maxMs };
    const delay = Math.max(backoffDelay(attempt, policy, this.random), this.bucket.reserve());
    this.metrics.retries.inc({ name: this.name });
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the backoff history of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key; resolves `undefined` once the queue is shut down. Call `done(key)` when finished. */
  get(): Promise<string | undefined> {
    // Unlike client-go, queued keys are not handed out after shutdown: a stopping process must not start new work.
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.len() > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the end of processing of `key`; a key re-added meanwhile is queued now. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.processingLane.delete(key);
    this.metrics.workDuration.observe({ name: this.name }, (this.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key, this.dirtyLane.get(key) ?? 'event');
    if (this.processing.size === 0) for (const d of this.drainers.splice(0)) d();
  }

  /** Stops handing out keys now (waiting `get` calls resolve undefined); in-flight work continues. */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const g of this.getters.splice(0)) g(undefined);
    this.metrics.sources.delete(this);
  }

  /** Shuts down and resolves once every in-flight key is `done`. */
  drain(): Promise<void> {
    this.shutdown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  private push(key: string, lane: Lane): void {
    const getter = this.getters.shift();
    if (getter) {
      getter(this.take({ key, lane }));
      return;
    }
    this.queued.set(key, lane);
    this.lanes[lane].push(key);
    this.metrics.depth.inc({ name: this.name });
  }

  /** Moves a key from a lane (events first; or the one just pushed) to processing. */
  private take(direct?: { key: string; lane: WorkLane }): string {
    let next: { key: string; lane: WorkLane };
    if (direct !== undefined) {
      next = direct;
    } else {
      next = this.nextQueued();
      this.queued.delete(next.key);
      this.metrics.depth.dec({ name: this.name });
    }
    const { key } = next;
    this.processingLane.set(key, next.lane);
    const addedAt = this.dirty.get(key) ?? this.now();
    this.dirty.delete(key);
    this.dirtyLane.delete(key);
    const now = this.now();
    this.processing.set(key, now);
    this.metrics.queueDuration.observe({ name: this.name }, (now - addedAt) / 1000);
    return key;
  }

  private nextQueued(): { key: string; lane: WorkLane } {
    for (const lane of ['event', 'scheduled'] as const) {
      for (let key = this.lanes[lane].shift(); key !== undefined; key = this.lanes[lane].shift()) {
        // Skip entries left behind by a promotion (the key was taken from the other lane, or moved up).
        if (this.queued.get(key) === lane) return { key, lane };
      }
    }
    throw new Error('work queue: no queued key although len() > 0');
  }
}

/** `event`: added now (a watch event, a Secret touched); `scheduled`: a delay ended (drift check, poll, retry). */
export type WorkLane = 'event' | 'scheduled';
type Lane = WorkLane;

/** An array FIFO; `head` avoids O(n) shifts. */
class Fifo {
  private items: string[] = [];
  private head = 0;

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }
}
