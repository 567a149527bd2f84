// The catalogue as the real API shows it: provider and plan views of `GET /v2/products/addonproviders` and
// `GET /v4/addon-providers/{id}`, built from the catalogue data in catalogue.ts.
import { isDedicated, type CataloguePlan, type ProviderDef } from './catalogue.ts';

/** The provider as embedded in an AddonView (no plans). */
export function providerSummaryView(p: ProviderDef): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    website: 'http://www.clever-cloud.com',
    supportEmail: 'support@clever-cloud.com',
    googlePlusName: '',
    twitterName: '',
    analyticsId: '',
    shortDesc: p.shortDesc,
    longDesc: p.shortDesc,
    logoUrl: `https://assets.clever-cloud.com/logos/${p.logo}.svg`,
    status: p.status,
    openInNewTab: false,
    canUpgrade: p.canUpgrade,
    regions: [...p.regions],
  };
}

/** `AddonProviderInfoFullView` of `GET /v2/products/addonproviders`. */
export function providerFullView(p: ProviderDef): Record<string, unknown> {
  const dedicatedTyped = p.plans.some((plan) => plan.features.some((f) => f.name_code === 'is-dedicated'));
  return {
    ...providerSummaryView(p),
    features: dedicatedTyped ? [{ name: 'Type', type: 'BOOLEAN_SHARED', name_code: 'is-dedicated' }] : [],
    plans: p.plans.map(planView),
  };
}

export function planView(plan: CataloguePlan): Record<string, unknown> {
  return {
    id: plan.id,
    name: plan.name,
    slug: plan.slug,
    price: plan.price,
    price_id: plan.price_id,
    features: plan.features.map((f) => ({ ...f })),
    zones: [...plan.zones],
  };
}

/** `GET /v4/addon-providers/{id}`; undefined when the real API has no such info for the provider. */
export function providerInfoView(p: ProviderDef): Record<string, unknown> | undefined {
  if (!p.hasProviderInfo) return undefined;
  const versions = p.versions;
  if (versions) {
    const features = versions.features.map((name) => ({ name, enabled: false }));
    const shared = versions.shared;
    const sharedZones = p.plans.filter((plan) => !isDedicated(plan)).flatMap((plan) => plan.zones);
    return {
      providerId: p.id,
      clusters: shared
        ? [...new Set(sharedZones)].map((zone) => ({
            id: `${p.realIdPrefix}cluster_${zone}_1`,
            label: `${zone}-${p.id.replace(/-addon$/, '')}-c1`,
            zone,
            version: shared.key,
            features: features.map((f) => ({ ...f })),
          }))
        : [],
      dedicated: Object.fromEntries(
        versions.dedicated.map((e) => [e.key, { features: features.map((f) => ({ ...f })) }]),
      ),
      defaultDedicatedVersion: versions.defaultDedicated,
    };
  }
  if (p.operatorVersions) {
    const last = p.operatorVersions[p.operatorVersions.length - 1] ?? '';
    return {
      providerId: p.id,
      clusters: [],
      dedicated: Object.fromEntries(p.operatorVersions.map((ver) => [ver, { features: [] }])),
      defaultDedicatedVersion: last,
    };
  }
  return { providerId: p.id, clusters: [], dedicated: {} };
}
