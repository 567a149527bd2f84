// decideRestore as a table: each row a situation, the expected action and why it is so. A restore replaces the
// database's content, so it runs only into an add-on this resource created, before its first Ready, once.
import { describe, expect, it } from 'vitest';
import { decideRestore, type RestoreFacts } from '../../../src/reconcile/backup/decide.ts';
import type { RestoreStatus } from '../../../src/model/status.ts';

const JOB = 'db-restore-abc123';
const recorded = (phase: RestoreStatus['phase'], jobName = JOB): RestoreStatus => ({ source: 'k', jobName, phase });
const base: RestoreFacts = {
  requested: true,
  origin: 'Created',
  readyOnce: false,
  recorded: undefined,
  jobName: JOB,
  job: 'absent',
  addonReady: true,
};

describe('decideRestore', () => {
  it.each<{ situation: string; facts: Partial<RestoreFacts>; action: string; why: RegExp }>([
    { situation: 'no restoreFrom', facts: { requested: false }, action: 'none', why: /not set/ },
    { situation: 'created by us, usable, never Ready', facts: {}, action: 'start', why: /new add-on/ },
    {
      situation: 'created by us, not usable yet',
      facts: { addonReady: false },
      action: 'wait',
      why: /does not answer/,
    },
    {
      situation: 'created by us, found again by name after a lost create answer (recorded Created)',
      facts: { origin: 'Created' },
      action: 'start',
      why: /never Ready/,
    },
    { situation: 'adopted (annotation)', facts: { origin: 'Adopted' }, action: 'refuse', why: /adopted/ },
    {
      situation: 'adopted, even with a Job of the same name present',
      facts: { origin: 'Adopted', job: 'active' },
      action: 'refuse',
      why: /adopted/,
    },
    { situation: 'found by name, no create pending', facts: { origin: 'Found' }, action: 'refuse', why: /found/ },
    { situation: 'origin never recorded', facts: { origin: undefined }, action: 'refuse', why: /not known to be new/ },
    {
      situation: 'origin never recorded, its own restore already running (older operator)',
      facts: { origin: undefined, recorded: recorded('Running'), job: 'active' },
      action: 'follow',
      why: /running/,
    },
    {
      situation: 'already Ready once (restoreFrom arrived late)',
      facts: { readyOnce: true },
      action: 'skip',
      why: /Ready once/,
    },
    { situation: 'skipped before', facts: { recorded: recorded('Skipped') }, action: 'skip', why: /stays/ },
    {
      situation: 'already restored, Job deleted',
      facts: { recorded: recorded('Succeeded'), readyOnce: true },
      action: 'done',
      why: /once/,
    },
    {
      situation: 'already restored, even if now seen as adopted',
      facts: { recorded: recorded('Succeeded'), origin: 'Adopted' },
      action: 'done',
      why: /never runs again/,
    },
    {
      situation: 'restore Job running',
      facts: { recorded: recorded('Running'), job: 'active' },
      action: 'follow',
      why: /running/,
    },
    {
      situation: 'restore Job completed',
      facts: { recorded: recorded('Running'), job: 'succeeded' },
      action: 'succeeded',
      why: /completed/,
    },
    {
      situation: 'restore failed: wait for the user',
      facts: { recorded: recorded('Failed'), job: 'failed' },
      action: 'failed',
      why: /wait for the user/,
    },
    {
      situation: 'restore failed, the user deleted the Job to retry',
      facts: { recorded: recorded('Failed'), job: 'absent' },
      action: 'start',
      why: /restore into it/,
    },
    {
      situation: 'restore failed, the user changed the source (another Job name)',
      facts: { recorded: recorded('Failed', 'db-restore-old'), job: 'absent' },
      action: 'start',
      why: /restore into it/,
    },
    {
      situation: 'restore Job vanished while running: never run twice',
      facts: { recorded: recorded('Running'), job: 'absent' },
      action: 'lost',
      why: /restore twice/,
    },
    {
      situation: 'lost stays lost',
      facts: { recorded: recorded('Lost'), job: 'absent' },
      action: 'lost',
      why: /vanished/,
    },
    {
      situation: 'refused before, still adopted',
      facts: { recorded: recorded('Refused'), origin: 'Adopted' },
      action: 'refuse',
      why: /adopted/,
    },
  ])('$situation → $action', ({ facts, action, why }) => {
    const decision = decideRestore({ ...base, ...facts });
    expect(decision.action).toBe(action);
    expect(decision.why).toMatch(why);
  });
});
