// Runs the real operator against the shared control plane and a fresh simulator, in-process (fast, for most
// tests) or as a child process (for tests that SIGKILL it). Each harness gets its own simulator; the CRDs are
// installed once per run.
import * as k8s from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { inject } from 'vitest';
import { providers } from '../../providers/index.ts';
import { createLogger } from '../../src/log.ts';
import { Manager, type ManagerOptions } from '../../src/operator/manager.ts';
import {
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_ORG_ID,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.ts';
import { installCrds } from './kubectl.ts';
import { writeDevOperatorConfig } from './operator-config.ts';

let crdsInstalled: Promise<void> | undefined;

export function ensureCrds(): Promise<void> {
  crdsInstalled ??= installCrds();
  return crdsInstalled;
}

/** Everything the operator logged, to assert that no secret value ever appears in it. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface OperatorHarness {
  sim: Simulator;
  kc: k8s.KubeConfig;
  manager: Manager;
  registry: Registry;
  logs: LogCapture;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  simulator?: SimulatorOptions;
  manager?: Partial<ManagerOptions>;
  namespaces: string[];
  /** Global credentials; default: the simulator's dev account. `null`: none. */
  global?: ManagerOptions['global'] | null;
  /** Client tuning (timeoutMs, retry, ...) merged over the harness's own (simulator URLs, short backoff). */
  clientOptions?: NonNullable<ManagerOptions['clientOptions']>;
}

export async function startOperator(options: HarnessOptions): Promise<OperatorHarness> {
  await ensureCrds();
  const sim = await startSimulator({ port: 0, bridgePort: 0, ...options.simulator });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(inject('kubeconfigPath'));
  const registry = new Registry();
  const logs = new LogCapture();
  const manager = new Manager({
    kubeConfig: kc,
    providers,
    global:
      options.global === null
        ? undefined
        : (options.global ?? {
            credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
            organisation: DEV_ORG_ID,
            source: 'test global configuration',
          }),
    clientOptions: {
      apiUrl: sim.url,
      bridgeUrl: sim.bridgeUrl,
      ...options.clientOptions,
      retry: { baseMs: 50, maxMs: 500, ...options.clientOptions?.retry },
    },
    namespaces: options.namespaces,
    concurrency: 4,
    driftIntervalMs: 60_000,
    createGraceMs: 3_000,
    // The tests exercise spec.secret.rolloutRestart; installs turn it on explicitly (off by default).
    workloadRollouts: true,
    // spec.backup and spec.restoreFrom too (off by default: installs grant batch RBAC with rbac.backups).
    backups: true,
    registry,
    logger: createLogger({ level: 'debug', format: 'json', destination: logs }),
    ...options.manager,
  });
  await manager.start();
  return {
    sim,
    kc,
    manager,
    registry,
    logs,
    async stop() {
      if (process.env.DEBUG_OPERATOR_LOGS) console.log(logs.lines.slice(-80).join('\n'));
      await manager.stop(5_000);
      await sim.stop();
    },
  };
}

/** Starts `clever-addon-operator run` as a child process (so a test can SIGKILL it). */
export function spawnOperator(args: {
  simUrl: string;
  bridgeUrl: string;
  namespaces: string[];
  extraArgs?: string[];
}): {
  child: ChildProcess;
  output: () => string;
} {
  const config = writeDevOperatorConfig(args.simUrl, args.bridgeUrl);
  const child = spawn(
    process.execPath,
    [
      'src/cli.ts',
      'run',
      '--kubeconfig',
      inject('kubeconfigPath'),
      '--config',
      config,
      '--namespace',
      args.namespaces.join(','),
      '--metrics-address',
      '127.0.0.1:0',
      '--health-address',
      '127.0.0.1:0',
      '--create-grace',
      '3',
      '--log-format',
      'json',
      '--log-level',
      'debug',
      ...(args.extraArgs ?? []),
    ],
    {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLEVER_OPERATOR_API_TOKEN: '' },
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}
