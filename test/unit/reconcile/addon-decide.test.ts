// The decisions of the add-on reconciler, as tables: each row a situation, the expected action and why it is so.
// They are pure: time is passed in, nothing is called.
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../../src/clever/index.ts';
import {
  decideAdoption,
  decideBind,
  decideClaim,
  decideCreate,
  decideHeld,
  decideMigration,
  decideOldSecret,
  decideSecretRestore,
  migrationProgress,
} from '../../../src/reconcile/addon/decide.ts';
import { entriesHash, renderSecret, type SecretObject } from '../../../src/reconcile/secret.ts';

const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const GRACE = 60_000;
const POLL = 3_000;

function addon(id: string, providerId = 'redis-addon', planId = 'plan_s'): Addon {
  return {
    id,
    realId: `real_${id}`,
    name: `n_${id}`,
    region: 'par',
    provider: { id: providerId },
    plan: { id: planId, slug: planId, name: planId },
  } as unknown as Addon;
}

describe('decideCreate', () => {
  it.each([
    { situation: 'nothing observed, no intent', observed: false, pending: undefined, action: 'create' },
    { situation: 'observed, no intent', observed: true, pending: undefined, action: 'use', clearIntent: false },
    {
      situation: 'observed, intent left over, status records it (killed before the intent went)',
      observed: true,
      recorded: true,
      pending: ago(5_000),
      action: 'use',
      clearIntent: true,
      recordFirst: false,
    },
    {
      // The chaos leak: removing the intent first, a crash before the status write left deletion no lead to it.
      situation: 'observed by name, intent left over, status does not record it: status first, then the intent',
      observed: true,
      recorded: false,
      pending: ago(5_000),
      action: 'use',
      clearIntent: true,
      recordFirst: true,
    },
    {
      situation: 'intent 1 s old: within the grace',
      observed: false,
      pending: ago(1_000),
      action: 'wait',
      after: 3_000,
    },
    {
      situation: 'intent 58 s old: the rest of the grace',
      observed: false,
      pending: ago(58_000),
      action: 'wait',
      after: 2_000,
    },
    {
      situation: 'intent 59.8 s old: at least 500 ms',
      observed: false,
      pending: ago(59_800),
      action: 'wait',
      after: 500,
    },
    { situation: 'intent exactly at the grace', observed: false, pending: ago(60_000), action: 'create' },
    { situation: 'intent after the grace', observed: false, pending: ago(120_000), action: 'create' },
    {
      situation: 'unreadable intent counts as just now',
      observed: false,
      pending: 'garbage',
      action: 'wait',
      after: 3_000,
    },
    { situation: 'intent from the future waits', observed: false, pending: ago(-10_000), action: 'wait', after: 3_000 },
  ])('$situation -> $action', ({ observed, recorded, pending, action, clearIntent, recordFirst, after }) => {
    const found = observed ? addon('addon_1') : undefined;
    const input = { observed: found, pending, recorded: recorded ?? false, now: NOW, graceMs: GRACE, pollMs: POLL };
    const d = decideCreate(input);
    expect(d.action).toBe(action);
    expect(d.why).not.toBe('');
    if (d.action === 'use') {
      expect(d.addon).toBe(found);
      expect(d.clearIntent).toBe(clearIntent);
      expect(d.recordFirst).toBe(recordFirst ?? false);
    }
    if (d.action === 'wait') expect(d.requeueAfterMs).toBe(after);
  });
});

describe('decideCreate: a create that follows an unconfirmed one says so (it is counted before the call)', () => {
  it.each([
    { situation: 'no intent', pending: undefined, unconfirmedEarlier: false },
    { situation: 'intent exactly at the grace', pending: ago(GRACE), unconfirmedEarlier: true },
    { situation: 'intent long past the grace', pending: ago(10 * GRACE), unconfirmedEarlier: true },
  ])('$situation -> unconfirmedEarlier $unconfirmedEarlier', ({ pending, unconfirmedEarlier }) => {
    const d = decideCreate({ observed: undefined, pending, recorded: false, now: NOW, graceMs: GRACE, pollMs: POLL });
    expect(d).toMatchObject({ action: 'create', unconfirmedEarlier });
  });
});

