// Conformance: Clever Cloud's own CLI (clever-tools, the npm devDependency) runs unchanged against the simulator.
// The CLI is the best oracle we have for what the real API accepts and returns: it validates plans, regions,
// versions and options against the catalogue it reads, sends the bodies the real API takes, and parses the answers.
// Every command's output is checked, and what it changed is checked in the simulator's state.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_EMAIL,
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_ORG_ID,
  DEV_USER_ID,
  startSimulator,
  type Simulator,
} from '../../src/simulator/index.ts';
import { isDedicated, PROVIDERS } from '../../src/simulator/catalogue.ts';

const CLI = createRequire(import.meta.url).resolve('clever-tools/bin/clever.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sim: Simulator;
let home: string;

function clever(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          API_HOST: sim.url,
          AUTH_BRIDGE_HOST: sim.bridgeUrl,
          CLEVER_TOKEN: DEV_OAUTH_TOKEN,
          CLEVER_SECRET: DEV_OAUTH_SECRET,
          NO_UPDATE_NOTIFIER: '1',
          NO_COLOR: '1',
          ...env,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs a command that must succeed; its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await clever(args);
  if (r.code !== 0) throw new Error(`clever ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a command that must fail; its error text. */
async function fails(...args: string[]): Promise<string> {
  const r = await clever(args);
  expect(r.code, `clever ${args.join(' ')} should fail`).not.toBe(0);
  return r.stdout + r.stderr;
}

const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '--format', 'json')) as T;

function created(out: string): { id: string; realId: string } {
  const id = /^ID: (addon_[0-9a-f-]{36})$/m.exec(out)?.[1];
  const realId = /^Real ID: (\S+)$/m.exec(out)?.[1];
  if (!id || !realId) throw new Error(`no add-on ids in: ${out}`);
  return { id, realId };
}

const addonOf = (id: string) => sim.addons().find((a) => a.id === id);

beforeAll(async () => {
  sim = await startSimulator({ seed: 16 });
  home = mkdtempSync(join(tmpdir(), 'clever-cli-'));
});

afterAll(async () => {
  await sim?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('clever-tools against the simulator', () => {
  it('profile: the user behind the token, its expiry and 2FA', async () => {
    const out = await ok('profile');
    expect(out).toContain(`(${DEV_EMAIL}) [active]`);
    expect(out).toContain(DEV_USER_ID);
    expect(out).toContain('Dev User');
    expect(out).toMatch(/Expires on \w+ \d+, \d{4}/);
    expect(out).toContain('2FA disabled');
    const details = await json<Record<string, unknown>>('profile');
    expect(details).toMatchObject({ id: DEV_USER_ID, email: DEV_EMAIL, isTokenValid: true, has2FA: false });
    const routes = sim.requests().map((r) => `${r.route} ${r.status}`);
    expect(routes).toContain('GET /v2/self/tokens/current 200');
  });

  it('a wrong token secret is refused: the profile says the token is invalid and commands fail', async () => {
    const bad = await clever(['profile'], { CLEVER_SECRET: 'not-the-secret' });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/token is invalid or has expired/);
    sim.clearRequests();
    const list = await clever(['addon', 'list'], { CLEVER_SECRET: 'not-the-secret' });
    expect(list.code).not.toBe(0);
    expect(list.stdout + list.stderr).toMatch(/not logged in/);
    expect(sim.requests().map((r) => `${r.route} ${r.status}`)).toContain('GET /v2/self/addons 401');
  });

  it('addon providers: every provider with its name', async () => {
    const out = await ok('addon', 'providers');
    for (const p of PROVIDERS) expect(out).toMatch(new RegExp(`^${p.id}\\s+${p.name}`, 'm'));
  });

  it('addon providers show: regions, plans and versions of each provider', async () => {
    const shown = await Promise.all(PROVIDERS.map((p) => ok('addon', 'providers', 'show', p.id)));
    for (const [i, p] of PROVIDERS.entries()) {
      const out = shown[i] ?? '';
      expect(out).toContain(`${p.name}: ${p.shortDesc}`);
      expect(out).toContain(`Available regions: ${p.regions.join(', ')}`);
      for (const plan of p.plans) expect(out).toMatch(new RegExp(`^Plan ${plan.slug}$`, 'm'));
      if (p.versions) {
        // Dedicated plans list the versions, the default marked as the API's defaultDedicatedVersion.
        expect(out).toContain(`${p.versions.defaultDedicated} (default)`);
      }
    }
  });

  // Every provider the CLI can create, with its defaults (cheapest plan, the CLI's version defaulting).
  const creatable = PROVIDERS.map((p) => p.id);
  const made = new Map<string, { id: string; realId: string }>();

  it('addon create: every provider with default options', async () => {
    // Four at a time: each command is a Node process start.
    const outs = new Map<string, string>();
    for (let i = 0; i < creatable.length; i += 4) {
      const batch = creatable.slice(i, i + 4);
      const results = await Promise.all(batch.map((id) => ok('addon', 'create', id, `cli-${id}`, '--region', 'par')));
      batch.forEach((id, j) => outs.set(id, results[j] ?? ''));
    }
    for (const providerId of creatable) {
      const name = `cli-${providerId}`;
      const out = outs.get(providerId) ?? '';
      expect(out).toContain('Add-on created successfully!');
      expect(out).toContain(`Name: ${name}`);
      const ids = created(out);
      made.set(providerId, ids);
      const stored = addonOf(ids.id);
      expect(stored, providerId).toMatchObject({ name, providerId, region: 'par', realId: ids.realId });
      expect(stored?.ownerId).toBe(DEV_USER_ID);
      const provider = PROVIDERS.find((p) => p.id === providerId)!;
      // The CLI picks the cheapest plan; on a shared plan the add-on runs the zone cluster's version even though
      // the CLI sent defaultDedicatedVersion.
      const plan = provider.plans.find((pl) => pl.id === stored?.planId)!;
      expect(Math.min(...provider.plans.map((pl) => pl.price))).toBe(plan.price);
      if (provider.versions && !isDedicated(plan)) expect(stored?.version).toBe(provider.versions.shared?.key);
    }
    expect(made.size).toBe(creatable.length);
  });

  it('addon create: --addon-version and --option on dedicated plans, in an organisation', async () => {
    const pg = created(
      await ok(
        'addon',
        'create',
        'postgresql-addon',
        'cli-pg16',
        '--plan',
        'xxs_sml',
        '--region',
        'par',
        '--addon-version',
        '16',
        '--option',
        'encryption=enabled',
        '--org',
        DEV_ORG_ID,
      ),
    );
    expect(addonOf(pg.id)).toMatchObject({
      ownerId: DEV_ORG_ID,
      version: '16',
      options: { version: '16', encryption: 'true' },
    });
    const es = created(
      await ok(
        'addon',
        'create',
        'es-addon',
        'cli-es',
        '--plan',
        'xs',
        '--region',
        'par',
        '--option',
        'kibana=enabled',
      ),
    );
    expect(addonOf(es.id)?.options).toMatchObject({ kibana: 'true' });
    const redis = created(
      await ok(
        'addon',
        'create',
        'redis-addon',
        'cli-redis',
        '--plan',
        's_mono',
        '--region',
        'par',
        '--addon-version',
        '8.8.0',
      ),
    );
    expect(addonOf(redis.id)?.version).toBe('8.8.0');
    // In the organisation only: the personal list does not show it, the organisation's does.
    expect(await ok('addon', 'list', '--org', DEV_ORG_ID)).toMatch(/cli-pg16\s+addon_/);
  });

  it('addon create: the CLI refuses what the catalogue does not offer, before any create call', async () => {
    const creates = () => sim.requests().filter((r) => r.method === 'POST' && r.route.endsWith('/addons')).length;
    const before = creates();
    expect(
      await fails(
        'addon',
        'create',
        'postgresql-addon',
        'x',
        '--plan',
        'dev',
        '--region',
        'par',
        '--addon-version',
        '16',
      ),
    ).toMatch(/selected shared cluster only supports version 15/);
    expect(await fails('addon', 'create', 'postgresql-addon', 'x', '--plan', 'nope', '--region', 'par')).toMatch(
      /Invalid plan name\. Available plans: dev, xxs_sml/,
    );
    expect(await fails('addon', 'create', 'postgresql-addon', 'x', '--region', 'nowhere')).toMatch(
      /Invalid region name\. Available regions: par/,
    );
    expect(
      await fails('addon', 'create', 'postgresql-addon', 'x', '--region', 'par', '--option', 'kibana=enabled'),
    ).toMatch(/Option "kibana" is not available on this plan/);
    expect(creates()).toBe(before);
  });

  it('addon list: every add-on with its plan and region (human and JSON)', async () => {
    const out = await ok('addon', 'list');
    const listed = await json<
      { addonId: string; name: string; providerId: string; planSlug: string; region: string }[]
    >('addon', 'list');
    for (const [providerId, ids] of made) {
      expect(out).toContain(ids.id);
      const row = listed.find((a) => a.addonId === ids.id);
      const stored = addonOf(ids.id)!;
      const plan = PROVIDERS.find((p) => p.id === providerId)!.plans.find((pl) => pl.id === stored.planId)!;
      expect(row).toMatchObject({ name: `cli-${providerId}`, providerId, planSlug: plan.slug, region: 'par' });
    }
  });

  it('addon env: the variables of an add-on, by id and by real id, in every format', async () => {
    const pg = made.get('postgresql-addon')!;
    const env = Object.fromEntries(addonOf(pg.id)!.env.map((e) => [e.name, e.value]));
    expect(Object.keys(env)).toContain('POSTGRESQL_ADDON_URI');
    expect(await json<Record<string, string>>('addon', 'env', pg.id)).toEqual(env);
    const human = await ok('addon', 'env', pg.realId);
    for (const [k, v] of Object.entries(env)) expect(human).toContain(`${k}="${v}"`);
    const shell = await ok('addon', 'env', pg.id, '--format', 'shell');
    expect(shell).toContain(`export POSTGRESQL_ADDON_HOST="${env.POSTGRESQL_ADDON_HOST}"`);
  });

  it('addon rename: the new name in the simulator and in the list', async () => {
    const redis = made.get('redis-addon')!;
    expect(await ok('addon', 'rename', 'cli-redis-addon', 'cli-redis-renamed')).toContain(
      'Addon cli-redis-addon successfully renamed to cli-redis-renamed',
    );
    expect(addonOf(redis.id)?.name).toBe('cli-redis-renamed');
    expect(await ok('addon', 'list')).toMatch(/cli-redis-renamed\s+addon_/);
  });

  it('database backups: the platform backups of a database add-on', async () => {
    const pg = made.get('postgresql-addon')!;
    const out = await ok('database', 'backups', pg.realId);
    expect(out).toMatch(/BACKUP ID\s+CREATION DATE\s+STATUS/);
    const backups = await json<{ backupId: string; status: string; creationDate: string }[]>(
      'database',
      'backups',
      pg.id,
    );
    expect(backups.length).toBeGreaterThan(0);
    for (const b of backups) {
      expect(out).toContain(b.backupId);
      expect(b.status).toBe('DONE');
    }
  });

  it('config-provider: list, set, get, import and rm through the v4 env API', async () => {
    const cp = made.get('config-provider')!;
    expect(await ok('config-provider', 'list')).toContain(`cli-config-provider (${cp.realId})`);
    expect(await ok('config-provider', 'set', 'cli-config-provider', 'GREETING', 'hello world')).toContain(
      'Environment variable has been set',
    );
    expect(addonOf(cp.id)?.env).toEqual([{ name: 'GREETING', value: 'hello world' }]);
    expect(await ok('config-provider', 'get', 'cli-config-provider')).toContain('GREETING="hello world"');
    expect(await ok('config-provider', 'rm', 'cli-config-provider', 'GREETING')).toContain(
      'Environment variable has been removed',
    );
    expect(await json<unknown[]>('config-provider', 'get', 'cli-config-provider')).toEqual([]);
    expect(addonOf(cp.id)?.env).toEqual([]);
  });

  it('operators: get for Keycloak, Metabase, Matomo and Otoroshi; version check for those that have one', async () => {
    expect(await ok('features', 'enable', 'operators')).toContain("Experimental feature 'operators' enabled");
    for (const [command, providerId] of [
      ['keycloak', 'keycloak'],
      ['metabase', 'metabase'],
      ['matomo', 'addon-matomo'],
      ['otoroshi', 'otoroshi'],
    ] as const) {
      const ids = made.get(providerId)!;
      const out = await ok(command, 'get', `cli-${providerId}`);
      expect(out).toContain(`'${ids.realId}'`);
      expect(out).toContain(`'${DEV_USER_ID}'`);
      expect(out).toContain(`'https://${ids.realId.replace('_', '-')}`);
      // The CLI has no `matomo version` command.
      if (command === 'matomo') continue;
      const check = await json<{ installed: string; latest: string; needUpdate: boolean; available: string[] }>(
        command,
        'version',
        'check',
        ids.realId,
      );
      expect(check.installed).toBe(addonOf(ids.id)?.version ?? '5.3.2');
      expect(check.available).toContain(check.latest);
      expect(check.needUpdate).toBe(check.installed !== check.latest);
    }
  });

  it('operators: version update moves an operator to an offered version and refuses others', async () => {
    const kc = made.get('keycloak')!;
    const available = PROVIDERS.find((p) => p.id === 'keycloak')!.operatorVersions!;
    const target = available.find((v) => v !== addonOf(kc.id)?.version)!;
    expect(await ok('keycloak', 'version', 'update', kc.realId, '--target', target)).toContain(`updated to ${target}`);
    expect(addonOf(kc.id)?.version).toBe(target);
    expect(await fails('keycloak', 'version', 'update', kc.realId, '--target', '1.0.0')).toMatch(
      /Version 1\.0\.0 is not available/,
    );
  });

  it('tokens list on the api-bridge', async () => {
    expect(await ok('tokens', 'list')).toMatch(/No API token found/);
  });

  it('addon delete: gone from the simulator and from the list', async () => {
    const entries = [...made];
    for (let i = 0; i < entries.length; i += 4) {
      await Promise.all(
        entries.slice(i, i + 4).map(async ([providerId, ids]) => {
          const name = providerId === 'redis-addon' ? 'cli-redis-renamed' : `cli-${providerId}`;
          expect(await ok('addon', 'delete', name, '--yes')).toContain(`Addon ${name} successfully deleted`);
          expect(addonOf(ids.id)).toBeUndefined();
        }),
      );
    }
    const left = await json<{ name: string }[]>('addon', 'list');
    expect(left.map((a) => a.name).sort()).toEqual(['cli-es', 'cli-redis']);
    expect(await fails('addon', 'delete', 'no-such-addon', '--yes')).toMatch(
      /Could not find add-on with name no-such-addon/,
    );
  });
});
