// An informer: LIST, then WATCH from the list's resourceVersion, keeping a local cache keyed by `namespace/name`.
// It does what client-node's informer does not: reconnects with jittered backoff after ANY
// error, relists on 410 Gone, restarts a watch that went silent (half-open TCP) via a watchdog fed by bookmarks,
// optionally relists periodically to repair anything missed, and never re-emits unchanged objects on a relist.
import { silentLogger, type Logger } from '../log.ts';
import { backoffDelay, jitter, type BackoffPolicy } from '../util/backoff.ts';
import { ApiException } from './api-exception.ts';
import { KubeClient, type KubeTarget } from './client.ts';
import { describeError, isGone } from './errors.ts';
import { restListWatcher, type ListWatcher, type Selectors } from './listwatch.ts';
import type { InformerStatsSource } from './metrics.ts';
import type { KubeObject, ResourceRef, Status, WatchEvent } from './types.ts';
import { objectKey } from './types.ts';

export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Server-side watch timeout; each watch uses a value jittered ±33% around it (default 450 s: 5-10 min). */
  watchTimeoutSeconds?: number;
  /** Restart a watch that delivered nothing (events or bookmarks) for this long (default 150 s). 0 disables. */
  watchdogMs?: number;
  /** Full relist period, jittered ±10% (default 0 = off). Repairs a cache after events were missed. */
  resyncMs?: number;
  /** Delay between reconnect attempts after errors (default 1 s doubling to 30 s, jittered). */
  backoff?: BackoffPolicy;
  /** LIST page size (default 500). */
  pageSize?: number;
  /**
   * Applied to every object before it is cached or handed to a handler (list pages and watch events alike), like
   * controller-runtime's TransformFunc: it keeps only what the operator reads. Default: `trimObject` (drops
   * metadata.managedFields and kubectl's last-applied-configuration annotation). It may return its argument.
   */
  transform?: (obj: T) => T;
  logger?: Logger;
  random?: () => number;
}

export interface InformerStats {
  /** Successful full LISTs (initial, after 410 Gone, resync, forced). */
  relists: number;
  /** Watch/list restarts after an error or a cut (watchdog cuts included). */
  restarts: number;
  watchdogRestarts: number;
  /** Watch events received (bookmarks included). */
  events: number;
}

/** kubectl's copy of the whole applied object, as one string: as large as the object and never read here. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The default transform: metadata.managedFields (server-side apply's field ownership, often larger than the object
 * itself) and the last-applied-configuration annotation dropped. Nothing in the operator reads either: its writes
 * are server-side applies and patches built from its own desired state (src/kube/apply.ts strips managedFields
 * anyway). Mutates and returns its argument: the object was just parsed and nothing else holds it.
 */
export function trimObject<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta) return obj;
  if (meta.managedFields !== undefined) delete meta.managedFields;
  const annotations = meta.annotations;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
  }
  return obj;
}

type AddHandler<T> = (obj: T) => void;
type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
type DeleteHandler<T> = (obj: T) => void;
type CutReason = 'watchdog' | 'resync' | 'manual' | 'stop';

/** Thrown for a watch ERROR event, with the Status's code (410 means the resourceVersion is too old). */
function watchErrorEvent(status: Status): ApiException<string> {
  return new ApiException<string>(
    status.code ?? 500,
    `watch ERROR event: ${status.message ?? status.reason ?? 'unknown'}`,
    JSON.stringify(status),
    {},
  );
}

export class Informer<T extends KubeObject> implements InformerStatsSource {
  readonly resource: string;
  private readonly source: ListWatcher<T>;
  private readonly watchTimeoutSeconds: number;
  private readonly watchdogMs: number;
  private readonly resyncMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly pageSize: number;
  private readonly transform: (obj: T) => T;
  private readonly logger: Logger;
  private readonly random: () => number;

  private readonly cache = new Map<string, T>();
  private readonly addHandlers: AddHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: DeleteHandler<T>[] = [];
  private readonly counters: InformerStats = { relists: 0, restarts: 0, watchdogRestarts: 0, events: 0 };

  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private lastResourceVersion = '';
  private needList = true;
  private running: Promise<void> | undefined;
  private stopController = new AbortController();
  private watchController: AbortController | undefined;
  private cutReason: CutReason | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Whether the current/last watch delivered anything: a watch that worked resets the reconnect backoff. */
  private watchSawEvents = false;

