// Validation of add-on creation and migration input, against the catalogue. Messages name the offending field and
// list what is allowed, so a misconfigured client gets an actionable error from the simulator (the real API's
// wording is not documented; its statuses are: unknown provider 404, bad input 400).
import {
  BOOLEAN_OPTIONS,
  findPlan,
  findProvider,
  isDedicated,
  type CataloguePlan,
  type ProviderDef,
} from './catalogue.ts';

export interface InputError {
  status: number;
  field: string;
  message: string;
}

export interface CreateRequest {
  name?: string;
  provider: ProviderDef;
  plan: CataloguePlan;
  region: string;
  version?: string;
  options: Record<string, string>;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: InputError };

function fail<T>(field: string, message: string, status = 400): Result<T> {
  return { ok: false, error: { status, field, message: `${field}: ${message}` } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validateCreate(body: unknown): Result<CreateRequest> {
  if (!isRecord(body)) return fail('body', 'expected a JSON object');
  const { name, providerId, plan: planRef, region } = body;
  if (name !== undefined && name !== null && typeof name !== 'string') return fail('name', 'must be a string');
  if (typeof providerId !== 'string' || providerId === '') return fail('providerId', 'is required');
  const provider = findProvider(providerId);
  if (!provider) return fail('providerId', `provider '${providerId}' does not exist`, 404);
  if (typeof planRef !== 'string' || planRef === '') return fail('plan', 'is required (a plan id, plan_…)');
  const planResult = resolvePlan(provider, planRef);
  if (!planResult.ok) return planResult;
  const plan = planResult.value;
  if (typeof region !== 'string' || region === '') return fail('region', 'is required');
  const regionError = checkRegion(provider, plan, region);
  if (regionError) return { ok: false, error: regionError };

  const rawOptions = body.options ?? {};
  if (!isRecord(rawOptions)) return fail('options', 'must be an object of string values');
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawOptions)) {
    if (typeof value !== 'string') return fail(`options.${key}`, 'must be a string (booleans as "true"/"false")');
    options[key] = value;
  }
  // OAS2 also has a top-level version; clients use options.version.
  if (options.version === undefined && typeof body.version === 'string') options.version = body.version;
  const optionsError = checkOptions(provider, plan, options);
  if (optionsError) return { ok: false, error: optionsError };
  const version = resolveVersion(provider, plan, options.version);
  if (!version.ok) return version;
  if (version.value !== undefined) options.version = version.value;
  return {
    ok: true,
    value: {
      name: typeof name === 'string' ? name : undefined,
      provider,
      plan,
      region,
      version: version.value,
      options,
    },
  };
}

export function resolvePlan(provider: ProviderDef, ref: string, field = 'plan'): Result<CataloguePlan> {
  const plan = findPlan(provider, ref);
  if (plan) return { ok: true, value: plan };
  const bySlug = provider.plans.find((p) => p.slug.toLowerCase() === ref.toLowerCase() || p.name === ref);
  if (bySlug) {
    return fail(
      field,
      `expected a plan id (plan_…), got '${ref}'; plan '${bySlug.slug}' of ${provider.id} is ${bySlug.id}`,
    );
  }
  const allowed = provider.plans.map((p) => `${p.slug}=${p.id}`).join(', ');
  return fail(field, `plan '${ref}' not found for provider ${provider.id} (plans: ${allowed})`);
}

export function checkRegion(
  provider: ProviderDef,
  plan: CataloguePlan,
  region: string,
  field = 'region',
): InputError | undefined {
  if (!provider.regions.includes(region)) {
    return {
      status: 400,
      field,
      message: `${field}: '${region}' is not available for provider ${provider.id} (regions: ${provider.regions.join(', ')})`,
    };
  }
  if (!plan.zones.includes(region)) {
    return {
      status: 400,
      field,
      message: `${field}: '${region}' is not available for plan ${plan.slug} of ${provider.id} (zones: ${plan.zones.join(', ')})`,
    };
  }
  return undefined;
}

