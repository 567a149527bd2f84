// `npm run bench`: what an add-on costs. On a control plane of its own and the simulator (5 s provisioning, 1 s list
// lag), the operator runs as a child process (as in production: its own RSS and CPU) and for each size N
// (BENCH_SIZES, default 100,1000) PostgreSql resources are applied at once. Printed and written to
// bench-results/latest.json: time until all Ready, apply -> Secret p50/p99, Clever API calls per add-on (to Ready,
// and per hour at idle) and Kubernetes API writes per add-on next to their minimum, peak RSS and CPU seconds, time to
// restore a deleted Secret and to recover after a SIGKILL; then the RSS with BENCH_IDLE (default 10000) idle
// resources. Figures only: nothing here asserts a timing.
import * as k8s from '@kubernetes/client-node';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, startLocalPlane, type LocalPlane } from '../../src/controlplane/local-plane.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { installCrdsWith, spawnOperatorProcess, REPO_ROOT, type OperatorProcess } from '../chaos/procs.ts';

const GROUP = 'api.clever-cloud.com';
const PROVISIONING_MS = 5_000;
const DRIFT_S = 300;
const sizes = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number).filter(Boolean);
const idleCount = Number(process.env.BENCH_IDLE ?? 10_000);

interface Resource extends k8s.KubernetesObject {
  status?: { conditions?: { type: string; status: string }[] };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Peak and current RSS (MiB) and CPU seconds of a process, from /proc. */
function procStats(pid: number): { peakRssMiB: number; rssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
  return {
    peakRssMiB: round(kb('VmHWM') / 1024),
    rssMiB: round(kb('VmRSS') / 1024),
    cpuSeconds: round(ticks / 100, 2),
  };
}

/** Write requests the API server has served, by resource (from apiserver_request_total on /metrics). */
async function kubeWrites(kc: k8s.KubeConfig): Promise<Map<string, number>> {
  const url = new URL('/metrics', kc.getCurrentCluster()!.server);
  const options: RequestOptions = { hostname: url.hostname, port: url.port, path: url.pathname, method: 'GET' };
  await kc.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels: Record<string, string> = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (!['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'].includes(labels.verb ?? '')) continue;
    // Leases are the API server's own heartbeats here (the operator runs without leader election).
    if (labels.resource === 'leases') continue;
    const key = `${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

function diff(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

async function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Keeps the latest version of every object of a namespaced collection, and when each first met a condition. */
function watchCollection<T extends k8s.KubernetesObject>(
  kc: k8s.KubeConfig,
  path: string,
  isDone: (obj: T) => boolean,
): { objects: Map<string, T>; doneAt: Map<string, number>; goneAt: Map<string, number>; stop: () => void } {
  const objects = new Map<string, T>();
  const doneAt = new Map<string, number>();
  const goneAt = new Map<string, number>();
  let aborter: { abort: () => void } | undefined;
  let stopped = false;
  const start = async () => {
    aborter = await new k8s.Watch(kc).watch(
      path,
      { allowWatchBookmarks: true },
      (type: string, obj: T) => {
        const name = obj.metadata?.name ?? '';
        if (type === 'DELETED') {
          objects.delete(name);
          goneAt.set(name, Date.now());
          doneAt.delete(name);
          return;
        }
        if (type === 'BOOKMARK') return;
        objects.set(name, obj);
        if (!doneAt.has(name) && isDone(obj)) doneAt.set(name, Date.now());
      },
      () => {
        if (!stopped) void sleep(200).then(start);
      },
    );
  };
  void start();
  return {
    objects,
    doneAt,
    goneAt,
    stop: () => {
      stopped = true;
      aborter?.abort();
    },
  };
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

interface Harness {
  plane: LocalPlane;
  sim: Simulator;
  kc: k8s.KubeConfig;
}

async function startOperator(
  h: Harness,
  namespace: string,
): Promise<{ op: OperatorProcess; health: string; metrics: string }> {
  const [port, metricsPort] = (await freePorts(2)) as [number, number];
  const op = spawnOperatorProcess({
    name: 'bench',
    kubeconfigPath: h.plane.kubeconfigPath,
    simUrl: h.sim.url,
    bridgeUrl: h.sim.bridgeUrl,
    namespace,
    logLevel: 'info',
    metricsPort,
    extraArgs: ['--leader-election', 'false', '--health-address', `127.0.0.1:${port}`],
  });
  const health = `http://127.0.0.1:${port}/readyz`;
  await until('operator ready', () => httpOk(health), 60_000);
  return { op, health, metrics: `http://127.0.0.1:${metricsPort}/metrics` };
}

/** Reconciles the operator has finished (any result), from controller_runtime_reconcile_total. */
async function reconcilesDone(metricsUrl: string): Promise<number> {
  const text = await fetch(metricsUrl).then((r) => r.text());
  return text
    .split('\n')
    .filter((l) => l.startsWith('controller_runtime_reconcile_total{'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const SPEC = { instance: { plan: 'xxs_sml' } };

async function benchSize(h: Harness, n: number) {
  const { kc, sim } = h;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = `bench-${n}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  let { op } = await startOperator(h, namespace);
  const ready = (r: Resource) =>
    r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
    r.status.conditions.some((c) => c.type === 'Synced' && c.status === 'True');
  const resources = watchCollection<Resource>(kc, `/apis/${GROUP}/v1/namespaces/${namespace}/postgresqls`, ready);
  const secrets = watchCollection<k8s.V1Secret>(kc, `/api/v1/namespaces/${namespace}/secrets`, () => true);
  await sleep(500);

  sim.clearRequests();
  const writesBefore = await kubeWrites(kc);
  const cpuBefore = procStats(op.child.pid!).cpuSeconds;
  const names = Array.from({ length: n }, (_, i) => `pg-${i}`);
  const appliedAt = new Map<string, number>();
  const t0 = Date.now();
  await pool(names, 20, async (name) => {
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      body: { apiVersion: `${GROUP}/v1`, kind: 'PostgreSql', metadata: { name }, spec: SPEC },
    });
    appliedAt.set(name, Date.now());
  });
  const appliedMs = Date.now() - t0;
  await until(
    `${n} Ready`,
    () => resources.doneAt.size === n && names.every((x) => secrets.doneAt.has(`${x}-secrets`)),
    3_600_000,
  );
  const allReadyMs = Math.max(...resources.doneAt.values()) - t0;
  const toSecret = names.map((x) => secrets.doneAt.get(`${x}-secrets`)! - appliedAt.get(x)!);
  // Let the last status writes land before counting.
  await sleep(2_000);
  const createRequests = sim.requests();
  const writesAfter = await kubeWrites(kc);
  const kubeWritesByResource = diff(writesAfter, writesBefore);
  kubeWritesByResource.postgresqls = (kubeWritesByResource.postgresqls ?? 0) - n; // our own creates
  const cleverByRoute: Record<string, number> = {};
  for (const r of createRequests) cleverByRoute[r.route] = (cleverByRoute[r.route] ?? 0) + 1;
  const stats = procStats(op.child.pid!);

  // Time to restore a deleted Secret (median of 5, one at a time).
  const restores: number[] = [];
  for (const name of names.slice(0, 5)) {
    const secretName = `${name}-secrets`;
    const since = Date.now();
    secrets.doneAt.delete(secretName);
    await core.deleteNamespacedSecret({ namespace, name: secretName });
    await until(`${secretName} restored`, () => (secrets.doneAt.get(secretName) ?? 0) > since, 120_000);
    restores.push(secrets.doneAt.get(secretName)! - since);
  }

  // SIGKILL; a resource is applied while the operator is down; it restarts at once (as a Deployment would). Measured:
  // how long that resource waits for its Secret, and the cost of the restart's first pass over everything else
  // (the same work as one idle drift pass).
  await sleep(3_000);
  await op.kill();
  const killedAt = Date.now();
  sim.clearRequests();
  const probe = `after-kill`;
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: 'v1',
    namespace,
    plural: 'postgresqls',
    body: { apiVersion: `${GROUP}/v1`, kind: 'PostgreSql', metadata: { name: probe }, spec: SPEC },
  });
  const restarted = await startOperator(h, namespace);
  op = restarted.op;
  const metrics = restarted.metrics;
  const startedMs = Date.now() - killedAt;
  await until('resource applied during the SIGKILL bound', () => secrets.doneAt.has(`${probe}-secrets`), 3_600_000);
  const recoveryMs = secrets.doneAt.get(`${probe}-secrets`)! - killedAt;
  // The cost of one idle pass: calls and writes per finished reconcile over a window of the restart's first pass
  // (at 1,000 add-ons the operator is never quiet: drift checks alone use the whole Clever budget).
  const calls0 = sim.requests().length;
  const writes0 = await kubeWrites(kc);
  const reconciles0 = await reconcilesDone(metrics);
  const want = Math.min(n, 200);
  await until('idle passes', async () => (await reconcilesDone(metrics)) - reconciles0 >= want, 3_600_000);
  const passes = (await reconcilesDone(metrics)) - reconciles0;
  const idlePassCalls = ((sim.requests().length - calls0) / passes) * n;
  const idleWrites = diff(await kubeWrites(kc), writes0);
  for (const k of Object.keys(idleWrites)) idleWrites[k] = (idleWrites[k]! / passes) * n;
  const finalStats = procStats(op.child.pid!);
  await op.kill();
  resources.stop();
  secrets.stop();

  const cleverPerAddon = createRequests.length / n;
  return {
    resources: n,
    applyMs: appliedMs,
    allReadyMs,
    applyToSecretMs: { p50: percentile(toSecret, 50), p99: percentile(toSecret, 99), max: Math.max(...toSecret) },
    clever: {
      callsPerAddonToReady: round(cleverPerAddon, 2),
      minimumPerAddon: round(3 + Math.ceil(PROVISIONING_MS / 3_000) + 1 / n, 2),
      byRoute: Object.fromEntries(Object.entries(cleverByRoute).map(([k, v]) => [k, round(v / n, 2)])),
      idleCallsPerPass: round(idlePassCalls / n, 2),
      idleCallsPerAddonPerHour: round((idlePassCalls / n) * (3_600 / DRIFT_S), 1),
      idleMinimumPerAddonPerHour: round(2 * (3_600 / DRIFT_S), 1),
    },
    kube: {
      writesPerAddonToReady: round(Object.values(kubeWritesByResource).reduce((a, b) => a + b, 0) / n, 2),
      minimumPerAddon: 4,
      byResource: Object.fromEntries(Object.entries(kubeWritesByResource).map(([k, v]) => [k, round(v / n, 2)])),
      writesPerAddonOnRestartPass: round(Object.values(idleWrites).reduce((a, b) => a + b, 0) / n, 2),
      restartPassByResource: Object.fromEntries(Object.entries(idleWrites).map(([k, v]) => [k, round(v / n, 2)])),
    },
    operator: {
      peakRssMiB: stats.peakRssMiB,
      cpuSecondsToReady: round(stats.cpuSeconds - cpuBefore, 2),
      rssAfterRestartPassMiB: finalStats.rssMiB,
    },
    secretRestoreMs: { median: percentile(restores, 50), max: Math.max(...restores) },
    sigkill: { restartToReadyzMs: startedMs, killToSecretOfNewResourceMs: recoveryMs },
  };
}

/**
 * RSS with many idle resources. Creating 10,000 add-ons through the client-side Clever rate limit (10 calls/s) would
 * take over an hour, so the idle set is what the operator caches for bound resources: paused resources, each with a
 * labelled connection Secret it owns. The figure is the operator's memory for that cache once it has settled.
 */
async function benchIdle(h: Harness, n: number) {
  const { kc } = h;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = `bench-idle-${n}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const names = Array.from({ length: n }, (_, i) => `idle-${i}`);
  const t0 = Date.now();
  const secretData = Object.fromEntries(
    [
      'POSTGRESQL_ADDON_HOST',
      'POSTGRESQL_ADDON_PORT',
      'POSTGRESQL_ADDON_DB',
      'POSTGRESQL_ADDON_USER',
      'POSTGRESQL_ADDON_PASSWORD',
      'POSTGRESQL_ADDON_URI',
      'POSTGRESQL_ADDON_VERSION',
      'DATABASE_URL',
      'type',
      'provider',
      'host',
      'port',
      'username',
      'password',
      'database',
      'uri',
    ].map((k) => [k, Buffer.from(`${k.toLowerCase()}-value-0123456789abcdef0123456789`).toString('base64')]),
  );
  await pool(names, 20, async (name) => {
    const res = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      body: {
        apiVersion: `${GROUP}/v1`,
        kind: 'PostgreSql',
        metadata: { name, annotations: { 'clever-cloud.com/paused': 'true' } },
        spec: SPEC,
      },
    })) as k8s.KubernetesObject;
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: `${name}-secrets`,
          labels: { 'app.kubernetes.io/managed-by': 'clever-addon-operator' },
          ownerReferences: [
            { apiVersion: `${GROUP}/v1`, kind: 'PostgreSql', name, uid: res.metadata!.uid!, controller: true },
          ],
        },
        data: secretData,
      },
    });
  });
  const createdMs = Date.now() - t0;
  const { op } = await startOperator(h, namespace);
  const paused = (r: Resource) => r.status?.conditions?.some((c) => c.type === 'Synced') === true;
  const resources = watchCollection<Resource>(kc, `/apis/${GROUP}/v1/namespaces/${namespace}/postgresqls`, paused);
  await until('every idle resource seen by the operator', () => resources.doneAt.size === n, 3_600_000);
  const settledMs = Date.now() - t0 - createdMs;
  await sleep(10_000);
  global.gc?.();
  const stats = procStats(op.child.pid!);
  await op.kill();
  resources.stop();
  return {
    resources: n,
    createMs: createdMs,
    firstPassMs: settledMs,
    idleRssMiB: stats.rssMiB,
    peakRssMiB: stats.peakRssMiB,
  };
}

