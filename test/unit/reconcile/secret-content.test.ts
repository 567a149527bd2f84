import { describe, expect, it } from 'vitest';
import { providers } from '../../../providers/index.ts';
import { currentHash, rolloutPatch, secretHashAnnotation } from '../../../src/reconcile/rollout.ts';

const SECRET_HASH_ANNOTATION = secretHashAnnotation('PostgreSql', 'app-db');
import { bindingEntries, DIALECTS, templateValues } from '../../../src/reconcile/secret.ts';
import { renderTemplate, renderTemplateValue, TemplateError } from '../../../src/reconcile/template.ts';

const ODD = 'p@ss:w/o%rd#?&= é';

/** A realistic environment per provider (names as Clever documents them). */
const envs: Record<string, Record<string, string>> = {
  PostgreSql: {
    POSTGRESQL_ADDON_HOST: 'h.pg',
    POSTGRESQL_ADDON_PORT: '5432',
    POSTGRESQL_ADDON_DB: 'db',
    POSTGRESQL_ADDON_USER: 'u',
    POSTGRESQL_ADDON_PASSWORD: ODD,
  },
  MySql: {
    MYSQL_ADDON_HOST: 'h.my',
    MYSQL_ADDON_PORT: '3306',
    MYSQL_ADDON_DB: 'db',
    MYSQL_ADDON_USER: 'u',
    MYSQL_ADDON_PASSWORD: ODD,
  },
  MongoDb: {
    MONGODB_ADDON_HOST: 'h.mo',
    MONGODB_ADDON_PORT: '27017',
    MONGODB_ADDON_DB: 'db',
    MONGODB_ADDON_USER: 'u',
    MONGODB_ADDON_PASSWORD: ODD,
  },
  Redis: { REDIS_HOST: 'h.r', REDIS_PORT: '6379', REDIS_PASSWORD: ODD },
  Cellar: {
    CELLAR_ADDON_HOST: 'cellar-c2.services.clever-cloud.com',
    CELLAR_ADDON_KEY_ID: 'K',
    CELLAR_ADDON_KEY_SECRET: ODD,
  },
  ElasticSearch: {
    ES_ADDON_HOST: 'h.es',
    ES_ADDON_USER: 'u',
    ES_ADDON_PASSWORD: ODD,
    ES_ADDON_URI: 'https://h.es',
  },
  Pulsar: {
    ADDON_PULSAR_BINARY_URL: 'pulsar+ssl://h:6651',
    ADDON_PULSAR_TOKEN: 't',
    ADDON_PULSAR_HOSTNAME: 'h',
    ADDON_PULSAR_BINARY_PORT: '6651',
    ADDON_PULSAR_HTTP_URL: 'https://h',
    ADDON_PULSAR_TENANT: 'tn',
    ADDON_PULSAR_NAMESPACE: 'ns',
  },
  KV: { KV_HOST: 'h.kv', KV_PORT: '6379', KV_TOKEN: ODD, REDIS_URL: 'rediss://h.kv:6379' },
  ConfigProvider: { A: '1' },
  Keycloak: {
    CC_KEYCLOAK_URL: 'https://kc.example',
    CC_KEYCLOAK_ADMIN: 'admin',
    CC_KEYCLOAK_ADMIN_DEFAULT_PASSWORD: ODD,
    CC_KEYCLOAK_ADMIN_URL: 'https://kc.example/admin',
  },
  Metabase: { METABASE_URL: 'https://mb.example' },
  Matomo: { MATOMO_URL: 'https://mt.example' },
  Otoroshi: {
    CC_OTOROSHI_URL: 'https://oto.example',
    CC_OTOROSHI_INITIAL_ADMIN_LOGIN: 'a',
    CC_OTOROSHI_INITIAL_ADMIN_PASSWORD: ODD,
  },
  Azimutt: {},
  FSBucket: { BUCKET_HOST: 'bucket.example', BUCKET_FTP_USERNAME: 'u', BUCKET_FTP_PASSWORD: ODD },
};

