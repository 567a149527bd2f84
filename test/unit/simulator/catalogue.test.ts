import { describe, expect, it } from 'vitest';
import {
  findProvider,
  isDedicated,
  planId,
  PROVIDERS,
  providerFullView,
  providerInfoView,
} from '../../../src/simulator/catalogue.ts';
import { validateCreate } from '../../../src/simulator/validate.ts';
import { ZONES } from '../../../src/simulator/zones.ts';

const PG_DEV = 'plan_d2ada71a-aa8e-4ead-8cb9-28314664437e';
const PG_XS_SML = 'plan_f14478be-b59a-4f64-870c-6887c561492d';
const REDIS_S = 'plan_964e2ebf-5606-471f-8ec7-7f79264015d9';

function create(body: Record<string, unknown>) {
  return validateCreate({ providerId: 'postgresql-addon', plan: PG_XS_SML, region: 'par', ...body });
}

function errorOf(body: Record<string, unknown>) {
  const r = create(body);
  if (r.ok) throw new Error('expected a validation error');
  return r.error;
}

describe('catalogue', () => {
  it('has every provider of the reference, with realistic ids', () => {
    const ids = PROVIDERS.map((p) => p.id);
    for (const id of [
      'postgresql-addon',
      'mysql-addon',
      'mongodb-addon',
      'redis-addon',
      'es-addon',
      'cellar-addon',
      'fs-bucket',
      'config-provider',
      'addon-pulsar',
      'kv',
      'keycloak',
      'metabase',
      'addon-matomo',
      'otoroshi',
      'azimutt',
    ]) {
      expect(ids).toContain(id);
    }
    const planIds = PROVIDERS.flatMap((p) => p.plans.map((plan) => plan.id));
    expect(new Set(planIds).size).toBe(planIds.length);
    for (const id of planIds)
      expect(id).toMatch(/^plan_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('uses the plan ids known from public sources, and stable generated ones', () => {
    expect(planId('postgresql-addon', 'dev')).toBe(PG_DEV);
    expect(planId('config-provider', 'std')).toBe('plan_5d8e9596-dd73-4b73-84d9-e165372c5324');
    expect(planId('addon-pulsar', 'beta')).toBe('plan_3ad3c5be-5c1e-4dae-bf9a-87120b88fc13');
    expect(planId('kv', 'alpha')).toBe('plan_53a1728d-4b9e-4254-94c4-b19163af587b');
    expect(planId('otoroshi', 'base')).toBe('plan_d738ee0f-8720-499a-8067-2fca53a2665a');
    expect(planId('postgresql-addon', 'm_big')).toBe(planId('postgresql-addon', 'm_big'));
    expect(planId('postgresql-addon', 'm_big')).not.toBe(planId('mysql-addon', 'm_big'));
  });

  it('keeps plan zones within provider regions, and regions within known zones', () => {
    const zoneNames = ZONES.map((z) => z.name);
    for (const p of PROVIDERS) {
      for (const r of p.regions) expect(zoneNames).toContain(r);
      for (const plan of p.plans) for (const z of plan.zones) expect(p.regions).toContain(z);
    }
  });

  it('marks dev plans shared and sized plans dedicated', () => {
    const pg = findProvider('postgresql-addon');
    expect(pg && isDedicated(pg.plans.find((p) => p.slug === 'dev')!)).toBe(false);
    expect(pg && isDedicated(pg.plans.find((p) => p.slug === 'xs_sml')!)).toBe(true);
    const view = providerFullView(pg!);
    expect(view.features).toEqual([{ name: 'Type', type: 'BOOLEAN_SHARED', name_code: 'is-dedicated' }]);
  });

  it('serves v4 provider info with the object form of dedicated versions', () => {
    const info = providerInfoView(findProvider('postgresql-addon')!);
    expect(info).toMatchObject({
      providerId: 'postgresql-addon',
      defaultDedicatedVersion: '17',
      dedicated: {
        '14': { features: [{ name: 'encryption', enabled: false }] },
        '18': { features: expect.any(Array) as unknown },
      },
      clusters: [expect.objectContaining({ zone: 'par', version: '15' })],
    });
    expect(Object.keys(providerInfoView(findProvider('redis-addon')!)!.dedicated as object)).toEqual([
      '7.2.4',
      '8.8.0',
    ]);
    expect(providerInfoView(findProvider('cellar-addon')!)).toBeUndefined();
    expect(providerInfoView(findProvider('config-provider')!)).toBeUndefined();
  });
});

describe('create validation', () => {
  it('accepts a valid request and resolves the default version', () => {
    const r = create({ name: 'db' });
    expect(r.ok && r.value.version).toBe('17');
    const dev = create({ plan: PG_DEV });
    expect(dev.ok && dev.value.version).toBe('15');
  });

  it('accepts a major or the full version string', () => {
    const full = create({ options: { version: '16.14' } });
    expect(full.ok && full.value.options.version).toBe('16');
    const redis = validateCreate({
      providerId: 'redis-addon',
      plan: REDIS_S,
      region: 'par',
      options: { version: '7' },
    });
    expect(redis.ok && redis.value.version).toBe('7.2.4');
    const redisFull = validateCreate({
      providerId: 'redis-addon',
      plan: REDIS_S,
      region: 'par',
      options: { version: '8.8.0' },
    });
    expect(redisFull.ok && redisFull.value.version).toBe('8.8.0');
  });

  it('answers 404 for an unknown provider', () => {
    const r = validateCreate({ providerId: 'nope-addon', plan: PG_DEV, region: 'par' });
    expect(r).toMatchObject({ ok: false, error: { status: 404, field: 'providerId' } });
  });

  it('requires the fields', () => {
    expect(errorOf({ providerId: undefined })).toMatchObject({ status: 400, field: 'providerId' });
    expect(errorOf({ plan: undefined })).toMatchObject({ status: 400, field: 'plan' });
    expect(errorOf({ region: undefined })).toMatchObject({ status: 400, field: 'region' });
    expect(validateCreate([1])).toMatchObject({ ok: false, error: { field: 'body' } });
  });

  it('rejects a plan slug, a plan of another provider and an unknown plan', () => {
    expect(errorOf({ plan: 'xs_sml' }).message).toMatch(/^plan: expected a plan id .*plan_f14478be/);
    expect(errorOf({ plan: REDIS_S })).toMatchObject({
      status: 400,
      field: 'plan',
      message: /not found for provider postgresql-addon/,
    });
    expect(errorOf({ plan: 'plan_nope' }).message).toContain('dev=' + PG_DEV);
  });

  it('rejects a region of neither the provider nor the plan', () => {
    expect(errorOf({ region: 'mars' })).toMatchObject({
      field: 'region',
      message: /not available for provider postgresql-addon \(regions: par,/,
    });
    expect(errorOf({ plan: PG_DEV, region: 'mtl' })).toMatchObject({
      field: 'region',
      message: /plan dev .*zones: par/,
    });
  });

  it('rejects a version the plan does not offer, listing the allowed ones', () => {
    expect(errorOf({ options: { version: '12' } })).toMatchObject({
      status: 400,
      field: 'options.version',
      message: expect.stringContaining('allowed: 14 (14.23), 15 (15.18), 16 (16.14), 17 (17.10), 18 (18.4)') as string,
    });
    // The shared dev cluster only runs 15: a version no plan offers is refused there too.
    expect(errorOf({ plan: PG_DEV, options: { version: '12' } }).message).toMatch(/allowed: 15/);
    const cellar = validateCreate({
      providerId: 'cellar-addon',
      plan: planId('cellar-addon', 'S'),
      region: 'par',
      options: { version: '1' },
    });
    expect(cellar).toMatchObject({ ok: false, error: { field: 'options.version' } });
  });

  it('accepts a dedicated version on a shared plan, as clever-tools sends it, and runs the cluster version', () => {
    // clever-tools sends options.version = defaultDedicatedVersion (17) for every plan, shared ones included.
    const r = create({ plan: PG_DEV, options: { version: '17' } });
    expect(r).toMatchObject({ ok: true, value: { version: '15', options: { version: '15' } } });
  });

  it('rejects unknown options and bad option values', () => {
    expect(errorOf({ options: { kibana: 'true' } })).toMatchObject({
      field: 'options.kibana',
      message:
        /unknown option for postgresql-addon \(allowed: version, encryption, do-backup, direct-host-only, locale\)/,
    });
    expect(errorOf({ options: { encryption: 'yes' } })).toMatchObject({
      field: 'options.encryption',
      message: /"true" or "false"/,
    });
    expect(errorOf({ options: { encryption: true } })).toMatchObject({
      field: 'options.encryption',
      message: /must be a string/,
    });
    expect(errorOf({ plan: PG_DEV, options: { encryption: 'true' } })).toMatchObject({ message: /shared plan dev/ });
    const es = validateCreate({
      providerId: 'es-addon',
      plan: planId('es-addon', 'xs'),
      region: 'par',
      options: { version: '8', services: '[{"name":"kibana","enabled":true},{"name":"apm","enabled":false}]' },
    });
    expect(es.ok).toBe(true);
    const badEs = validateCreate({
      providerId: 'es-addon',
      plan: planId('es-addon', 'xs'),
      region: 'par',
      options: { services: 'x' },
    });
    expect(badEs).toMatchObject({ ok: false, error: { field: 'options.services' } });
  });

  it('validates operator versions against their available versions', () => {
    const kc = { providerId: 'keycloak', plan: planId('keycloak', 'base'), region: 'par' };
    const ok = validateCreate({ ...kc, options: { version: '26.2.5' } });
    expect(ok.ok && ok.value.version).toBe('26.2.5');
    expect(validateCreate({ ...kc, options: { version: '1.0.0' } })).toMatchObject({
      ok: false,
      error: { field: 'options.version' },
    });
  });
});
