// `config check` as a user runs it: a real process, a real config file, the simulator as Clever Cloud.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_USER_ID,
  startSimulator,
  type Simulator,
} from '../../src/simulator/index.ts';

import { stopProcess } from '../support/addons.ts';
import { adminKubeConfig, createTestNamespace } from '../support/kube.ts';
import { ensureCrds, spawnOperator } from '../support/operator.ts';
import { POSTGRESQL, namespaceApi } from '../support/resources.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeout?: number,
): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/cli.ts', ...args], {
      cwd: root,
      ...(timeout ? { timeout } : {}),
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

  // Guarantee 9 (docs/safety.md): the parser's message quotes the lines around the error; only the place is shown.
  it('a malformed config file: run and config check name the file, line and column, never the credential text', async () => {
    const token = 'malformed-file-token-7c2d1e';
    const secret = 'malformed-file-secret-b16b00';
    const forms = [token, secret].flatMap((v) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64')]);
    const toml = file('malformed.toml', `[api]\ntoken = "${token}"\nsecret = "${secret}\n`);
    const at = `line 3, column ${`secret = "${secret}`.length + 1}`;
    for (const args of [
      ['config', 'check', '--config', toml],
      ['run', '--config', toml, '--log-format', 'json'],
    ]) {
      const { code, out } = await cli(args);
      expect(code, args.join(' ')).toBe(1);
      expect(out).toContain(`${toml}: cannot be parsed as TOML (${at})`);
      for (const form of forms) expect(out, args.join(' ')).not.toContain(form);
    }

    // The same from the upstream search path, in YAML: an unclosed quote on line 2.
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const yaml = join(home, '.config/clever-kubernetes-operator/config.yaml');
    mkdirSync(dirname(yaml), { recursive: true });
    writeFileSync(yaml, `api:\n  token: "${token}\n  secret: ${secret}\n`);
    const { code, out } = await cli(['config', 'check'], { HOME: home });
    expect(code).toBe(1);
    expect(out).toMatch(
      new RegExp(`${yaml.replace(/[.]/g, '\\.')}: cannot be parsed as YAML \\(line \\d+, column \\d+\\)`),
    );
    for (const form of forms) expect(out).not.toContain(form);
  });
});

describe('clever-addon-operator run: the Clever rate limit', () => {
  it('--clever-rate-limit and --clever-burst bound the calls the operator makes, and it still converges', async () => {
    const kc = adminKubeConfig();
    await ensureCrds();
    const namespace = await createTestNamespace(kc, 'rate');
    const api = namespaceApi(kc, namespace);
    const sim = await startSimulator({ seed: 31 });
    const p = spawnOperator({
      simUrl: sim.url,
      bridgeUrl: sim.bridgeUrl,
      namespaces: [namespace],
      extraArgs: ['--leader-election', 'false', '--clever-rate-limit', '2', '--clever-burst', '2'],
    });
    try {
      const names = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
      for (const name of names) await api.create(POSTGRESQL, name, { instance: { plan: 'xxs_sml' } });
      for (const name of names) await api.waitReady(POSTGRESQL, name, 60_000);
      const times = sim.requests().map((r) => r.at);
      // Unlimited, six add-ons (4 to 5 calls each) would be done in well under a second. At 2/s with a bucket
      // of 2, no 2-second window can hold more than 2 + 2 x 2 calls (one more for a refill at the window's edge).
      expect(times.length).toBeGreaterThanOrEqual(20);
      const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 2_000).length));
      expect(busiest).toBeLessThanOrEqual(7);
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(((times.length - 2) / 2) * 1_000 - 1_000);
    } finally {
      await stopProcess(p.child, 'SIGTERM');
      await sim.stop();
    }
  });
});

describe('clever-addon-operator run: the Lease namespace outside a cluster', () => {
  it('with a kubeconfig and leader election on but no Lease namespace: exits 1 at start, naming the flag', async () => {
    // A remote run that guessed "default" would hold a Lease of its own beside the in-cluster install's, and both
    // would reconcile. The timeout only bounds a regression (a run that starts instead): its code is then not 1.
    const { code, out } = await cli(
      [
        'run',
        '--kubeconfig',
        inject('kubeconfigPath'),
        '--metrics-address',
        '127.0.0.1:0',
        '--health-address',
        '127.0.0.1:0',
      ],
      { POD_NAMESPACE: 'not-a-lease-namespace' },
      20_000,
    );
    expect(code).toBe(1);
    expect(out).toContain('--leader-election-namespace');
    expect(out).not.toContain('starting clever-addon-operator');
  });
});
