// The add-on catalogue: providers, plans (with the plan ids known from public sources, stable generated ids for the
// rest), regions, versions and accepted options. Shapes follow `GET /v2/products/addonproviders` and
// `GET /v4/addon-providers/{id}`.
import { stableUuid } from './rng.ts';

export interface PlanFeature {
  name: string;
  type: string;
  value: string;
  computable_value: string | null;
  name_code: string | null;
}

export interface CataloguePlan {
  id: string;
  name: string;
  slug: string;
  price: number;
  price_id: string;
  zones: string[];
  features: PlanFeature[];
}

export interface VersionEntry {
  /** The key the provider uses in `dedicated` / cluster `version` (e.g. '17', '7.2.4'). */
  key: string;
  /** The full version string (e.g. '17.10'). */
  full: string;
}

export interface ProviderVersions {
  dedicated: VersionEntry[];
  defaultDedicated: string;
  /** Version of the shared (DEV) clusters, when the provider has a shared plan. */
  shared?: VersionEntry;
  /** Feature names listed for each version in the v4 provider info. */
  features: string[];
}

export interface ProviderDef {
  id: string;
  name: string;
  shortDesc: string;
  logo: string;
  status: 'ALPHA' | 'BETA_PRIV' | 'BETA_PUB' | 'RELEASE';
  canUpgrade: boolean;
  regions: string[];
  realIdPrefix: string;
  plans: CataloguePlan[];
  /** Option names accepted on create. */
  options: string[];
  versions?: ProviderVersions;
  /** Whether `GET /v4/addon-providers/{id}` answers (CT treats a failure as "version-less provider"). */
  hasProviderInfo: boolean;
  /** Free-form versions for operators (availableVersions). */
  operatorVersions?: string[];
}

export const BOOLEAN_OPTIONS = new Set([
  'encryption',
  'do-backup',
  'direct-host-only',
  'skip-log-bin',
  'kibana',
  'apm',
]);

const ALL_DB_REGIONS = ['par', 'parhds', 'grahds', 'ldn', 'mtl', 'rbx', 'rbxhds', 'scw', 'sgp', 'syd', 'wsw'];
const MONGO_REGIONS = ['par', 'ldn', 'mtl', 'rbx', 'scw', 'sgp', 'syd', 'wsw'];
const OPERATOR_REGIONS = ['par', 'fr-north-hds', 'grahds', 'mtl', 'rbx', 'rbxhds', 'scw', 'sgp', 'syd', 'wsw'];

/** Plan ids seen in public sources (clever-components fixtures, the Rust SDK, the Kubernetes operator docs). */
const KNOWN_PLAN_IDS: Record<string, string> = {
  'postgresql-addon/dev': 'plan_d2ada71a-aa8e-4ead-8cb9-28314664437e',
  'postgresql-addon/xxs_sml': 'plan_c32d00fb-6c06-48a9-a0a3-9d808937ec68',
  'postgresql-addon/xs_sml': 'plan_f14478be-b59a-4f64-870c-6887c561492d',
  'mysql-addon/dev': 'plan_bf78ef5b-aedd-4024-973a-c2ff45541b88',
  'mongodb-addon/xs_sml': 'plan_b53983a2-63d3-472d-8c98-f1bdea682912',
  // Published for the former `s` plan; s_mono is its successor.
  'redis-addon/s_mono': 'plan_964e2ebf-5606-471f-8ec7-7f79264015d9',
  'es-addon/xs': 'plan_0e0bc5ea-ba21-41e8-865b-1ed48e0163ca',
  'es-addon/s': 'plan_7675a239-057e-448e-85fb-77b5aa2ef47e',
  'cellar-addon/S': 'plan_84c85ee3-5fdb-4aca-a727-298ddc14b766',
  'fs-bucket/s': 'plan_09345cf9-b8ed-4540-b4f7-80ec422fd27b',
  'config-provider/std': 'plan_5d8e9596-dd73-4b73-84d9-e165372c5324',
  'addon-pulsar/beta': 'plan_3ad3c5be-5c1e-4dae-bf9a-87120b88fc13',
  'kv/alpha': 'plan_53a1728d-4b9e-4254-94c4-b19163af587b',
  'keycloak/base': 'plan_3819e4b3-cc6d-4847-9f02-0db93212956c',
  'metabase/base': 'plan_2925d534-7155-4521-8052-d068d7ce8915',
  'addon-matomo/beta': 'plan_87283ba6-617c-420d-8e37-3350a2fcdd66',
  'otoroshi/base': 'plan_d738ee0f-8720-499a-8067-2fca53a2665a',
};