describe.each(providers.map((p) => [p.kind, p] as const))('%s Secret dialects', (kind, provider) => {
  const env = envs[kind]!;
  const binding = provider.binding(env);

  it('has a test environment', () => expect(env).toBeDefined());

  it('clever alone is the environment verbatim', () => {
    expect(bindingEntries(env, binding, ['clever'])).toEqual(env);
  });

  it('serviceBinding alone has type and provider, and no Clever-native key', () => {
    const entries = bindingEntries(env, binding, ['serviceBinding']);
    expect(entries.type).toBe(binding.serviceBinding.type);
    expect(entries.provider).toBe('clever-cloud');
    for (const key of Object.keys(env)) if (!(key in binding.consumer)) expect(entries).not.toHaveProperty(key);
  });

  it('consumer alone is exactly the consumer keys', () => {
    expect(bindingEntries(env, binding, ['consumer'])).toEqual(binding.consumer);
  });

  it('all dialects together: Clever values win on a shared name (upstream compatibility)', () => {
    const all = bindingEntries(env, binding, DIALECTS);
    for (const [k, v] of Object.entries(env)) expect(all[k]).toBe(v);
  });

  it('keeps odd passwords decodable in every URL it builds', () => {
    for (const value of Object.values(binding.consumer)) {
      if (!/^[a-z+]+:\/\//.test(value) || !value.includes('@')) continue;
      expect(decodeURIComponent(new URL(value).password)).toBe(ODD);
    }
  });
});

describe('templates', () => {
  const values = { host: 'db.example', port: '5432', database: 'app', password: ODD };

  it('renders names and filters', () => {
    expect(
      renderTemplate(
        {
          JDBC_URL: 'jdbc:postgresql://{{ host }}:{{port}}/{{ database }}',
          PW: '{{ password | urlencode }}',
          B: '{{ database|upper|base64 }}',
        },
        values,
      ),
    ).toEqual({
      JDBC_URL: 'jdbc:postgresql://db.example:5432/app',
      PW: encodeURIComponent(ODD),
      B: Buffer.from('APP').toString('base64'),
    });
  });

  it('treats text without expressions as a literal', () => {
    expect(renderTemplateValue('K', 'plain { text }', values)).toBe('plain { text }');
  });

  it.each([
    ['{{ hots }}', 'refers to "hots", which the add-on does not provide (available: database, host, password, port)'],
    ['{{ host | rot13 }}', 'uses unknown filter "rot13"'],
    ['{{ host ', 'has an unclosed "{{"'],
    ['{{ }}', 'has an empty "{{ }}"'],
  ])('refuses %s with a message naming the key', (template, message) => {
    expect(() => renderTemplateValue('MY_KEY', template, values)).toThrow(TemplateError);
    expect(() => renderTemplateValue('MY_KEY', template, values)).toThrow(`spec.secret.template.MY_KEY: ${message}`);
  });

  it('offers every dialect to templates, whatever the Secret holds', () => {
    const pg = providers.find((p) => p.kind === 'PostgreSql')!;
    const v = templateValues(envs.PostgreSql!, pg.binding(envs.PostgreSql!));
    expect(v).toHaveProperty('POSTGRESQL_ADDON_HOST');
    expect(v).toHaveProperty('DATABASE_URL');
    expect(v).toHaveProperty('username', 'u');
  });
});

describe('rollout patches', () => {
  it('use one annotation per resource, within the 63-character name limit', () => {
    expect(SECRET_HASH_ANNOTATION).toBe('clever-cloud.com/secret-hash.postgresql.app-db');
    expect(secretHashAnnotation('Cellar', 'files')).not.toBe(secretHashAnnotation('PostgreSql', 'files'));
    const long = secretHashAnnotation('PostgreSql', 'x'.repeat(200));
    expect(long.split('/')[1]!.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(secretHashAnnotation('PostgreSql', 'x'.repeat(199)));
  });

  it('set the hash on the pod template of apps/v1 workloads', () => {
    const patch = rolloutPatch({ kind: 'Deployment', name: 'web' }, 'ns', SECRET_HASH_ANNOTATION, 'abc');
    expect(patch).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'ns' },
      spec: { template: { metadata: { annotations: { [SECRET_HASH_ANNOTATION]: 'abc' } } } },
    });
    expect(currentHash(patch, 'Deployment', SECRET_HASH_ANNOTATION)).toBe('abc');
  });

  it('set spec.podAnnotations of a Paperclip Instance', () => {
    const patch = rolloutPatch({ kind: 'Instance', name: 'pc' }, 'ns', SECRET_HASH_ANNOTATION, 'abc');
    expect(patch.apiVersion).toBe('paperclip.inc/v1alpha1');
    expect(patch.spec).toEqual({ podAnnotations: { [SECRET_HASH_ANNOTATION]: 'abc' } });
    expect(currentHash(patch, 'Instance', SECRET_HASH_ANNOTATION)).toBe('abc');
  });
});
