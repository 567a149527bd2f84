// Generated credentials and the env vars derived from them, with the exact names of the real providers
// (`GET .../addons/{id}/env`). Credentials are kept structured so rotation and migration can change one part (password,
// host) and the env (URIs included) is rebuilt consistently.
import { ALNUM, LOWER_ALNUM, UPPER_ALNUM, type Rng } from './rng.ts';
import type { DatabaseServers, EnvVar } from './types.ts';

export const DATABASE_PROVIDERS: readonly string[] = ['postgresql-addon', 'mysql-addon', 'mongodb-addon'];

export interface EnvContext {
  rng: Rng;
  passwordAlphabet: string;
  cellarHost?: string;
  databaseServers?: DatabaseServers;
  realId: string;
  ownerId: string;
  options: Record<string, string>;
}

export type Credentials = Record<string, string>;

const SERVICES = 'services.clever-cloud.com';
const PULSAR_HOST = `materiamq.eu-fr-1.${SERVICES}`;
const KV_HOST = `materiakv.eu-fr-1.${SERVICES}`;
export const DEFAULT_CELLAR_HOST = `cellar-c2.${SERVICES}`;

function prefix(ctx: EnvContext): string {
  return ctx.rng.string(20, LOWER_ALNUM);
}

function password(ctx: EnvContext, length = 20): string {
  return ctx.rng.string(length, ctx.passwordAlphabet);
}

function port(ctx: EnvContext): string {
  return String(ctx.rng.int(5000, 6999));
}

function uuidOf(realId: string): string {
  return realId.slice(realId.indexOf('_') + 1);
}

function jwt(ctx: EnvContext, subject: string): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'EdDSA', typ: 'JWT' })}.${b64({ sub: subject, jti: ctx.rng.uuid() })}.${ctx.rng.string(86, ALNUM)}`;
}

function operatorUrl(ctx: EnvContext, kind: string): string {
  const domain = ctx.options['access-domain'];
  return `https://${domain ?? `${kind}-${uuidOf(ctx.realId)}.${SERVICES}`}`;
}

export function generateCredentials(providerId: string, ctx: EnvContext): Credentials {
  switch (providerId) {
    case 'postgresql-addon':
    case 'mysql-addon':
    case 'mongodb-addon': {
      const p = prefix(ctx);
      const kind = providerId.replace('-addon', '');
      const server = ctx.databaseServers?.[providerId];
      return {
        host: server?.host ?? `${p}-${kind}.${SERVICES}`,
        port: server ? String(server.port) : port(ctx),
        database: p,
        user: `u${ctx.rng.string(19, LOWER_ALNUM)}`,
        password: password(ctx),
      };
    }
    case 'redis-addon':
      return { host: `${prefix(ctx)}-redis.${SERVICES}`, port: port(ctx), password: password(ctx, 64) };
    case 'es-addon':
      return {
        host: `${prefix(ctx)}-elasticsearch.${SERVICES}`,
        user: ctx.rng.string(20, LOWER_ALNUM),
        password: password(ctx),
        apmHost: `${prefix(ctx)}-apm.${SERVICES}`,
        apmUser: ctx.rng.string(20, LOWER_ALNUM),
        apmPassword: password(ctx),
        apmAuthToken: ctx.rng.string(32, ALNUM),
        kibanaHost: `${prefix(ctx)}-kibana.${SERVICES}`,
        kibanaUser: ctx.rng.string(20, LOWER_ALNUM),
        kibanaPassword: password(ctx),
      };
    case 'cellar-addon':
      return {
        host: ctx.cellarHost ?? DEFAULT_CELLAR_HOST,
        keyId: ctx.rng.string(20, UPPER_ALNUM),
        keySecret: ctx.rng.string(40, ALNUM),
      };
    case 'fs-bucket':
      return { host: `bucket-${uuidOf(ctx.realId)}-fsbucket.${SERVICES}`, user: ctx.realId, password: password(ctx) };
    case 'addon-pulsar':
      return {
        host: PULSAR_HOST,
        tenant: ctx.ownerId,
        namespace: ctx.realId,
        token: jwt(ctx, ctx.realId),
        clusterId: 'c3',
        coldStorageId: `cellar_${ctx.rng.uuid()}`,
      };
    case 'kv':
      return {
        host: KV_HOST,
        port: '6379',
        token: jwt(ctx, ctx.realId),
        tokenId: ctx.rng.uuid(),
        clusterId: 'kv-par-1',
      };
    case 'keycloak':
      return {
        url: operatorUrl(ctx, 'keycloak'),
        adminUser: 'cc-account-admin',
        adminPassword: password(ctx),
        entrypoint: `app_${ctx.rng.uuid()}`,
        fsbucketId: `bucket_${ctx.rng.uuid()}`,
        pgsqlId: `postgresql_${ctx.rng.uuid()}`,
      };
    case 'metabase':
      return {
        url: operatorUrl(ctx, 'metabase'),
        entrypoint: `app_${ctx.rng.uuid()}`,
        pgsqlId: `postgresql_${ctx.rng.uuid()}`,
      };
    case 'addon-matomo':
      return {
        url: operatorUrl(ctx, 'matomo'),
        entrypoint: `app_${ctx.rng.uuid()}`,
        mysqlId: `mysql_${ctx.rng.uuid()}`,
        redisId: `redis_${ctx.rng.uuid()}`,
      };
    case 'otoroshi': {
      const url = operatorUrl(ctx, 'otoroshi');
      return {
        url,
        apiUrl: `https://otoroshi-api-${uuidOf(ctx.realId)}.${SERVICES}`,
        apiClientId: ctx.rng.string(16, LOWER_ALNUM),
        apiClientSecret: ctx.rng.string(64, ALNUM),
        adminUser: 'cc-account-admin',
        adminPassword: password(ctx),
        entrypoint: `app_${ctx.rng.uuid()}`,
        redisId: `redis_${ctx.rng.uuid()}`,
      };
    }
    default:
      return {};
  }
}