  constructor(source: ListWatcher<T>, options: InformerOptions<T> = {}) {
    this.source = source;
    this.resource = source.description;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 450;
    this.watchdogMs = options.watchdogMs ?? 150_000;
    this.resyncMs = options.resyncMs ?? 0;
    this.backoff = options.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
    this.pageSize = options.pageSize ?? 500;
    this.transform = options.transform ?? trimObject;
    this.random = options.random ?? Math.random;
    this.logger = (options.logger ?? silentLogger).child({ informer: this.resource });
  }

  /** An informer over the REST API (`ref.namespace` optional; selectors are applied server-side). */
  static forResource<T extends KubeObject>(
    kc: KubeTarget | KubeClient,
    ref: ResourceRef & Selectors,
    options: InformerOptions<T> = {},
  ): Informer<T> {
    const { labelSelector, fieldSelector, ...resource } = ref;
    return new Informer<T>(restListWatcher<T>(KubeClient.for(kc), resource, { labelSelector, fieldSelector }), options);
  }

  /** Handlers run synchronously in event order; keep them short (enqueue a key). Objects are shared: do not mutate. */
  onAdd(handler: AddHandler<T>): this {
    this.addHandlers.push(handler);
    return this;
  }

  onUpdate(handler: UpdateHandler<T>): this {
    this.updateHandlers.push(handler);
    return this;
  }

