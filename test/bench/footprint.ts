// `npm run bench:footprint`: the operator's memory. On a control plane of its own and the simulator, `run` starts as
// a child process (as in production: its own RSS) and the script prints its resident memory (VmRSS, and the peak
// VmHWM) from /proc: once ready with nothing to watch, then with N idle resources for each N of FOOTPRINT_SIZES
// (default 1000,10000): paused PostgreSqls, each with the 16-key connection Secret it owns (what the operator caches
// for bound add-ons; creating 10,000 real add-ons through the Clever rate limit would take over an hour).
//
// FOOTPRINT_ENTRY picks what runs: `src/cli.ts` (default, type-stripped sources, as the other benches run it) or
// `dist/src/cli.js` (what the image runs; `npm run build` first). FOOTPRINT_OPERATOR_ROOT runs another checkout (e.g.
// a worktree of an older commit, with its node_modules) to compare. FOOTPRINT_NODE_OPTIONS is passed as NODE_OPTIONS
// and FOOTPRINT_NODE_ARGS before the entry point (flags NODE_OPTIONS refuses); FOOTPRINT_MEMORY_MAX runs the operator
// as under a cgroup memory limit (bytes) through a fake memory.max. Figures only: nothing here asserts.
import * as k8s from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, startLocalPlane } from '../../src/controlplane/local-plane.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { installCrdsWith, REPO_ROOT } from '../chaos/procs.ts';
import { writeDevOperatorConfig } from '../support/operator-config.ts';
import { createIdleSet, httpOk, procStats, round, until } from './support.ts';

const GROUP = 'api.clever-cloud.com';
const NAMESPACE = 'footprint';
const sizes = (process.env.FOOTPRINT_SIZES ?? '1000,10000').split(',').map(Number).filter(Boolean);
const entry = process.env.FOOTPRINT_ENTRY ?? 'src/cli.ts';
const operatorRoot = process.env.FOOTPRINT_OPERATOR_ROOT ?? REPO_ROOT;
const settleMs = Number(process.env.FOOTPRINT_SETTLE_MS ?? 10_000);

interface Operator {
  child: ChildProcess;
  output: () => string;
  /** The V8 heap figures from the operator's /metrics (prom-client's default metrics), MiB. */
  heap: () => Promise<string>;
  stop: () => Promise<void>;
}

/** `used/total MiB` of the V8 heap and the external memory, from a Prometheus text exposition. */
async function heapFigures(url: string): Promise<string> {
  try {
    const text = await fetch(url).then((r) => r.text());
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? round(Number(line.slice(name.length + 1)) / 2 ** 20) : NaN;
    };
    return `heap ${value('nodejs_heap_size_used_bytes')}/${value('nodejs_heap_size_total_bytes')} MiB, external ${value('nodejs_external_memory_bytes')} MiB`;
  } catch {
    return 'heap ?';
  }
}