export function planId(providerId: string, slug: string): string {
  return KNOWN_PLAN_IDS[`${providerId}/${slug}`] ?? `plan_${stableUuid(`plan:${providerId}/${slug}`)}`;
}

const GIB = 1024 ** 3;
const SIZE_ORDER = ['xxs', 'xs', 's', 'm', 'l', 'xl', 'xxl', 'xxxl', '3xl'];
const SIZE_MEMORY_GIB: Record<string, number> = {
  xxs: 0.5,
  xs: 1,
  s: 2,
  m: 4,
  l: 8,
  xl: 16,
  xxl: 32,
  xxxl: 64,
  '3xl': 128,
};
const SIZE_PRICE: Record<string, number> = {
  xxs: 5.25,
  xs: 17.5,
  s: 35,
  m: 70,
  l: 140,
  xl: 280,
  xxl: 560,
  xxxl: 1120,
  '3xl': 2240,
};
const VARIANT_DISK_GIB: Record<string, number> = { tny: 5, sml: 10, med: 20, big: 40, hug: 80, gnt: 160, cpu: 320 };
const VARIANT_NAME: Record<string, string> = {
  tny: 'Tiny',
  sml: 'Small',
  med: 'Medium',
  big: 'Big',
  hug: 'Huge',
  gnt: 'Giant',
  cpu: 'CPU Titan',
};

function feature(
  name: string,
  type: string,
  value: string,
  computable: string | null,
  code: string | null,
): PlanFeature {
  return { name, type, value, computable_value: computable, name_code: code };
}

function typeFeature(dedicated: boolean): PlanFeature {
  const v = dedicated ? 'Dedicated' : 'Shared';
  return feature('Type', 'BOOLEAN_SHARED', v, v.toLowerCase(), 'is-dedicated');
}

function bytes(gib: number): string {
  return gib >= 1 ? `${gib} GB` : `${gib * 1024} MB`;
}

const BACKUP = feature(
  'Backups',
  'OBJECT',
  'Daily - 7 Retained',
  '{"frequency_seconds":86400,"retention_seconds":604800}',
  'backup',
);

/** A sized database plan such as `xs_sml`: memory from the size, disk from the variant. */
function dbPlan(providerId: string, pricePrefix: string, slug: string, zones: string[]): CataloguePlan {
  if (slug === 'dev') {
    return {
      id: planId(providerId, slug),
      name: 'DEV',
      slug,
      price: 0,
      price_id: `${pricePrefix}.dev`,
      zones: ['par'],
      features: [
        feature('Max connection limit', 'NUMBER', '5', '5', 'connection-limit'),
        feature('Memory', 'BYTES', 'Shared', '0', 'memory'),
        feature('Max DB size', 'BYTES', '256 MB', String(256 * 1024 * 1024), 'disk-size'),
        typeFeature(false),
        BACKUP,
      ],
    };
  }
  const [size = 's', variant = 'sml'] = slug.split('_');
  const mem = SIZE_MEMORY_GIB[size] ?? 2;
  const disk = (VARIANT_DISK_GIB[variant] ?? 10) * Math.max(1, SIZE_ORDER.indexOf(size));
  const price = Math.round((SIZE_PRICE[size] ?? 35) * (1 + (VARIANT_DISK_GIB[variant] ?? 10) / 100) * 100) / 100;
  return {
    id: planId(providerId, slug),
    name: `${size.toUpperCase()} ${VARIANT_NAME[variant] ?? variant} Space`,
    slug,
    price,
    price_id: `${pricePrefix}.${slug}`,
    zones,
    features: [
      feature('Max connection limit', 'NUMBER', String(25 * mem * 4), String(25 * mem * 4), 'connection-limit'),
      feature('Memory', 'BYTES', bytes(mem), String(mem * GIB), 'memory'),
      feature(
        'vCPUS',
        'NUMBER',
        String(Math.max(1, Math.round(mem / 2))),
        String(Math.max(1, Math.round(mem / 2))),
        'cpu',
      ),
      feature('Max DB size', 'BYTES', bytes(disk), String(disk * GIB), 'disk-size'),
      typeFeature(true),
      BACKUP,
    ],
  };
}