function checkOptions(
  provider: ProviderDef,
  plan: CataloguePlan,
  options: Record<string, string>,
): InputError | undefined {
  for (const [key, value] of Object.entries(options)) {
    if (!provider.options.includes(key)) {
      const allowed = provider.options.length
        ? `allowed: ${provider.options.join(', ')}`
        : 'this provider takes no options';
      return {
        status: 400,
        field: `options.${key}`,
        message: `options.${key}: unknown option for ${provider.id} (${allowed})`,
      };
    }
    if (BOOLEAN_OPTIONS.has(key) && value !== 'true' && value !== 'false') {
      return {
        status: 400,
        field: `options.${key}`,
        message: `options.${key}: must be "true" or "false", got '${value}'`,
      };
    }
    if (key === 'encryption' && value === 'true' && !isDedicated(plan)) {
      return {
        status: 400,
        field: 'options.encryption',
        message: `options.encryption: not available on shared plan ${plan.slug} of ${provider.id}`,
      };
    }
    if (key === 'services' && !validServices(value)) {
      return {
        status: 400,
        field: 'options.services',
        message: `options.services: expected a JSON array of {"name":"kibana"|"apm","enabled":boolean}`,
      };
    }
  }
  return undefined;
}

function validServices(value: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return false;
  }
  return (
    Array.isArray(parsed) &&
    parsed.every((s) => isRecord(s) && (s.name === 'kibana' || s.name === 'apm') && typeof s.enabled === 'boolean')
  );
}

/** The versions a plan accepts: dedicated map keys for dedicated plans, the shared cluster version otherwise. */
export function allowedVersions(provider: ProviderDef, plan: CataloguePlan): { key: string; full: string }[] {
  if (provider.versions) {
    if (isDedicated(plan)) return provider.versions.dedicated;
    return provider.versions.shared ? [provider.versions.shared] : [];
  }
  return (provider.operatorVersions ?? []).map((key) => ({ key, full: key }));
}

/**
 * Resolves a requested version (the key, the full version, or an unambiguous major) to the provider's key; no
 * request gives the default. Providers without versions resolve to undefined.
 */
export function resolveVersion(
  provider: ProviderDef,
  plan: CataloguePlan,
  requested: string | undefined,
  field = 'options.version',
): Result<string | undefined> {
  const allowed = allowedVersions(provider, plan);
  if (allowed.length === 0) {
    if (requested === undefined) return { ok: true, value: undefined };
    return fail(field, `${provider.id} has no selectable version`);
  }
  // Shared plans run the zone's cluster version. clever-tools sends `options.version` = defaultDedicatedVersion for
  // every plan it creates, shared ones included, and the real API accepts it: a dedicated version on a shared plan
  // is accepted and the add-on gets the cluster's version (evidence in README.md, "Behaviour from clever-tools").
  if (requested !== undefined && provider.versions && !isDedicated(plan) && provider.versions.shared) {
    const dedicated = provider.versions.dedicated.find((e) => e.key === requested || e.full === requested);
    if (dedicated) return { ok: true, value: provider.versions.shared.key };
  }
  if (requested === undefined) {
    const def = provider.versions
      ? isDedicated(plan)
        ? provider.versions.defaultDedicated
        : provider.versions.shared?.key
      : allowed[allowed.length - 1]?.key;
    return { ok: true, value: def };
  }
  const exact = allowed.find((e) => e.key === requested || e.full === requested);
  if (exact) return { ok: true, value: exact.key };
  const byMajor = allowed.filter((e) => e.key.split('.')[0] === requested);
  if (byMajor.length === 1 && byMajor[0]) return { ok: true, value: byMajor[0].key };
  const list = allowed.map((e) => (e.key === e.full ? e.key : `${e.key} (${e.full})`)).join(', ');
  return fail(field, `version '${requested}' is not available for ${provider.id} plan ${plan.slug} (allowed: ${list})`);
}
