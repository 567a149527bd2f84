// Conditions and the status comparison that decides whether a status write is skipped.
import { describe, expect, it } from 'vitest';
import type { AddonStatus } from '../../../src/model/status.ts';
import { sameStatus, setCondition } from '../../../src/reconcile/conditions.ts';

const at = new Date('2026-11-30T10:00:00Z');
const later = new Date('2026-11-30T11:00:00Z');
const ready = { status: 'True', reason: 'Available', message: 'ok' } as const;

describe('sameStatus', () => {
  const base: AddonStatus = {
    addonId: 'addon_1',
    phase: 'Ready',
    observedGeneration: 2,
    plan: { slug: 'xs_sml' } as AddonStatus['plan'],
    conditions: setCondition(undefined, 'Ready', ready, 2, at),
  };
  const cases: [string, AddonStatus | undefined, AddonStatus, boolean][] = [
    ['identical', base, structuredClone(base), true],
    [
      'keys in another order',
      base,
      { conditions: base.conditions, observedGeneration: 2, phase: 'Ready', plan: base.plan, addonId: 'addon_1' },
      true,
    ],
    ['a key holding undefined is absent', base, { ...structuredClone(base), url: undefined }, true],
    ['undefined on the other side too', { ...base, url: undefined }, structuredClone(base), true],
    ['a key added later', base, { ...structuredClone(base), url: 'postgresql://h' }, false],
    ['a key removed', { ...base, url: 'postgresql://h' }, structuredClone(base), false],
    ['a nested value changed', base, { ...structuredClone(base), plan: { slug: 'm' } as AddonStatus['plan'] }, false],
    [
      'a number and its string',
      base,
      { ...structuredClone(base), observedGeneration: '2' as unknown as number },
      false,
    ],
    ['an array of other length', base, { ...structuredClone(base), conditions: [] }, false],
    [
      'an array element changed',
      base,
      {
        ...structuredClone(base),
        conditions: setCondition(base.conditions, 'Ready', { ...ready, message: 'other' }, 2, later),
      },
      false,
    ],
    ['an object and an array', { conditions: {} as never }, { conditions: [] }, false],
    ['null and an object', { plan: null as never }, { plan: {} as never }, false],
    ['nothing before and an empty status', undefined, {}, true],
    ['nothing before and a status', undefined, { phase: 'Pending' }, false],
  ];
  it.each(cases)('%s', (_name, a, b, same) => {
    expect(sameStatus(a, b)).toBe(same);
    if (a !== undefined) expect(sameStatus(b, a)).toBe(same);
  });
});

describe('setCondition', () => {
  it('keeps conditions ordered by type and the transition time while the status holds', () => {
    let c = setCondition(undefined, 'Synced', ready, 1, at);
    c = setCondition(c, 'Ready', { status: 'False', reason: 'Provisioning', message: 'wait' }, 1, at);
    expect(c.map((x) => x.type)).toEqual(['Ready', 'Synced']);
    const again = setCondition(c, 'Synced', { ...ready, message: 'still ok' }, 2, later);
    expect(again.find((x) => x.type === 'Synced')?.lastTransitionTime).toBe(at.toISOString());
    const flipped = setCondition(c, 'Ready', ready, 2, later);
    expect(flipped.find((x) => x.type === 'Ready')?.lastTransitionTime).toBe(later.toISOString());
  });
});
