import { describe, expect, it } from 'vitest';
import { buildEnv, generateCredentials, moveHost, rotateSecrets, type EnvContext } from '../../../src/simulator/env.ts';
import { ALNUM, Rng } from '../../../src/simulator/rng.ts';

function ctx(overrides: Partial<EnvContext> = {}): EnvContext {
  return {
    rng: new Rng(42),
    passwordAlphabet: ALNUM,
    realId: 'postgresql_1f0c2b9e-5a43-4c1e-9d4f-0a1b2c3d4e5f',
    ownerId: 'orga_00000000-0000-4000-8000-0000000000a1',
    options: {},
    ...overrides,
  };
}

function envOf(providerId: string, c: EnvContext = ctx(), version?: string): Record<string, string> {
  return Object.fromEntries(
    buildEnv(providerId, generateCredentials(providerId, c), version).map((e) => [e.name, e.value]),
  );
}

const NAMES: Record<string, string[]> = {
  'postgresql-addon': [
    'POSTGRESQL_ADDON_HOST',
    'POSTGRESQL_ADDON_PORT',
    'POSTGRESQL_ADDON_DB',
    'POSTGRESQL_ADDON_USER',
    'POSTGRESQL_ADDON_PASSWORD',
    'POSTGRESQL_ADDON_URI',
    'POSTGRESQL_ADDON_VERSION',
  ],
  'mysql-addon': [
    'MYSQL_ADDON_HOST',
    'MYSQL_ADDON_PORT',
    'MYSQL_ADDON_DB',
    'MYSQL_ADDON_USER',
    'MYSQL_ADDON_PASSWORD',
    'MYSQL_ADDON_URI',
    'MYSQL_ADDON_VERSION',
  ],
  'mongodb-addon': [
    'MONGODB_ADDON_HOST',
    'MONGODB_ADDON_PORT',
    'MONGODB_ADDON_DB',
    'MONGODB_ADDON_USER',
    'MONGODB_ADDON_PASSWORD',
    'MONGODB_ADDON_URI',
    'MONGODB_ADDON_VERSION',
  ],
  'redis-addon': ['REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_TOKEN', 'REDIS_URL', 'REDIS_VERSION'],
  'cellar-addon': ['CELLAR_ADDON_HOST', 'CELLAR_ADDON_KEY_ID', 'CELLAR_ADDON_KEY_SECRET'],
  'es-addon': [
    'ES_ADDON_HOST',
    'ES_ADDON_USER',
    'ES_ADDON_PASSWORD',
    'ES_ADDON_URI',
    'ES_ADDON_VERSION',
    'ES_ADDON_APM_HOST',
    'ES_ADDON_APM_USER',
    'ES_ADDON_APM_PASSWORD',
    'ES_ADDON_APM_AUTH_TOKEN',
    'ES_ADDON_KIBANA_HOST',
    'ES_ADDON_KIBANA_USER',
    'ES_ADDON_KIBANA_PASSWORD',
  ],
  'addon-pulsar': [
    'ADDON_PULSAR_BINARY_URL',
    'ADDON_PULSAR_BINARY_PORT',
    'ADDON_PULSAR_HOSTNAME',
    'ADDON_PULSAR_HTTP_URL',
    'ADDON_PULSAR_HTTP_PORT',
    'ADDON_PULSAR_NAMESPACE',
    'ADDON_PULSAR_TENANT',
    'ADDON_PULSAR_TOKEN',
  ],
  kv: [
    'KV_HOST',
    'KV_PORT',
    'KV_TOKEN',
    'KV_TOKEN_ID',
    'REDIS_HOST',
    'REDIS_PORT',
    'REDIS_PASSWORD',
    'REDIS_URL',
    'REDIS_CLI_URL',
    'REDISCLI_AUTH',
  ],
  'fs-bucket': ['BUCKET_HOST', 'BUCKET_FTP_USERNAME', 'BUCKET_FTP_PASSWORD'],
  keycloak: [
    'CC_KEYCLOAK_URL',
    'CC_KEYCLOAK_ADMIN',
    'CC_KEYCLOAK_ADMIN_DEFAULT_PASSWORD',
    'CC_KEYCLOAK_ADMIN_URL',
    'CC_KEYCLOAK_FSBUCKET_ID',
    'CC_KEYCLOAK_JAVA_APPID',
    'CC_KEYCLOAK_POSTGRES_ID',
  ],
  otoroshi: [
    'CC_OTOROSHI_URL',
    'CC_OTOROSHI_API_URL',
    'CC_OTOROSHI_API_CLIENT_ID',
    'CC_OTOROSHI_API_CLIENT_SECRET',
    'CC_OTOROSHI_INITIAL_ADMIN_LOGIN',
    'CC_OTOROSHI_INITIAL_ADMIN_PASSWORD',
    'CC_OTOROSHI_SSO_URL',
  ],
  metabase: ['METABASE_URL'],
  'addon-matomo': ['MATOMO_URL'],
  'config-provider': [],
};

