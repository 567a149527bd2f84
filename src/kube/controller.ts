// The worker loop: N workers pull keys from a WorkQueue and call the reconciler. The queue guarantees one key is
// never reconciled twice at once; this loop turns results into queue decisions the way controller-runtime does.
// Each reconcile is told the lane its key came from (an event, or a delay that ended); what a lane means for the work
// it does is the reconciler's business (src/reconcile/lane-priority.ts).
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../log.ts';
import { describeError, isConflict } from './errors.ts';
import { controllerMetrics } from './metrics.ts';
import type { WorkLane, WorkQueue } from './workqueue.ts';

export interface ReconcileResult {
  /** Reconcile again after this delay (drift polling, waiting on an external operation). */
  requeueAfterMs?: number;
  /** Reconcile again soon, with the key's backoff, without counting as an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborted when shutdown gives up waiting for in-flight work. */
  signal: AbortSignal;
  logger: Logger;
  /** The work-queue lane the key came from (absent when called outside a worker loop). */
  lane?: WorkLane;
}

export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

export interface RunWorkersOptions {
  /** Controller name for metrics and logs (default: the queue name). */
  name?: string;
  registry?: Registry;
  logger?: Logger;
  /** Aborting it aborts the ReconcileContext signal of in-flight reconciles. */
  signal?: AbortSignal;
  /** Cap of the per-key backoff after a conflict: conflicts clear up as soon as the cache catches up. */
  conflictMaxBackoffMs?: number;
}

export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

/**
 * Runs `concurrency` workers until the queue is shut down; resolves when every worker has exited (all in-flight
 * reconciles finished). Errors never escape: a throwing reconcile is requeued with backoff.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  reconcile: Reconciler,
  options: RunWorkersOptions = {},
): Promise<void> {
  const controller = options.name ?? queue.name;
  const logger = (options.logger ?? silentLogger).child({ controller });
  const metrics = controllerMetrics(options.registry);
  const signal = options.signal ?? new AbortController().signal;
  const conflictMaxMs = options.conflictMaxBackoffMs ?? 5_000;
  metrics.maxConcurrentReconciles.set({ controller }, concurrency);
  metrics.activeWorkers.set({ controller }, 0);

  const processOne = async (key: string): Promise<ReconcileOutcome> => {
    const stopTimer = metrics.reconcileTime.startTimer({ controller });
    metrics.activeWorkers.inc({ controller });
    try {
      const lane = queue.laneOf(key) ?? 'event';
      const result = (await reconcile(key, { signal, logger: logger.child({ key }), lane })) ?? {};
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        queue.forget(key);
        queue.addAfter(key, result.requeueAfterMs);
        return 'requeue_after';
      }
      if (result.requeue) {
        queue.addRateLimited(key);
        return 'requeue';
      }
      queue.forget(key);
      return 'success';
    } catch (err) {
      if (isConflict(err)) {
        // Someone else wrote the object since we read it: expected under concurrency, not worth an error log.
        logger.debug({ key, err: describeError(err) }, 'conflict, requeueing');
        queue.addRateLimited(key, { maxMs: conflictMaxMs });
        return 'requeue';
      }
      metrics.reconcileErrors.inc({ controller });
      const delay = queue.addRateLimited(key);
      logger.error({ key, err: describeError(err), retryInMs: delay }, 'reconcile failed');
      return 'error';
    } finally {
      metrics.activeWorkers.dec({ controller });
      stopTimer();
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const outcome = await processOne(key);
        metrics.reconcileTotal.inc({ controller, result: outcome });
      } finally {
        queue.done(key);
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => worker()));
}
