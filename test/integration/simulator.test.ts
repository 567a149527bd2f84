// The simulator over real HTTP on loopback (no Kubernetes needed): lifecycle, isolation, auth, faults, persistence.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OAuth from 'oauth-1.0a';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planId, PROVIDERS } from '../../src/simulator/catalogue.ts';
import {
  CLEVER_TOOLS_CONSUMER,
  DEV_API_TOKEN,
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_ORG_ID,
  DEV_PASSWORD,
  DEV_USER_ID,
  GO_CLIENT_CONSUMER,
  OTHER_OAUTH_SECRET,
  OTHER_OAUTH_TOKEN,
  OTHER_ORG_ID,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.ts';

const DEV = plaintext(DEV_OAUTH_TOKEN, DEV_OAUTH_SECRET);
const OTHER = plaintext(OTHER_OAUTH_TOKEN, OTHER_OAUTH_SECRET);

function plaintext(token: string, secret: string): string {
  return `OAuth oauth_consumer_key="${CLEVER_TOOLS_CONSUMER.key}", oauth_token="${token}", oauth_signature="${CLEVER_TOOLS_CONSUMER.secret}%26${secret}"`;
}

type Json = Record<string, unknown> & { id?: string };

interface Call {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  base: string,
  method: string,
  path: string,
  auth: string | undefined,
  body?: unknown,
): Promise<Call> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const PG_XS_SML = planId('postgresql-addon', 'xs_sml');
const PG_XS_MED = planId('postgresql-addon', 'xs_med');
const orgAddons = (owner = DEV_ORG_ID) => `/v2/organisations/${owner}/addons`;
const pgBody = (name = 'db') => ({
  name,
  providerId: 'postgresql-addon',
  plan: PG_XS_SML,
  region: 'par',
  options: { version: '17' },
});

const sims: Simulator[] = [];
async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ seed: 11, ...options });
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