function table(rows: [string, ...string[]][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  const machine = {
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    date: new Date().toISOString(),
  };
  console.log(`bench: ${JSON.stringify(machine)}`);
  const plane = await startLocalPlane();
  const sim = await startSimulator({
    seed: 1,
    provisioningDelayMs: PROVISIONING_MS,
    listConsistencyDelayMs: 1_000,
    requestLogLimit: 5_000_000,
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(plane.kubeconfigPath);
  const h: Harness = { plane, sim, kc };
  const results: unknown[] = [];
  let idle: Awaited<ReturnType<typeof benchIdle>> | undefined;
  try {
    await installCrdsWith(plane.kubeconfigPath);
    for (const n of sizes) {
      console.log(`bench: ${n} resources...`);
      const r = await benchSize(h, n);
      console.log(JSON.stringify(r));
      results.push(r);
    }
    if (idleCount > 0) {
      console.log(`bench: ${idleCount} idle resources...`);
      idle = await benchIdle(h, idleCount);
      console.log(JSON.stringify(idle));
    }
  } finally {
    await sim.stop();
    await plane.stop({ keepLogs: false });
  }
  const rs = results as Awaited<ReturnType<typeof benchSize>>[];
  const rows: [string, ...string[]][] = [
    ['figure', ...rs.map((r) => `${r.resources} resources`)],
    ['time until all Ready (s)', ...rs.map((r) => String(round(r.allReadyMs / 1000)))],
    ['apply -> Secret p50 (s)', ...rs.map((r) => String(round(r.applyToSecretMs.p50 / 1000)))],
    ['apply -> Secret p99 (s)', ...rs.map((r) => String(round(r.applyToSecretMs.p99 / 1000)))],
    ['Clever calls per add-on to Ready', ...rs.map((r) => String(r.clever.callsPerAddonToReady))],
    ['  minimum', ...rs.map((r) => String(r.clever.minimumPerAddon))],
    ['Clever calls per add-on per hour, idle', ...rs.map((r) => String(r.clever.idleCallsPerAddonPerHour))],
    ['  minimum', ...rs.map((r) => String(r.clever.idleMinimumPerAddonPerHour))],
    ['Kubernetes writes per add-on to Ready', ...rs.map((r) => String(r.kube.writesPerAddonToReady))],
    ['  minimum', ...rs.map((r) => String(r.kube.minimumPerAddon))],
    ['Kubernetes writes per add-on, restart pass', ...rs.map((r) => String(r.kube.writesPerAddonOnRestartPass))],
    ['operator peak RSS (MiB)', ...rs.map((r) => String(r.operator.peakRssMiB))],
    ['operator CPU seconds to Ready', ...rs.map((r) => String(r.operator.cpuSecondsToReady))],
    ['deleted Secret restored, median (ms)', ...rs.map((r) => String(r.secretRestoreMs.median))],
    ['SIGKILL -> restarted operator ready (ms)', ...rs.map((r) => String(r.sigkill.restartToReadyzMs))],
    [
      'SIGKILL -> Secret of a resource applied meanwhile (s)',
      ...rs.map((r) => String(round(r.sigkill.killToSecretOfNewResourceMs / 1000))),
    ],
  ];
  const printed =
    table(rows) +
    (idle
      ? `\n\nidle: ${idle.resources} resources, operator RSS ${idle.idleRssMiB} MiB (peak ${idle.peakRssMiB} MiB)`
      : '');
  console.log(`\n${printed}`);
  mkdirSync(`${REPO_ROOT}/bench-results`, { recursive: true });
  writeFileSync(
    `${REPO_ROOT}/bench-results/${process.env.BENCH_OUT ?? 'latest'}.json`,
    JSON.stringify(
      { machine, provisioningDelayMs: PROVISIONING_MS, driftIntervalS: DRIFT_S, results, idle, table: printed },
      null,
      2,
    ),
  );
  console.log(`\nwritten to bench-results/${process.env.BENCH_OUT ?? 'latest'}.json`);
}

await main();
