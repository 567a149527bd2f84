import { describe, expect, it } from 'vitest';
import { backoffDelay, jitter } from '../../../src/util/backoff.ts';
import { TokenBucket } from '../../../src/util/token-bucket.ts';

describe('backoffDelay', () => {
  const policy = { baseMs: 1000, maxMs: 300_000 };
  it.each([
    [0, 0, 500],
    [0, 1, 1000],
    [3, 0, 4000],
    [3, 1, 8000],
    [20, 1, 300_000],
    [20, 0, 150_000],
  ])('attempt %i with random %f gives %i ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, policy, () => r)).toBe(expected);
  });
});

describe('jitter', () => {
  it('spreads a period by the given fraction', () => {
    expect(jitter(1000, 0.1, () => 0)).toBe(900);
    expect(jitter(1000, 0.1, () => 1)).toBe(1100);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then paces callers at the rate, in arrival order', () => {
    let t = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, now: () => t });
    expect([bucket.reserve(), bucket.reserve()]).toEqual([0, 0]);
    expect(bucket.reserve()).toBe(100);
    expect(bucket.reserve()).toBe(200);
    t = 1000; // 10 tokens refilled, 2 owed: back to the burst cap
    expect(bucket.reserve()).toBe(0);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond/);
  });
});