describe('add-on lifecycle', () => {
  it('create, get, list, env, provisioning, migration, rename, delete', async () => {
    let t = 1_760_000_000_000;
    const sim = await start({
      now: () => t,
      listConsistencyDelayMs: 5_000,
      provisioningDelayMs: 30_000,
      migrationStepMs: 1_000,
    });
    const api = (m: string, p: string, b?: unknown) => call(sim.url, m, p, DEV, b);

    const created = await api('POST', orgAddons(), pgBody());
    expect(created.status).toBe(200);
    expect(created.headers.get('sozu-id')).toBeTruthy();
    const addon = created.body as Json;
    expect(addon).toMatchObject({
      id: expect.stringMatching(/^addon_[0-9a-f-]{36}$/) as unknown,
      realId: expect.stringMatching(/^postgresql_[0-9a-f-]{36}$/) as unknown,
      name: 'db',
      region: 'par',
      creationDate: t,
      provider: { id: 'postgresql-addon', name: 'PostgreSQL' },
      plan: { id: PG_XS_SML, slug: 'xs_sml' },
    });
    expect(addon.provider).not.toHaveProperty('plans');
    expect((addon.plan as Json).features).toContainEqual(
      expect.objectContaining({ name_code: 'is-dedicated', computable_value: 'dedicated' }),
    );
    const { id, realId } = addon as { id: string; realId: string };

    // By addon id and by realId.
    expect((await api('GET', `${orgAddons()}/${id}`)).body).toEqual(addon);
    expect((await api('GET', `${orgAddons()}/${realId}`)).body).toEqual(addon);

    // Eventual consistency: not listed yet, then listed.
    expect((await api('GET', orgAddons())).body).toEqual([]);
    t += 5_000;
    expect((await api('GET', orgAddons())).body).toEqual([addon]);

    const env = (await api('GET', `${orgAddons()}/${id}/env`)).body as { name: string; value: string }[];
    expect(env.map((e) => e.name)).toEqual(addon.configKeys);
    const envMap = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(envMap.POSTGRESQL_ADDON_VERSION).toBe('17');
    expect(new URL(envMap.POSTGRESQL_ADDON_URI!).hostname).toBe(envMap.POSTGRESQL_ADDON_HOST);

    // v4 details: PROVISIONING until the delay, then ACTIVE.
    const v4 = `/v4/addon-providers/postgresql-addon/addons/${id}`;
    expect((await api('GET', v4)).body).toMatchObject({
      status: 'PROVISIONING',
      host: envMap.POSTGRESQL_ADDON_HOST,
      plan: 'xs_sml',
      version: '17',
    });
    t += 25_000;
    expect((await api('GET', v4)).body).toMatchObject({ status: 'ACTIVE', app_id: id, owner_id: DEV_ORG_ID });

    // Migration to another plan moves through its steps, then the add-on changes plan and host.
    const mig = await api('POST', `${orgAddons()}/${id}/migrations`, {
      planId: PG_XS_MED,
      region: 'par',
      version: '18',
    });
    expect(mig.status).toBe(200);
    const migration = mig.body as { migrationId: string; status: string; steps: { status: string }[] };
    expect(migration.status).toBe('RUNNING');
    expect(migration.steps.map((s) => s.status)).toEqual(['RUNNING', 'PENDING', 'PENDING', 'PENDING', 'PENDING']);
    expect((await api('POST', `${orgAddons()}/${id}/migrations`, { planId: PG_XS_MED })).status).toBe(409);
    t += 2_500;
    const mid = (await api('GET', `${orgAddons()}/${id}/migrations/${migration.migrationId}`)).body as typeof migration;
    expect(mid.steps.map((s) => s.status)).toEqual(['OK', 'OK', 'RUNNING', 'PENDING', 'PENDING']);
    expect(((await api('GET', `${orgAddons()}/${id}`)).body as Json).plan).toMatchObject({ slug: 'xs_sml' });
    t += 2_500;
    const list = (await api('GET', `${orgAddons()}/${id}/migrations`)).body as (typeof migration)[];
    expect(list).toHaveLength(1);
    expect(list[0]?.status).toBe('OK');
    expect(((await api('GET', `${orgAddons()}/${id}`)).body as Json).plan).toMatchObject({
      id: PG_XS_MED,
      slug: 'xs_med',
    });
    const env2 = Object.fromEntries(
      ((await api('GET', `${orgAddons()}/${id}/env`)).body as { name: string; value: string }[]).map((e) => [
        e.name,
        e.value,
      ]),
    );
    expect(env2.POSTGRESQL_ADDON_VERSION).toBe('18');
    expect(env2.POSTGRESQL_ADDON_HOST).not.toBe(envMap.POSTGRESQL_ADDON_HOST);
    expect(env2.POSTGRESQL_ADDON_PASSWORD).toBe(envMap.POSTGRESQL_ADDON_PASSWORD);
    const badMig = await api('POST', `${orgAddons()}/${id}/migrations`, { planId: PG_XS_SML, version: '9' });
    expect(badMig).toMatchObject({
      status: 400,
      body: { type: 'error', message: expect.stringMatching(/^version: .*allowed: 14/) as unknown },
    });

    // Rename, delete, then gone everywhere.
    expect((await api('PUT', `${orgAddons()}/${id}`, { name: 'renamed' })).body).toMatchObject({ id, name: 'renamed' });
    expect(await api('DELETE', `${orgAddons()}/${realId}`)).toMatchObject({ status: 200, body: { type: 'success' } });
    for (const path of [`${orgAddons()}/${id}`, `${orgAddons()}/${id}/env`]) {
      expect(await api('GET', path)).toMatchObject({
        status: 404,
        body: { id: 11001, message: 'This addon does not exist.', type: 'error' },
      });
    }
    expect((await api('GET', v4)).status).toBe(404);
    expect((await api('GET', orgAddons())).body).toEqual([]);
    expect(sim.addons()).toEqual([]);
  });

  it('serves the personal space under /v2/self and /v2/organisations/{userId}', async () => {
    const sim = await start();
    const created = await call(sim.url, 'POST', '/v2/self/addons', DEV, pgBody('mine'));
    expect(created.status).toBe(200);
    const { id } = created.body as { id: string };
    expect((await call(sim.url, 'GET', `${orgAddons(DEV_USER_ID)}/${id}`, DEV)).status).toBe(200);
    expect((await call(sim.url, 'GET', `${orgAddons()}/${id}`, DEV)).status).toBe(404);
    expect(sim.addons()[0]?.ownerId).toBe(DEV_USER_ID);
    expect(await call(sim.url, 'GET', '/v2/self/id', DEV)).toMatchObject({ status: 200, body: DEV_USER_ID });
    const summary = (await call(sim.url, 'GET', '/v2/summary', DEV)).body as {
      user: { addons: Json[] };
      organisations: Json[];
    };
    expect(summary.user.addons).toEqual([expect.objectContaining({ id, providerId: 'postgresql-addon' })]);
    expect(summary.organisations).toEqual([expect.objectContaining({ id: DEV_ORG_ID, name: 'Dev Org' })]);
    expect((await call(sim.url, 'GET', '/v2/organisations', DEV)).body).toEqual([
      expect.objectContaining({ id: DEV_ORG_ID }),
    ]);
  });

  it('rejects invalid create input with the field named', async () => {
    const sim = await start();
    const bad = (body: unknown) => call(sim.url, 'POST', orgAddons(), DEV, body);
    expect(await bad({ ...pgBody(), plan: 'xs_sml' })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^plan: /) as unknown },
    });
    expect(await bad({ ...pgBody(), region: 'mars' })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^region: /) as unknown },
    });
    expect(await bad({ ...pgBody(), options: { version: '9' } })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^options\.version: .*allowed: 14/) as unknown },
    });
    expect(await bad({ ...pgBody(), options: { nope: 'x' } })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^options\.nope: unknown option/) as unknown },
    });
    expect(await bad({ ...pgBody(), providerId: 'nope' })).toMatchObject({ status: 404, body: { type: 'error' } });
    const invalidJson = await fetch(sim.url + orgAddons(), {
      method: 'POST',
      headers: { authorization: DEV },
      body: '{',
    });
    expect(invalidJson.status).toBe(400);
    expect(sim.addons()).toEqual([]);
  });

  it('answers 402 for a plan flagged as requiring payment', async () => {
    const sim = await start({ paymentRequiredPlans: ['xs_sml'] });
    expect(await call(sim.url, 'POST', orgAddons(), DEV, pgBody())).toMatchObject({
      status: 402,
      body: { type: 'error', paymentIntent: expect.any(Object) as unknown },
    });
  });
});