async function startOperator(kubeconfigPath: string, configPath: string): Promise<Operator> {
  const [health, metrics] = (await freePorts(2)) as [number, number];
  const env: NodeJS.ProcessEnv = { ...process.env, CLEVER_OPERATOR_API_TOKEN: '' };
  delete env.NODE_OPTIONS;
  if (process.env.FOOTPRINT_NODE_OPTIONS) env.NODE_OPTIONS = process.env.FOOTPRINT_NODE_OPTIONS;
  if (process.env.FOOTPRINT_MEMORY_MAX) {
    const file = join(mkdtempSync(join(tmpdir(), 'footprint-cgroup-')), 'memory.max');
    writeFileSync(file, `${process.env.FOOTPRINT_MEMORY_MAX}\n`);
    env.CLEVER_OPERATOR_MEMORY_MAX_FILE = file;
  }
  const child = spawn(
    process.execPath,
    [
      // Node/V8 flags NODE_OPTIONS does not accept (e.g. --optimize-for-size), space-separated.
      ...(process.env.FOOTPRINT_NODE_ARGS ?? '').split(' ').filter(Boolean),
      entry,
      'run',
      '--kubeconfig',
      kubeconfigPath,
      '--config',
      configPath,
      '--namespace',
      NAMESPACE,
      '--leader-election',
      'false',
      '--metrics-address',
      `127.0.0.1:${metrics}`,
      '--health-address',
      `127.0.0.1:${health}`,
      '--log-format',
      'json',
      '--log-level',
      'warn',
    ],
    { cwd: operatorRoot, stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Interrupted (Ctrl-C, a timeout's SIGTERM), the bench takes its operator with it: the control plane is supervised,
  // the operator would otherwise keep running against nothing.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      child.kill('SIGKILL');
      process.exit(130);
    });
  }
  const output = () => chunks.join('').slice(-4_000);
  await until(
    'operator ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`operator exited: ${output()}`);
      return httpOk(`http://127.0.0.1:${health}/readyz`);
    },
    300_000,
  );
  return {
    child,
    output,
    heap: () => heapFigures(`http://127.0.0.1:${metrics}/metrics`),
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Counts the resources of the namespace that carry a Synced condition (the operator has seen them). */
function watchSeen(kc: k8s.KubeConfig): { seen: Set<string>; stop: () => void } {
  const seen = new Set<string>();
  let aborter: { abort: () => void } | undefined;
  let stopped = false;
  const start = async () => {
    aborter = await new k8s.Watch(kc).watch(
      `/apis/${GROUP}/v1/namespaces/${NAMESPACE}/postgresqls`,
      {},
      (type: string, obj: { metadata?: { name?: string }; status?: { conditions?: { type: string }[] } }) => {
        const name = obj.metadata?.name ?? '';
        if (type === 'DELETED') seen.delete(name);
        else if (obj.status?.conditions?.some((c) => c.type === 'Synced')) seen.add(name);
      },
      () => {
        if (!stopped) void sleep(200).then(start);
      },
    );
  };
  void start();
  return {
    seen,
    stop: () => {
      stopped = true;
      aborter?.abort();
    },
  };
}

async function main(): Promise<void> {
  console.log(
    `footprint: ${JSON.stringify({ entry, operatorRoot, node: process.version, nodeOptions: process.env.FOOTPRINT_NODE_OPTIONS ?? '', memoryMax: process.env.FOOTPRINT_MEMORY_MAX ?? '' })}`,
  );
  const plane = await startLocalPlane();
  const sim = await startSimulator({ seed: 1 });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const config = writeDevOperatorConfig(sim.url, sim.bridgeUrl, 'footprint-operator-');
  const rows: string[] = [];
  const report = (label: string, s: ReturnType<typeof procStats>, extra = '') => {
    const line = `${label.padEnd(28)} RSS ${String(s.rssMiB).padStart(6)} MiB  peak ${String(s.peakRssMiB).padStart(6)} MiB  CPU ${String(s.cpuSeconds).padStart(6)} s${extra}`;
    rows.push(line);
    console.log(line);
  };
  try {
    await installCrdsWith(plane.kubeconfigPath);
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    {
      const op = await startOperator(plane.kubeconfigPath, config);
      report('ready (at start)', procStats(op.child.pid!));
      await sleep(settleMs);
      report(`start, +${settleMs / 1000} s`, procStats(op.child.pid!), `  (${await op.heap()})`);
      await op.stop();
    }
    let created = 0;
    for (const n of sizes) {
      const t0 = Date.now();
      await createIdleSet(
        kc,
        NAMESPACE,
        Array.from({ length: n - created }, (_, i) => `idle-${created + i}`),
      );
      created = Math.max(created, n);
      console.log(`footprint: ${n} idle resources with Secrets created in ${round((Date.now() - t0) / 1000)} s`);
      const watch = watchSeen(kc);
      const started = Date.now();
      const op = await startOperator(plane.kubeconfigPath, config);
      const readyMs = Date.now() - started;
      await until(`${n} resources seen`, () => watch.seen.size >= n, 3_600_000);
      const seenMs = Date.now() - started;
      await sleep(settleMs);
      report(
        `${n} idle, settled`,
        procStats(op.child.pid!),
        `  (ready ${round(readyMs / 1000)} s, all seen ${round(seenMs / 1000)} s; ${await op.heap()})`,
      );
      watch.stop();
      await op.stop();
    }
  } finally {
    await sim.stop();
    await plane.stop({ keepLogs: false });
  }
  console.log(`\nfootprint (${entry}):\n${rows.join('\n')}`);
}

await main();
