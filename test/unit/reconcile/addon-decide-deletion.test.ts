// The deletion decisions as tables: each row a situation, the expected action and why. The adversarial rows are the
// ones issue 13 reproduced: an adoption annotation must never lead to deleting an add-on status does not record, and
// a spec the operator cannot read must never be taken for deletionPolicy Delete.
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../../src/clever/index.ts';
import {
  decideAnnotation,
  decideDeletion,
  decideOrphanCleanup,
  decidePolicy,
  type DeletionInput,
  type Found,
  type OrphanCleanupInput,
  type PolicyDecision,
} from '../../../src/reconcile/addon/decide-deletion.ts';
import { ANNOTATIONS } from '../../../src/reconcile/names.ts';

const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const GRACE = 60_000;
const PROVIDER = 'redis-addon';

function addon(id: string, providerId = PROVIDER): Addon {
  return { id, realId: `real_${id}`, name: `n_${id}`, provider: { id: providerId } } as unknown as Addon;
}

const DELETE: PolicyDecision = { action: 'delete', credentialsRef: undefined, why: 'deletionPolicy Delete' };
const ORPHAN: PolicyDecision = { action: 'orphan', warning: undefined, by: 'policy', why: 'deletionPolicy Orphan' };

describe('decidePolicy (what the user asked for, read from the stored object)', () => {
  it.each([
    { situation: 'deletionPolicy Delete', spec: { deletionPolicy: 'Delete' }, action: 'delete', why: 'asked' },
    { situation: 'deletionPolicy Orphan', spec: { deletionPolicy: 'Orphan' }, action: 'orphan', by: 'policy' },
    { situation: 'no deletionPolicy: the schema default', spec: {}, action: 'delete' },
    { situation: 'no spec at all: the schema default', spec: undefined, action: 'delete' },
    {
      situation: 'Orphan, other fields unparseable (a pattern JS refuses): the readable policy holds',
      spec: { deletionPolicy: 'Orphan', backup: { target: { s3: { endpoint: 'https://a\u00a0b' } } } },
      action: 'orphan',
      by: 'policy',
    },
    {
      situation: 'Delete, other fields unparseable (schema drift): the readable policy holds',
      spec: { deletionPolicy: 'Delete', instance: { plan: 42 }, fieldFromAFutureVersion: true },
      action: 'delete',
    },
    {
      situation: 'unknown policy value (e.g. from a newer CRD): kept, with a warning',
      spec: { deletionPolicy: 'Retain' },
      action: 'orphan',
      by: 'uncertain',
      field: 'spec.deletionPolicy',
    },
    {
      situation: 'policy of the wrong type: kept, with a warning',
      spec: { deletionPolicy: 42 },
      action: 'orphan',
      by: 'uncertain',
      field: 'spec.deletionPolicy',
    },
    { situation: 'spec not an object: kept, with a warning', spec: 'Delete', action: 'orphan', field: 'spec' },
    { situation: 'spec an array: kept, with a warning', spec: ['Delete'], action: 'orphan', field: 'spec' },
    {
      situation: 'unreadable credentialsRef: could look up with the wrong credentials, so kept',
      spec: { deletionPolicy: 'Delete', credentialsRef: { name: 7 } },
      action: 'orphan',
      field: 'spec.credentialsRef',
    },
    {
      situation: 'credentialsRef readable: used',
      spec: { deletionPolicy: 'Delete', credentialsRef: { name: 'mine' } },
      action: 'delete',
      ref: 'mine',
    },
    {
      situation: 'orphan-on-delete "true" overrides Delete',
      spec: { deletionPolicy: 'Delete' },
      orphanOnDelete: 'true',
      action: 'orphan',
      by: 'annotation',
    },
    {
      situation: 'orphan-on-delete "true" also covers an unreadable policy, without a warning',
      spec: { deletionPolicy: 'Retain' },
      orphanOnDelete: 'true',
      action: 'orphan',
      by: 'annotation',
    },
    {
      situation: 'orphan-on-delete other than "true" does nothing',
      spec: { deletionPolicy: 'Delete' },
      orphanOnDelete: 'yes',
      action: 'delete',
    },
  ])('$situation -> $action', ({ spec, orphanOnDelete, action, by, field, ref }) => {
    const d = decidePolicy({ rawSpec: spec, orphanOnDelete });
    expect(d.action).toBe(action);
    if (d.action === 'orphan') {
      if (by) expect(d.by).toBe(by);
      expect(d.warning?.field).toBe(field);
      if (field) {
        expect(d.by).toBe('uncertain');
        expect(d.warning?.message).toContain(field);
        expect(d.warning?.message).toContain('kept');
      }
    } else {
      expect(d.credentialsRef?.name).toBe(ref);
    }
  });
});