describe('generated env', () => {
  it.each(Object.entries(NAMES))('%s exposes exactly the documented variables', (providerId, names) => {
    const env = envOf(providerId, ctx(), '1');
    expect(Object.keys(env).sort()).toEqual([...names].sort());
    for (const [name, value] of Object.entries(env)) expect(value, name).not.toBe('');
  });

  it.each([
    ['postgresql-addon', 'POSTGRESQL', 'postgresql:'],
    ['mysql-addon', 'MYSQL', 'mysql:'],
    ['mongodb-addon', 'MONGODB', 'mongodb:'],
  ])('%s URI parses and matches the parts', (providerId, prefix, protocol) => {
    const env = envOf(providerId, ctx(), '17');
    const uri = new URL(env[`${prefix}_ADDON_URI`]!);
    expect(uri.protocol).toBe(protocol);
    expect(uri.hostname).toBe(env[`${prefix}_ADDON_HOST`]);
    expect(uri.port).toBe(env[`${prefix}_ADDON_PORT`]);
    expect(decodeURIComponent(uri.username)).toBe(env[`${prefix}_ADDON_USER`]);
    expect(decodeURIComponent(uri.password)).toBe(env[`${prefix}_ADDON_PASSWORD`]);
    expect(uri.pathname).toBe(`/${env[`${prefix}_ADDON_DB`]}`);
    expect(env[`${prefix}_ADDON_HOST`]).toMatch(
      new RegExp(`^[a-z0-9]{20}-${protocol.slice(0, -1)}\\.services\\.clever-cloud\\.com$`),
    );
    expect(Number(env[`${prefix}_ADDON_PORT`])).toBeGreaterThanOrEqual(5000);
    expect(Number(env[`${prefix}_ADDON_PORT`])).toBeLessThan(7000);
    expect(env[`${prefix}_ADDON_PASSWORD`]).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(env[`${prefix}_ADDON_VERSION`]).toBe('17');
  });

  it('keeps URIs parseable when passwords contain URI-hostile characters', () => {
    const hostile = ctx({ passwordAlphabet: '@:/%#?' });
    const env = envOf('postgresql-addon', hostile);
    const password = env.POSTGRESQL_ADDON_PASSWORD!;
    expect(password).toMatch(/^[@:/%#?]{20}$/);
    const uri = new URL(env.POSTGRESQL_ADDON_URI!);
    expect(decodeURIComponent(uri.password)).toBe(password);
    expect(uri.hostname).toBe(env.POSTGRESQL_ADDON_HOST);
    const redis = envOf('redis-addon', ctx({ passwordAlphabet: '@:/%#?' }));
    expect(decodeURIComponent(new URL(redis.REDIS_URL!).password)).toBe(redis.REDIS_PASSWORD);
  });

  it('builds Redis, KV, Pulsar and ES URLs that parse', () => {
    const redis = envOf('redis-addon');
    const u = new URL(redis.REDIS_URL!);
    expect([u.protocol, u.username, u.password, u.hostname, u.port]).toEqual([
      'redis:',
      '',
      redis.REDIS_PASSWORD,
      redis.REDIS_HOST,
      redis.REDIS_PORT,
    ]);
    const kv = envOf('kv');
    expect(kv.REDIS_PASSWORD).toBe(kv.KV_TOKEN);
    expect(new URL(kv.REDIS_URL!).hostname).toBe(kv.KV_HOST);
    const pulsar = envOf('addon-pulsar', ctx({ realId: 'pulsar_abc' }));
    expect(new URL(pulsar.ADDON_PULSAR_BINARY_URL!).port).toBe(pulsar.ADDON_PULSAR_BINARY_PORT);
    expect(pulsar.ADDON_PULSAR_NAMESPACE).toBe('pulsar_abc');
    expect(pulsar.ADDON_PULSAR_TENANT).toBe('orga_00000000-0000-4000-8000-0000000000a1');
    const es = envOf('es-addon');
    expect(new URL(es.ES_ADDON_URI!).hostname).toBe(es.ES_ADDON_HOST);
  });

  it('generates Cellar keys in the real format, with an overridable host', () => {
    const env = envOf('cellar-addon');
    expect(env.CELLAR_ADDON_HOST).toBe('cellar-c2.services.clever-cloud.com');
    expect(env.CELLAR_ADDON_KEY_ID).toMatch(/^[A-Z0-9]{20}$/);
    expect(env.CELLAR_ADDON_KEY_SECRET).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(envOf('cellar-addon', ctx({ cellarHost: '127.0.0.1:9000' })).CELLAR_ADDON_HOST).toBe('127.0.0.1:9000');
  });

  it('uses the access domain for operator URLs', () => {
    expect(envOf('metabase', ctx({ options: { 'access-domain': 'bi.example.com' } })).METABASE_URL).toBe(
      'https://bi.example.com',
    );
    const kc = envOf('keycloak', ctx({ realId: 'keycloak_0000' }));
    expect(kc.CC_KEYCLOAK_ADMIN_URL).toBe(`${kc.CC_KEYCLOAK_URL}/admin/master/console/`);
    expect(kc.CC_KEYCLOAK_JAVA_APPID).toMatch(/^app_/);
  });

  it('is reproducible with the same seed', () => {
    expect(envOf('postgresql-addon', ctx())).toEqual(envOf('postgresql-addon', ctx()));
    expect(envOf('postgresql-addon', ctx({ rng: new Rng(1) }))).not.toEqual(envOf('postgresql-addon', ctx()));
  });

  it('rotates secrets but keeps endpoints; a move keeps credentials but changes the endpoint', () => {
    const c = ctx();
    const creds = generateCredentials('postgresql-addon', c);
    const rotated = rotateSecrets('postgresql-addon', creds, c);
    expect(rotated.password).not.toBe(creds.password);
    expect({ ...rotated, password: '' }).toEqual({ ...creds, password: '' });
    const moved = moveHost('postgresql-addon', creds, c);
    expect(moved.host).not.toBe(creds.host);
    expect([moved.user, moved.password, moved.database]).toEqual([creds.user, creds.password, creds.database]);
    const cellar = generateCredentials('cellar-addon', c);
    const rotatedCellar = rotateSecrets('cellar-addon', cellar, c);
    expect(rotatedCellar.keyId).not.toBe(cellar.keyId);
    expect(rotatedCellar.keySecret).not.toBe(cellar.keySecret);
  });
});