describe('provider-specific reads', () => {
  it('creates an add-on of every provider with its first plan and zone, env matching configKeys', async () => {
    const sim = await start();
    const v4Paths: Record<string, (a: { id: string; realId: string }) => string> = {
      'postgresql-addon': (a) => `/v4/addon-providers/postgresql-addon/addons/${a.id}`,
      'mysql-addon': (a) => `/v4/addon-providers/mysql-addon/addons/${a.id}`,
      'mongodb-addon': (a) => `/v4/addon-providers/mongodb-addon/addons/${a.id}`,
      'redis-addon': (a) => `/v4/addon-providers/redis-addon/addons/${a.id}`,
      'es-addon': (a) => `/v4/addon-providers/es-addon/addons/${a.id}`,
      'addon-pulsar': (a) => `/v4/addon-providers/addon-pulsar/addons/${a.realId}`,
      kv: (a) => `/v4/materia/organisations/${DEV_ORG_ID}/materia/databases/${a.realId}`,
      keycloak: (a) => `/v4/addon-providers/addon-keycloak/addons/${a.realId}`,
      metabase: (a) => `/v4/addon-providers/addon-metabase/addons/${a.realId}`,
      'addon-matomo': (a) => `/v4/addon-providers/addon-matomo/addons/${a.realId}`,
      otoroshi: (a) => `/v4/addon-providers/addon-otoroshi/addons/${a.realId}`,
      'config-provider': (a) => `/v4/addon-providers/config-provider/addons/${a.realId}`,
    };
    for (const provider of PROVIDERS) {
      const plan = provider.plans[0]!;
      const r = await call(sim.url, 'POST', orgAddons(), DEV, {
        providerId: provider.id,
        plan: plan.id,
        region: plan.zones[0],
      });
      expect(r.status, `${provider.id}: ${JSON.stringify(r.body)}`).toBe(200);
      const addon = r.body as { id: string; realId: string; configKeys: string[] };
      expect(addon.realId.startsWith(provider.realIdPrefix), provider.id).toBe(true);
      const env = (await call(sim.url, 'GET', `${orgAddons()}/${addon.id}/env`, DEV)).body as { name: string }[];
      expect(env.map((e) => e.name)).toEqual(addon.configKeys);
      const v4 = v4Paths[provider.id];
      if (v4) expect((await call(sim.url, 'GET', v4(addon), DEV)).status, provider.id).toBe(200);
    }
    expect(sim.requests().filter((r) => r.status >= 400)).toEqual([]);
  });

  it('Materia KV, Pulsar, operators (instances readiness), config provider, backups', async () => {
    let t = 1_760_000_000_000;
    const sim = await start({ now: () => t, provisioningDelayMs: 10_000 });
    const api = (m: string, p: string, b?: unknown) => call(sim.url, m, p, DEV, b);
    const create = async (providerId: string, slug: string, options?: Record<string, string>) => {
      const r = await api('POST', orgAddons(), { providerId, plan: planId(providerId, slug), region: 'par', options });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { id: string; realId: string };
    };

    const kv = await create('kv', 'alpha');
    const kvPath = `/v4/materia/organisations/${DEV_ORG_ID}/materia/databases/${kv.realId}`;
    expect((await api('GET', kvPath)).body).toMatchObject({
      id: kv.realId,
      kind: 'KV',
      status: 'PROVISIONING',
      ownerId: DEV_ORG_ID,
    });

    const pulsar = await create('addon-pulsar', 'beta');
    const p = (await api('GET', `/v4/addon-providers/addon-pulsar/addons/${pulsar.realId}`)).body as Json;
    expect(p).toMatchObject({ id: pulsar.realId, status: 'ACTIVE', tenant: DEV_ORG_ID, cluster_id: 'c3' });
    expect((await api('GET', '/v4/addon-providers/addon-pulsar/clusters/c3')).body).toMatchObject({
      pulsar_tls_port: 6651,
    });

    const kc = await create('keycloak', 'base', { version: '26.2.5' });
    const op = (await api('GET', `/v4/addon-providers/addon-keycloak/addons/${kc.realId}`)).body as Json;
    expect(op).toMatchObject({
      resourceId: kc.realId,
      addonId: kc.id,
      version: '26.2.5',
      resources: { entrypoint: expect.stringMatching(/^app_/) as unknown },
    });
    expect(op).not.toHaveProperty('status');
    const instances = `${orgAddons()}/${kc.id}/instances`;
    expect((await api('GET', instances)).body).toEqual([
      expect.objectContaining({ state: 'DEPLOYING', appId: (op.resources as Json).entrypoint }),
    ]);

    const cp = await create('config-provider', 'std');
    const cpEnv = `/v4/addon-providers/config-provider/addons/${cp.realId}/env`;
    expect((await api('GET', cpEnv)).body).toEqual([]);
    const vars = [
      { name: 'A', value: '1' },
      { name: 'B', value: 'x=y' },
    ];
    expect((await api('PUT', cpEnv, vars)).body).toEqual(vars);
    expect((await api('GET', `${orgAddons()}/${cp.id}/env`)).body).toEqual(vars);
    expect((await api('PUT', cpEnv, [{ name: 'A' }])).status).toBe(400);

    const pg = await create('postgresql-addon', 'xs_sml');
    expect((await api('GET', `/v2/backups/${DEV_ORG_ID}/${pg.realId}`)).body).toHaveLength(2);

    t += 10_000;
    expect((await api('GET', kvPath)).body).toMatchObject({ status: 'PROVISIONED' });
    expect((await api('GET', instances)).body).toEqual([expect.objectContaining({ state: 'UP' })]);
  });

  it('serves the catalogue without auth', async () => {
    const sim = await start();
    const providers = (await call(sim.url, 'GET', '/v2/products/addonproviders', undefined)).body as Json[];
    expect(providers.map((p) => p.id)).toContain('postgresql-addon');
    expect((await call(sim.url, 'GET', '/v2/products/addonproviders/redis-addon', undefined)).body).toMatchObject({
      id: 'redis-addon',
    });
    expect((await call(sim.url, 'GET', '/v4/addon-providers/es-addon', undefined)).body).toMatchObject({
      defaultDedicatedVersion: '8',
    });
    expect(await call(sim.url, 'GET', '/v4/addon-providers/cellar-addon', undefined)).toMatchObject({
      status: 404,
      body: {
        apiRequestId: expect.any(String) as unknown,
        code: expect.any(String) as unknown,
        error: expect.any(String) as unknown,
      },
    });
    expect((await call(sim.url, 'GET', '/v4/products/zones/par', undefined)).body).toMatchObject({
      name: 'par',
      countryCode: 'FR',
    });
    expect(await call(sim.url, 'GET', '/v2/nope', DEV)).toMatchObject({ status: 404, body: { type: 'error' } });
  });
});

