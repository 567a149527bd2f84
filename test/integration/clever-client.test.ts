// The Clever client against the real simulator: every call, every auth mode, refusals mapped to the right error
// classes, and the retry / never-re-send rules observed from the server side through sim.requests().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CleverClient,
  ForbiddenError,
  NotFoundError,
  OutcomeUnknownError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
  type CleverClientOptions,
  type CleverCredentials,
  type OperatorKind,
} from '../../src/clever/index.ts';
import { withCleverPriority } from '../../src/clever/priority.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';

const DEV_USER = 'user_00000000-0000-4000-8000-000000000001';
const DEV_ORG = 'orga_00000000-0000-4000-8000-0000000000a1';
const OTHER_ORG = 'orga_00000000-0000-4000-8000-0000000000b2';
const DEV_OAUTH = { token: 'sim-dev-token', secret: 'sim-dev-secret' };
const OTHER_OAUTH = { token: 'sim-other-token', secret: 'sim-other-secret' };
const CREATE_ROUTE = 'POST /v2/organisations/{ownerId}/addons';

let sim: Simulator;
let sleeps: number[];

beforeEach(async () => {
  sim = await startSimulator({ port: 0, bridgePort: 0 });
  sleeps = [];
});
afterEach(async () => {
  await sim.stop();
});

function client(overrides: Partial<CleverClientOptions> = {}): CleverClient {
  return new CleverClient({
    credentials: { kind: 'oauth1', ...DEV_OAUTH },
    apiUrl: sim.url,
    bridgeUrl: sim.bridgeUrl,
    // Backoff is asserted, not waited for.
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 1,
    retry: { baseMs: 100, maxMs: 2000 },
    ...overrides,
  });
}

/** Plan id by slug from the live catalogue (or the cheapest plan). */
async function planId(c: CleverClient, providerId: string, slug?: string): Promise<string> {
  const provider = await c.getAddonProvider(providerId);
  const plans = [...provider.plans].sort((a, b) => (a.price ?? 0) - (b.price ?? 0));
  const plan = slug ? plans.find((p) => p.slug.toLowerCase() === slug.toLowerCase()) : plans[0];
  if (!plan) throw new Error(`no plan ${slug ?? '(cheapest)'} for ${providerId}`);
  return plan.id;
}

async function create(c: CleverClient, providerId: string, name: string, owner = DEV_ORG) {
  return c.createAddon(owner, { name, providerId, plan: await planId(c, providerId), region: 'par' });
}

function routeLog(route: string) {
  return sim.requests().filter((r) => r.route === route);
}

