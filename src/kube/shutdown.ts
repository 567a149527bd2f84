// Graceful shutdown in the order that keeps the cluster safe: stop handing out work, stop the informers, let
// in-flight reconciles finish (bounded by a deadline), and only then release the Lease, so a standby never starts
// reconciling an object this process is still working on.
import { silentLogger, type Logger } from '../log.ts';
import { describeError } from './errors.ts';

export interface Stoppable {
  stop(): Promise<void>;
}

export interface Drainable {
  /** Stops handing out work at once. */
  shutdown(): void;
  /** Resolves when in-flight work is done. */
  drain(): Promise<void>;
}

export interface ShutdownParts {
  queues?: Drainable[];
  informers?: Stoppable[];
  /** The runWorkers promises (they resolve when their workers have exited). */
  workers?: Promise<void>[];
  /** Aborted when the deadline passes: pass its signal to runWorkers so reconciles can give up. */
  inFlight?: AbortController;
  leader?: { release(): Promise<void> };
  /** Default 30 s (Kubernetes' default terminationGracePeriodSeconds). */
  deadlineMs?: number;
  logger?: Logger;
}

export interface ShutdownResult {
  /** True when in-flight work did not finish in time (it was aborted and the Lease was left to expire). */
  timedOut: boolean;
  durationMs: number;
}

/** Runs the shutdown sequence; never rejects. */
export async function gracefulShutdown(parts: ShutdownParts): Promise<ShutdownResult> {
  const logger = parts.logger ?? silentLogger;
  const started = Date.now();
  const deadline = started + (parts.deadlineMs ?? 30_000);

  for (const q of parts.queues ?? []) q.shutdown();
  await Promise.all(
    (parts.informers ?? []).map((i) =>
      i.stop().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'informer stop failed')),
    ),
  );

  const inFlight = Promise.all([...(parts.queues ?? []).map((q) => q.drain()), ...(parts.workers ?? [])]).then(
    () => false,
    (err: unknown) => {
      logger.warn({ err: describeError(err) }, 'worker failed during shutdown');
      return false;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
  });
  const timedOut = await Promise.race([inFlight, expired]);
  clearTimeout(timer);

  if (timedOut) {
    parts.inFlight?.abort(new Error('shutdown deadline exceeded'));
    // Releasing now could let a standby reconcile an object we are still touching; the lease expires by itself.
    logger.warn({ deadlineMs: parts.deadlineMs ?? 30_000 }, 'in-flight reconciles did not finish; lease not released');
  } else if (parts.leader) {
    try {
      await parts.leader.release();
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'lease release failed');
    }
  }
  const durationMs = Date.now() - started;
  logger.info({ durationMs, timedOut }, 'shutdown complete');
  return { timedOut, durationMs };
}

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: () => void): unknown;
}

/**
 * Calls `handler` on the first SIGTERM/SIGINT; a second signal calls `onForce` (default: exit 130), for an operator
 * whose shutdown hangs. Returns a function that removes the listeners.
 */
export function onShutdownSignal(
  handler: (signal: NodeJS.Signals) => void,
  options: { signals?: NodeJS.Signals[]; source?: SignalSource; onForce?: () => void } = {},
): () => void {
  const source = options.source ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onForce = options.onForce ?? (() => process.exit(130));
  let received = false;
  const listeners = signals.map((signal) => {
    const listener = () => {
      if (received) {
        onForce();
        return;
      }
      received = true;
      handler(signal);
    };
    return [signal, listener] as const;
  });
  // Listeners stay installed: while ours is there, Node does not kill the process on the signal itself.
  for (const [s, l] of listeners) source.on(s, l);
  return () => {
    for (const [s, l] of listeners) source.removeListener(s, l);
  };
}