describe('decideClaim', () => {
  it.each([
    { situation: 'no rival', rival: undefined, statusId: 'addon_1', action: 'keep' },
    { situation: 'rival, held in status', rival: 'ns/other', statusId: 'addon_1', action: 'refuse', forget: true },
    {
      situation: 'rival, status holds another',
      rival: 'ns/other',
      statusId: 'addon_2',
      action: 'refuse',
      forget: false,
    },
    { situation: 'rival, nothing in status', rival: 'ns/other', statusId: undefined, action: 'refuse', forget: false },
  ])('$situation -> $action', ({ rival, statusId, action, forget }) => {
    const d = decideClaim({ id: 'addon_1', statusId, rival, kind: 'Redis' });
    expect(d.action).toBe(action);
    if (d.action === 'refuse') {
      expect(d.forgetStatus).toBe(forget);
      expect(d.message).toBe(
        'add-on addon_1 is already managed by Redis ns/other; remove the annotation or that resource',
      );
    }
  });
});

describe('decideHeld (a held add-on that answers 403/404 is never silently replaced by an empty one)', () => {
  type Row = {
    situation: string;
    answer: 'found' | 'notFound' | 'forbidden';
    recordedOwner: string | undefined;
    owner?: string;
    bound: boolean;
    asked: boolean;
    action: string;
    reason?: string;
    consume?: boolean;
    why: string;
  };
  it.each<Row>([
    {
      situation: 'status id exists',
      answer: 'found',
      recordedOwner: 'orga_a',
      bound: true,
      asked: false,
      action: 'use',
      why: 'nothing to decide',
    },
    {
      situation: 'exists under a new owner',
      answer: 'found',
      recordedOwner: 'orga_old',
      bound: true,
      asked: false,
      action: 'use',
      why: 'it is there: use it',
    },
    {
      situation: 'exists, recreate asked',
      answer: 'found',
      recordedOwner: 'orga_a',
      bound: true,
      asked: true,
      action: 'use',
      why: 'the annotation only applies to a missing add-on',
    },
    {
      situation: 'bound, 404, not asked',
      answer: 'notFound',
      recordedOwner: 'orga_a',
      bound: true,
      asked: false,
      action: 'refuse',
      reason: 'AddonMissing',
      why: 'applications would write to an empty database',
    },
    {
      situation: 'bound, 404, recreate asked',
      answer: 'notFound',
      recordedOwner: 'orga_a',
      bound: true,
      asked: true,
      action: 'recreate',
      consume: true,
      why: 'explicit opt-in, consumed once',
    },
    {
      situation: 'never bound, 404',
      answer: 'notFound',
      recordedOwner: 'orga_a',
      bound: false,
      asked: false,
      action: 'recreate',
      consume: false,
      why: 'no application could have written data',
    },
    {
      situation: 'never bound, 404, asked',
      answer: 'notFound',
      recordedOwner: 'orga_a',
      bound: false,
      asked: true,
      action: 'recreate',
      consume: true,
      why: 'the request is consumed all the same',
    },
    {
      situation: 'adversarial: 404 under a changed owner, asked',
      answer: 'notFound',
      recordedOwner: 'orga_old',
      bound: true,
      asked: true,
      action: 'refuse',
      reason: 'OwnerChanged',
      why: 'a 404 under another owner says nothing',
    },
    {
      situation: 'adversarial: 404 under a changed owner, never bound',
      answer: 'notFound',
      recordedOwner: 'orga_old',
      bound: false,
      asked: false,
      action: 'refuse',
      reason: 'OwnerChanged',
      why: 'not even an unbound one is made under a new owner',
    },
    {
      situation: 'adversarial: 403 under a changed owner, asked',
      answer: 'forbidden',
      recordedOwner: 'orga_old',
      bound: true,
      asked: true,
      action: 'refuse',
      reason: 'OwnerChanged',
      why: 'another owner refuses our id',
    },
    {
      situation: '403 under the recorded owner',
      answer: 'forbidden',
      recordedOwner: 'orga_a',
      bound: true,
      asked: true,
      action: 'fail',
      why: 'credentials lost access: Unauthorized',
    },
    {
      situation: 'adversarial: bound, 404, owner never recorded, asked',
      answer: 'notFound',
      recordedOwner: undefined,
      bound: true,
      asked: true,
      action: 'refuse',
      reason: 'AddonMissing',
      why: 'owner cannot be confirmed',
    },
    {
      situation: 'never bound, 404, owner never recorded',
      answer: 'notFound',
      recordedOwner: undefined,
      bound: false,
      asked: false,
      action: 'recreate',
      consume: false,
      why: 'nothing bound: as before',
    },
  ])('$situation -> $action $reason ($why)', (row) => {
    const d = decideHeld({
      id: 'addon_1',
      answer: row.answer === 'found' ? { addon: addon('addon_1') } : row.answer,
      recordedOwner: row.recordedOwner,
      owner: row.owner ?? 'orga_a',
      bound: row.bound,
      recreateRequested: row.asked,
    });
    expect(d.action).toBe(row.action);
    if (d.action === 'refuse') {
      expect(d.reason).toBe(row.reason);
      expect(d.message).toContain('addon_1');
    }
    if (d.action === 'recreate') expect(d.consumeRequest).toBe(row.consume);
  });

  it('says how to opt in when it refuses a missing bound add-on', () => {
    const d = decideHeld({
      id: 'addon_1',
      answer: 'notFound',
      recordedOwner: 'orga_a',
      owner: 'orga_a',
      bound: true,
      recreateRequested: false,
    });
    expect(d).toMatchObject({ action: 'refuse', reason: 'AddonMissing' });
    if (d.action === 'refuse') {
      expect(d.message).toContain('the Secret was left as it is and nothing was created');
      expect(d.message).toContain('clever-cloud.com/recreate-missing: "true"');
    }
  });
});

