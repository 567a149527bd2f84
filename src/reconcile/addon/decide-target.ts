// What a bound resource may be asked to become, as pure functions (like decide.ts): whether the spec may still move
// the add-on's owner or region, and which parts of the target (plan, region, version) are resolved again against
// Clever's live catalogue and which are kept as they were resolved when the spec last asked for them.
//
// Two rules hold here:
//   - what exists on Clever Cloud is never moved: an add-on cannot change owner or region, so a spec that asks for
//     another owner or region once an add-on exists (or may exist: a create whose answer was lost) is refused before
//     any Clever call; before that, nothing exists and the spec may still be corrected;
//   - the live catalogue gates what the spec asks for now, never what it asked for before: a plan or version that
//     Clever retires, or a newer minor that appears, changes nothing for a bound resource whose spec did not change.
import type { TargetStatus } from '../../model/status.ts';

export interface BoundChangeInput {
  /** status.addonId. */
  addonId: string | undefined;
  /** The create-pending annotation: an add-on may exist whose id was never recorded. */
  pending: string | undefined;
  /** spec.organisation. */
  specOwner: string | undefined;
  /** status.organisation: the owner the add-on was looked up and created in. */
  recordedOwner: string | undefined;
  /** The region the spec asks for (its default when it names none). */
  specRegion: string | undefined;
  /** status.region: the add-on's own region, as Clever reports it. */
  addonRegion: string | undefined;
  /** status.target.region: the region resolved from the spec when it was last applied. */
  appliedRegion: string | undefined;
}

export type BoundChangeDecision =
  | { action: 'proceed'; why: string }
  | {
      action: 'refuse';
      reason: 'OwnerChanged' | 'RegionChanged';
      field: 'spec.organisation' | 'spec.instance.region';
      message: string;
      why: string;
    };

/** Refuse a spec that would move an existing add-on to another owner or region; anything goes before it exists. */
export function decideBoundChange(input: BoundChangeInput): BoundChangeDecision {
  const { addonId, pending, specOwner, recordedOwner } = input;
  if (addonId === undefined && pending === undefined) {
    return { action: 'proceed', why: 'no add-on exists yet: the spec may still be corrected' };
  }
  const what = addonId ? `add-on ${addonId}` : 'the add-on being created';
  if (specOwner !== undefined && recordedOwner !== undefined && specOwner !== recordedOwner) {
    return {
      action: 'refuse',
      reason: 'OwnerChanged',
      field: 'spec.organisation',
      message:
        `${what} lives in ${recordedOwner}; an add-on cannot move to ${specOwner}. ` +
        `Set spec.organisation back to ${recordedOwner} (or remove it); nothing was called on Clever Cloud`,
      why: addonId ? 'the add-on exists under the recorded owner' : 'a create under the recorded owner may have run',
    };
  }
  const { specRegion, addonRegion, appliedRegion } = input;
  // The add-on's own region, or (for an adopted add-on whose spec kept another default) the one last applied.
  if (
    addonId !== undefined &&
    specRegion !== undefined &&
    appliedRegion !== undefined &&
    specRegion !== appliedRegion &&
    specRegion !== addonRegion
  ) {
    return {
      action: 'refuse',
      reason: 'RegionChanged',
      field: 'spec.instance.region',
      message:
        `${what} runs in ${addonRegion ?? appliedRegion}; an add-on cannot move to ` +
        `${specRegion}. Set the region back; nothing was called on Clever Cloud`,
      why: 'the add-on exists in another region',
    };
  }
  return { action: 'proceed', why: 'same owner and region' };
}

/** The catalogue-relevant values of the spec, as written (a version code as its string). */
export interface Requested {
  plan: string | undefined;
  region: string | undefined;
  version: string | undefined;
}

export interface TargetInput {
  /** status.addonId is set. */
  bound: boolean;
  /** metadata.generation. */
  generation: number | undefined;
  /** status.target: what was resolved the last time the spec was applied. */
  recorded: TargetStatus | undefined;
  requested: Requested;
}

export interface TargetDecision {
  /** Per field: keep the recorded resolution (true) or resolve the spec's value against the live catalogue. */
  keep: { plan: boolean; region: boolean; version: boolean };
  why: string;
}

const NONE = { plan: false, region: false, version: false };
const ALL = { plan: true, region: true, version: true };

/**
 * Resolve against the live catalogue only what the spec asks for anew: everything while nothing exists (the
 * catalogue gates creation), else only the fields whose spec value changed since the target was recorded.
 */
export function decideTarget(input: TargetInput): TargetDecision {
  const { recorded } = input;
  if (!input.bound) return { keep: NONE, why: 'nothing exists yet: the live catalogue gates creation' };
  if (!recorded) return { keep: NONE, why: 'no target recorded yet for this add-on' };
  if (input.generation !== undefined && recorded.generation === input.generation) {
    return { keep: ALL, why: 'the spec is unchanged since the target was recorded' };
  }
  const was = recorded.requested ?? {};
  const keep = {
    plan: was.plan === input.requested.plan,
    region: was.region === input.requested.region,
    version: was.version === input.requested.version,
  };
  // A version whose spec value is unchanged is kept even when the plan changes: a plan migration never upgrades.
  const changed = (['plan', 'region', 'version'] as const).filter((f) => !keep[f]);
  return {
    keep,
    why:
      changed.length === 0
        ? 'the plan, region and version asked for are unchanged'
        : `the spec asks for another ${changed.join(' and ')}`,
  };
}

/** The spec's version as a string (an upstream integer code as its digits), to compare with what was recorded. */
export function requestedString(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}