/** Fields regenerated by a credential rotation. */
const SECRET_FIELDS: Record<string, string[]> = {
  'postgresql-addon': ['password'],
  'mysql-addon': ['password'],
  'mongodb-addon': ['password'],
  'redis-addon': ['password'],
  'es-addon': ['password', 'apmPassword', 'apmAuthToken', 'kibanaPassword'],
  'cellar-addon': ['keyId', 'keySecret'],
  'fs-bucket': ['password'],
  'addon-pulsar': ['token'],
  kv: ['token', 'tokenId'],
  keycloak: ['adminPassword'],
  otoroshi: ['apiClientSecret', 'adminPassword'],
};

/** New secrets, same endpoints: what a rotation on Clever's side looks like to a client. */
export function rotateSecrets(providerId: string, creds: Credentials, ctx: EnvContext): Credentials {
  const fresh = generateCredentials(providerId, ctx);
  const out = { ...creds };
  for (const field of SECRET_FIELDS[providerId] ?? []) {
    const value = fresh[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** A migration moves a database to a new host and port; credentials and database name are kept. */
export function moveHost(providerId: string, creds: Credentials, ctx: EnvContext): Credentials {
  const fresh = generateCredentials(providerId, ctx);
  const out = { ...creds };
  for (const field of ['host', 'port', 'apmHost', 'kibanaHost']) {
    const value = fresh[field];
    if (value !== undefined && out[field] !== undefined) out[field] = value;
  }
  return out;
}

function c(creds: Credentials, key: string): string {
  return creds[key] ?? '';
}

function userinfo(user: string, pass: string): string {
  return `${encodeURIComponent(user)}:${encodeURIComponent(pass)}`;
}

export function buildEnv(providerId: string, creds: Credentials, version?: string): EnvVar[] {
  const pairs = envPairs(providerId, creds, version ?? '');
  return pairs.map(([name, value]) => ({ name, value }));
}

function envPairs(providerId: string, creds: Credentials, version: string): [string, string][] {
  const host = c(creds, 'host');
  switch (providerId) {
    case 'postgresql-addon':
    case 'mysql-addon':
    case 'mongodb-addon': {
      const prefix = { 'postgresql-addon': 'POSTGRESQL', 'mysql-addon': 'MYSQL', 'mongodb-addon': 'MONGODB' }[
        providerId
      ];
      const scheme = providerId.replace('-addon', '');
      const uri = `${scheme}://${userinfo(c(creds, 'user'), c(creds, 'password'))}@${host}:${c(creds, 'port')}/${c(creds, 'database')}`;
      return [
        [`${prefix}_ADDON_HOST`, host],
        [`${prefix}_ADDON_PORT`, c(creds, 'port')],
        [`${prefix}_ADDON_DB`, c(creds, 'database')],
        [`${prefix}_ADDON_USER`, c(creds, 'user')],
        [`${prefix}_ADDON_PASSWORD`, c(creds, 'password')],
        [`${prefix}_ADDON_URI`, uri],
        [`${prefix}_ADDON_VERSION`, version],
      ];
    }
    case 'redis-addon':
      return [
        ['REDIS_HOST', host],
        ['REDIS_PORT', c(creds, 'port')],
        ['REDIS_PASSWORD', c(creds, 'password')],
        ['REDIS_TOKEN', c(creds, 'password')],
        ['REDIS_URL', `redis://:${encodeURIComponent(c(creds, 'password'))}@${host}:${c(creds, 'port')}`],
        ['REDIS_VERSION', version],
      ];
    case 'es-addon':
      return [
        ['ES_ADDON_HOST', host],
        ['ES_ADDON_USER', c(creds, 'user')],
        ['ES_ADDON_PASSWORD', c(creds, 'password')],
        ['ES_ADDON_URI', `https://${userinfo(c(creds, 'user'), c(creds, 'password'))}@${host}`],
        ['ES_ADDON_VERSION', version],
        ['ES_ADDON_APM_HOST', c(creds, 'apmHost')],
        ['ES_ADDON_APM_USER', c(creds, 'apmUser')],
        ['ES_ADDON_APM_PASSWORD', c(creds, 'apmPassword')],
        ['ES_ADDON_APM_AUTH_TOKEN', c(creds, 'apmAuthToken')],
        ['ES_ADDON_KIBANA_HOST', c(creds, 'kibanaHost')],
        ['ES_ADDON_KIBANA_USER', c(creds, 'kibanaUser')],
        ['ES_ADDON_KIBANA_PASSWORD', c(creds, 'kibanaPassword')],
      ];
    case 'cellar-addon':
      return [
        ['CELLAR_ADDON_HOST', host],
        ['CELLAR_ADDON_KEY_ID', c(creds, 'keyId')],
        ['CELLAR_ADDON_KEY_SECRET', c(creds, 'keySecret')],
      ];
    case 'fs-bucket':
      return [
        ['BUCKET_HOST', host],
        ['BUCKET_FTP_USERNAME', c(creds, 'user')],
        ['BUCKET_FTP_PASSWORD', c(creds, 'password')],
      ];
    case 'addon-pulsar':
      return [
        ['ADDON_PULSAR_BINARY_URL', `pulsar+ssl://${host}:6651`],
        ['ADDON_PULSAR_BINARY_PORT', '6651'],
        ['ADDON_PULSAR_HOSTNAME', host],
        ['ADDON_PULSAR_HTTP_URL', `https://${host}:443`],
        ['ADDON_PULSAR_HTTP_PORT', '443'],
        ['ADDON_PULSAR_NAMESPACE', c(creds, 'namespace')],
        ['ADDON_PULSAR_TENANT', c(creds, 'tenant')],
        ['ADDON_PULSAR_TOKEN', c(creds, 'token')],
      ];
    case 'kv': {
      const token = c(creds, 'token');
      const url = `rediss://:${encodeURIComponent(token)}@${host}:${c(creds, 'port')}`;
      return [
        ['KV_HOST', host],
        ['KV_PORT', c(creds, 'port')],
        ['KV_TOKEN', token],
        ['KV_TOKEN_ID', c(creds, 'tokenId')],
        ['REDIS_HOST', host],
        ['REDIS_PORT', c(creds, 'port')],
        ['REDIS_PASSWORD', token],
        ['REDIS_URL', url],
        ['REDIS_CLI_URL', url],
        ['REDISCLI_AUTH', token],
      ];
    }
    case 'keycloak':
      return [
        ['CC_KEYCLOAK_URL', c(creds, 'url')],
        ['CC_KEYCLOAK_ADMIN', c(creds, 'adminUser')],
        ['CC_KEYCLOAK_ADMIN_DEFAULT_PASSWORD', c(creds, 'adminPassword')],
        ['CC_KEYCLOAK_ADMIN_URL', `${c(creds, 'url')}/admin/master/console/`],
        ['CC_KEYCLOAK_FSBUCKET_ID', c(creds, 'fsbucketId')],
        ['CC_KEYCLOAK_JAVA_APPID', c(creds, 'entrypoint')],
        ['CC_KEYCLOAK_POSTGRES_ID', c(creds, 'pgsqlId')],
      ];
    case 'metabase':
      return [['METABASE_URL', c(creds, 'url')]];
    case 'addon-matomo':
      return [['MATOMO_URL', c(creds, 'url')]];
    case 'otoroshi':
      return [
        ['CC_OTOROSHI_URL', c(creds, 'url')],
        ['CC_OTOROSHI_API_URL', c(creds, 'apiUrl')],
        ['CC_OTOROSHI_API_CLIENT_ID', c(creds, 'apiClientId')],
        ['CC_OTOROSHI_API_CLIENT_SECRET', c(creds, 'apiClientSecret')],
        ['CC_OTOROSHI_INITIAL_ADMIN_LOGIN', c(creds, 'adminUser')],
        ['CC_OTOROSHI_INITIAL_ADMIN_PASSWORD', c(creds, 'adminPassword')],
        ['CC_OTOROSHI_SSO_URL', `${c(creds, 'url')}/backoffice/auth0/login`],
      ];
    default:
      // config-provider: user-defined env; azimutt/jenkins: names unknown.
      return [];
  }
}