describe('decideAdoption (adoption annotation vs status id)', () => {
  it.each([
    {
      situation: 'annotation, nothing in status',
      statusId: undefined,
      observed: addon('addon_1'),
      rival: undefined,
      action: 'adopt',
      announce: true,
    },
    {
      situation: 'annotation equal to status id: already adopted',
      statusId: 'addon_1',
      observed: addon('addon_1'),
      rival: undefined,
      action: 'adopt',
      announce: false,
    },
    {
      situation: 'annotation differs from status id (status id gone)',
      statusId: 'addon_9',
      observed: addon('addon_1'),
      rival: undefined,
      action: 'adopt',
      announce: true,
    },
    {
      situation: 'annotated add-on does not exist',
      statusId: undefined,
      observed: undefined,
      rival: undefined,
      action: 'refuse',
      reason: 'InvalidSpec',
      message: 'add-on addon_1 does not exist in orga_1',
    },
    {
      situation: 'annotated add-on of another provider',
      statusId: undefined,
      observed: addon('addon_1', 'postgresql-addon'),
      rival: undefined,
      action: 'refuse',
      reason: 'InvalidSpec',
      message: 'add-on addon_1 is a postgresql-addon, not a redis-addon',
    },
    {
      situation: 'annotated add-on claimed by an older resource',
      statusId: undefined,
      observed: addon('addon_1'),
      rival: 'ns/first',
      action: 'refuse',
      reason: 'AdoptionConflict',
      forget: false,
    },
    {
      situation: 'held in status, but another resource has the better claim',
      statusId: 'addon_1',
      observed: addon('addon_1'),
      rival: 'ns/first',
      action: 'refuse',
      reason: 'AdoptionConflict',
      forget: true,
    },
  ])('$situation -> $action', ({ statusId, observed, rival, action, announce, reason, message, forget }) => {
    const d = decideAdoption({
      annotation: 'addon_1',
      statusId,
      observed,
      providerId: 'redis-addon',
      owner: 'orga_1',
      kind: 'Redis',
      rival,
    });
    expect(d.action).toBe(action);
    if (d.action === 'adopt') expect(d.announce).toBe(announce);
    if (d.action === 'refuse') {
      expect(d.reason).toBe(reason);
      if (message) expect(d.message).toBe(message);
      if (forget !== undefined) expect(d.forgetStatus).toBe(forget);
    }
  });
});

