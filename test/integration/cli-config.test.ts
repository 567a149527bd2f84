// `config check` as a user runs it: a real process, a real config file, the simulator as Clever Cloud.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_USER_ID,
  startSimulator,
  type Simulator,
} from '../../src/simulator/index.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'home-')), ...env },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('clever-addon-operator config check', () => {
  let sim: Simulator;
  const dir = mkdtempSync(join(tmpdir(), 'config-check-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, bridgePort: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('shows sources, masks secrets, and proves the credentials against the API', async () => {
    const config = file('ok.toml', `[api]\ntoken = "${DEV_OAUTH_TOKEN}"\nendpoint = "${sim.url}"\n`);
    const { code, out } = await cli(['config', 'check', '--config', config], {
      CLEVER_OPERATOR_API_SECRET: DEV_OAUTH_SECRET,
    });
    expect(code).toBe(0);
    expect(out).toContain(`api.token = <set, ${DEV_OAUTH_TOKEN.length} characters>    (from ${config};`);
    expect(out).toContain('(from env CLEVER_OPERATOR_API_SECRET;');
    expect(out).toContain('OAuth1 token + secret, HMAC-SHA512 signatures, the public clever-tools consumer');
    expect(out).toContain(`user ${DEV_USER_ID}`);
    expect(out).not.toContain(DEV_OAUTH_TOKEN);
    expect(out).not.toContain(DEV_OAUTH_SECRET);
    expect(sim.requests().some((r) => r.route === 'GET /v2/self' && r.status === 200)).toBe(true);
  });

  it('exits 1 naming the source when Clever refuses the credentials', async () => {
    const config = file(
      'bad.toml',
      `[api]\ntoken = "${DEV_OAUTH_TOKEN}"\nsecret = "wrong-secret"\nendpoint = "${sim.url}"\n`,
    );
    const { code, out } = await cli(['config', 'check', '--config', config]);
    expect(code).toBe(1);
    expect(out).toContain(`Clever Cloud refused the credentials from ${config}`);
    expect(out).not.toContain('wrong-secret');
  });

  it('exits 1 naming the file and the key of a configuration error', async () => {
    const config = file('typo.toml', '[api]\ntokn = "x"\n');
    const { code, out } = await cli(['config', 'check', '--config', config]);
    expect(code).toBe(1);
    expect(out).toContain(`${config}: api.tokn: unknown setting`);
  });
});
