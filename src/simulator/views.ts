// JSON views of the state, shaped like the real API's responses (src/clever/schemas.ts checks them). Pure functions of
// (state, clock), so readiness and migration progress are computed at read time.
import { findPlan, findProvider, planView, providerSummaryView } from './catalogue.ts';
import { stableUuid } from './rng.ts';
import type {
  SimulatorAccount,
  SimulatedAddon,
  SimulatedMigration,
  SimulatorOrganisation,
  MigrationStep,
} from './types.ts';
import { findZone } from './zones.ts';

type Json = Record<string, unknown>;

/** ISO date as some v4 payloads carry it ('2024-03-12T13:38:33.313Z[UTC]'). */
function isoUtc(ms: number): string {
  return `${new Date(ms).toISOString()}[UTC]`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function uuidOf(realId: string): string {
  return realId.slice(realId.indexOf('_') + 1);
}

function cred(a: SimulatedAddon, key: string): string {
  return a.credentials[key] ?? '';
}

export function planOf(a: SimulatedAddon) {
  const provider = findProvider(a.providerId);
  const plan = provider ? findPlan(provider, a.planId) : undefined;
  if (!provider || !plan)
    throw new Error(`simulator state: add-on ${a.id} has unknown provider/plan ${a.providerId}/${a.planId}`);
  return { provider, plan };
}

export function addonView(a: SimulatedAddon): Json {
  const { provider, plan } = planOf(a);
  return {
    id: a.id,
    name: a.name,
    realId: a.realId,
    region: a.region,
    zoneId: findZone(a.region)?.id ?? null,
    provider: providerSummaryView(provider),
    plan: planView(plan),
    creationDate: a.creationDate,
    configKeys: a.env.map((e) => e.name),
  };
}

export function addonSummaryView(a: SimulatedAddon): Json {
  const { provider } = planOf(a);
  return {
    id: a.id,
    name: a.name,
    realId: a.realId,
    providerId: a.providerId,
    logoUrl: providerSummaryView(provider).logoUrl,
    systemTags: [],
    customerTags: [],
  };
}

export function selfView(account: SimulatorAccount): Json {
  return {
    id: account.userId,
    email: account.email,
    name: account.name,
    phone: '',
    address: '',
    city: '',
    zipcode: '',
    country: 'FRANCE',
    avatar: null,
    creationDate: 1_600_000_000_000,
    lang: 'EN',
    emailValidated: true,
    oauthApps: [],
    admin: false,
    canPay: true,
    preferredMFA: 'NONE',
    hasPassword: true,
  };
}

export function organisationView(org: SimulatorOrganisation, account: SimulatorAccount): Json {
  return {
    id: org.id,
    name: org.name,
    description: '',
    billingEmail: account.email,
    address: '',
    city: '',
    zipcode: '',
    country: 'FRANCE',
    company: org.name,
    VAT: null,
    avatar: null,
    vatState: 'NOT_NEEDED',
    customerFullName: account.name,
    canPay: true,
    cleverEnterprise: false,
    emergencyNumber: null,
    canSEPA: false,
    isTrusted: true,
  };
}

export function summaryView(account: SimulatorAccount, addonsOf: (ownerId: string) => SimulatedAddon[]): Json {
  const empty = { applications: [], consumers: [], providers: [] };
  return {
    user: {
      id: account.userId,
      name: account.name,
      avatar: null,
      lang: 'EN',
      admin: false,
      canSEPA: false,
      ...empty,
      addons: addonsOf(account.userId).map(addonSummaryView),
    },
    organisations: account.organisations.map((org) => ({
      id: org.id,
      name: org.name,
      avatar: null,
      role: 'ADMIN',
      vatState: 'NOT_NEEDED',
      canPay: true,
      canSEPA: false,
      cleverEnterprise: false,
      emergencyNumber: null,
      isTrusted: true,
      ...empty,
      addons: addonsOf(org.id).map(addonSummaryView),
    })),
  };
}

function dbStatus(a: SimulatedAddon, now: number): string {
  return now < a.readyAt ? 'PROVISIONING' : 'ACTIVE';
}

function features(a: SimulatedAddon, names: string[]): Json[] {
  return names.map((name) => ({ name, enabled: a.options[name] === 'true' }));
}

/** `GET /v4/addon-providers/{postgresql|mysql|mongodb|redis|es}-addon/addons/{addonId}`. */
export function databaseView(a: SimulatedAddon, now: number): Json {
  const { plan } = planOf(a);
  const status = dbStatus(a, now);
  const port = Number(cred(a, 'port'));
  switch (a.providerId) {
    case 'mongodb-addon':
      return {
        host: cred(a, 'host'),
        port,
        status,
        user: cred(a, 'user'),
        password: cred(a, 'password'),
        database: cred(a, 'database'),
        features: features(a, ['encryption']),
      };
    case 'es-addon':
      return esView(a, now);
    default: {
      const base: Json = {
        id: uuidOf(a.realId),
        app_id: a.id,
        owner_id: a.ownerId,
        plan: plan.slug,
        zone: a.region,
        status,
        version: a.version ?? '',
        host: cred(a, 'host'),
        port,
      };
      if (a.providerId === 'redis-addon') {
        return {
          ...base,
          password: cred(a, 'password'),
          creation_date: isoUtc(a.creationDate),
          features: features(a, ['encryption']),
        };
      }
      return {
        ...base,
        database: cred(a, 'database'),
        user: cred(a, 'user'),
        password: cred(a, 'password'),
        creation_date: isoUtc(a.creationDate),
        read_only_users: [],
        features: features(a, ['encryption']),
      };
    }
  }
}

function esServices(a: SimulatedAddon): { name: string; enabled: boolean }[] {
  if (a.options.services) {
    try {
      return JSON.parse(a.options.services) as { name: string; enabled: boolean }[];
    } catch {
      // validated on create; fall through
    }
  }
  return [
    { name: 'kibana', enabled: a.options.kibana === 'true' },
    { name: 'apm', enabled: a.options.apm === 'true' },
  ];
}

function esView(a: SimulatedAddon, now: number): Json {
  const { plan } = planOf(a);
  const c = (k: string) => cred(a, k);
  return {
    id: uuidOf(a.realId),
    app_id: a.id,
    owner_id: a.ownerId,
    plan: plan.slug,
    zone: a.region,
    creation_date: isoUtc(a.creationDate),
    status: dbStatus(a, now),
    host: c('host'),
    user: c('user'),
    password: c('password'),
    apm_host: c('apmHost'),
    apm_user: c('apmUser'),
    apm_password: c('apmPassword'),
    apm_auth_token: c('apmAuthToken'),
    kibana_host: c('kibanaHost'),
    kibana_user: c('kibanaUser'),
    kibana_password: c('kibanaPassword'),
    version: a.version ?? '',
    plugins: (a.options.plugins ?? '').split(',').filter((p) => p !== ''),
    config: {
      host: c('host'),
      user: c('user'),
      password: c('password'),
      apm_user: c('apmUser'),
      kibana_user: c('kibanaUser'),
    },
    backups: { kibana_snapshots_url: `https://${c('kibanaHost')}/app/management/data/snapshot_restore` },
    kibana_application: `app_${stableUuid(`kibana:${a.realId}`)}`,
    apm_application: `app_${stableUuid(`apm:${a.realId}`)}`,
    services: esServices(a),
    features: features(a, ['encryption']),
  };
}

export function pulsarView(a: SimulatedAddon): Json {
  return {
    id: a.realId,
    owner_id: a.ownerId,
    tenant: cred(a, 'tenant'),
    namespace: cred(a, 'namespace'),
    cluster_id: cred(a, 'clusterId'),
    token: cred(a, 'token'),
    creation_date: iso(a.creationDate),
    ask_for_deletion_date: null,
    deletion_date: null,
    status: 'ACTIVE',
    plan: 'BETA',
    cold_storage_id: cred(a, 'coldStorageId'),
    cold_storage_linked: true,
    cold_storage_must_be_provided: true,
  };
}

export const PULSAR_CLUSTERS: Record<string, Json> = {
  c3: {
    id: 'c3',
    url: 'materiamq.eu-fr-1.services.clever-cloud.com',
    pulsar_port: 6650,
    pulsar_tls_port: 6651,
    web_port: 80,
    web_tls_port: 443,
    version: '4.0.3',
    available: true,
    zone: 'PAR',
    support_cold_storage: true,
    supported_plans: [
      'BETA',
      'ORGANISATION_LOGS',
      'ORGANISATION_ACCESS_LOGS',
      'ORGANISATION_AUDIT_LOGS',
      'ORGANISATION_ACTIONS',
    ],
  },
};

export function kvView(a: SimulatedAddon, now: number): Json {
  const { plan } = planOf(a);
  return {
    id: a.realId,
    clusterId: cred(a, 'clusterId'),
    ownerId: a.ownerId,
    kind: 'KV',
    plan: plan.slug.toUpperCase(),
    host: cred(a, 'host'),
    port: Number(cred(a, 'port')),
    token: cred(a, 'token'),
    tokenId: cred(a, 'tokenId'),
    status: now < a.readyAt ? 'PROVISIONING' : 'PROVISIONED',
  };
}

/** `GET /v4/addon-providers/addon-{keycloak|metabase|matomo|otoroshi}/addons/{realId}`; field matrix from DOC v4.md. */
/** An operator's version check: what runs, the newest offered, and every version it can move to. */
export function versionCheckView(a: SimulatedAddon): {
  installed: string;
  latest: string;
  needUpdate: boolean;
  available: string[];
} {
  const { provider } = planOf(a);
  const installed = a.version ?? '5.3.2';
  const available = [...(provider.operatorVersions ?? [installed])];
  const latest = available[available.length - 1] ?? installed;
  return { installed, latest, needUpdate: installed !== latest, available };
}

export function operatorView(a: SimulatedAddon): Json {
  const { provider, plan } = planOf(a);
  const c = (k: string) => cred(a, k);
  const view: Json = {
    resourceId: a.realId,
    addonId: a.id,
    name: a.name,
    ownerId: a.ownerId,
    plan: plan.slug.toUpperCase(),
    version: a.version ?? '5.3.2',
    accessUrl: c('url'),
    availableVersions: provider.operatorVersions ?? [a.version ?? '5.3.2'],
    envVars: Object.fromEntries(a.env.map((e) => [e.name, e.value])),
  };
  switch (a.providerId) {
    case 'keycloak':
      return {
        ...view,
        javaVersion: '21',
        initialCredentials: { user: c('adminUser'), password: c('adminPassword') },
        resources: { entrypoint: c('entrypoint'), fsbucketId: c('fsbucketId'), pgsqlId: c('pgsqlId') },
        features: { networkGroup: null },
      };
    case 'metabase':
      return { ...view, javaVersion: '21', resources: { entrypoint: c('entrypoint'), pgsqlId: c('pgsqlId') } };
    case 'addon-matomo':
      return {
        ...view,
        phpVersion: '8.3',
        resources: { entrypoint: c('entrypoint'), mysqlId: c('mysqlId'), redisId: c('redisId') },
      };
    default:
      return {
        ...view,
        javaVersion: '21',
        initialCredentials: { user: c('adminUser'), password: c('adminPassword') },
        api: {
          url: c('apiUrl'),
          user: c('apiClientId'),
          secret: c('apiClientSecret'),
          openapi: `${c('apiUrl')}/api/openapi.json`,
          swaggerUrl: `${c('apiUrl')}/api/openapi/ui`,
        },
        resources: {
          entrypoint: c('entrypoint'),
          redisId: c('redisId'),
          pulsarId: null,
          elasticId: null,
          cellarId: null,
        },
        features: { networkGroup: null },
      };
  }
}

export function configProviderView(a: SimulatedAddon): Json {
  return { id: a.realId, owner_id: a.ownerId, creation_date: iso(a.creationDate), env: a.env.map((e) => ({ ...e })) };
}

/** Instances of the add-on's entrypoint: DEPLOYING until provisioned, then UP. */
export function instancesView(a: SimulatedAddon, now: number): Json[] {
  const appId = a.credentials.entrypoint ?? a.id;
  return [
    {
      id: stableUuid(`instance:${a.id}`),
      appId,
      ip: '10.2.3.4',
      appPort: 8080,
      state: now < a.readyAt ? 'DEPLOYING' : 'UP',
      flavor: { name: 'XS', mem: 1024, cpus: 1, gpus: 0, microservice: false, nice: 0, price: 0, available: true },
      commit: stableUuid(`commit:${a.id}`).replace(/-/g, '').slice(0, 40),
      deployNumber: 1,
      deployId: stableUuid(`deploy:${a.id}`),
      instanceNumber: 0,
      displayName: 'Instance 0',
      creationDate: a.creationDate,
    },
  ];
}

/** Steps and status of a migration at `now`: each step lasts stepMs, one after the other. */
export function migrationView(m: SimulatedMigration, now: number): Json {
  const steps: MigrationStep[] = m.stepNames.map((name, i) => {
    const startDate = m.requestDate + i * m.stepMs;
    const endDate = startDate + m.stepMs;
    const status = now >= endDate ? 'OK' : now >= startDate ? 'RUNNING' : 'PENDING';
    return { name, value: String(i + 1), status, startDate, endDate, message: status === 'OK' ? 'done' : '' };
  });
  return {
    migrationId: m.migrationId,
    requestDate: m.requestDate,
    steps,
    status: migrationDone(m, now) ? 'OK' : 'RUNNING',
  };
}

export function migrationDone(m: SimulatedMigration, now: number): boolean {
  return now >= m.requestDate + m.stepNames.length * m.stepMs;
}

export function backupsView(a: SimulatedAddon): Json[] {
  const scheme: Record<string, string> = {
    'postgresql-addon': 'pg_restore -h {host} -p {port} -U {user} -d {db} --format=c --no-owner backup.dump',
    'mysql-addon': 'mysql -h {host} -P {port} -u {user} -p {db} < backup.sql',
    'mongodb-addon': 'mongorestore --host {host} --port {port} -u {user} --db {db} backup',
  };
  return [0, 1].map((i) => {
    const created = a.creationDate + i * 86_400_000;
    const backupId = stableUuid(`backup:${a.realId}:${i}`);
    return {
      backup_id: backupId,
      entity_id: a.realId,
      status: 'DONE',
      creation_date: iso(created),
      delete_at: iso(created + 7 * 86_400_000),
      download_url: `https://backups-par.cellar-c2.services.clever-cloud.com/${a.realId}/${backupId}.dump`,
      restore_command: scheme[a.providerId] ?? null,
      delete_command: null,
    };
  });
}