describe('decideMigration', () => {
  const base = { addonPlanId: 'plan_s', planId: 'plan_s', version: undefined, current: undefined, recorded: undefined };
  it.each([
    { situation: 'same plan, no version asked', input: {}, action: 'none' },
    { situation: 'another plan asked', input: { planId: 'plan_m' }, action: 'migrate' },
    { situation: 'version asked, same version runs', input: { version: '7.2', current: '7.2.4' }, action: 'none' },
    { situation: 'version asked, another runs', input: { version: '8', current: '7.2.4' }, action: 'migrate' },
    { situation: 'version asked, none reported', input: { version: '8', current: undefined }, action: 'none' },
    {
      situation: 'a recorded migration in progress is followed',
      input: { planId: 'plan_m', recorded: { id: 'm1', status: 'RUNNING' } },
      action: 'follow',
    },
    {
      situation: 'a finished migration is not followed',
      input: { recorded: { id: 'm1', status: 'OK', targetPlanId: 'plan_s' } },
      action: 'none',
    },
    {
      situation: 'the last migration to this target failed',
      input: { planId: 'plan_m', recorded: { id: 'm1', status: 'FAILED', targetPlanId: 'plan_m' } },
      action: 'refuse',
    },
    {
      situation: 'the failed one had another target',
      input: { planId: 'plan_l', recorded: { id: 'm1', status: 'FAILED', targetPlanId: 'plan_m' } },
      action: 'migrate',
    },
    {
      situation: 'the failed one had another version',
      input: {
        planId: 'plan_m',
        version: '8',
        current: '7',
        recorded: { id: 'm1', status: 'FAILED', targetPlanId: 'plan_m', targetVersion: '7' },
      },
      action: 'migrate',
    },
    {
      // Issue 13: "8" re-resolved to the newest 8.x Clever now offers must not migrate a live 8.0.
      situation: 'spec "8" resolved to 8.4 while 8.0 runs',
      input: { version: '8.4', requested: '8', current: '8.0' },
      action: 'none',
    },
    {
      situation: 'spec changed from "8" to "8.4" while 8.0 runs',
      input: { version: '8.4', requested: '8.4', current: '8.0' },
      action: 'migrate',
      version: '8.4',
    },
    {
      situation: 'spec "8" while 5.7 runs: the newest 8.x',
      input: { version: '8.4', requested: '8', current: '5.7' },
      action: 'migrate',
      version: '8.4',
    },
    {
      situation: 'a plan change while the version is as asked keeps the version',
      input: { planId: 'plan_m', version: '8.4', requested: '8', current: '8.0' },
      action: 'migrate',
      version: undefined,
    },
    {
      situation: 'an upstream code the current version does not match textually falls back to the resolved one',
      input: { version: '8.0', requested: '80', current: '8.0.45' },
      action: 'none',
    },
  ])('$situation -> $action', ({ input, action, ...row }) => {
    const d = decideMigration({ ...base, ...input });
    expect(d.action).toBe(action);
    if (d.action === 'follow') expect(d.migrationId).toBe('m1');
    if (d.action === 'migrate' && 'version' in row) expect(d.version).toBe(row.version);
  });

  it.each([
    { status: 'OK', progress: 'succeeded' },
    { status: 'FAILED', progress: 'failed' },
    { status: 'ERROR', progress: 'failed' },
    { status: 'CANCELED', progress: 'failed' },
    { status: 'RUNNING', progress: 'running' },
    { status: 'TODO', progress: 'running' },
  ])('migration status $status is $progress', ({ status, progress }) => {
    expect(migrationProgress(status)).toBe(progress);
  });
});

