// What the container image does, without a Docker engine: the build output (`npm run build`, tsconfig.build.json)
// next to a production-only install (`npm ci --omit=dev`), started with the image's entrypoint. Proves that nothing
// needed at run time is a dev dependency, that the compiled JavaScript runs on Node 22, and that `run` becomes
// ready against a real API server, serves its endpoints, writes nothing beside itself and stops on SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePorts } from '../../src/controlplane/local-plane.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { ensureCrds } from '../support/operator.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const app = mkdtempSync(join(tmpdir(), 'image-app-'));
const children: ChildProcess[] = [];

/** The image's entrypoint: `node dist/src/cli.js` in /app, with an environment holding nothing of ours. */
function cli(args: string[]) {
  return run(process.execPath, ['dist/src/cli.js', ...args], {
    cwd: app,
    env: { PATH: process.env.PATH, HOME: app, NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
  });
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => !f.startsWith('node_modules'))
    .sort();
}

beforeAll(async () => {
  // Both steps of the image, into a clean folder: the build stage's output and the deps stage's install.
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(app, 'dist')], { cwd: root }).catch(
    (err: Error & { stdout?: string }) => {
      throw new Error(`npm run build failed:\n${err.stdout ?? err.message}`);
    },
  );
  cpSync(join(root, 'package.json'), join(app, 'package.json'));
  cpSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}, 180_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(app, { recursive: true, force: true });
});

describe('production install (what the Dockerfile ships)', () => {
  it('holds no dev dependency, and the Dockerfile builds and runs the same way', async () => {
    for (const dev of ['typescript', 'vitest', 'eslint', 'prettier', 'node']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
    expect(existsSync(join(app, 'node_modules', 'pino-pretty'))).toBe(true);
    const { readFile } = await import('node:fs/promises');
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('npm ci --omit=dev --ignore-scripts');
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/cli.js"]');
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });

  it('ships no development tooling: no simulator, playground or control-plane launcher; asking for them says so', async () => {
    const dist = join(app, 'dist', 'src');
    for (const dev of ['simulator', 'controlplane', 'commands/playground.js']) {
      expect(existsSync(join(dist, dev)), dev).toBe(false);
    }
    expect(listing(join(app, 'dist')).filter((f) => /simulator|controlplane|playground/.test(f))).toEqual([]);
    expect(existsSync(join(dist, 'commands', 'run.js'))).toBe(true);
    for (const command of ['simulator', 'playground']) {
      const failed = await cli([command]).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code, command).toBe(2);
      expect(failed?.stderr).toContain(`"${command}" is a development command and is not part of this installation`);
    }
  });

  it('--help, run --help and crds work from the compiled output', async () => {
    expect((await cli(['--help'])).stdout).toContain('Usage: clever-addon-operator <command>');
    expect((await cli(['run', '--help'])).stdout).toContain('--leader-election');
    const crds = (await cli(['crds'])).stdout;
    // The 15 add-on kinds and the AddonPolicy kind.
    expect(crds.match(/^kind: CustomResourceDefinition$/gm)?.length).toBe(16);
    expect(crds).toContain('name: addonpolicies.policy.clever-addon-operator.io');
  });

  it('run: ready on a real API server, metrics and probes served, JSON logs, nothing written, SIGTERM stops it', async () => {
    await ensureCrds();
    const namespace = await createTestNamespace(adminKubeConfig(), 'image');
    const [metricsPort, healthPort] = (await freePorts(2)) as [number, number];
    const before = listing(app);
    const child = spawn(
      process.execPath,
      [
        'dist/src/cli.js',
        'run',
        '--kubeconfig',
        inject('kubeconfigPath'),
        '--namespace',
        namespace,
        '--leader-election-namespace',
        namespace,
        '--metrics-address',
        `127.0.0.1:${metricsPort}`,
        '--health-address',
        `127.0.0.1:${healthPort}`,
      ],
      {
        cwd: app,
        env: { PATH: process.env.PATH, HOME: app, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await eventually(
      async () => ((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200 ? true : undefined),
      30_000,
      '/readyz 200',
    );
    expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('workqueue_depth{name="postgresql"}');
    expect(metrics).toContain('process_cpu_seconds_total');
    // Not a terminal: JSON lines (what log pipelines want), not pino-pretty.
    const first = out.split('\n').find((l) => l.startsWith('{'));
    expect(first, out).toBeDefined();
    expect(JSON.parse(first!)).toMatchObject({ name: 'clever-addon-operator' });

    child.kill('SIGTERM');
    expect(await exited, out).toBe(0);
    expect(out).toContain('"msg":"stopped"');
    expect(listing(app)).toEqual(before);
  });
});
