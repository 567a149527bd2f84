// The decisions about what a bound resource may become (decide-target.ts), as tables: each row a situation, the
// expected action and why it is so.
import { describe, expect, it } from 'vitest';
import { decideBoundChange, decideTarget, type Requested } from '../../../src/reconcile/addon/decide-target.ts';
import type { TargetStatus } from '../../../src/model/status.ts';

const A = 'orga_a';
const B = 'orga_b';
const ID = 'addon_1';

describe('decideBoundChange', () => {
  const base = {
    addonId: ID as string | undefined,
    pending: undefined as string | undefined,
    specOwner: undefined as string | undefined,
    recordedOwner: A as string | undefined,
    specRegion: 'par' as string | undefined,
    addonRegion: 'par' as string | undefined,
    appliedRegion: 'par' as string | undefined,
  };
  it.each([
    {
      situation: 'bound, spec names no owner',
      input: {},
      action: 'proceed',
      why: 'the recorded owner is used: nothing moves',
    },
    {
      situation: 'bound, spec names the recorded owner',
      input: { specOwner: A },
      action: 'proceed',
      why: 'writing down the owner it already has changes nothing',
    },
    {
      situation: 'bound, spec owner added later and different (the reproduced leak)',
      input: { specOwner: B },
      action: 'refuse',
      reason: 'OwnerChanged',
      why: 'a lookup under B would 404 and create a second add-on while the first leaks',
    },
    {
      situation: 'never created, spec owner differs from the credentials default recorded',
      input: { addonId: undefined, specOwner: B },
      action: 'proceed',
      why: 'nothing exists: the owner may still be corrected',
    },
    {
      situation: 'create pending (answer lost), spec owner changed',
      input: { addonId: undefined, pending: '2026-01-01T00:00:00Z', specOwner: B },
      action: 'refuse',
      reason: 'OwnerChanged',
      why: 'the lost create may have made an add-on under the recorded owner',
    },
    {
      situation: 'bound, no owner recorded (status from an older operator)',
      input: { specOwner: B, recordedOwner: undefined },
      action: 'proceed',
      why: 'nothing to compare with; the CRD rule holds the field',
    },
    {
      situation: 'bound, spec region changed',
      input: { specRegion: 'mtl' },
      action: 'refuse',
      reason: 'RegionChanged',
      why: 'an add-on cannot move region',
    },
    {
      situation: 'never created, spec region corrected',
      input: { addonId: undefined, specRegion: 'mtl' },
      action: 'proceed',
      why: 'a typo in a resource whose add-on was never created can be fixed',
    },
    {
      situation: 'adopted add-on in mtl, spec kept the par default it was applied with',
      input: { addonRegion: 'mtl', appliedRegion: 'par' },
      action: 'proceed',
      why: 'the spec did not change: adoption keeps working',
    },
    {
      situation: 'adopted add-on in mtl, spec set to mtl to match it',
      input: { specRegion: 'mtl', addonRegion: 'mtl', appliedRegion: 'par' },
      action: 'proceed',
      why: 'the spec now names the region the add-on is in',
    },
    {
      situation: 'bound, no target recorded yet (older status), region differs',
      input: { specRegion: 'mtl', appliedRegion: undefined },
      action: 'proceed',
      why: 'nothing applied to compare with; the CRD rule refuses the edit',
    },
    {
      situation: 'owner and region both changed',
      input: { specOwner: B, specRegion: 'mtl' },
      action: 'refuse',
      reason: 'OwnerChanged',
      why: 'the owner is checked first',
    },
  ])('$situation: $action ($why)', ({ input, action, reason }) => {
    const d = decideBoundChange({ ...base, ...input });
    expect(d.action).toBe(action);
    if (d.action === 'refuse') {
      expect(d.reason).toBe(reason);
      expect(d.message).not.toContain('undefined');
    }
  });
});

describe('decideTarget', () => {
  const requested: Requested = { plan: 'xs_sml', region: 'par', version: '8' };
  const recorded: TargetStatus = {
    generation: 3,
    plan: { id: 'plan_xs', slug: 'xs_sml' },
    region: 'par',
    version: '8.0',
    requested: { plan: 'xs_sml', region: 'par', version: '8' },
  };
  const ALL = { plan: true, region: true, version: true };
  const NONE = { plan: false, region: false, version: false };
  it.each([
    {
      situation: 'nothing created yet',
      input: { bound: false, generation: 3, recorded },
      keep: NONE,
      why: 'the live catalogue gates creation',
    },
    {
      situation: 'bound, nothing recorded (older status)',
      input: { bound: true, generation: 3, recorded: undefined },
      keep: NONE,
      why: 'nothing to keep',
    },
    {
      situation: 'bound, generation unchanged',
      input: { bound: true, generation: 3, recorded },
      keep: ALL,
      why: 'a retired plan or a newer minor changes nothing: no catalogue call at all',
    },
    {
      situation: 'bound, generation unchanged even though the spec values now differ from those recorded',
      input: { bound: true, generation: 3, recorded, requested: { ...requested, plan: 'm' } },
      keep: ALL,
      why: 'the record belongs to this very generation',
    },
    {
      situation: 'bound, another field changed (labels), same plan/region/version',
      input: { bound: true, generation: 4, recorded },
      keep: ALL,
      why: 'an unrelated spec change does not re-resolve "8" to a newer 8.x',
    },
    {
      situation: 'bound, version changed',
      input: { bound: true, generation: 4, recorded, requested: { ...requested, version: '8.4' } },
      keep: { plan: true, region: true, version: false },
      why: 'only the version is resolved anew',
    },
    {
      situation: 'bound, plan changed',
      input: { bound: true, generation: 4, recorded, requested: { ...requested, plan: 'm_big' } },
      keep: { plan: false, region: true, version: true },
      why: 'a plan migration keeps the version asked for',
    },
    {
      situation: 'bound, record without requested values (older shape)',
      input: { bound: true, generation: 4, recorded: { ...recorded, requested: undefined } },
      keep: NONE,
      why: 'cannot tell what changed: resolve',
    },
    {
      situation: 'bound, no generation known',
      input: { bound: true, generation: undefined, recorded },
      keep: ALL,
      why: 'the spec values are those recorded',
    },
  ])('$situation: keep $keep ($why)', ({ input, keep }) => {
    const d = decideTarget({ requested, ...input });
    expect(d.keep).toEqual(keep);
    expect(d.why.length).toBeGreaterThan(0);
  });
});
