// Exponential backoff with "full jitter" (AWS architecture blog): the delay for attempt n is a random value in
// [base * 2^n / 2, base * 2^n], capped. Half-jitter keeps a floor so retries never fire back to back, and the
// randomness spreads retries of many items that failed together (a Clever API outage) over time.
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Adds ±`fraction` random spread to a period, so periodic work of many objects does not synchronise. */
export function jitter(periodMs: number, fraction = 0.1, random: () => number = Math.random): number {
  return Math.round(periodMs * (1 - fraction + 2 * fraction * random()));
}
