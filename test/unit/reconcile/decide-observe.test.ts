// The reads a pass makes, decided without I/O (decide-observe.ts): where the held add-on comes from, when readiness
// and the version are read, when the environment is. Each guard has a row where its assumption fails.
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../../src/clever/index.ts';
import {
  decideChecks,
  decideEnvRead,
  decideHeldSource,
  FIRST_POLL_MS,
  MAX_POLL_MS,
  readinessPollDelay,
  type ChecksInput,
  type EnvReadInput,
} from '../../../src/reconcile/addon/decide-observe.ts';

const addon = (plan: string) => ({ id: 'addon_1', plan: { id: plan } }) as unknown as Addon;
const LAG = 30_000;

describe('decideHeldSource', () => {
  const rows: [string, Parameters<typeof decideHeldSource>[0], 'snapshot' | 'known' | 'ask', string?][] = [
    [
      'the list shows it, nothing known',
      { inSnapshot: addon('a'), snapshotAt: 1_000, known: undefined, lagMs: LAG },
      'snapshot',
      'a',
    ],
    [
      'the list shows it, known before the list',
      { inSnapshot: addon('a'), snapshotAt: 5_000, known: { addon: addon('k'), at: 4_000 }, lagMs: LAG },
      'snapshot',
      'a',
    ],
    // A migration just read by id is newer than the list: the list's plan is not trusted over it.
    [
      'the list shows it, known after the list',
      { inSnapshot: addon('a'), snapshotAt: 5_000, known: { addon: addon('k'), at: 6_000 }, lagMs: LAG },
      'known',
      'k',
    ],
    // Just created: the list cannot show it yet.
    [
      'absent from a list older than what is known',
      { inSnapshot: undefined, snapshotAt: 5_000, known: { addon: addon('k'), at: 6_000 }, lagMs: LAG },
      'known',
      'k',
    ],
    [
      'absent from a list taken within the lag of what is known',
      { inSnapshot: undefined, snapshotAt: 6_000 + LAG - 1, known: { addon: addon('k'), at: 6_000 }, lagMs: LAG },
      'known',
      'k',
    ],
    // The list lags no longer than that: an absence past it is a question for Clever, never a conclusion.
    [
      'absent from a list taken past the lag',
      { inSnapshot: undefined, snapshotAt: 6_000 + LAG, known: { addon: addon('k'), at: 6_000 }, lagMs: LAG },
      'ask',
    ],
    [
      'absent, nothing known (after a restart)',
      { inSnapshot: undefined, snapshotAt: 6_000, known: undefined, lagMs: LAG },
      'ask',
    ],
  ];
  it.each(rows)('%s', (_name, input, source, plan) => {
    const decision = decideHeldSource(input);
    expect(decision.source).toBe(source);
    if (plan) expect(decision.source !== 'ask' && decision.addon.plan.id).toBe(plan);
  });
});

describe('readinessPollDelay', () => {
  it('starts at the first poll, grows with the time spent provisioning, stops growing at the cap', () => {
    expect(readinessPollDelay(undefined, 10_000)).toBe(FIRST_POLL_MS);
    expect(readinessPollDelay(10_000, 10_000)).toBe(FIRST_POLL_MS);
    expect(readinessPollDelay(0, 12_000)).toBe(12_000);
    expect(readinessPollDelay(0, 10 * 60_000)).toBe(MAX_POLL_MS);
    // A creation time in the future (clock skew between replicas) still waits the first poll, never less.
    expect(readinessPollDelay(50_000, 10_000)).toBe(FIRST_POLL_MS);
  });
});

