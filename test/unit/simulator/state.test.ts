import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planId } from '../../../src/simulator/catalogue.ts';
import { ALNUM } from '../../../src/simulator/rng.ts';
import { AddonService } from '../../../src/simulator/service.ts';
import { Store } from '../../../src/simulator/state.ts';
import type { DatabaseCredentials } from '../../../src/simulator/types.ts';
import { validateCreate } from '../../../src/simulator/validate.ts';

const ORG = 'orga_00000000-0000-4000-8000-0000000000a1';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmpFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-state-'));
  dirs.push(dir);
  return join(dir, 'nested', 'state.json');
}

function service(store: Store, now = () => 1_000) {
  return new AddonService(store, {
    now,
    provisioningDelayMs: 0,
    listConsistencyDelayMs: 0,
    migrationStepMs: 10,
    passwordAlphabet: ALNUM,
  });
}

function pgRequest() {
  const r = validateCreate({
    name: 'db',
    providerId: 'postgresql-addon',
    plan: planId('postgresql-addon', 'xs_sml'),
    region: 'par',
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('Store persistence', () => {
  it('round-trips add-ons, migrations and the RNG through the state file', () => {
    const file = tmpFile();
    const store = new Store(file, 5);
    const svc = service(store);
    const a = svc.create(ORG, pgRequest());
    svc.startMigration(a, { planId: planId('postgresql-addon', 'm_big'), region: 'par', version: '17' });
    store.flush();
    expect(existsSync(file)).toBe(true);
    // Atomic write: no temporary file left behind.
    expect(readdirSync(join(file, '..'))).toEqual(['state.json']);

    const reloaded = new Store(file, 5);
    expect([...reloaded.addons.values()]).toEqual([a]);
    // The RNG continues instead of restarting from the seed, so fresh ids do not collide.
    const b = service(reloaded).create(ORG, pgRequest());
    const c = service(new Store(undefined, 5)).create(ORG, pgRequest());
    expect(b.id).not.toBe(a.id);
    expect(c.id).toBe(a.id);
  });

  it('debounces writes and flushes pending changes', async () => {
    const file = tmpFile();
    const store = new Store(file, 1);
    service(store).create(ORG, pgRequest());
    expect(existsSync(file)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { format: number; addons: unknown[] };
    expect(saved.format).toBe(1);
    expect(saved.addons).toHaveLength(1);
  });

  it('refuses a state file of an unknown format', () => {
    const file = tmpFile();
    const store = new Store(file, 1);
    service(store).create(ORG, pgRequest());
    store.flush();
    const text = readFileSync(file, 'utf8').replace('"format": 1', '"format": 99');
    writeFileSync(file, text);
    expect(() => new Store(file, 1)).toThrow(/unsupported format 99/);
  });
});

describe('migration settlement', () => {
  it('moves the add-on to the target plan once all steps have elapsed', () => {
    let t = 1_000;
    const store = new Store(undefined, 2);
    const svc = service(store, () => t);
    const a = svc.create(ORG, pgRequest());
    const host = a.credentials.host;
    const target = planId('postgresql-addon', 'm_big');
    svc.startMigration(a, { planId: target, region: 'par', version: '18' });
    t += 49; // 5 steps of 10 ms
    expect(svc.find(ORG, a.id)?.planId).toBe(planId('postgresql-addon', 'xs_sml'));
    t += 1;
    const done = svc.find(ORG, a.realId);
    expect(done).toMatchObject({ planId: target, version: '18' });
    expect(done?.credentials.host).not.toBe(host);
    expect(done?.env.find((e) => e.name === 'POSTGRESQL_ADDON_VERSION')?.value).toBe('18');
    expect(svc.runningMigration(a)).toBeUndefined();
  });
});

describe('credential rotation', () => {
  it('changes generated secrets but never the user-defined env of a config provider', () => {
    const store = new Store(undefined, 4);
    const svc = service(store);
    const pg = svc.create(ORG, pgRequest());
    const before = pg.credentials.password;
    svc.rotate(pg);
    expect(pg.credentials.password).not.toBe(before);
    expect(pg.env.find((e) => e.name === 'POSTGRESQL_ADDON_PASSWORD')?.value).toBe(pg.credentials.password);

    const r = validateCreate({ providerId: 'config-provider', plan: planId('config-provider', 'std'), region: 'par' });
    if (!r.ok) throw new Error(r.error.message);
    const cp = svc.create(ORG, r.value);
    svc.replaceEnv(cp, [{ name: 'A', value: '1' }]);
    svc.rotate(cp);
    expect(cp.env).toEqual([{ name: 'A', value: '1' }]);
  });
});

describe('real database servers behind database add-ons', () => {
  it('points add-ons at the configured server and announces their credentials on create, rotate and migrate', () => {
    let t = 1_000;
    const announced: DatabaseCredentials[] = [];
    const svc = new AddonService(new Store(undefined, 6), {
      now: () => t,
      provisioningDelayMs: 0,
      listConsistencyDelayMs: 0,
      migrationStepMs: 10,
      passwordAlphabet: ALNUM,
      databaseServers: { 'postgresql-addon': { host: '127.0.0.1', port: 55432 } },
      onDatabaseCredentials: (c) => announced.push(c),
    });
    const pg = svc.create(ORG, pgRequest());
    const env = Object.fromEntries(pg.env.map((e) => [e.name, e.value]));
    expect(env.POSTGRESQL_ADDON_HOST).toBe('127.0.0.1');
    expect(env.POSTGRESQL_ADDON_PORT).toBe('55432');
    expect(new URL(env.POSTGRESQL_ADDON_URI!).host).toBe('127.0.0.1:55432');
    expect(announced).toEqual([
      {
        providerId: 'postgresql-addon',
        host: '127.0.0.1',
        port: 55432,
        database: env.POSTGRESQL_ADDON_DB,
        user: env.POSTGRESQL_ADDON_USER,
        password: env.POSTGRESQL_ADDON_PASSWORD,
      },
    ]);

    svc.rotate(pg);
    expect(announced).toHaveLength(2);
    expect(announced[1]!.password).toBe(pg.credentials.password);
    expect(announced[1]!.password).not.toBe(announced[0]!.password);

    // A migration lands on "a new instance": the same real server, since it is the only one there is.
    svc.startMigration(pg, { planId: planId('postgresql-addon', 'm_big'), region: 'par', version: '17' });
    t += 50;
    expect(svc.find(ORG, pg.id)?.credentials).toMatchObject({ host: '127.0.0.1', port: '55432' });

    // Other providers keep made-up hosts.
    const r = validateCreate({ providerId: 'mysql-addon', plan: planId('mysql-addon', 'xs_sml'), region: 'par' });
    if (!r.ok) throw new Error(r.error.message);
    expect(svc.create(ORG, r.value).credentials.host).toMatch(/-mysql\.services\.clever-cloud\.com$/);
    expect(announced.at(-1)?.providerId).toBe('mysql-addon');
  });
});
