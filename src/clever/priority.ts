// Which Clever calls go first when the client-side budget (src/clever/limiter.ts) is short. The priority travels
// with the async context, so code that makes calls (the reconciler, the catalogue, credentials checks) needs no
// parameter: whoever starts the work wraps it in `withCleverPriority`, and every call made inside, however deep,
// waits at that priority.
//
// - urgent: deleting resources (a user waits on the finalizer; the add-on is billed until it is gone);
// - normal: creates, user-visible changes, passes started by an event (the default outside any wrapper);
// - background: drift checks, provisioning polls, retries after a failure.
import { AsyncLocalStorage } from 'node:async_hooks';

export const CLEVER_PRIORITIES = ['urgent', 'normal', 'background'] as const;
export type CleverPriority = (typeof CLEVER_PRIORITIES)[number];

/** Calls made outside any `withCleverPriority` (start-up checks, the CLI) wait at this priority. */
export const DEFAULT_CLEVER_PRIORITY: CleverPriority = 'normal';

const storage = new AsyncLocalStorage<CleverPriority>();

/** Runs `fn` with every Clever call it makes (including after awaits) at priority `p`. */
export function withCleverPriority<T>(p: CleverPriority, fn: () => T): T {
  return storage.run(p, fn);
}

/** The priority of Clever calls made from here. */
export function currentCleverPriority(): CleverPriority {
  return storage.getStore() ?? DEFAULT_CLEVER_PRIORITY;
}

/** 0 for the most urgent. */
export function priorityRank(p: CleverPriority): number {
  return CLEVER_PRIORITIES.indexOf(p);
}