/** A plan identified only by size (Redis `s_mono`, Elasticsearch `xs`). */
function sizedPlan(
  providerId: string,
  pricePrefix: string,
  slug: string,
  index: number,
  zones: string[],
  basePrice: number,
): CataloguePlan {
  const mem = 2 ** index;
  const name = slug.replace(/_mono$/, '').toUpperCase();
  return {
    id: planId(providerId, slug),
    name: slug.endsWith('_mono') ? `${name} Mono` : name,
    slug,
    price: Math.round(basePrice * 2 ** index * 100) / 100,
    price_id: `${pricePrefix}.${slug}`,
    zones,
    features: [
      feature('Memory', 'BYTES', bytes(mem), String(mem * GIB), 'memory'),
      feature('vCPUS', 'NUMBER', String(Math.max(1, index)), String(Math.max(1, index)), 'cpu'),
      typeFeature(true),
    ],
  };
}

function simplePlan(
  providerId: string,
  slug: string,
  name: string,
  price: number,
  zones: string[],
  dedicated = false,
): CataloguePlan {
  return {
    id: planId(providerId, slug),
    name,
    slug,
    price,
    price_id: `${providerId.replace(/-addon$|^addon-/, '')}.${slug.toLowerCase()}`,
    zones,
    features: [typeFeature(dedicated)],
  };
}

const PG_SLUGS =
  'dev xxs_sml xxs_med xxs_big xs_tny xs_sml xs_med xs_big s_sml s_med s_big s_hug m_sml m_med m_big l_sml l_med l_big xl_sml l_gnt xl_med xl_big xl_hug xl_gnt xxl_sml xxl_med xxl_big xxl_hug xxxl_sml xxxl_med xxxl_big 3xl_cpu_tit';
const MYSQL_SLUGS =
  'dev xxs_sml xxs_med xxs_big xs_tny xs_sml xs_med xs_big s_sml s_med s_big m_sml m_med m_big l_sml l_med l_big xl_sml xl_med xl_big xxl_sml xxl_med xxl_big xxl_hug';
const MONGO_SLUGS =
  'xs_sml xs_med xs_big s_sml s_med s_big s_hug m_sml m_med m_big m_hug l_sml l_med l_big xl_sml xl_med xl_big xxl_sml xxl_med xxl_big';
const REDIS_SLUGS = 's_mono m_mono l_mono xl_mono xxl_mono xxxl_mono xxxxl_mono 5xl_mono 6xl_mono 7xl_mono';
const ES_SLUGS = 'xs s m l xl xxl xxxl 4xl 5xl';

function v(key: string, full: string = key): VersionEntry {
  return { key, full };
}

function provider(
  def: Omit<ProviderDef, 'canUpgrade' | 'status' | 'hasProviderInfo'> & Partial<ProviderDef>,
): ProviderDef {
  return { status: 'RELEASE', canUpgrade: true, hasProviderInfo: false, ...def };
}

