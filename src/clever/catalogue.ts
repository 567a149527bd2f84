// A TTL cache over the catalogue (providers, plans, v4 provider info). Every reconcile resolves a plan slug and
// checks a version; without a cache that is one catalogue GET per reconcile, multiplied by every resource.
// Concurrent misses share one request; failures are not cached.
import type { CleverClient } from './client.ts';
import type { AddonProvider, Plan, ProviderInfo } from './schemas.ts';

export interface CatalogueCacheOptions {
  /** Default 10 minutes: plans and versions change rarely, and a stale entry only delays a new one. */
  ttlMs?: number;
  now?: () => number;
}

interface Entry<T> {
  at: number;
  value: Promise<T>;
}

export class CatalogueCache {
  private readonly client: Pick<CleverClient, 'listAddonProviders' | 'getProviderInfo'>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry<unknown>>();

  constructor(
    client: Pick<CleverClient, 'listAddonProviders' | 'getProviderInfo'>,
    options: CatalogueCacheOptions = {},
  ) {
    this.client = client;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The catalogue as seen by `ownerId` (which adds its private providers), or the public one. */
  providers(ownerId?: string): Promise<AddonProvider[]> {
    return this.cached(`providers:${ownerId ?? ''}`, () => this.client.listAddonProviders(ownerId));
  }

  async provider(providerId: string, ownerId?: string): Promise<AddonProvider | undefined> {
    return (await this.providers(ownerId)).find((p) => p.id === providerId);
  }

  /** v4 versions/clusters; null for providers without that endpoint. */
  providerInfo(providerId: string): Promise<ProviderInfo | null> {
    return this.cached(`info:${providerId}`, () => this.client.getProviderInfo(providerId));
  }

  /** Drops everything, e.g. after a create failed with an invalid plan (the catalogue may have changed). */
  clear(): void {
    this.entries.clear();
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key) as Entry<T> | undefined;
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}

/**
 * The plan a user means: a `plan_…` id, or a slug / name compared case-insensitively (what clever-tools and the
 * upstream operator accept). Undefined when nothing matches; `describePlans` gives the list for the message.
 */
export function findPlan(provider: AddonProvider, ref: string): Plan | undefined {
  const wanted = ref.trim().toLowerCase();
  return (
    provider.plans.find((p) => p.id.toLowerCase() === wanted) ??
    provider.plans.find((p) => p.slug.toLowerCase() === wanted) ??
    provider.plans.find((p) => p.name.toLowerCase() === wanted)
  );
}

/** `dev (plan_…), xxs_sml (plan_…)`, cheapest first, for "unknown plan" conditions. */
export function describePlans(provider: AddonProvider): string {
  return [...provider.plans]
    .sort((a, b) => (a.price ?? 0) - (b.price ?? 0))
    .map((p) => `${p.slug} (${p.id})`)
    .join(', ');
}
