// Processes for chaos runs and benchmarks, without vitest (benchmarks run as a plain script): the operator as a child
// process that can be SIGKILLed, kubectl against a given kubeconfig, and a kubeconfig pointing at a proxy.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';
import { writeDevOperatorConfig } from '../support/operator-config.ts';

const run = promisify(execFile);
export const REPO_ROOT = new URL('../..', import.meta.url).pathname;
/**
 * Where the operator under test runs from: CHAOS_OPERATOR_ROOT (e.g. a `git worktree` of a commit, with
 * node_modules linked) keeps long runs on a fixed version while the working tree changes under them.
 */
export const OPERATOR_ROOT = process.env.CHAOS_OPERATOR_ROOT ?? REPO_ROOT;
/** The operator's entry point under that root: its sources, or `dist/src/cli.js` (after `npm run build`) as the image. */
export const OPERATOR_ENTRY = process.env.OPERATOR_ENTRY ?? 'src/cli.ts';
/** Node flags for the operator process only, space-separated (for example `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const OPERATOR_NODE_ARGS = (process.env.OPERATOR_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export async function kubectlWith(kubeconfigPath: string, args: string[]): Promise<string> {
  const { stdout } = await run(join(defaultBinDir(), 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], {
    cwd: OPERATOR_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export async function installCrdsWith(kubeconfigPath: string): Promise<void> {
  await kubectlWith(kubeconfigPath, ['apply', '--server-side', '--force-conflicts', '-f', 'crds/']);
  await kubectlWith(kubeconfigPath, ['wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/']);
}

/** A copy of a kubeconfig whose server is replaced (same certificates: the proxy passes TLS through). */
export function kubeconfigVia(kubeconfigPath: string, server: string): string {
  const config = JSON.parse(readFileSync(kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = server;
  const path = join(mkdtempSync(join(tmpdir(), 'chaos-kubeconfig-')), 'kubeconfig');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

export interface OperatorProcess {
  child: ChildProcess;
  name: string;
  output(): string;
  exited: Promise<void>;
  /** SIGKILL (no graceful shutdown, the lease is not released). */
  kill(): Promise<void>;
  /** SIGTERM: graceful, releases the lease. */
  terminate(): Promise<void>;
}

export function spawnOperatorProcess(args: {
  name: string;
  kubeconfigPath: string;
  simUrl: string;
  bridgeUrl: string;
  namespace: string;
  extraArgs?: string[];
  logLevel?: string;
  /** Serve /metrics on this loopback port (default: an ephemeral one nobody reads). */
  metricsPort?: number;
  /** Node flags for this process, before those of OPERATOR_NODE_ARGS. */
  nodeArgs?: string[];
}): OperatorProcess {
  const config = writeDevOperatorConfig(args.simUrl, args.bridgeUrl, 'chaos-operator-');
  const child = spawn(
    process.execPath,
    [
      ...(args.nodeArgs ?? []),
      ...OPERATOR_NODE_ARGS,
      OPERATOR_ENTRY,
      'run',
      '--kubeconfig',
      args.kubeconfigPath,
      '--config',
      config,
      '--namespace',
      args.namespace,
      '--metrics-address',
      `127.0.0.1:${args.metricsPort ?? 0}`,
      '--health-address',
      '127.0.0.1:0',
      '--log-format',
      'json',
      '--log-level',
      args.logLevel ?? 'debug',
      ...(args.extraArgs ?? []),
    ],
    { cwd: OPERATOR_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLEVER_OPERATOR_API_TOKEN: '' } },
  );
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    child,
    name: args.name,
    output: () => chunks.join(''),
    exited,
    kill: () => signal('SIGKILL'),
    async terminate() {
      const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await signal('SIGTERM');
      clearTimeout(timer);
    },
  };
}
