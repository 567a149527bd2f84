// The split between the backup controller and the add-on reconciler: which status fields each one owns, when the
// backup controller may treat the add-on as answering, and what Ready waits for (the restore as recorded).
import { describe, expect, it } from 'vitest';
import type { AddonStatus, Condition, RestoreStatus } from '../../../src/model/status.ts';
import { restoreGate, withoutBackupFields } from '../../../src/reconcile/addon/restore-gate.ts';
import type { Pass } from '../../../src/reconcile/addon/pass.ts';
import { addonAnswers, ownedView } from '../../../src/reconcile/backup/controller.ts';

const T = '2026-01-01T00:00:00Z';
const cond = (type: Condition['type'], status: Condition['status'], reason: string): Condition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: T,
});
const full: AddonStatus = {
  addonId: 'addon_1',
  backup: { cronJobName: 'db-backup' },
  restore: { source: 'k', jobName: 'j', phase: 'Succeeded' },
  platformBackups: { count: 1, checkedAt: T },
  conditions: [
    cond('Ready', 'True', 'Available'),
    cond('Synced', 'True', 'ReconcileSuccess'),
    cond('BackupHealthy', 'True', 'BackupSucceeded'),
  ],
};

describe('status ownership', () => {
  it('the backup controller owns backup, restore, platformBackups and BackupHealthy only', () => {
    expect(ownedView(full)).toEqual({
      backup: full.backup,
      restore: full.restore,
      platformBackups: full.platformBackups,
      conditions: [full.conditions![2]],
    });
  });
  it('the add-on reconciler owns the rest', () => {
    expect(withoutBackupFields(full)).toEqual({ addonId: 'addon_1', conditions: full.conditions!.slice(0, 2) });
  });
});

describe('addonAnswers', () => {
  it.each([
    { ready: undefined, answers: false, why: 'nothing reported yet' },
    { ready: cond('Ready', 'False', 'Provisioning'), answers: false, why: 'the probe says not yet' },
    { ready: cond('Ready', 'False', 'Restoring'), answers: true, why: 'held back for the restore once usable' },
    { ready: cond('Ready', 'False', 'RestoreFailed'), answers: true, why: 'held back after a failed restore' },
    { ready: cond('Ready', 'True', 'Available'), answers: true, why: 'Ready' },
  ])('$why → $answers', ({ ready, answers }) => {
    expect(addonAnswers({ conditions: ready ? [ready] : [] })).toBe(answers);
  });
});

describe('restoreGate: what Ready waits for', () => {
  // By step 9 a pass has recorded the origin (step 6): a restore into an add-on this resource created, unless said.
  const pass = (restore: RestoreStatus | undefined, more: AddonStatus = {}) =>
    ({ status: { origin: 'Created', restore, ...more } }) as unknown as Pass;
  const r = (phase: RestoreStatus['phase']): RestoreStatus => ({ source: 'k', jobName: 'j', phase, message: 'm' });
  it.each([
    { situation: 'no restoreFrom', restoreFrom: false, restore: undefined, expected: {} },
    { situation: 'not started yet', restoreFrom: true, restore: undefined, expected: { restoring: 'Restoring' } },
    { situation: 'running', restoreFrom: true, restore: r('Running'), expected: { restoring: 'Restoring' } },
    { situation: 'succeeded', restoreFrom: true, restore: r('Succeeded'), expected: {} },
    { situation: 'skipped (was Ready)', restoreFrom: true, restore: r('Skipped'), expected: {} },
    { situation: 'failed', restoreFrom: true, restore: r('Failed'), expected: { restoreFailed: 'RestoreFailed' } },
    { situation: 'lost', restoreFrom: true, restore: r('Lost'), expected: { restoreFailed: 'RestoreFailed' } },
    { situation: 'refused', restoreFrom: true, restore: r('Refused'), expected: { restoreRefused: 'RestoreRefused' } },
    // Nothing recorded (status.restore lost, or not written yet) for a restore the backup controller will not start:
    // Ready is the probe's, never held for a restore that is skipped or refused.
    {
      situation: 'not recorded, Ready once (firstReadyTime): it will be skipped',
      restoreFrom: true,
      restore: undefined,
      more: { firstReadyTime: T },
      expected: {},
    },
    {
      situation: 'not recorded, Ready now: it will be skipped',
      restoreFrom: true,
      restore: undefined,
      more: { conditions: [cond('Ready', 'True', 'Available')] },
      expected: {},
    },
    {
      situation: 'not recorded, add-on found: it will be refused',
      restoreFrom: true,
      restore: undefined,
      more: { origin: 'Found' },
      expected: {},
    },
    {
      situation: 'not recorded, add-on adopted: it will be refused',
      restoreFrom: true,
      restore: undefined,
      more: { origin: 'Adopted' },
      expected: {},
    },
    {
      situation: 'running, Ready once: the Job of ours is still waited for',
      restoreFrom: true,
      restore: r('Running'),
      more: { firstReadyTime: T },
      expected: { restoring: 'Restoring' },
    },
  ] as {
    situation: string;
    restoreFrom: boolean;
    restore: RestoreStatus | undefined;
    more?: AddonStatus;
    expected: object;
  }[])('$situation', ({ restoreFrom, restore, more, expected }) => {
    const gate = restoreGate(pass(restore, more), (restoreFrom ? { restoreFrom: { key: 'k' } } : {}) as never);
    const reasons = Object.fromEntries(
      (['restoring', 'restoreFailed', 'restoreRefused'] as const)
        .filter((k) => gate[k])
        .map((k) => [k, gate[k]!.reason]),
    );
    expect(reasons).toEqual(expected);
  });
});