// decideDeletion, decidePolicy and decideAnnotation: addon-decide-deletion.test.ts.

const UID = 'uid-1';
const entries = { REDIS_HOST: 'h', REDIS_PASSWORD: 'p' };
const hash = entriesHash(entries);
const desired = renderSecret({
  name: 'cache',
  namespace: 'ns',
  owner: { apiVersion: 'api.clever-cloud.com/v1', kind: 'Redis', name: 'cache', uid: UID },
  entries,
});
const edited: SecretObject = { ...desired, data: { ...desired.data, REDIS_PASSWORD: 'eA==' } };
const foreign: SecretObject = { ...desired, metadata: { ...desired.metadata, ownerReferences: [] } };

describe('decideBind (bind or keep)', () => {
  it.each([
    { situation: 'no Secret yet', live: undefined, recorded: undefined, action: 'apply', announce: false },
    { situation: 'Secret up to date', live: desired, recorded: hash, action: 'keep' },
    { situation: 'Secret edited by hand', live: edited, recorded: hash, action: 'apply', announce: false },
    { situation: 'credentials rotated', live: edited, recorded: 'old', action: 'apply', announce: true },
    {
      situation: 'rotated right after creation (no hash yet)',
      live: edited,
      recorded: undefined,
      action: 'apply',
      announce: true,
    },
    { situation: 'Secret of someone else', live: foreign, recorded: undefined, action: 'refuse' },
  ])('$situation -> $action', ({ live, recorded, action, announce }) => {
    const d = decideBind({ live, desired, hash, recordedHash: recorded, uid: UID });
    expect(d.action).toBe(action);
    if (d.action === 'apply') expect(d.announce).toBe(announce);
  });

  it.each([
    { situation: 'not renamed', previous: 'cache', old: desired, action: 'keep' },
    { situation: 'first bind', previous: undefined, old: undefined, action: 'keep' },
    { situation: 'renamed, old one ours', previous: 'old', old: desired, action: 'delete' },
    { situation: 'renamed, old one gone', previous: 'old', old: undefined, action: 'keep' },
    { situation: 'renamed, old one not ours', previous: 'old', old: foreign, action: 'keep' },
  ])('old Secret: $situation -> $action', ({ previous, old, action }) => {
    expect(decideOldSecret({ previous, name: 'cache', old, uid: UID }).action).toBe(action);
  });
});

describe('decideSecretRestore (restore or not)', () => {
  const last = { secret: desired, hash };
  const base = { uid: UID, deleting: false, last, secretHash: hash, bindingName: 'cache', live: undefined };
  it.each([
    { situation: 'nothing bound in this process', input: { last: undefined }, action: 'skip' },
    { situation: 'no uid', input: { uid: undefined }, action: 'skip' },
    { situation: 'being deleted', input: { deleting: true }, action: 'skip' },
    { situation: 'status names other content', input: { secretHash: 'other' }, action: 'skip' },
    { situation: 'status names another Secret', input: { bindingName: 'renamed' }, action: 'skip' },
    { situation: 'Secret not read yet', input: {}, action: 'read' },
    { situation: 'Secret deleted', input: { live: { secret: undefined } }, action: 'restore', existed: false },
    { situation: 'Secret edited', input: { live: { secret: edited } }, action: 'restore', existed: true },
    { situation: 'Secret intact', input: { live: { secret: desired } }, action: 'skip' },
    { situation: 'Secret taken over by someone else', input: { live: { secret: foreign } }, action: 'skip' },
  ])('$situation -> $action', ({ input, action, existed }) => {
    const d = decideSecretRestore({ ...base, ...input });
    expect(d.action).toBe(action);
    if (d.action === 'read') expect(d.name).toBe('cache');
    if (d.action === 'restore') {
      expect(d.existed).toBe(existed);
      expect(d.secret).toBe(desired);
    }
  });
});