describe('decideChecks', () => {
  const base: ChecksInput = {
    justCreated: false,
    probes: true,
    wasReady: false,
    specChanged: false,
    migrating: false,
    lastProbeAt: undefined,
    createdAt: 0,
    versionCheckMs: 3 * 3600_000,
    now: 6_000,
  };
  const rows: [string, Partial<ChecksInput>, boolean, number?][] = [
    ['a kind whose readiness needs no call', { probes: false, justCreated: true }, true],
    ['just created: no read, next poll after the first delay', { justCreated: true, now: 0 }, false, FIRST_POLL_MS],
    ['provisioning, past the first delay: poll', {}, true],
    // A pass our own write triggered right after the create: no read, the poll stays where it was.
    ['provisioning, triggered 1 s after the create', { now: 1_000 }, false, FIRST_POLL_MS - 1_000],
    // Polled at 4 s (4 s into provisioning, so the next wait is 5 s): 3 s left at 6 s.
    ['provisioning 6 s, polled 2 s ago: the wait (5 s) has 3 s left', { lastProbeAt: 4_000 }, false, 3_000],
    // The wait is fixed at the poll: however late the pass, a poll whose wait has passed is made (it never recedes).
    ['provisioning 60 s, polled at 20 s: due', { lastProbeAt: 20_000, now: 60_000 }, true],
    [
      'provisioning 35 s, polled at 20 s: 5 s of the 20 s wait left',
      { lastProbeAt: 20_000, now: 35_000 },
      false,
      5_000,
    ],
    ['provisioning, no creation time known (adopted): poll', { createdAt: undefined }, true],
    ['Ready, read lately: assumed Ready', { wasReady: true, lastProbeAt: 5_000 }, false],
    ['Ready, version due', { wasReady: true, lastProbeAt: 5_000, now: 5_000 + 3 * 3600_000 }, true],
    ['Ready, never read by this process', { wasReady: true }, true],
    // The guards where "Ready and read lately" does not hold: a spec change or a running migration reads again.
    ['Ready, read lately, but the spec changed', { wasReady: true, lastProbeAt: 5_000, specChanged: true }, true],
    ['Ready, read lately, but a migration runs', { wasReady: true, lastProbeAt: 5_000, migrating: true }, true],
  ];
  it.each(rows)('%s', (_name, over, probe, requeue) => {
    const decision = decideChecks({ ...base, ...over });
    expect(decision.probe).toBe(probe);
    if (!decision.probe) {
      expect(decision.assumeReady).toBe(Boolean(over.wasReady));
      if (requeue !== undefined) expect(decision.requeueAfterMs).toBe(requeue);
    }
  });
});

describe('decideChecks over time', () => {
  it('passes every second (events, restore gate) still poll at 5, 10, 20, 40, 70, 100 s: the wait never recedes', () => {
    let lastProbeAt: number | undefined;
    const polls: number[] = [];
    for (let now = 1_000; now <= 100_000; now += 1_000) {
      const d = decideChecks({
        justCreated: false,
        probes: true,
        wasReady: false,
        specChanged: false,
        migrating: false,
        lastProbeAt,
        createdAt: 0,
        versionCheckMs: 3 * 3600_000,
        now,
      });
      if (d.probe) {
        polls.push(now);
        lastProbeAt = now;
      }
    }
    expect(polls).toEqual([5_000, 10_000, 20_000, 40_000, 70_000, 100_000]);
  });
});

describe('decideEnvRead', () => {
  const base: EnvReadInput = {
    recordedHash: 'h',
    secretIntact: true,
    specChanged: false,
    addonChanged: false,
    lastReadAt: 1_000,
    rotationCheckMs: 3600_000,
    now: 2_000,
  };
  const rows: [string, Partial<EnvReadInput>, boolean][] = [
    ['bound, intact, read lately: no read', {}, false],
    ['never bound', { recordedHash: undefined }, true],
    ['the Secret was deleted or edited (and could not be put back from memory)', { secretIntact: false }, true],
    ['the spec changed (name, template, dialects)', { specChanged: true }, true],
    ['bound from another add-on (recreated, adopted)', { addonChanged: true }, true],
    ['due for the rotation check', { now: 1_000 + 3600_000 }, true],
    ['never read by this process', { lastReadAt: undefined }, true],
  ];
  it.each(rows)('%s', (_name, over, read) => {
    expect(decideEnvRead({ ...base, ...over }).read).toBe(read);
  });
});