describe('decideDeletion', () => {
  const base = { statusId: undefined, pending: undefined, providerId: PROVIDER, now: NOW, graceMs: GRACE };
  const found = (a: Addon | undefined, rival?: string): Found => ({ addon: a, rival });
  /** A list requested at `at` (default: the decision's time) showing these add-ons under the name. */
  const listed = (found: Found[], at = NOW.getTime()) => ({ at, found });

  // The old matrix (policy x observation x intent), kept: the status-recorded add-on stands in for "its add-on".
  const observations = [
    { observed: 'not looked yet', observation: undefined },
    { observed: 'nothing found', observation: { byId: found(undefined), named: listed([]) } },
    { observed: 'its add-on found', observation: { byId: found(addon('addon_1')), named: listed([]) } },
  ];
  const pendings = [
    { intent: 'no intent', pending: undefined },
    { intent: 'fresh intent', pending: ago(1_000) },
    { intent: 'old intent', pending: ago(400_000) },
    { intent: 'unreadable intent', pending: 'garbage' },
  ];
  const matrix = ([ORPHAN, DELETE] as const).flatMap((policy) =>
    observations.flatMap(({ observed, observation }) =>
      pendings.map(({ intent, pending }) => {
        let action: string;
        if (policy.action === 'orphan') action = 'orphan';
        else if (!observation) action = 'observe';
        else if (observation.byId.addon) action = intent === 'fresh intent' ? 'delete, then wait' : 'delete';
        else if (intent === 'fresh intent') action = 'wait';
        else action = 'release';
        return { situation: `${policy.action}, ${observed}, ${intent}`, policy, observation, pending, action };
      }),
    ),
  );
  it.each(matrix)('$situation -> $action', ({ policy, observation, pending, action }) => {
    const d = decideDeletion({ ...base, statusId: 'addon_1', policy, observation, pending });
    expect(d.action === 'delete' && d.then === 'wait' ? 'delete, then wait' : d.action).toBe(action);
    if (d.action === 'delete') expect(d.addons.map((a) => a.id)).toEqual(['addon_1']);
  });

  const rows: {
    situation: string;
    input: Partial<DeletionInput>;
    action: string;
    deletes?: string[];
    then?: 'release' | 'wait';
    lookUp?: { id: string | undefined; byName: boolean };
    why: string;
  }[] = [
    {
      situation: 'what to look up: the status id only, never the adoption annotation',
      input: { statusId: 'addon_own' },
      action: 'observe',
      lookUp: { id: 'addon_own', byName: false },
      why: 'status records the add-on; the name is only for a pending create',
    },
    {
      situation: 'nothing recorded, no intent (e.g. applied with an annotation, failed early): no lookup at all',
      input: {},
      action: 'release',
      why: 'nothing this resource made or adopted can exist; missing credentials cannot hold it',
    },
    {
      situation: 'what to look up: nothing recorded, a create pending',
      input: { pending: ago(1_000) },
      action: 'observe',
      lookUp: { id: undefined, byName: true },
      why: 'its own create may have made one: found by its deterministic name',
    },
    {
      situation: 'what to look up: status id AND the name when unconfirmed creates are counted',
      input: { statusId: 'addon_own', unconfirmedSince: ago(30_000) },
      action: 'observe',
      lookUp: { id: 'addon_own', byName: true },
      why: 'a duplicate the repair has not removed yet is found only by name',
    },
    {
      situation: 'a spent intent without unconfirmed creates: no name lookup',
      input: { statusId: 'addon_own', lastCreate: ago(1_000) },
      action: 'observe',
      lookUp: { id: 'addon_own', byName: false },
      why: 'status records what the intent made',
    },
    {
      situation: 'ADVERSARIAL (a): status add-on gone (a lost DELETE answer), an annotation names another',
      input: { statusId: 'addon_own', observation: { byId: found(undefined), named: undefined } },
      action: 'release',
      why: 'the annotated add-on was never looked up, let alone deleted',
    },
    {
      situation: 'ADVERSARIAL (b): applied with an annotation, the pass failed before observe',
      input: { observation: { byId: undefined, named: undefined } },
      action: 'release',
      why: 'status records nothing: nothing to delete, the annotated add-on never looked up',
    },
    {
      situation: 'a name match without a pending or unconfirmed create is not deleted',
      input: {
        statusId: 'addon_gone',
        observation: { byId: found(undefined), named: listed([found(addon('addon_named'))]) },
      },
      action: 'release',
      why: 'the name lookup is for an unrecorded create only',
    },
    {
      // Chaos short-lag (list lag 5 s > grace 2 s): a second create followed an unanswered one and status records
      // it; the first surfaced after the resource was gone and leaked.
      situation: 'an unconfirmed create counted, status add-on already gone: the one under the name goes too',
      input: {
        statusId: 'addon_own',
        unconfirmedSince: ago(400_000),
        observation: { byId: found(undefined), named: listed([found(addon('addon_late'))]) },
      },
      action: 'delete',
      deletes: ['addon_late'],
      then: 'release',
      why: 'an unconfirmed create of this resource made it',
    },
    {
      // Chaos short-lag, seed 13: three creates, two answers lost; status records the third; the resource is
      // deleted before the repair removed the other two. Deleting only the recorded one leaked both.
      situation: 'ADVERSARIAL: the recorded add-on AND two unrepaired duplicates under the name: all three go',
      input: {
        statusId: 'addon_own',
        unconfirmedSince: ago(400_000),
        lastCreate: ago(380_000),
        observation: {
          byId: found(addon('addon_own')),
          named: listed([found(addon('addon_dup1')), found(addon('addon_own')), found(addon('addon_dup2'))]),
        },
      },
      action: 'delete',
      deletes: ['addon_own', 'addon_dup1', 'addon_dup2'],
      then: 'release',
      why: 'every create this resource counted may have made one',
    },
    {
      situation: 'duplicates deleted while the latest create is within the wait: look again before letting go',
      input: {
        statusId: 'addon_own',
        unconfirmedSince: ago(100_000),
        lastCreate: ago(60_000),
        observation: { byId: found(addon('addon_own')), named: listed([found(addon('addon_dup1'))]) },
      },
      action: 'delete',
      deletes: ['addon_own', 'addon_dup1'],
      then: 'wait',
      why: 'the latest unconfirmed create may surface after this list',
    },
    {
      // The spent intent: status.createdFromIntent equals the annotation, so it is no longer pending; with
      // unconfirmed creates counted, its time still bounds when the last of them may surface.
      situation: 'ADVERSARIAL: first unconfirmed long ago, the latest create (spent intent) recent: wait',
      input: {
        statusId: 'addon_own',
        unconfirmedSince: ago(400_000),
        lastCreate: ago(60_000),
        observation: { byId: found(undefined), named: listed([]) },
      },
      action: 'wait',
      why: 'waiting from the first unconfirmed create only ends the wait before the latest one could surface',
    },
    {
      situation: 'an unconfirmed create counted, nothing under the name yet: wait (it may still surface)',
      input: {
        statusId: 'addon_own',
        unconfirmedSince: ago(30_000),
        observation: { byId: found(undefined), named: listed([]) },
      },
      action: 'wait',
      why: 'the list may not show it yet',
    },
    {
      situation: 'an unconfirmed create counted long ago, nothing under the name: release',
      input: {
        statusId: 'addon_own',
        unconfirmedSince: ago(400_000),
        observation: { byId: found(undefined), named: listed([]) },
      },
      action: 'release',
      why: 'five graces passed',
    },
    {
      situation: 'a pending create past one grace but within five: still waited out',
      input: { pending: ago(120_000), observation: { byId: undefined, named: listed([]) } },
      action: 'wait',
      why: 'a deletion waits longer than a create: a release is final',
    },
    {
      // The guard's assumption fails: the decision is made well past the wait, but the list it rests on was asked
      // for inside it (a slow or retried list call). The list's own time decides.
      situation: 'ADVERSARIAL: decided after the wait, on a list requested within it: wait',
      input: {
        pending: ago(400_000),
        observation: { byId: undefined, named: listed([], NOW.getTime() - 150_000) },
      },
      action: 'wait',
      why: 'the list shows no more than when it was requested (250 s after the create, under 5 graces)',
    },
    {
      situation: 'decided after the wait, on a list requested after it: release',
      input: {
        pending: ago(400_000),
        observation: { byId: undefined, named: listed([], NOW.getTime() - 50_000) },
      },
      action: 'release',
      why: 'the list was requested 350 s after the create',
    },
    {
      situation: 'lost create answer: found by name under the intent, deleted (no leak)',
      input: { pending: ago(400_000), observation: { byId: undefined, named: listed([found(addon('addon_named'))]) } },
      action: 'delete',
      deletes: ['addon_named'],
      then: 'release',
      why: 'this resource itself created it',
    },
    {
      // The other half of the chaos leak fix (decideCreate recordFirst): the intent is removed only after status
      // records what it made, so at every crash point one of the two leads is there.
      situation: 'a surfaced create recorded in status, killed before its intent went: the recorded add-on goes',
      input: {
        statusId: 'addon_named',
        pending: ago(5_000),
        observation: { byId: found(addon('addon_named')), named: listed([found(addon('addon_named'))]) },
      },
      action: 'delete',
      deletes: ['addon_named'],
      then: 'wait',
      why: 'status records it; its intent is recent, so the name is looked at again before letting go',
    },
    {
      situation: 'no status id and no intent: no name lookup, even though a create may once have been made',
      input: { observation: { byId: undefined, named: listed([found(addon('addon_named'))]) } },
      action: 'release',
      why: 'the name alone is no lead; the reconciler never removes the intent before status records the id',
    },
    {
      situation: 'recorded add-on gone, a newer create pending and surfaced by name',
      input: {
        statusId: 'addon_old',
        pending: ago(1_000),
        observation: { byId: found(undefined), named: listed([found(addon('addon_new'))]) },
      },
      action: 'delete',
      deletes: ['addon_new'],
      then: 'wait',
      why: 'its own pending create',
    },
    {
      situation: 'recorded add-on held by an older resource (two adopted at once)',
      input: { statusId: 'addon_1', observation: { byId: found(addon('addon_1'), 'ns/older'), named: undefined } },
      action: 'release',
      why: 'the other resource has the better claim',
    },
    {
      situation: 'named add-ons held by another resource or of another provider are never deleted',
      input: {
        pending: ago(400_000),
        observation: {
          byId: undefined,
          named: listed([found(addon('addon_named'), 'ns/other'), found(addon('addon_pg', 'postgresql-addon'))]),
        },
      },
      action: 'release',
      why: 'the other resource has the better claim; another kind is not ours',
    },
    {
      situation: 'recorded id now resolves to another provider',
      input: {
        statusId: 'addon_1',
        observation: { byId: found(addon('addon_1', 'postgresql-addon')), named: undefined },
      },
      action: 'release',
      why: 'never delete an add-on of another kind',
    },
    {
      situation: 'orphan-on-delete annotation under policy Delete',
      input: {
        statusId: 'addon_1',
        unconfirmedSince: ago(1_000),
        policy: { action: 'orphan', warning: undefined, by: 'annotation', why: 'annotation' },
      },
      action: 'orphan',
      why: 'an administrator let it go',
    },
    {
      situation: 'unreadable policy',
      input: {
        statusId: 'addon_1',
        policy: {
          action: 'orphan',
          warning: { field: 'spec.deletionPolicy', message: 'm' },
          by: 'uncertain',
          why: 'x',
        },
      },
      action: 'orphan',
      why: 'cannot tell what the user asked for: keep it',
    },
  ];
  it.each(rows)('$situation -> $action ($why)', ({ input, action, deletes, then, lookUp }) => {
    const d = decideDeletion({ ...base, policy: DELETE, observation: undefined, ...input });
    expect(d.action).toBe(action);
    if (d.action === 'delete') expect({ deletes: d.addons.map((a) => a.id), then: d.then }).toEqual({ deletes, then });
    if (d.action === 'observe') expect({ id: d.id, byName: d.byName }).toEqual(lookUp);
  });
});