export const PROVIDERS: ProviderDef[] = [
  provider({
    id: 'postgresql-addon',
    name: 'PostgreSQL',
    shortDesc: 'A powerful, open source object-relational database system',
    logo: 'pgsql',
    regions: ALL_DB_REGIONS,
    realIdPrefix: 'postgresql_',
    plans: PG_SLUGS.split(' ').map((s) => dbPlan('postgresql-addon', 'postgresql', s, ALL_DB_REGIONS)),
    options: ['version', 'encryption', 'do-backup', 'direct-host-only', 'locale'],
    hasProviderInfo: true,
    versions: {
      dedicated: [v('14', '14.23'), v('15', '15.18'), v('16', '16.14'), v('17', '17.10'), v('18', '18.4')],
      defaultDedicated: '17',
      shared: v('15', '15.18'),
      features: ['encryption'],
    },
  }),
  provider({
    id: 'mysql-addon',
    name: 'MySQL',
    shortDesc: 'The most popular open source relational database',
    logo: 'mysql',
    regions: ALL_DB_REGIONS,
    realIdPrefix: 'mysql_',
    plans: MYSQL_SLUGS.split(' ').map((s) => dbPlan('mysql-addon', 'mysql', s, ALL_DB_REGIONS)),
    options: ['version', 'encryption', 'do-backup', 'direct-host-only', 'skip-log-bin'],
    hasProviderInfo: true,
    versions: {
      dedicated: [v('5.7', '5.7.44'), v('8.0', '8.0.45'), v('8.4', '8.4.8')],
      defaultDedicated: '8.0',
      shared: v('8.0', '8.0.45'),
      features: ['encryption'],
    },
  }),
  provider({
    id: 'mongodb-addon',
    name: 'MongoDB',
    shortDesc: 'A document-oriented NoSQL database',
    logo: 'mongodb',
    regions: MONGO_REGIONS,
    realIdPrefix: 'mongodb_',
    plans: MONGO_SLUGS.split(' ').map((s) => dbPlan('mongodb-addon', 'mongodb', s, MONGO_REGIONS)),
    options: ['version', 'encryption', 'direct-host-only'],
    hasProviderInfo: true,
    versions: { dedicated: [v('4.0.3')], defaultDedicated: '4.0.3', features: ['encryption'] },
  }),
  provider({
    id: 'redis-addon',
    name: 'Redis',
    shortDesc: 'An in-memory key-value data store',
    logo: 'redis',
    regions: ALL_DB_REGIONS,
    realIdPrefix: 'redis_',
    plans: REDIS_SLUGS.split(' ').map((s, i) => sizedPlan('redis-addon', 'redis', s, i, ALL_DB_REGIONS, 8.67)),
    options: ['version', 'encryption'],
    hasProviderInfo: true,
    versions: { dedicated: [v('7.2.4'), v('8.8.0')], defaultDedicated: '7.2.4', features: ['encryption'] },
  }),
  provider({
    id: 'es-addon',
    name: 'Elastic Stack',
    shortDesc: 'Elasticsearch with Kibana and APM',
    logo: 'elasticsearch',
    regions: ALL_DB_REGIONS,
    realIdPrefix: 'elasticsearch_',
    plans: ES_SLUGS.split(' ').map((s, i) => sizedPlan('es-addon', 'elasticsearch', s, i, ALL_DB_REGIONS, 17)),
    options: ['version', 'encryption', 'kibana', 'apm', 'plugins', 'services'],
    hasProviderInfo: true,
    versions: {
      dedicated: [v('7', '7.17.29'), v('8', '8.19.9'), v('9', '9.2.3')],
      defaultDedicated: '8',
      features: ['encryption', 'kibana', 'apm'],
    },
  }),
  provider({
    id: 'cellar-addon',
    name: 'Cellar S3 storage',
    shortDesc: 'S3-compatible object storage',
    logo: 'cellar',
    regions: ['par', 'parhds', 'fr-north-hds', 'rbxhds'],
    realIdPrefix: 'cellar_',
    plans: [simplePlan('cellar-addon', 'S', 'S', 0, ['par', 'parhds', 'fr-north-hds', 'rbxhds'])],
    options: [],
  }),
  provider({
    id: 'fs-bucket',
    name: 'FS Buckets',
    shortDesc: 'Persistent file system storage for your applications',
    logo: 'fsbucket',
    regions: MONGO_REGIONS,
    realIdPrefix: 'bucket_',
    plans: [simplePlan('fs-bucket', 's', 'S', 0, MONGO_REGIONS)],
    options: [],
  }),
  provider({
    id: 'config-provider',
    name: 'Configuration provider',
    shortDesc: 'Expose configuration to your applications',
    logo: 'config-provider',
    regions: ['par', 'parhds'],
    realIdPrefix: 'config_',
    plans: [simplePlan('config-provider', 'std', 'STD', 0, ['par', 'parhds'])],
    options: [],
  }),
  provider({
    id: 'addon-pulsar',
    name: 'Pulsar',
    shortDesc: 'Apache Pulsar messaging',
    logo: 'pulsar',
    status: 'BETA_PUB',
    regions: ['par', 'parhds'],
    realIdPrefix: 'pulsar_',
    plans: [simplePlan('addon-pulsar', 'beta', 'BETA', 0, ['par', 'parhds'])],
    options: [],
    hasProviderInfo: true,
  }),
  provider({
    id: 'kv',
    name: 'Materia KV',
    shortDesc: 'Serverless, Redis-compatible key-value store',
    logo: 'materia-kv',
    status: 'ALPHA',
    regions: ['par'],
    realIdPrefix: 'kv_',
    plans: [simplePlan('kv', 'alpha', 'ALPHA', 0, ['par']), simplePlan('kv', 'base', 'BASE', 0, ['par'])],
    options: [],
    hasProviderInfo: true,
  }),
  provider({
    id: 'keycloak',
    name: 'Keycloak',
    shortDesc: 'Identity and access management',
    logo: 'keycloak',
    regions: ['par', 'mtl', 'rbx', 'scw', 'sgp', 'syd', 'wsw'],
    realIdPrefix: 'keycloak_',
    plans: [simplePlan('keycloak', 'base', 'BASE', 12, ['par', 'mtl', 'rbx', 'scw', 'sgp', 'syd', 'wsw'], true)],
    options: ['version', 'access-domain'],
    hasProviderInfo: true,
    operatorVersions: ['26.1.4', '26.2.5', '26.3.3'],
  }),
  provider({
    id: 'metabase',
    name: 'Metabase',
    shortDesc: 'Business intelligence and dashboards',
    logo: 'metabase',
    regions: OPERATOR_REGIONS,
    realIdPrefix: 'metabase_',
    plans: [simplePlan('metabase', 'base', 'BASE', 12, OPERATOR_REGIONS, true)],
    options: ['version', 'access-domain'],
    hasProviderInfo: true,
    operatorVersions: ['0.54.9', '0.55.6', '0.56.3'],
  }),
  provider({
    id: 'addon-matomo',
    name: 'Matomo',
    shortDesc: 'Privacy-friendly web analytics',
    logo: 'matomo',
    status: 'BETA_PUB',
    regions: ['par', 'mtl', 'rbx', 'scw', 'sgp', 'syd', 'wsw'],
    realIdPrefix: 'matomo_',
    plans: [simplePlan('addon-matomo', 'beta', 'BETA', 0, ['par', 'mtl', 'rbx', 'scw', 'sgp', 'syd', 'wsw'], true)],
    options: ['access-domain'],
    hasProviderInfo: true,
  }),
  provider({
    id: 'otoroshi',
    name: 'Otoroshi with LLM',
    shortDesc: 'API gateway and reverse proxy',
    logo: 'otoroshi',
    regions: OPERATOR_REGIONS,
    realIdPrefix: 'otoroshi_',
    plans: [simplePlan('otoroshi', 'base', 'BASE', 14, OPERATOR_REGIONS, true)],
    options: ['version', 'access-domain', 'routes-domain'],
    hasProviderInfo: true,
    operatorVersions: ['16.24.0', '17.4.0', '17.5.1'],
  }),
  provider({
    id: 'azimutt',
    name: 'Azimutt',
    shortDesc: 'Database exploration and documentation',
    logo: 'azimutt',
    regions: ['par'],
    realIdPrefix: 'azimutt_',
    plans: ['free', 'solo', 'team', 'team-2', 'team-3', 'team-4', 'team-5', 'enterprise'].map((s, i) =>
      simplePlan('azimutt', s, s.charAt(0).toUpperCase() + s.slice(1), i === 0 ? 0 : i * 21, ['par']),
    ),
    options: [],
    canUpgrade: false,
  }),
  provider({
    id: 'jenkins',
    name: 'Jenkins',
    shortDesc: 'Automation server',
    logo: 'jenkins',
    regions: ['par', 'grahds', 'ldn', 'rbxhds', 'scw'],
    realIdPrefix: 'jenkins_',
    plans: ['XS', 'S', 'M', 'L', 'XL'].map((s, i) =>
      simplePlan('jenkins', s, s, 15 * 2 ** i, ['par', 'grahds', 'ldn', 'rbxhds', 'scw'], true),
    ),
    options: [],
  }),
];

/** Providers whose add-ons can be migrated to another plan/region/version. */
export const MIGRATABLE = new Set(['postgresql-addon', 'mysql-addon', 'mongodb-addon', 'redis-addon', 'es-addon']);

export function findProvider(id: string): ProviderDef | undefined {
  return PROVIDERS.find((p) => p.id === id);
}

export function findPlan(provider: ProviderDef, id: string): CataloguePlan | undefined {
  return provider.plans.find((p) => p.id === id);
}

export function isDedicated(plan: CataloguePlan): boolean {
  return plan.features.some((f) => f.name_code === 'is-dedicated' && f.computable_value === 'dedicated');
}

export { planView, providerFullView, providerInfoView, providerSummaryView } from './catalogue-views.ts';