describe('auth modes', () => {
  const modes: Array<[string, CleverCredentials, 'api' | 'bridge']> = [
    ['OAuth1 HMAC-SHA512, default consumer', { kind: 'oauth1', ...DEV_OAUTH }, 'api'],
    ['OAuth1 PLAINTEXT', { kind: 'oauth1', ...DEV_OAUTH, signatureMethod: 'PLAINTEXT' }, 'api'],
    [
      'OAuth1 HMAC-SHA512, custom consumer',
      { kind: 'oauth1', ...DEV_OAUTH, consumerKey: 'sim-consumer-key', consumerSecret: 'sim-consumer-secret' },
      'api',
    ],
    [
      'OAuth1 PLAINTEXT, custom consumer',
      {
        kind: 'oauth1',
        ...DEV_OAUTH,
        consumerKey: 'sim-consumer-key',
        consumerSecret: 'sim-consumer-secret',
        signatureMethod: 'PLAINTEXT',
      },
      'api',
    ],
    ['API token via the bridge', { kind: 'apiToken', apiToken: 'sim-dev-api-token' }, 'bridge'],
  ];

  it.each(modes)('%s', async (_name, credentials, host) => {
    const c = client({ credentials });
    expect(await c.resolveDefaultOwner()).toBe(DEV_USER);
    // A signed call with a query string (the HMAC covers it) and a signed write.
    expect((await c.listAddonProviders(DEV_ORG)).length).toBeGreaterThan(0);
    const addon = await create(c, 'config-provider', `auth-${host}-${credentials.kind}`);
    expect(await c.deleteAddon(DEV_ORG, addon.id)).toBe(true);
    const log = sim.requests();
    expect(log.length).toBeGreaterThanOrEqual(4);
    for (const entry of log) {
      expect(entry.host).toBe(host);
      expect(entry.principal).toBe(DEV_USER);
      expect(entry.status).toBeLessThan(400);
    }
  });

  it('wrong secret (bad signature) -> UnauthorizedError, not retried', async () => {
    for (const signatureMethod of ['HMAC-SHA512', 'PLAINTEXT'] as const) {
      const c = client({ credentials: { kind: 'oauth1', token: DEV_OAUTH.token, secret: 'wrong', signatureMethod } });
      const error = await c.getSelf().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error).not.toBeInstanceOf(ForbiddenError);
      expect((error as UnauthorizedError).status).toBe(401);
    }
    expect(routeLog('GET /v2/self').map((r) => r.status)).toEqual([401, 401]);
  });

  it('wrong token, wrong consumer, wrong API token -> UnauthorizedError', async () => {
    const bad: CleverCredentials[] = [
      { kind: 'oauth1', token: 'nope', secret: DEV_OAUTH.secret },
      { kind: 'oauth1', ...DEV_OAUTH, consumerKey: 'unknown-consumer', consumerSecret: 'x' },
      { kind: 'apiToken', apiToken: 'nope' },
    ];
    for (const credentials of bad) {
      await expect(client({ credentials }).listOrganisations()).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });

  it('an API token sent to the main host (not the bridge) is refused', async () => {
    const c = client({ credentials: { kind: 'apiToken', apiToken: 'sim-dev-api-token' }, bridgeUrl: sim.url });
    await expect(c.getSelf()).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('ownership', () => {
  it("another owner's organisation and add-ons are refused", async () => {
    const other = client({ credentials: { kind: 'oauth1', ...OTHER_OAUTH } });
    const dev = client();
    const foreign = await create(other, 'postgresql-addon', 'other-pg', OTHER_ORG);
    const foreignKv = await create(other, 'kv', 'other-kv', OTHER_ORG);

    // v2 routes under someone else's organisation: 403.
    await expect(dev.listAddons(OTHER_ORG)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(dev.getAddon(OTHER_ORG, foreign.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(dev.getAddonEnv(OTHER_ORG, foreign.id)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(dev.deleteAddon(OTHER_ORG, foreign.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(dev.getMateriaKv(OTHER_ORG, foreignKv.realId)).rejects.toBeInstanceOf(ForbiddenError);
    // A foreign add-on addressed through our own organisation simply does not exist.
    await expect(dev.getAddon(DEV_ORG, foreign.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await dev.deleteAddon(DEV_ORG, foreign.id)).toBe(false);
    // v4 routes without an owner in the path: indistinguishable from missing.
    await expect(dev.getDatabaseInfo('postgresql-addon', foreign.id)).rejects.toBeInstanceOf(NotFoundError);

    // Nothing was deleted by the refused calls.
    expect(sim.addons().map((a) => a.id)).toEqual(expect.arrayContaining([foreign.id, foreignKv.id]));
  });
});

describe('every call', () => {
  it('catalogue and identity', async () => {
    const c = client();
    const providers = await c.listAddonProviders();
    expect(providers.map((p) => p.id)).toEqual(expect.arrayContaining(['postgresql-addon', 'config-provider', 'kv']));
    expect(providers.find((p) => p.id === 'postgresql-addon')?.plans.length).toBeGreaterThan(0);
    const pg = await c.getAddonProvider('postgresql-addon');
    expect(pg.regions).toContain('par');
    const info = await c.getProviderInfo('postgresql-addon');
    expect(info?.providerId).toBe('postgresql-addon');
    expect(info?.defaultDedicatedVersion).toBeTruthy();
    expect(Object.keys(info?.dedicated ?? {})).toContain(info?.defaultDedicatedVersion);
    expect(await c.getProviderInfo('cellar-addon')).toBeNull();
    const zones = await c.listZones();
    expect(zones.map((z) => z.name)).toContain('par');
    expect((await c.getZone('par')).name).toBe('par');
    await expect(c.getZone('atlantis')).rejects.toBeInstanceOf(NotFoundError);

    expect((await c.getSelf()).id).toBe(DEV_USER);
    expect((await c.listOrganisations()).map((o) => o.id)).toContain(DEV_ORG);
    const summary = await c.getSummary();
    expect(summary.user.id).toBe(DEV_USER);
    expect(summary.organisations.map((o) => o.id)).toContain(DEV_ORG);
  });

  it('PostgreSQL add-on lifecycle, env, instances, backups, v4 info and migrations', async () => {
    const c = client();
    const addon = await create(c, 'postgresql-addon', 'kubernetes::PostgreSql::it-1');
    expect(addon.id).toMatch(/^addon_/);
    expect(addon.realId).toMatch(/^postgresql_/);
    expect(addon.provider.id).toBe('postgresql-addon');

    expect((await c.listAddons(DEV_ORG)).map((a) => a.id)).toContain(addon.id);
    expect((await c.getAddon(DEV_ORG, addon.id)).name).toBe('kubernetes::PostgreSql::it-1');
    expect((await c.getAddon(DEV_ORG, addon.realId)).id).toBe(addon.id);
    expect((await c.renameAddon(DEV_ORG, addon.id, 'renamed')).name).toBe('renamed');

    const env = await c.getAddonEnv(DEV_ORG, addon.id);
    expect(env.POSTGRESQL_ADDON_HOST).toBeTruthy();
    expect(env.POSTGRESQL_ADDON_PASSWORD).toBeTruthy();
    expect((await c.getAddonEnvEntries(DEV_ORG, addon.id)).map((e) => e.name)).toContain('POSTGRESQL_ADDON_URI');

    expect((await c.getAddonInstances(DEV_ORG, addon.id)).length).toBeGreaterThanOrEqual(0);
    expect(Array.isArray(await c.listBackups(DEV_ORG, addon.realId))).toBe(true);

    const db = await c.getDatabaseInfo('postgresql-addon', addon.id);
    expect(db.status).toBeTruthy();
    expect(db.host).toBe(env.POSTGRESQL_ADDON_HOST);

    const target = await planId(c, 'postgresql-addon', 'xxs_sml');
    const migration = await c.createMigration(DEV_ORG, addon.id, { planId: target, region: 'par' });
    expect(migration.migrationId).toBeTruthy();
    expect((await c.getMigration(DEV_ORG, addon.id, migration.migrationId)).migrationId).toBe(migration.migrationId);
    expect((await c.listMigrations(DEV_ORG, addon.id)).map((m) => m.migrationId)).toContain(migration.migrationId);

    expect(await c.deleteAddon(DEV_ORG, addon.id)).toBe(true);
    expect(await c.deleteAddon(DEV_ORG, addon.id)).toBe(false);
    await expect(c.getAddon(DEV_ORG, addon.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('the personal space is an owner', async () => {
    const c = client();
    const owner = await c.resolveDefaultOwner();
    const addon = await create(c, 'config-provider', 'personal', owner);
    expect((await c.listAddons(owner)).map((a) => a.id)).toEqual([addon.id]);
    expect(await c.deleteAddon(owner, addon.id)).toBe(true);
  });

  it('Pulsar, Materia KV and the config provider', async () => {
    const c = client();
    const pulsar = await create(c, 'addon-pulsar', 'pulsar');
    const p = await c.getPulsar(pulsar.realId);
    expect(p.id).toBe(pulsar.realId);
    expect((await c.getPulsarCluster(p.cluster_id)).id).toBe(p.cluster_id);
    await expect(c.getPulsarCluster('no-such-cluster')).rejects.toBeInstanceOf(NotFoundError);

    const kv = await create(c, 'kv', 'kv');
    const k = await c.getMateriaKv(DEV_ORG, kv.realId);
    expect(k.id).toBe(kv.realId);
    expect(k.port).toBeGreaterThan(0);

    const config = await create(c, 'config-provider', 'config');
    expect(await c.getConfigProviderEnv(config.realId)).toEqual({});
    expect(await c.putConfigProviderEnv(config.realId, { A: '1', B: 'two words' })).toEqual({ A: '1', B: 'two words' });
    expect(await c.getConfigProviderEnv(config.realId)).toEqual({ A: '1', B: 'two words' });
    expect(await c.putConfigProviderEnv(config.realId, { B: 'x' })).toEqual({ B: 'x' });
    expect(await c.getAddonEnv(DEV_ORG, config.id)).toEqual({ B: 'x' });
    await expect(c.putConfigProviderEnv(config.realId, { 'not a name': 'x' })).rejects.toBeInstanceOf(TerminalError);
  });

  it.each([
    ['keycloak', 'keycloak'],
    ['metabase', 'metabase'],
    ['matomo', 'addon-matomo'],
    ['otoroshi', 'otoroshi'],
  ] as Array<[OperatorKind, string]>)('operator %s', async (kind, providerId) => {
    const c = client();
    const addon = await create(c, providerId, `op-${kind}`);
    const op = await c.getOperator(kind, addon.realId);
    expect(op.resourceId).toBe(addon.realId);
    expect(op.addonId).toBe(addon.id);
    expect(op.accessUrl).toMatch(/^https?:\/\//);
    expect(sim.requests().at(-1)?.path).toBe(`/v4/addon-providers/addon-${kind}/addons/${addon.realId}`);
  });

  it('invalid plan and region are terminal', async () => {
    const c = client();
    const plan = await planId(c, 'postgresql-addon');
    await expect(
      c.createAddon(DEV_ORG, { name: 'x', providerId: 'postgresql-addon', plan: 'plan_nope', region: 'par' }),
    ).rejects.toThrow(TerminalError);
    await expect(
      c.createAddon(DEV_ORG, { name: 'x', providerId: 'postgresql-addon', plan, region: 'atlantis' }),
    ).rejects.toBeInstanceOf(TerminalError);
    expect(routeLog(CREATE_ROUTE)).toHaveLength(2);
    expect(sim.addons()).toHaveLength(0);
  });

  it('402 payment required is terminal, with the v2 error id', async () => {
    await sim.stop();
    sim = await startSimulator({ port: 0, bridgePort: 0, paymentRequiredPlans: ['xxs_sml'] });
    const c = client();
    const plan = await planId(c, 'postgresql-addon', 'xxs_sml');
    const error = await c
      .createAddon(DEV_ORG, { name: 'pay', providerId: 'postgresql-addon', plan, region: 'par' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as TerminalError).status).toBe(402);
    expect(typeof (error as TerminalError).code).toBe('number');
    expect(routeLog(CREATE_ROUTE)).toHaveLength(1);
  });
});

describe('faults', () => {
  it('429 and 5xx on reads are retried, honouring Retry-After', async () => {
    sim.setFaults([
      { route: 'GET /v2/self', kind: 'rateLimit', retryAfterSeconds: 2, count: 2 },
      { route: 'GET /v2/organisations', kind: 'error', status: 500, count: 1 },
      { route: 'GET /v2/organisations', kind: 'error', status: 503, count: 1 },
    ]);
    const c = client();
    expect((await c.getSelf()).id).toBe(DEV_USER);
    expect(routeLog('GET /v2/self').map((r) => [r.status, r.fault])).toEqual([
      [429, 'rateLimit'],
      [429, 'rateLimit'],
      [200, undefined],
    ]);
    expect(sleeps).toEqual([2000, 2000]);
    expect((await c.listOrganisations()).map((o) => o.id)).toContain(DEV_ORG);
    expect(routeLog('GET /v2/organisations').map((r) => r.status)).toEqual([500, 503, 200]);
    // The 429's Retry-After pauses every caller of the client: the sleeps are recorded, not waited for, so the next
    // call first waits out what is left of that pause on the wall clock (at most 2 s).
    expect(sleeps.slice(2, -2).every((ms) => ms > 0 && ms <= 2000)).toBe(true);
    // random = 1: full exponential delays 100, 200.
    expect(sleeps.slice(-2)).toEqual([100, 200]);
  });

  it('gives up after maxAttempts with a RetryableError', async () => {
    sim.setFaults([{ route: 'GET /v2/organisations/{ownerId}/addons', kind: 'error', status: 502 }]);
    const c = client({ retry: { maxAttempts: 3, baseMs: 10, maxMs: 100 } });
    await expect(c.listAddons(DEV_ORG)).rejects.toBeInstanceOf(RetryableError);
    expect(routeLog('GET /v2/organisations/{ownerId}/addons')).toHaveLength(3);
  });

  it('a reset and a timeout on reads are retried', async () => {
    sim.setFaults([
      { route: 'GET /v2/self', kind: 'reset', count: 1 },
      { route: 'GET /v2/summary', kind: 'latency', ms: 1500, count: 1 },
    ]);
    const c = client({ timeoutMs: 300 });
    expect((await c.getSelf()).id).toBe(DEV_USER);
    expect(routeLog('GET /v2/self').map((r) => r.status)).toEqual([0, 200]);
    expect((await c.getSummary()).user.id).toBe(DEV_USER);
    expect(sleeps).toHaveLength(2);
    expect(routeLog('GET /v2/summary').map((r) => r.fault)).toEqual(['latency', undefined]);
  });

  it('create: commitThenFail -> OutcomeUnknownError, the add-on exists, one POST only', async () => {
    const c = client();
    const plan = await planId(c, 'postgresql-addon');
    sim.setFaults([{ route: CREATE_ROUTE, kind: 'commitThenFail', count: 1 }]);
    const error = await c
      .createAddon(DEV_ORG, { name: 'ctf', providerId: 'postgresql-addon', plan, region: 'par' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(routeLog(CREATE_ROUTE)).toHaveLength(1);
    expect(sim.addons().filter((a) => a.name === 'ctf')).toHaveLength(1);
    // What the reconciler does next: look it up by name instead of creating again.
    expect((await c.listAddons(DEV_ORG)).filter((a) => a.name === 'ctf')).toHaveLength(1);
  });

  it.each([
    ['a reset', { kind: 'reset' as const }],
    ['a 500', { kind: 'error' as const, status: 500 }],
    ['a 504', { kind: 'error' as const, status: 504 }],
  ])('create: %s -> OutcomeUnknownError, never re-sent', async (_name, fault) => {
    const c = client();
    const plan = await planId(c, 'postgresql-addon');
    sim.setFaults([{ route: CREATE_ROUTE, count: 1, ...fault }]);
    await expect(
      c.createAddon(DEV_ORG, { name: 'once', providerId: 'postgresql-addon', plan, region: 'par' }),
    ).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(routeLog(CREATE_ROUTE)).toHaveLength(1);
  });

  it('create: a timeout -> OutcomeUnknownError, never re-sent', async () => {
    const c = client({ timeoutMs: 300 });
    const plan = await planId(c, 'postgresql-addon');
    sim.setFaults([{ route: CREATE_ROUTE, kind: 'latency', ms: 1500, count: 1 }]);
    await expect(
      c.createAddon(DEV_ORG, { name: 'slow', providerId: 'postgresql-addon', plan, region: 'par' }),
    ).rejects.toBeInstanceOf(OutcomeUnknownError);
    // Give the delayed request time to reach the simulator's handler, then check it was the only POST.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(routeLog(CREATE_ROUTE)).toHaveLength(1);
  });

  it('create: 429 and 503 "No resource available" are retried, and exactly one add-on results', async () => {
    const c = client();
    const plan = await planId(c, 'postgresql-addon');
    sim.setFaults([
      { route: CREATE_ROUTE, kind: 'rateLimit', retryAfterSeconds: 1, count: 1 },
      {
        route: CREATE_ROUTE,
        kind: 'error',
        status: 503,
        count: 1,
        body: {
          id: -500,
          message:
            'Error from provider: [{"id":"error","message":"No resource available to provision an addon on par.","config":{}}]',
          type: 'error',
        },
      },
    ]);
    const addon = await c.createAddon(DEV_ORG, {
      name: 'retried',
      providerId: 'postgresql-addon',
      plan,
      region: 'par',
    });
    expect(routeLog(CREATE_ROUTE).map((r) => r.status)).toEqual([429, 503, 200]);
    expect(
      sim
        .addons()
        .filter((a) => a.name === 'retried')
        .map((a) => a.id),
    ).toEqual([addon.id]);
    expect(sleeps[0]).toBe(1000);
  });

  it('migrations follow the create rule', async () => {
    const c = client();
    const addon = await create(c, 'postgresql-addon', 'mig');
    const target = await planId(c, 'postgresql-addon', 'xxs_sml');
    const route = 'POST /v2/organisations/{ownerId}/addons/{addonId}/migrations';
    sim.setFaults([{ route, kind: 'error', status: 500, count: 1 }]);
    await expect(c.createMigration(DEV_ORG, addon.id, { planId: target, region: 'par' })).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );
    expect(routeLog(route)).toHaveLength(1);
  });
});

describe('priorities', () => {
  it('a delete issued while 200 background calls wait is sent before them', async () => {
    // A real sleep and a slow rate: the order of the simulator's request log is what is asserted, not the time.
    const concurrency = 2;
    const c = client({
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      rateLimit: { ratePerSecond: 100, burst: 1 },
      concurrency,
    });
    const kept = await create(c, 'redis-addon', 'kept');
    const doomed = await create(c, 'redis-addon', 'doomed');
    sim.clearRequests();
    const drift = withCleverPriority('background', () =>
      Promise.all(Array.from({ length: 200 }, () => c.getAddon(DEV_ORG, kept.id))),
    );
    // The background calls are queued in the limiter once the first ones reach the server.
    while (sim.requests().length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const before = sim.requests().length;
    await withCleverPriority('urgent', () => c.deleteAddon(DEV_ORG, doomed.id));
    await drift;
    const log = sim.requests().map((r) => r.route);
    expect(log).toHaveLength(201);
    const at = log.indexOf('DELETE /v2/organisations/{ownerId}/addons/{addonId}');
    // Only calls already let through (in flight, or holding the token) may land first.
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(before + concurrency);
    expect(log.length - at - 1).toBeGreaterThan(150);
    expect(sim.addons().map((a) => a.id)).not.toContain(doomed.id);
  });
});
