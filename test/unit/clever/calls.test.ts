// Each typed call: method, path, body, and how the response is checked.
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseShapeError, ROUTES } from '../../../src/clever/index.ts';
import { fillRoute } from '../../../src/clever/routes.ts';
import { ADDON_ID, OWNER_ID, addonView, json, startServer, testClient, type TestServer } from './support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PROVIDER = {
  id: 'postgresql-addon',
  name: 'PostgreSQL',
  status: 'RELEASE',
  regions: ['par', 'rbx'],
  unknownFutureField: { nested: true },
  plans: [{ id: 'plan_1', name: 'DEV', slug: 'dev', price: 0, zones: ['par'], features: [] }],
};

const REAL_ID = 'postgresql_99999999-8888-4777-8666-555555555555';

/** Routes every request to a fixed response by "METHOD path". */
async function serve(responses: Record<string, [number, unknown]>): Promise<TestServer> {
  return startServer((req, res) => {
    const hit = responses[`${req.method} ${req.url}`];
    if (hit) json(res, hit[0], hit[1]);
    else json(res, 404, { id: 11001, message: `no route ${req.method} ${req.url}`, type: 'error' });
  });
}

describe('paths and payloads', () => {
  it('catalogue, identity and zones', async () => {
    const zone = { id: 'z1', name: 'par', country: 'France', tags: ['for:applications'], lat: 48.8, lon: 2.3 };
    server = await serve({
      'GET /v2/products/addonproviders': [200, [PROVIDER]],
      'GET /v2/products/addonproviders?orgaId=orga_1': [200, []],
      'GET /v2/products/addonproviders/postgresql-addon': [200, PROVIDER],
      'GET /v4/products/zones': [200, [zone]],
      'GET /v4/products/zones/par': [200, zone],
      'GET /v2/self': [200, { id: 'user_1', email: 'a@b' }],
      'GET /v2/organisations': [200, [{ id: 'orga_1', name: 'Org' }]],
      'GET /v2/summary': [
        200,
        {
          user: { id: 'user_1', name: 'U', addons: [] },
          organisations: [
            { id: 'orga_1', name: 'Org', addons: [{ id: ADDON_ID, realId: REAL_ID, providerId: 'postgresql-addon' }] },
          ],
        },
      ],
    });
    const { client } = testClient(server.url);
    const providers = await client.listAddonProviders();
    expect(providers[0]?.plans[0]?.slug).toBe('dev');
    // Unknown fields are tolerated and kept.
    expect((providers[0] as Record<string, unknown>).unknownFutureField).toEqual({ nested: true });
    expect(await client.listAddonProviders('orga_1')).toEqual([]);
    expect((await client.getAddonProvider('postgresql-addon')).id).toBe('postgresql-addon');
    expect((await client.listZones())[0]?.name).toBe('par');
    expect((await client.getZone('par')).tags).toEqual(['for:applications']);
    expect((await client.getSelf()).id).toBe('user_1');
    expect(await client.resolveDefaultOwner()).toBe('user_1');
    expect((await client.listOrganisations())[0]?.id).toBe('orga_1');
    expect((await client.getSummary()).organisations[0]?.addons[0]?.realId).toBe(REAL_ID);
  });

  it('getProviderInfo parses the dedicated object form, and returns null on 404', async () => {
    server = await serve({
      'GET /v4/addon-providers/postgresql-addon': [
        200,
        {
          providerId: 'postgresql-addon',
          clusters: [{ id: 'c1', label: 'pg-c1', zone: 'par', version: '15', features: [] }],
          dedicated: { '16': { features: [{ name: 'encryption', enabled: false }] }, '17': { features: [] } },
          defaultDedicatedVersion: '17',
        },
      ],
    });
    const { client } = testClient(server.url);
    const info = await client.getProviderInfo('postgresql-addon');
    expect(Object.keys(info?.dedicated ?? {})).toEqual(['16', '17']);
    expect(info?.dedicated['16']?.features[0]).toEqual({ name: 'encryption', enabled: false });
    expect(info?.defaultDedicatedVersion).toBe('17');
    await expect(client.getProviderInfo('cellar-addon')).resolves.toBeNull();
  });

  it('add-on lifecycle', async () => {
    const base = `/v2/organisations/${OWNER_ID}/addons`;
    server = await serve({
      [`GET ${base}`]: [200, [addonView()]],
      [`POST ${base}`]: [200, addonView()],
      [`GET ${base}/${ADDON_ID}`]: [200, addonView()],
      [`PUT ${base}/${ADDON_ID}`]: [200, addonView({ name: 'renamed' })],
      [`DELETE ${base}/${ADDON_ID}`]: [200, { id: 0, message: 'deleted', type: 'success' }],
      [`GET ${base}/${ADDON_ID}/instances`]: [200, [{ id: 'i1', appId: 'app_1', state: 'UP', ip: '10.0.0.1' }]],
      [`GET ${base}/${ADDON_ID}/migrations`]: [200, [{ migrationId: 'm1', status: 'OK', steps: [] }]],
      [`GET ${base}/${ADDON_ID}/migrations/m1`]: [
        200,
        { migrationId: 'm1', status: 'OK', requestDate: '2026-01-01T00:00:00Z', steps: [{ name: 's', status: 'OK' }] },
      ],
      [`GET /v2/backups/${OWNER_ID}/${REAL_ID}`]: [
        200,
        [{ backup_id: 'b1', entity_id: REAL_ID, status: 'DONE', creation_date: '2026-01-01T00:00:00Z' }],
      ],
    });
    const { client } = testClient(server.url);
    expect(await client.listAddons(OWNER_ID)).toHaveLength(1);
    const created = await client.createAddon(OWNER_ID, {
      name: 'n',
      providerId: 'postgresql-addon',
      plan: 'plan_1',
      region: 'par',
      options: { version: '17', encryption: 'false' },
    });
    expect(created.realId).toBe(REAL_ID);
    const post = server.requests.find((r) => r.method === 'POST')!;
    expect(post.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post.body)).toEqual({
      name: 'n',
      providerId: 'postgresql-addon',
      plan: 'plan_1',
      region: 'par',
      options: { version: '17', encryption: 'false' },
    });
    expect((await client.getAddon(OWNER_ID, ADDON_ID)).configKeys).toEqual(['POSTGRESQL_ADDON_HOST']);
    expect((await client.renameAddon(OWNER_ID, ADDON_ID, 'renamed')).name).toBe('renamed');
    expect(JSON.parse(server.requests.find((r) => r.method === 'PUT')!.body)).toEqual({ name: 'renamed' });
    expect(await client.deleteAddon(OWNER_ID, ADDON_ID)).toBe(true);
    expect(await client.deleteAddon(OWNER_ID, 'addon_gone')).toBe(false);
    expect((await client.getAddonInstances(OWNER_ID, ADDON_ID))[0]?.state).toBe('UP');
    expect((await client.listMigrations(OWNER_ID, ADDON_ID))[0]?.migrationId).toBe('m1');
    expect((await client.getMigration(OWNER_ID, ADDON_ID, 'm1')).steps[0]?.name).toBe('s');
    expect((await client.listBackups(OWNER_ID, REAL_ID))[0]?.backup_id).toBe('b1');
    expect(server.requests.every((r) => r.headers.accept === 'application/json')).toBe(true);
  });

  it('omits options when not given', async () => {
    server = await serve({ [`POST /v2/organisations/${OWNER_ID}/addons`]: [200, addonView()] });
    const { client } = testClient(server.url);
    await client.createAddon(OWNER_ID, { name: 'n', providerId: 'kv', plan: 'plan_k', region: 'par' });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      name: 'n',
      providerId: 'kv',
      plan: 'plan_k',
      region: 'par',
    });
  });

  it('env as a map, duplicates last-wins, __proto__ stays an own key', async () => {
    server = await serve({
      [`GET /v2/organisations/${OWNER_ID}/addons/${ADDON_ID}/env`]: [
        200,
        [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
          { name: '__proto__', value: 'x' },
        ],
      ],
    });
    const { client } = testClient(server.url);
    const env = await client.getAddonEnv(OWNER_ID, ADDON_ID);
    expect(env.A).toBe('2');
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(await client.getAddonEnvEntries(OWNER_ID, ADDON_ID)).toHaveLength(3);
  });

  it('v4 provider reads', async () => {
    const op = {
      resourceId: 'keycloak_1',
      addonId: ADDON_ID,
      name: 'kc',
      ownerId: OWNER_ID,
      plan: 'BASE',
      version: '26.2.5',
      accessUrl: 'https://kc.example',
      availableVersions: ['26.2.5'],
      resources: { entrypoint: 'app_1', pgsqlId: 'postgresql_1', fsbucketId: 'bucket_1' },
      envVars: { CC_KEYCLOAK_URL: 'https://kc.example' },
      features: { networkGroup: null },
    };
    server = await serve({
      [`GET /v4/addon-providers/postgresql-addon/addons/${ADDON_ID}`]: [
        200,
        { id: 'x', status: 'ACTIVE', host: 'h', port: 5432, user: 'u', password: 'p', read_only_users: [] },
      ],
      'GET /v4/addon-providers/addon-pulsar/addons/pulsar_1': [
        200,
        { id: 'pulsar_1', tenant: 't', namespace: 'ns', cluster_id: 'c3', token: 'tk', status: 'ACTIVE' },
      ],
      'GET /v4/addon-providers/addon-pulsar/clusters/c3': [
        200,
        { id: 'c3', url: 'mq.example', pulsar_port: 6650, pulsar_tls_port: 6651, web_port: 80, available: true },
      ],
      [`GET /v4/materia/organisations/${OWNER_ID}/materia/databases/kv_1`]: [
        200,
        { id: 'kv_1', host: 'kv.example', port: 6379, token: 't', status: 'PROVISIONED', kind: 'KV' },
      ],
      'GET /v4/addon-providers/addon-keycloak/addons/keycloak_1': [200, op],
      'GET /v4/addon-providers/addon-matomo/addons/matomo_1': [200, { ...op, resourceId: 'matomo_1' }],
      'GET /v4/addon-providers/config-provider/addons/config_1/env': [200, [{ name: 'K', value: 'V' }]],
      'PUT /v4/addon-providers/config-provider/addons/config_1/env': [
        200,
        [
          { name: 'K', value: 'V2' },
          { name: 'L', value: 'W' },
        ],
      ],
    });
    const { client } = testClient(server.url);
    expect((await client.getDatabaseInfo('postgresql-addon', ADDON_ID)).port).toBe(5432);
    expect((await client.getPulsar('pulsar_1')).cluster_id).toBe('c3');
    expect((await client.getPulsarCluster('c3')).pulsar_tls_port).toBe(6651);
    expect((await client.getMateriaKv(OWNER_ID, 'kv_1')).status).toBe('PROVISIONED');
    expect((await client.getOperator('keycloak', 'keycloak_1')).resources.entrypoint).toBe('app_1');
    expect((await client.getOperator('matomo', 'matomo_1')).resourceId).toBe('matomo_1');
    expect(await client.getConfigProviderEnv('config_1')).toEqual({ K: 'V' });
    expect(await client.putConfigProviderEnv('config_1', { K: 'V2', L: 'W' })).toEqual({ K: 'V2', L: 'W' });
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(JSON.parse(put.body)).toEqual([
      { name: 'K', value: 'V2' },
      { name: 'L', value: 'W' },
    ]);
  });
});