  onDelete(handler: DeleteHandler<T>): this {
    this.deleteHandlers.push(handler);
    return this;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /** How many objects are cached (O(1), unlike keys().length). */
  size(): number {
    return this.cache.size;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first successful LIST; rejects after `timeoutMs` if given. */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.syncWaiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
          reject(new Error(`informer ${this.resource} not synced after ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  stats(): InformerStats {
    return { ...this.counters };
  }

  /** The resourceVersion the next watch starts from. */
  resourceVersion(): string {
    return this.lastResourceVersion;
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.run();
    this.scheduleResync();
  }

  /** Stops the loop, aborting the in-flight list/watch; resolves when it has exited. The cache is kept. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopController.abort();
    this.cut('stop');
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    const running = this.running;
    this.running = undefined;
    await running;
  }

  /** Cuts the current watch (as a network failure would); the informer reconnects from its resourceVersion. */
  restartWatch(): void {
    this.cut('manual');
  }

  /** Forces a full relist now (cache repaired by diff: only real changes are emitted). */
  relist(): void {
    this.needList = true;
    this.cut('resync');
  }

  private cut(reason: CutReason): void {
    if (!this.watchController) return;
    this.cutReason ??= reason;
    this.watchController.abort(new Error(`watch cut: ${reason}`));
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private scheduleResync(): void {
    if (this.resyncMs <= 0 || this.stopped) return;
    this.resyncTimer = setTimeout(
      () => {
        this.logger.debug('periodic resync');
        this.relist();
        this.scheduleResync();
      },
      jitter(this.resyncMs, 0.1, this.random),
    );
    this.resyncTimer.unref();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        if (this.needList) {
          await this.listAll();
          attempt = 0;
        }
        const outcome = await this.watchOnce();
        if (this.watchSawEvents) attempt = 0;
        if (outcome.cut === 'watchdog' || outcome.cut === 'manual') {
          this.counters.restarts++;
          if (outcome.cut === 'watchdog') this.counters.watchdogRestarts++;
          this.logger.info({ reason: outcome.cut, resourceVersion: this.lastResourceVersion }, 'watch restarted');
        } else if (outcome.cut === undefined && !outcome.sawEvents && outcome.durationMs < 1_000) {
          // The server closed an empty watch at once: pace reconnects as for an error to avoid a hot loop.
          this.counters.restarts++;
          await this.sleep(backoffDelay(attempt++, this.backoff, this.random));
        }
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          // Our resourceVersion was compacted away: only a fresh LIST can resynchronise.
          this.logger.info({ err: describeError(err) }, 'resourceVersion expired, relisting');
          this.needList = true;
          this.lastResourceVersion = '';
          continue;
        }
        this.counters.restarts++;
        if (this.watchSawEvents) attempt = 0;
        this.watchSawEvents = false;
        const delay = backoffDelay(attempt++, this.backoff, this.random);
        this.logger.warn({ err: describeError(err), retryInMs: delay, list: this.needList }, 'list/watch failed');
        await this.sleep(delay);
      }
    }
  }

  private async listAll(): Promise<void> {
    // Built page by page, each object trimmed as its page arrives: at most one untrimmed page is alive at a time. An
    // object whose resourceVersion the cache already holds keeps the cached instance, so a relist of an unchanged
    // collection holds one copy of it, not two.
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let resourceVersion = '';
    for (;;) {
      let page;
      try {
        page = await this.source.list({ limit: this.pageSize, continue: cont, signal: this.stopController.signal });
      } catch (err) {
        // An expired continue token: start the paged list over (a 410 on the first page is a plain error).
        if (cont !== undefined && isGone(err)) {
          fresh.clear();
          cont = undefined;
          continue;
        }
        throw err;
      }
      for (const item of page.items) {
        const key = objectKey(item);
        const cached = this.cache.get(key);
        const rv = item.metadata?.resourceVersion;
        fresh.set(
          key,
          cached && rv !== undefined && cached.metadata?.resourceVersion === rv ? cached : this.transform(item),
        );
      }
      page.items.length = 0;
      resourceVersion = page.resourceVersion;
      cont = page.continue || undefined;
      if (cont === undefined) break;
    }
    this.replace(fresh);
    this.lastResourceVersion = resourceVersion;
    this.needList = false;
    this.counters.relists++;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Swaps the cache for a fresh list, emitting only real differences (adds, changed versions, deletions). */
  private replace(fresh: Map<string, T>): void {
    const previous = new Map(this.cache);
    this.cache.clear();
    for (const [key, obj] of fresh) this.cache.set(key, obj);
    fresh.clear();
    for (const [key, obj] of this.cache) {
      const old = previous.get(key);
      if (!old) this.emitAdd(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emitUpdate(old, obj);
    }
    for (const [key, old] of previous) if (!this.cache.has(key)) this.emitDelete(old);
  }

  private async watchOnce(): Promise<{ cut: CutReason | undefined; sawEvents: boolean; durationMs: number }> {
    const controller = new AbortController();
    this.watchController = controller;
    this.cutReason = undefined;
    const started = Date.now();
    let lastActivity = started;
    let sawEvents = false;
    this.watchSawEvents = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      watchdog = setTimeout(() => {
        const silentFor = Date.now() - lastActivity;
        if (silentFor >= this.watchdogMs) {
          this.logger.warn({ silentForMs: silentFor }, 'watch silent for too long, restarting it');
          this.cut('watchdog');
        } else {
          arm(this.watchdogMs - silentFor);
        }
      }, ms);
      watchdog.unref();
    };
    if (this.watchdogMs > 0) arm(this.watchdogMs);
    const timeoutSeconds = Math.max(1, Math.round(jitter(this.watchTimeoutSeconds, 1 / 3, this.random)));
    try {
      await this.source.watch(
        { resourceVersion: this.lastResourceVersion, timeoutSeconds, signal: controller.signal },
        (event) => {
          lastActivity = Date.now();
          sawEvents = true;
          this.watchSawEvents = true;
          this.counters.events++;
          this.handleEvent(event);
        },
      );
      return { cut: this.cutReason, sawEvents, durationMs: Date.now() - started };
    } catch (err) {
      // A deliberate cut is not an error; anything else goes to the backoff path.
      if (this.cutReason !== undefined) return { cut: this.cutReason, sawEvents, durationMs: Date.now() - started };
      throw err;
    } finally {
      if (watchdog) clearTimeout(watchdog);
      controller.abort();
      this.watchController = undefined;
    }
  }

  private handleEvent(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') throw watchErrorEvent(event.object as Status);
    const obj = event.object as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.lastResourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const trimmed = this.transform(obj);
    const old = this.cache.get(key);
    if (event.type === 'DELETED') {
      if (!old) return;
      this.cache.delete(key);
      this.emitDelete(trimmed);
      return;
    }
    // ADDED or MODIFIED: what matters is whether we knew the object, and whether it changed.
    if (old && old.metadata?.resourceVersion === rv) return;
    this.cache.set(key, trimmed);
    if (old) this.emitUpdate(old, trimmed);
    else this.emitAdd(trimmed);
  }

  private emitAdd(obj: T): void {
    for (const h of this.addHandlers) this.safely(() => h(obj));
  }

  private emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.updateHandlers) this.safely(() => h(oldObj, newObj));
  }

  private emitDelete(obj: T): void {
    for (const h of this.deleteHandlers) this.safely(() => h(obj));
  }

  /** A throwing handler must not break the watch (that would replay events forever). */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err: describeError(err) }, 'informer handler threw');
    }
  }

  /** Sleeps, waking early on stop. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopController.signal;
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
