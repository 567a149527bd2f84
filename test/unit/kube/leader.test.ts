import { describe, expect, it } from 'vitest';
import { decideLease, microTime, nextLeaseSpec, releasedLeaseSpec } from '../../../src/kube/leader.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('decideLease (client-go tryAcquireOrRenew)', () => {
  const held = { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: microTime(T0) };
  it.each([
    ['no lease record at all', undefined, 'me', T0, T0, 'acquire'],
    [
      'a released lease (empty holder)',
      { ...held, holderIdentity: '', leaseDurationSeconds: 1 },
      'me',
      T0,
      T0,
      'acquire',
    ],
    ['our own lease, even if it looks expired', { ...held, holderIdentity: 'me' }, 'me', T0 + 60_000, T0, 'renew'],
    ['another holder seen changing just now', held, 'me', T0, T0, 'standby'],
    ['another holder, unchanged for less than its duration', held, 'me', T0 + 14_999, T0, 'standby'],
    ['another holder, unchanged for its full duration', held, 'me', T0 + 15_000, T0, 'acquire'],
    // Expiry is judged on our clock since we saw the record change, not on the (possibly skewed) renewTime.
    ['a renewTime far in the past but only just observed', held, 'me', T0 + 3_600_000, T0 + 3_600_000, 'standby'],
    [
      'the record duration rules (1 s after release-like writes)',
      { ...held, leaseDurationSeconds: 1 },
      'me',
      T0 + 1000,
      T0,
      'acquire',
    ],
  ] as const)('%s -> %s', (_what, spec, identity, now, observedAt, expected) => {
    expect(decideLease(spec, identity, now, observedAt)).toBe(expected);
  });
});

describe('lease records', () => {
  it('acquiring a never-held lease starts at zero transitions', () => {
    expect(nextLeaseSpec(undefined, 'me', T0, 15)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 0,
    });
  });

  it('renewing keeps acquireTime and transitions, moves renewTime', () => {
    const first = nextLeaseSpec(undefined, 'me', T0, 15);
    const renewed = nextLeaseSpec(first, 'me', T0 + 2_000, 15);
    expect(renewed.acquireTime).toBe(first.acquireTime);
    expect(renewed.renewTime).toBe('2026-01-01T00:00:02.000000Z');
    expect(renewed.leaseTransitions).toBe(0);
  });

  it('taking over from another holder counts a transition and resets acquireTime', () => {
    const theirs = {
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      acquireTime: microTime(T0),
      leaseTransitions: 3,
    };
    const ours = nextLeaseSpec(theirs, 'me', T0 + 20_000, 15);
    expect(ours).toMatchObject({
      holderIdentity: 'me',
      leaseTransitions: 4,
      acquireTime: '2026-01-01T00:00:20.000000Z',
    });
  });

  it('release empties the holder and shortens the duration to 1 s, keeping the transition count', () => {
    const ours = nextLeaseSpec(undefined, 'me', T0, 15);
    expect(releasedLeaseSpec({ ...ours, leaseTransitions: 2 }, T0 + 5_000)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: '2026-01-01T00:00:05.000000Z',
      renewTime: '2026-01-01T00:00:05.000000Z',
      leaseTransitions: 2,
    });
  });

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(T0 + 123)).toBe('2026-01-01T00:00:00.123000Z');
  });
});