describe('decideOrphanCleanup (policy Orphan keeps the recorded add-on, not what lost create answers made)', () => {
  const NAME = 'kubernetes::Redis::uid-1';
  const named = (id: string, createdAgo = 100_000, providerId = PROVIDER): Addon =>
    ({
      id,
      realId: `real_${id}`,
      name: NAME,
      provider: { id: providerId },
      creationDate: NOW.getTime() - createdAgo,
    }) as unknown as Addon;
  const KEPT = named('addon_kept', 90_000);
  const base: OrphanCleanupInput = {
    policy: ORPHAN,
    statusIds: ['addon_kept', undefined, 'real_addon_kept'],
    pending: undefined,
    unconfirmed: { count: 2, since: ago(400_000) },
    lastCreate: ago(380_000),
    name: NAME,
    adopting: false,
    observation: undefined,
    now: NOW,
    graceMs: GRACE,
  };
  /** What the lookups found: the recorded add-on (null: Clever says it is gone) and the list under the name. */
  const seen = (found: (Addon | Found)[], at = NOW.getTime(), held: Addon | null = KEPT) => ({
    held: held ?? undefined,
    named: {
      at,
      found: found.map((f): Found => ('provider' in f ? { addon: f, rival: undefined } : f)),
    },
  });
  const rows: {
    situation: string;
    input: Partial<OrphanCleanupInput>;
    action: string;
    removes?: string[];
    then?: string;
  }[] = [
    { situation: 'not looked yet: the recorded add-on and the name', input: {}, action: 'observe' },
    {
      // Chaos short-lag, seed 13: a Metabase under Orphan, deleted after its third create was recorded and before
      // the repair saw the first two: three add-ons were left, two of them never recorded nor bound.
      situation: 'ADVERSARIAL: two unrepaired duplicates next to the kept add-on: both go, the kept one stays',
      input: { observation: seen([named('addon_lost1', 120_000), KEPT, named('addon_lost2', 110_000)]) },
      action: 'remove',
      removes: ['addon_lost1', 'addon_lost2'],
      then: 'release',
    },
    {
      situation: 'a duplicate another resource adopted is never removed; the other one goes',
      input: {
        observation: seen([{ addon: named('addon_adopted'), rival: 'ns/other' }, named('addon_lost2'), KEPT]),
      },
      action: 'remove',
      removes: ['addon_lost2'],
      then: 'release',
    },
    {
      situation: 'duplicates removed while the latest create is within the wait: look again before letting go',
      input: { lastCreate: ago(60_000), observation: seen([named('addon_lost1'), KEPT]) },
      action: 'remove',
      removes: ['addon_lost1'],
      then: 'wait',
    },
    {
      situation: 'nothing under the name yet, the latest create recent: wait',
      input: { lastCreate: ago(60_000), observation: seen([KEPT]) },
      action: 'wait',
    },
    {
      situation: 'ADVERSARIAL: decided after the wait, on a list requested within it: wait',
      input: { observation: seen([KEPT], NOW.getTime() - 150_000) },
      action: 'wait',
    },
    {
      situation: 'nothing else under the name, long after: let go',
      input: { observation: seen([KEPT]) },
      action: 'none',
    },
    {
      situation: 'more add-ons under the name than lost creates: none removed (something else made one)',
      input: { observation: seen([named('a1'), named('a2'), named('a3'), KEPT]) },
      action: 'none',
    },
    {
      situation: 'the orphan-on-delete annotation: nothing touched',
      input: { policy: { ...ORPHAN, by: 'annotation' } },
      action: 'none',
    },
    {
      situation: 'an unreadable policy: nothing touched',
      input: { policy: { action: 'orphan', by: 'uncertain', warning: { field: 'spec', message: 'm' }, why: 'x' } },
      action: 'none',
    },
    { situation: 'policy Delete: not this function', input: { policy: DELETE }, action: 'none' },
    { situation: 'no unconfirmed create: no lookup at all', input: { unconfirmed: undefined }, action: 'none' },
    {
      situation: 'status records nothing: no telling which to keep',
      input: { statusIds: [undefined, undefined, undefined] },
      action: 'none',
    },
    { situation: 'a create still pending: no telling which to keep', input: { pending: ago(1_000) }, action: 'none' },
    {
      situation: 'the recorded add-on was not found: nothing touched',
      input: { observation: seen([named('addon_lost1')], NOW.getTime(), null) },
      action: 'none',
    },
    {
      situation: 'adopted (the adoption annotation): the one under the name may be the one bound before',
      input: { adopting: true, observation: seen([named('addon_lost1'), KEPT]) },
      action: 'none',
    },
  ];
  it.each(rows)('$situation -> $action', ({ input, action, removes, then }) => {
    const d = decideOrphanCleanup({ ...base, ...input });
    expect(d.action).toBe(action);
    if (d.action === 'remove') expect({ removes: d.addons.map((a) => a.id), then: d.then }).toEqual({ removes, then });
    if (d.action === 'observe') expect(d.id).toBe('addon_kept');
  });
});

