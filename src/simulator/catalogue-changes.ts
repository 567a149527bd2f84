// Changes to the catalogue while the simulator runs, as Clever Cloud makes them: a plan or a version retired, a newer
// (minor) version added. They change the catalogue as served (`GET /v2/products/addonproviders[/{id}]`,
// `GET /v4/addon-providers/{id}`), which is what clients resolve plans and versions against; add-ons that exist keep
// their plan and version, as on the real platform. Per simulator instance, in memory (not in the state file).
import { PROVIDERS, type ProviderDef, type VersionEntry } from './catalogue.ts';

export type CatalogueChange =
  | { retirePlan: { providerId: string; plan: string } }
  | { retireVersion: { providerId: string; version: string } }
  | { addVersion: { providerId: string; version: string; full?: string } };

export class CatalogueChanges {
  private readonly changes: CatalogueChange[] = [];
  private readonly retiredPlans = new Map<string, Set<string>>();
  private readonly retiredVersions = new Map<string, Set<string>>();
  private readonly addedVersions = new Map<string, VersionEntry[]>();

  /** Applies one change; throws on an unknown provider, plan or version. */
  apply(change: CatalogueChange): void {
    if ('retirePlan' in change) {
      const { providerId, plan } = change.retirePlan;
      const p = this.base(providerId);
      const found = p.plans.find((x) => x.slug.toLowerCase() === plan.toLowerCase() || x.id === plan);
      if (!found) throw new Error(`provider ${providerId} has no plan ${plan}`);
      setOf(this.retiredPlans, providerId).add(found.id);
    } else if ('retireVersion' in change) {
      const { providerId, version } = change.retireVersion;
      const live = this.find(providerId);
      if (!live?.versions?.dedicated.some((v) => v.key === version)) {
        throw new Error(`provider ${providerId} offers no version ${version}`);
      }
      setOf(this.retiredVersions, providerId).add(version);
    } else if ('addVersion' in change) {
      const { providerId, version, full } = change.addVersion;
      const p = this.base(providerId);
      if (!p.versions) throw new Error(`provider ${providerId} has no versions`);
      this.retiredVersions.get(providerId)?.delete(version);
      const known = [...p.versions.dedicated, ...(this.addedVersions.get(providerId) ?? [])];
      if (!known.some((v) => v.key === version)) {
        this.addedVersions.set(providerId, [
          ...(this.addedVersions.get(providerId) ?? []),
          { key: version, full: full ?? version },
        ]);
      }
    } else {
      throw new Error('expected one of retirePlan, retireVersion, addVersion');
    }
    this.changes.push(structuredClone(change));
  }

  /** Why a create on this plan and version is refused (retired since the simulator started), or undefined. */
  retired(providerId: string, planId: string, version: string | undefined): string | undefined {
    if (this.retiredPlans.get(providerId)?.has(planId)) return `plan: ${planId} is no longer offered for ${providerId}`;
    if (version !== undefined && this.retiredVersions.get(providerId)?.has(version)) {
      return `options.version: version ${version} is no longer offered for ${providerId}`;
    }
    return undefined;
  }

  list(): CatalogueChange[] {
    return structuredClone(this.changes);
  }

  /** Every provider as served now. */
  all(): ProviderDef[] {
    return PROVIDERS.map((p) => this.live(p));
  }

  /** One provider as served now. */
  find(id: string): ProviderDef | undefined {
    const p = PROVIDERS.find((x) => x.id === id);
    return p && this.live(p);
  }

  private base(id: string): ProviderDef {
    const p = PROVIDERS.find((x) => x.id === id);
    if (!p) throw new Error(`no provider ${id}`);
    return p;
  }

  private live(p: ProviderDef): ProviderDef {
    const plans = this.retiredPlans.get(p.id);
    const retired = this.retiredVersions.get(p.id);
    const added = this.addedVersions.get(p.id);
    if (!plans && !retired && !added) return p;
    const out: ProviderDef = { ...p, plans: p.plans.filter((x) => !plans?.has(x.id)) };
    if (p.versions) {
      const dedicated = [...p.versions.dedicated, ...(added ?? [])].filter((v) => !retired?.has(v.key));
      out.versions = { ...p.versions, dedicated };
    }
    return out;
  }
}

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

/** Reads a change from an admin request body. */
export function parseCatalogueChange(value: unknown): CatalogueChange {
  if (typeof value !== 'object' || value === null) throw new Error('expected a JSON object');
  const v = value as Record<string, Record<string, unknown> | undefined>;
  const str = (x: unknown, name: string): string => {
    if (typeof x !== 'string' || x === '') throw new Error(`${name} must be a non-empty string`);
    return x;
  };
  if (v.retirePlan) {
    return {
      retirePlan: { providerId: str(v.retirePlan.providerId, 'providerId'), plan: str(v.retirePlan.plan, 'plan') },
    };
  }
  if (v.retireVersion) {
    const r = v.retireVersion;
    return { retireVersion: { providerId: str(r.providerId, 'providerId'), version: str(r.version, 'version') } };
  }
  if (v.addVersion) {
    const a = v.addVersion;
    return {
      addVersion: {
        providerId: str(a.providerId, 'providerId'),
        version: str(a.version, 'version'),
        ...(a.full === undefined ? {} : { full: str(a.full, 'full') }),
      },
    };
  }
  throw new Error('expected one of retirePlan, retireVersion, addVersion');
}
