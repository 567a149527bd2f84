// Broker metrics computed at scrape time from the informer caches, so they can never drift from what the cluster
// holds: `clever_addons{kind,namespace,ready,synced}` counts the add-on resources per kind and namespace by the
// status of their Ready and Synced conditions (True, False, or Unknown when not yet reported), as Crossplane's
// crossplane_managed_resource_ready does for its managed resources.
import { Gauge, type Registry } from 'prom-client';

export interface CachedAddon {
  kind: string;
  resource: {
    metadata?: { namespace?: string };
    status?: {
      conditions?: { type: string; status: string }[];
      monthlyPrice?: number;
      plan?: { slug: string };
    };
  };
}

const conditionStatus = (a: CachedAddon, type: string): string =>
  a.resource.status?.conditions?.find((c) => c.type === type)?.status ?? 'Unknown';

/** Counts per label set; exported for unit tests. */
export function countAddons(addons: Iterable<CachedAddon>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of addons) {
    const key = JSON.stringify([
      a.kind,
      a.resource.metadata?.namespace ?? '',
      conditionStatus(a, 'Ready'),
      conditionStatus(a, 'Synced'),
    ]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function registerAddonGauge(registry: Registry, source: () => Iterable<CachedAddon>): Gauge {
  // One gauge per registry: a second Manager on the same registry (tests) replaces the first one's source.
  if (registry.getSingleMetric('clever_addons')) registry.removeSingleMetric('clever_addons');
  return new Gauge({
    name: 'clever_addons',
    help: 'Add-on resources in the cache, by kind, namespace, and status of their Ready and Synced conditions',
    labelNames: ['kind', 'namespace', 'ready', 'synced'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of countAddons(source())) {
        const [kind, namespace, ready, synced] = JSON.parse(key) as [string, string, string, string];
        this.set({ kind, namespace, ready, synced }, n);
      }
    },
  });
}

/** What each label set of the price gauge adds up to; exported for unit tests. */
export function sumPrices(addons: Iterable<CachedAddon>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const a of addons) {
    const price = a.resource.status?.monthlyPrice;
    if (typeof price !== 'number') continue;
    const key = JSON.stringify([a.resource.metadata?.namespace ?? '', a.kind, a.resource.status?.plan?.slug ?? '']);
    sums.set(key, Math.round(((sums.get(key) ?? 0) + price) * 100) / 100);
  }
  return sums;
}

/**
 * `clever_addon_monthly_price{namespace,kind,plan}`: the monthly price (live catalogue) of the add-ons of the
 * caches, summed per label set; what a namespace commits is its sum over kind and plan.
 */
export function registerPriceGauge(registry: Registry, source: () => Iterable<CachedAddon>): Gauge {
  if (registry.getSingleMetric('clever_addon_monthly_price')) registry.removeSingleMetric('clever_addon_monthly_price');
  return new Gauge({
    name: 'clever_addon_monthly_price',
    help: "Monthly price of the add-ons' plans from Clever Cloud's live catalogue, by namespace, kind and plan",
    labelNames: ['namespace', 'kind', 'plan'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, price] of sumPrices(source())) {
        const [namespace, kind, plan] = JSON.parse(key) as [string, string, string];
        this.set({ namespace, kind, plan }, price);
      }
    },
  });
}