describe('decideAnnotation (an adoption annotation next to a recorded add-on)', () => {
  const key = ANNOTATIONS.addonId;
  it.each([
    { situation: 'no annotation', annotation: undefined, statusId: 'addon_1', deleting: false, action: 'none' },
    {
      situation: 'names the recorded add-on',
      annotation: 'addon_1',
      statusId: 'addon_1',
      deleting: false,
      action: 'agree',
    },
    {
      situation: 'names the recorded add-on by realId',
      annotation: 'real_1',
      statusId: 'addon_1',
      deleting: true,
      action: 'agree',
    },
    {
      situation: 'nothing recorded yet, live: the annotation may adopt',
      annotation: 'addon_2',
      statusId: undefined,
      deleting: false,
      action: 'none',
    },
    {
      situation: 'ADVERSARIAL: added to a resource holding its own add-on',
      annotation: 'addon_2',
      statusId: 'addon_1',
      deleting: false,
      action: 'ignore',
      says: ['addon_2', 'addon_1', 'ignored'],
    },
    {
      situation: 'ADVERSARIAL: at deletion, names another add-on than recorded',
      annotation: 'addon_2',
      statusId: 'addon_1',
      deleting: true,
      action: 'ignore',
      says: ['addon_2', 'left in place'],
    },
    {
      situation: 'ADVERSARIAL: at deletion, never adopted (the pass failed before observe)',
      annotation: 'addon_2',
      statusId: undefined,
      deleting: true,
      action: 'ignore',
      says: ['addon_2', 'never adopted', 'left in place'],
    },
  ])('$situation -> $action', ({ annotation, statusId, deleting, action, says }) => {
    const realId = statusId ? `real_${statusId.split('_')[1]}` : undefined;
    const d = decideAnnotation({ annotation, statusId, realId, deleting, annotationKey: key });
    expect(d.action).toBe(action);
    if (d.action === 'ignore') for (const s of says ?? []) expect(d.message).toContain(s);
  });
});