describe('isolation and auth', () => {
  let sim: Simulator;
  let devAddon: { id: string; realId: string };
  beforeAll(async () => {
    sim = await startSimulator({ seed: 3 });
    devAddon = (await call(sim.url, 'POST', orgAddons(), DEV, pgBody())).body as typeof devAddon;
  });
  afterAll(() => sim.stop());

  it('keeps accounts apart: 403 on a foreign owner, 404 on a foreign add-on', async () => {
    expect(await call(sim.url, 'GET', orgAddons(DEV_ORG_ID), OTHER)).toMatchObject({
      status: 403,
      body: { type: 'error' },
    });
    expect(await call(sim.url, 'POST', orgAddons(DEV_ORG_ID), OTHER, pgBody())).toMatchObject({ status: 403 });
    expect((await call(sim.url, 'GET', `/v2/organisations/${DEV_ORG_ID}`, OTHER)).status).toBe(403);
    for (const ref of [devAddon.id, devAddon.realId]) {
      expect(await call(sim.url, 'GET', `${orgAddons(OTHER_ORG_ID)}/${ref}`, OTHER)).toMatchObject({
        status: 404,
        body: { id: 11001 },
      });
      expect((await call(sim.url, 'DELETE', `${orgAddons(OTHER_ORG_ID)}/${ref}`, OTHER)).status).toBe(404);
    }
    expect(
      (await call(sim.url, 'GET', `/v4/addon-providers/postgresql-addon/addons/${devAddon.id}`, OTHER)).status,
    ).toBe(404);
    expect(sim.addons()).toHaveLength(1);
  });

  it('requires valid credentials, Bearer only on the bridge', async () => {
    expect(await call(sim.url, 'GET', '/v2/self', undefined)).toMatchObject({ status: 401, body: { type: 'error' } });
    expect((await call(sim.url, 'GET', '/v2/self', plaintext(DEV_OAUTH_TOKEN, 'wrong'))).status).toBe(401);
    expect((await call(sim.url, 'GET', '/v2/self', `Bearer ${DEV_API_TOKEN}`)).status).toBe(401);
    expect(await call(sim.bridgeUrl, 'GET', '/v2/self', `Bearer ${DEV_API_TOKEN}`)).toMatchObject({
      status: 200,
      body: { id: DEV_USER_ID },
    });
    expect((await call(sim.bridgeUrl, 'GET', orgAddons(), `Bearer ${DEV_API_TOKEN}`)).body).toHaveLength(1);
    expect((await call(sim.bridgeUrl, 'GET', '/v2/self', DEV)).status).toBe(401);
    expect((await call(sim.bridgeUrl, 'GET', '/v2/self', 'Bearer nope')).status).toBe(401);
    const log = sim.requests().filter((r) => r.host === 'bridge');
    expect(log.map((r) => [r.status, r.principal])).toContainEqual([200, DEV_USER_ID]);
  });

  it('issues API tokens on the bridge with OAuth1 PLAINTEXT', async () => {
    const body = {
      email: 'dev@example.com',
      password: DEV_PASSWORD,
      name: 'ci',
      expirationDate: new Date(Date.now() + 3_600_000).toISOString(),
    };
    expect(await call(sim.bridgeUrl, 'POST', '/api-tokens', DEV, { ...body, password: 'x' })).toMatchObject({
      status: 401,
      body: { code: 'invalid-credential' },
    });
    const issued = await call(sim.bridgeUrl, 'POST', '/api-tokens', DEV, body);
    expect(issued).toMatchObject({ status: 200, body: { state: 'ACTIVE', name: 'ci' } });
    const { apiToken, apiTokenId } = issued.body as { apiToken: string; apiTokenId: string };
    expect((await call(sim.bridgeUrl, 'GET', '/v2/self', `Bearer ${apiToken}`)).status).toBe(200);
    expect((await call(sim.bridgeUrl, 'GET', '/api-tokens', DEV)).body).toEqual([
      expect.objectContaining({ apiTokenId }),
    ]);
    expect((await call(sim.bridgeUrl, 'DELETE', `/api-tokens/${apiTokenId}`, DEV)).status).toBe(204);
    expect((await call(sim.bridgeUrl, 'GET', '/v2/self', `Bearer ${apiToken}`)).status).toBe(401);
    expect((await call(sim.url, 'GET', '/api-tokens', DEV)).status).toBe(404);
  });

  it('verifies HMAC-SHA512 signatures end to end', async () => {
    const oauth = new OAuth({
      consumer: GO_CLIENT_CONSUMER,
      signature_method: 'HMAC-SHA512',
      hash_function: (base, key) => createHmac('sha512', key).update(base).digest('base64'),
    });
    const sign = (method: string, url: string, secret = DEV_OAUTH_SECRET) =>
      oauth.toHeader(oauth.authorize({ url, method }, { key: DEV_OAUTH_TOKEN, secret })).Authorization;
    const url = `${sim.url}/v2/products/addonproviders/postgresql-addon?orgaId=${DEV_ORG_ID}`;
    expect((await call(url, 'GET', '', sign('GET', url))).status).toBe(200);
    const listUrl = sim.url + orgAddons();
    expect((await call(listUrl, 'GET', '', sign('GET', listUrl))).status).toBe(200);
    expect((await call(listUrl, 'GET', '', sign('GET', listUrl, 'bad'))).status).toBe(401);
    expect((await call(listUrl, 'GET', '', sign('POST', listUrl))).status).toBe(401);
  });
});

