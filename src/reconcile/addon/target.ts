// Steps 3 and 4 as they concern what already exists (decide-target.ts decides): refusing a spec that would move an
// existing add-on to another owner or region before any Clever call, and resolving the plan, region and version
// against the live catalogue only where the spec asks for something new.
import { findPlan, type AddonProvider, type Plan } from '../../clever/index.ts';
import type { TargetStatus } from '../../model/status.ts';
import { InvalidSpecError, resolvePlan, resolveRegion, resolveVersion } from '../catalogue.ts';
import { decideBoundChange, decideTarget, requestedString, type Requested } from './decide-target.ts';
import type { ExternalClient } from './external.ts';
import { AddonFailure } from './failures.ts';
import type { Pass } from './pass.ts';
import type { CommonSpec, StepContext } from './types.ts';

/** What step 4 resolved: the plan, region and version to create with (and, when the spec asks, to be on). */
export interface Target {
  /** The plan; its monthly price when it was resolved against the catalogue in this pass. */
  plan: { id: string; slug: string; price?: number };
  region: string;
  version: string | undefined;
  /** The spec values they come from. */
  requested: Requested;
}

/** The catalogue-relevant spec values, as written. */
export function requestedOf(c: StepContext, data: unknown): Requested {
  const { def } = c;
  return {
    plan: def.plan(data),
    region: def.region(data) ?? def.defaultRegion,
    version: requestedString(def.requestedVersion?.(data)),
  };
}

/** Step 3, before any Clever call: an existing add-on is never moved to another owner or region. */
export function guardBound(c: StepContext, pass: Pass, data: unknown): void {
  const spec = data as CommonSpec;
  const decision = decideBoundChange({
    addonId: pass.status.addonId,
    pending: pass.pendingCreate,
    specOwner: spec.organisation,
    recordedOwner: pass.status.organisation,
    specRegion: requestedOf(c, data).region,
    addonRegion: pass.status.region,
    appliedRegion: pass.status.target?.region,
  });
  if (decision.action === 'refuse') throw new InvalidSpecError(decision.reason, decision.field, decision.message);
}

/**
 * Step 4. Only what the spec asks for anew is resolved against the live catalogue (decideTarget); a bound resource
 * whose spec is unchanged makes no catalogue call at all. A plan missing from a cached catalogue is re-checked fresh
 * once before the spec is called wrong.
 */
export async function resolveTarget(c: StepContext, pass: Pass, ext: ExternalClient, data: unknown): Promise<Target> {
  const { def } = c;
  const requested = requestedOf(c, data);
  const recorded = pass.status.target;
  const { keep } = decideTarget({
    bound: Boolean(pass.status.addonId),
    generation: pass.generation,
    recorded,
    requested,
  });
  if (recorded && keep.plan && keep.region && keep.version) {
    return { plan: recorded.plan, region: recorded.region, version: recorded.version, requested };
  }
  let provider = await ext.provider();
  if (!provider) {
    throw new AddonFailure(
      'ProviderUnavailable',
      `provider ${def.providerId} is not in the Clever Cloud catalogue of these credentials`,
    );
  }
  let plan: Plan;
  if (recorded && keep.plan) {
    plan = keptPlan(provider, recorded);
  } else {
    try {
      plan = resolvePlan(provider, requested.plan);
    } catch (err) {
      if (!(err instanceof InvalidSpecError)) throw err;
      provider = (await ext.provider(true)) ?? provider;
      plan = resolvePlan(provider, requested.plan);
    }
  }
  const region =
    recorded && keep.region && keep.plan ? recorded.region : resolveRegion(provider, plan, requested.region!);
  let version: string | undefined;
  if (recorded && keep.version) {
    version = recorded.version;
  } else if (def.requestedVersion) {
    const wanted = def.requestedVersion(data);
    try {
      version = resolveVersion(def, await ext.providerInfo(), plan, region, wanted);
    } catch (err) {
      // A version Clever added since the catalogue was cached: re-checked fresh once, like a plan.
      if (!(err instanceof InvalidSpecError)) throw err;
      await ext.provider(true);
      version = resolveVersion(def, await ext.providerInfo(), plan, region, wanted);
    }
  }
  const price = typeof plan.price === 'number' ? { price: plan.price } : {};
  return { plan: { id: plan.id, slug: plan.slug, ...price }, region, version, requested };
}

/** The recorded plan as the live catalogue has it, or as recorded when Clever no longer offers it. */
function keptPlan(provider: AddonProvider, recorded: TargetStatus): Plan {
  return findPlan(provider, recorded.plan.id) ?? { ...recorded.plan, name: recorded.plan.slug };
}

/** Step 10: the target as applied at this generation. */
export function recordTarget(pass: Pass, target: Target): void {
  const generation = pass.generation;
  if (generation === undefined) return;
  const r = target.requested;
  pass.status.target = {
    generation,
    plan: { id: target.plan.id, slug: target.plan.slug },
    region: target.region,
    ...(target.version !== undefined ? { version: target.version } : {}),
    requested: {
      ...(r.plan !== undefined ? { plan: r.plan } : {}),
      ...(r.region !== undefined ? { region: r.region } : {}),
      ...(r.version !== undefined ? { version: r.version } : {}),
    },
  };
}
