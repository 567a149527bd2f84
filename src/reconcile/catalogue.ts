// Resolving what the spec asks for against Clever's live catalogue: plan (slug, name or id), region, version.
// Invalid input is reported before any write call, naming the field and the allowed values, so a typo costs no
// Clever API write and no retry storm.
import { findPlan, type AddonProvider, type Plan, type ProviderInfo } from '../clever/index.ts';
import type { ProviderDefinition } from '../model/provider.ts';

export type InvalidReason =
  | 'InvalidPlan'
  | 'InvalidRegion'
  | 'InvalidVersion'
  | 'InvalidOrganisation'
  | 'InvalidSpec'
  | 'AdoptionConflict'
  | 'OwnerChanged'
  | 'RegionChanged';

/** A spec problem only the user can fix; the resource waits for a spec change. */
export class InvalidSpecError extends Error {
  readonly reason: InvalidReason;
  readonly field: string;
  constructor(reason: InvalidReason, field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InvalidSpecError';
    this.reason = reason;
    this.field = field;
  }
}

const list = (values: Iterable<string>) => [...values].join(', ');

function isShared(plan: Plan): boolean {
  const f = plan.features?.find((x) => x.name_code === 'is-dedicated' || x.name.toLowerCase() === 'type');
  const value = (f?.computable_value ?? f?.value ?? '').toLowerCase();
  return value === 'shared';
}

/** Cheapest plan when none is asked for (what clever-tools does); else slug, name or id, case-insensitive. */
export function resolvePlan(provider: AddonProvider, requested: string | undefined): Plan {
  if (provider.plans.length === 0) {
    throw new InvalidSpecError('InvalidPlan', 'spec.instance.plan', `provider ${provider.id} offers no plan`);
  }
  if (requested === undefined) {
    return [...provider.plans].sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity))[0]!;
  }
  const plan = findPlan(provider, requested);
  if (!plan) {
    throw new InvalidSpecError(
      'InvalidPlan',
      'spec.instance.plan',
      `plan "${requested}" does not exist for ${provider.id}; allowed: ${list(provider.plans.map((p) => p.slug))}`,
    );
  }
  return plan;
}

export function resolveRegion(provider: AddonProvider, plan: Plan, region: string): string {
  if (!provider.regions.includes(region)) {
    throw new InvalidSpecError(
      'InvalidRegion',
      'spec.instance.region',
      `region "${region}" is not offered for ${provider.id}; allowed: ${list(provider.regions)}`,
    );
  }
  if (plan.zones && plan.zones.length > 0 && !plan.zones.includes(region)) {
    throw new InvalidSpecError(
      'InvalidRegion',
      'spec.instance.region',
      `plan ${plan.slug} is not available in region "${region}"; allowed for this plan: ${list(plan.zones)}`,
    );
  }
  return region;
}

/** The versions Clever offers for this plan in this region (shared clusters, or dedicated versions). */
export function allowedVersions(info: ProviderInfo, plan: Plan, region: string): string[] {
  if (isShared(plan)) {
    const versions = info.clusters.filter((c) => c.zone === region).map((c) => c.version);
    return [...new Set(versions.length > 0 ? versions : info.clusters.map((c) => c.version))];
  }
  return Object.keys(info.dedicated);
}

/**
 * The version string to send to Clever, or undefined when the provider has no versions (or none was asked for
 * and Clever chooses). Upstream integer codes are translated first (Redis 724 -> "7.2.4").
 */
export function resolveVersion(
  definition: ProviderDefinition,
  info: ProviderInfo | null,
  plan: Plan,
  region: string,
  requested: string | number | undefined,
): string | undefined {
  const field = 'spec.options.version';
  let wanted: string | undefined;
  if (typeof requested === 'number') {
    const codes = definition.versions?.upstreamCodes ?? {};
    wanted = codes[requested];
    if (wanted === undefined) {
      throw new InvalidSpecError(
        'InvalidVersion',
        field,
        `version code ${requested} is unknown for ${definition.kind}; upstream codes: ${list(Object.keys(codes))}, or write the version as a string`,
      );
    }
  } else {
    wanted = requested;
  }
  if (!info) return wanted;
  const allowed = allowedVersions(info, plan, region);
  if (wanted === undefined) {
    return isShared(plan) ? allowed[0] : (info.defaultDedicatedVersion ?? undefined);
  }
  const exact = allowed.find((v) => v.toLowerCase() === wanted.toLowerCase());
  if (exact) return exact;
  // "8" asks for the newest 8.x Clever offers.
  const prefixed = allowed.filter((v) => v.startsWith(`${wanted}.`)).sort(compareVersions);
  if (prefixed.length > 0) return prefixed[prefixed.length - 1];
  throw new InvalidSpecError(
    'InvalidVersion',
    field,
    `version "${wanted}" is not offered for ${definition.providerId} on plan ${plan.slug} in ${region}; allowed: ${list(allowed)}`,
  );
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return 0;
}

/** Does `actual` (what Clever reports, e.g. "17.10") satisfy `desired` (what we asked, e.g. "17")? */
export function versionSatisfies(actual: string, desired: string): boolean {
  return actual === desired || actual.startsWith(`${desired}.`) || desired.startsWith(`${actual}.`);
}