describe('response shape errors', () => {
  it('name the JSON path of the missing field and are not retried', async () => {
    server = await startServer((_req, res) =>
      json(res, 200, [PROVIDER, { ...PROVIDER, plans: [{ id: 'plan_2', name: 'XS' }] }]),
    );
    const { client } = testClient(server.url);
    const error = await client.listAddonProviders().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect((error as ResponseShapeError).path).toBe('$[1].plans[0].slug');
    expect((error as Error).message).toContain('$[1].plans[0].slug');
    expect((error as Error).message).toContain('/v2/products/addonproviders');
    expect(server.requests).toHaveLength(1);
  });

  it('never quote env values when an env response is malformed', async () => {
    server = await startServer((_req, res) => json(res, 200, [{ name: 'PASSWORD', value: 12345678 }]));
    const { client } = testClient(server.url);
    const error = await client.getAddonEnv(OWNER_ID, ADDON_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect((error as Error).message).toContain('$[0].value');
    expect((error as Error).message).not.toContain('12345678');
  });

  it('an empty body where an object is expected is a shape error at $', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
    const { client } = testClient(server.url);
    const error = await client.getSelf().catch((e: unknown) => e);
    expect((error as ResponseShapeError).path).toBe('$');
  });
});

describe('route templates', () => {
  it('percent-encode each id as one segment and refuse empty ids', () => {
    expect(fillRoute(ROUTES.getAddon.template, { ownerId: 'a/b', addonId: 'c d' })).toBe(
      '/v2/organisations/a%2Fb/addons/c%20d',
    );
    expect(() => fillRoute(ROUTES.getAddon.template, { ownerId: 'o', addonId: '' })).toThrow(/addonId/);
    expect(fillRoute(ROUTES.getOperator.template, { kind: 'otoroshi', realId: 'otoroshi_1' })).toBe(
      '/v4/addon-providers/addon-otoroshi/addons/otoroshi_1',
    );
  });

  it('an empty add-on id never turns a delete into a request', async () => {
    server = await startServer();
    const { client } = testClient(server.url);
    await expect(client.deleteAddon(OWNER_ID, '')).rejects.toThrow(/addonId/);
    expect(server.requests).toHaveLength(0);
  });
});