describe('faults and admin', () => {
  it('makes each fault kind observable', async () => {
    const sim = await start();
    const create = orgAddons();
    const createRoute = 'POST /v2/organisations/{ownerId}/addons';

    sim.setFaults([{ route: createRoute, kind: 'rateLimit', retryAfterSeconds: 7, count: 1 }]);
    const limited = await call(sim.url, 'POST', create, DEV, pgBody());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');

    sim.setFaults([
      {
        route: 'GET /v2/self',
        kind: 'error',
        status: 503,
        body: { id: -500, message: 'down', type: 'error' },
        count: 1,
      },
    ]);
    expect(await call(sim.url, 'GET', '/v2/self', DEV)).toMatchObject({ status: 503, body: { message: 'down' } });
    expect((await call(sim.url, 'GET', '/v2/self', DEV)).status).toBe(200);

    sim.setFaults([{ route: 'GET /v2/self', kind: 'reset', count: 1 }]);
    await expect(fetch(`${sim.url}/v2/self`, { headers: { authorization: DEV } })).rejects.toThrow();

    sim.setFaults([{ route: 'GET /v2/self', kind: 'latency', ms: 150, count: 1 }]);
    const t0 = performance.now();
    expect((await call(sim.url, 'GET', '/v2/self', DEV)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);

    sim.setFaults([{ route: createRoute, kind: 'commitThenFail', count: 1 }]);
    await expect(
      fetch(sim.url + create, {
        method: 'POST',
        headers: { authorization: DEV },
        body: JSON.stringify(pgBody('ghost')),
      }),
    ).rejects.toThrow();
    expect(sim.addons().map((a) => a.name)).toEqual(['ghost']);

    sim.setFaults([{ route: createRoute, kind: 'commitThenFail', status: 502, count: 1 }]);
    expect((await call(sim.url, 'POST', create, DEV, pgBody('ghost2'))).status).toBe(502);
    expect(sim.addons().map((a) => a.name)).toEqual(['ghost', 'ghost2']);

    const faulted = sim.requests().filter((r) => r.fault);
    expect(faulted.map((r) => [r.route, r.fault, r.status])).toEqual([
      [createRoute, 'rateLimit', 429],
      ['GET /v2/self', 'error', 503],
      ['GET /v2/self', 'reset', 0],
      ['GET /v2/self', 'latency', 200],
      [createRoute, 'commitThenFail', 0],
      [createRoute, 'commitThenFail', 502],
    ]);
    sim.clearRequests();
    expect(sim.requests()).toEqual([]);
  });

  it('exposes admin endpoints that are not logged as API calls', async () => {
    const sim = await start();
    const created = (await call(sim.url, 'POST', orgAddons(), DEV, pgBody())).body as { id: string };
    const envOf = async () =>
      (await call(sim.url, 'GET', `${orgAddons()}/${created.id}/env`, DEV)).body as { name: string; value: string }[];
    const before = await envOf();

    expect(await call(sim.url, 'GET', '/__simulator/health', undefined)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect((await call(sim.url, 'POST', `/__simulator/addons/${created.id}/rotate`, undefined)).status).toBe(204);
    const after = await envOf();
    const pw = (env: typeof before) => env.find((e) => e.name === 'POSTGRESQL_ADDON_PASSWORD')?.value;
    expect(pw(after)).not.toBe(pw(before));

    const rules = [{ route: 'GET /v2/self', kind: 'error', status: 500, count: 1 }];
    expect(await call(sim.url, 'PUT', '/__simulator/faults', undefined, rules)).toMatchObject({
      status: 200,
      body: rules,
    });
    expect((await call(sim.url, 'PUT', '/__simulator/faults', undefined, [{ kind: 'x' }])).status).toBe(400);
    expect((await call(sim.url, 'GET', '/__simulator/faults', undefined)).body).toEqual(rules);
    expect((await call(sim.url, 'GET', '/v2/self', DEV)).status).toBe(500);

    expect((await call(sim.url, 'GET', '/__simulator/addons', undefined)).body).toEqual([
      expect.objectContaining({ id: created.id }),
    ]);
    expect((await call(sim.url, 'POST', `/__simulator/addons/${created.id}/delete`, undefined)).status).toBe(204);
    expect((await call(sim.url, 'GET', `${orgAddons()}/${created.id}`, DEV)).status).toBe(404);
    expect((await call(sim.url, 'POST', '/__simulator/addons/addon_nope/delete', undefined)).status).toBe(404);

    const logged = (await call(sim.url, 'GET', '/__simulator/requests', undefined)).body as { path: string }[];
    expect(logged.every((r) => !r.path.startsWith('/__simulator'))).toBe(true);
    expect(logged).toHaveLength(5);
    expect((await call(sim.url, 'DELETE', '/__simulator/requests', undefined)).status).toBe(204);
    expect(sim.requests()).toEqual([]);
  });
});

describe('persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-it-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps add-ons across a restart with the same state file', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startSimulator({ stateFile, port: 0 });
    const created = (await call(first.url, 'POST', orgAddons(), DEV, pgBody('kept'))).body as { id: string };
    const env = (await call(first.url, 'GET', `${orgAddons()}/${created.id}/env`, DEV)).body;
    await first.stop();

    const second = await start({ stateFile });
    expect((await call(second.url, 'GET', `${orgAddons()}/${created.id}`, DEV)).body).toMatchObject({
      id: created.id,
      name: 'kept',
    });
    expect((await call(second.url, 'GET', `${orgAddons()}/${created.id}/env`, DEV)).body).toEqual(env);
    const other = (await call(second.url, 'POST', orgAddons(), DEV, pgBody('new'))).body as { id: string };
    expect(other.id).not.toBe(created.id);
  });
});
