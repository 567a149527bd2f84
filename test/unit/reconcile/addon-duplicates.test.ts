// decideDuplicates as a table: which add-on under a resource's deterministic name is kept and which removed, and
// why. Pure: every fact is passed in.
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../../src/clever/index.ts';
import {
  addUnconfirmed,
  decideDuplicates,
  MAX_CREATE_CALL_MS,
  parseUnconfirmed,
  pickNamed,
  type Unconfirmed,
} from '../../../src/reconcile/addon/decide-duplicates.ts';

const NAME = 'kubernetes::Redis::uid-1';
const T = Date.parse('2026-01-01T12:00:00Z');
const LOST_AT = new Date(T).toISOString();

function addon(id: string, createdAt = T, name = NAME, providerId = 'redis-addon'): Addon {
  const a: Addon = {
    id,
    realId: `real_${id}`,
    name,
    region: 'par',
    provider: { id: providerId },
    plan: { id: 'plan_s', slug: 's' },
    creationDate: createdAt,
    configKeys: [],
  };
  return a;
}

const held = addon('addon_held', T + 20_000);
const lost = addon('addon_lost', T - 2_000);
const one: Unconfirmed = { count: 1, since: LOST_AT };

type Row = {
  situation: string;
  held?: Addon;
  recorded?: boolean;
  adopting?: boolean;
  statusIds?: (string | undefined)[];
  named: Addon[];
  unconfirmed: Unconfirmed | undefined;
  expected: Record<string, 'keep' | 'remove'>;
  why: string;
};

describe('decideDuplicates', () => {
  it.each<Row>([
    {
      situation: 'lost create surfaced next to the held one',
      named: [lost, held],
      unconfirmed: one,
      expected: { addon_lost: 'remove' },
      why: 'never recorded, never bound, accounted for by the unconfirmed create',
    },
    {
      situation: 'list lag: only the lost one listed yet',
      named: [lost],
      unconfirmed: one,
      expected: { addon_lost: 'remove' },
      why: 'the held one was found by id; the list need not show it',
    },
    {
      situation: 'only the held one',
      named: [held],
      unconfirmed: one,
      expected: {},
      why: 'nothing to decide (the count stays: the lost create may still surface)',
    },
    {
      situation: 'held one not yet written to status',
      recorded: false,
      named: [lost, held],
      unconfirmed: one,
      expected: { addon_lost: 'keep' },
      why: 'removal waits until the one kept is recorded',
    },
    {
      situation: 'adversarial: no unconfirmed create',
      named: [lost, held],
      unconfirmed: undefined,
      expected: { addon_lost: 'keep' },
      why: 'the resource cannot account for it (someone copied our name, or it was bound before)',
    },
    {
      situation: 'adversarial: more add-ons than unconfirmed creates',
      named: [lost, addon('addon_x', T), held],
      unconfirmed: one,
      expected: { addon_lost: 'keep', addon_x: 'keep' },
      why: 'no telling which one our create made',
    },
    {
      situation: 'two unconfirmed creates, two extras',
      named: [lost, addon('addon_x', T + 5_000), held],
      unconfirmed: { count: 2, since: LOST_AT },
      expected: { addon_lost: 'remove', addon_x: 'remove' },
      why: 'each accounted for',
    },
    {
      situation: 'adversarial: the extra one is recorded in status (addon)',
      named: [lost, held],
      statusIds: ['addon_held', 'addon_lost', 'real_addon_held'],
      unconfirmed: one,
      expected: { addon_lost: 'keep' },
      why: 'never remove one recorded in status',
    },
    {
      situation: 'adversarial: the extra one is recorded in status (realId)',
      named: [lost, held],
      statusIds: ['addon_held', undefined, 'real_addon_lost'],
      unconfirmed: one,
      expected: { addon_lost: 'keep' },
      why: 'never remove one recorded in status',
    },
    {
      situation: 'adversarial: held add-on was adopted (another name)',
      held: addon('addon_adopted', T, 'my-db'),
      adopting: true,
      named: [lost],
      unconfirmed: one,
      expected: { addon_lost: 'keep' },
      why: 'the add-on under our name may be the one bound before the adoption',
    },
    {
      situation: 'adversarial: extra one created long before the unconfirmed create',
      named: [addon('addon_old', T - MAX_CREATE_CALL_MS - 1), held],
      unconfirmed: one,
      expected: { addon_old: 'keep' },
      why: 'no lost call could have made it: e.g. a bound add-on that came back after a recreate',
    },
    {
      situation: 'extra one created just within the call window',
      named: [addon('addon_edge', T - MAX_CREATE_CALL_MS), held],
      unconfirmed: one,
      expected: { addon_edge: 'remove' },
      why: 'the boundary is inclusive',
    },
  ])('$situation ($why)', (row) => {
    const h = row.held ?? held;
    const verdicts = decideDuplicates({
      name: NAME,
      held: h,
      recorded: row.recorded ?? true,
      adopting: row.adopting ?? false,
      statusIds: row.statusIds ?? [h.id, h.id, h.realId],
      named: row.named,
      unconfirmed: row.unconfirmed,
    });
    expect(Object.fromEntries(verdicts.map((v) => [v.addon.id, v.action]))).toEqual(row.expected);
    for (const v of verdicts) expect(v.why).not.toBe('');
    // Whatever the row: the held add-on is never removed.
    expect(verdicts.some((v) => v.addon.id === h.id)).toBe(false);
  });
});

describe('the unconfirmed-creates annotation', () => {
  it.each([
    { value: undefined, parsed: undefined },
    { value: '', parsed: undefined },
    { value: '1;2026-01-01T12:00:00.000Z', parsed: { count: 1, since: '2026-01-01T12:00:00.000Z' } },
    { value: '0;2026-01-01T12:00:00.000Z', parsed: undefined },
    { value: 'x;2026-01-01T12:00:00.000Z', parsed: undefined },
    { value: '2;not a time', parsed: undefined },
    { value: '1.5;2026-01-01T12:00:00.000Z', parsed: undefined },
  ])('$value -> $parsed (unreadable: nothing is removed)', ({ value, parsed }) => {
    expect(parseUnconfirmed(value)).toEqual(parsed);
  });

  it('counts up and keeps the time of the first', () => {
    const first = addUnconfirmed(undefined, LOST_AT);
    expect(first).toBe(`1;${LOST_AT}`);
    expect(addUnconfirmed(first, '2026-01-01T13:00:00.000Z')).toBe(`2;${LOST_AT}`);
  });
});

describe('pickNamed', () => {
  it('takes the oldest, then the smallest id, whatever the list order', () => {
    expect(pickNamed([held, lost])?.id).toBe('addon_lost');
    expect(pickNamed([addon('b', T), addon('a', T)])?.id).toBe('a');
    expect(pickNamed([])).toBeUndefined();
  });
});
