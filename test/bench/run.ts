// `npm run bench`: what an add-on costs. On a control plane of its own and the simulator (5 s provisioning, 1 s list
// lag), the operator runs as a child process (as in production: its own RSS and CPU) and for each size N
// (BENCH_SIZES, default 100,1000) PostgreSql resources are applied at once; then the RSS with BENCH_IDLE (default
// 10000) idle resources. Printed and written to bench-results/latest.json (docs/benchmarks.md explains each figure).
// Per size, in order:
//   1. operator started, caches synced: RSS before the first resource;
//   2. N applied: apply -> all Secrets (and CPU seconds, Clever calls by route to that point), -> all Ready (Clever
//      calls and Kubernetes writes, Events included, by route/resource), duplicate add-ons in the simulator;
//   3. an idle window (BENCH_IDLE_WINDOW_S, default one drift interval): Clever calls per add-on per hour by route,
//      and list calls per organisation per drift interval;
//   4. deleted Secret restored (5, one at a time); SIGKILL with a resource applied meanwhile, restart pass;
//   5. everything deleted (deletionPolicy Delete) -> no add-on left in the simulator's state.
// The Clever rate: BENCH_RATE calls/s (`--clever-rate-limit`) with a burst of BENCH_BURST (default 2 x rate), or
// the operator's defaults when unset. Figures only: nothing here asserts a timing.
import * as k8s from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, startLocalPlane, type LocalPlane } from '../../src/controlplane/local-plane.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { attachProfiler } from './profile.ts';
import { installCrdsWith, spawnOperatorProcess, REPO_ROOT, type OperatorProcess } from '../chaos/procs.ts';
import {
  countBy,
  createIdleSet,
  diff,
  histogramByLabel,
  httpOk,
  kubeReads,
  kubeWrites,
  percentile,
  pool,
  procStats,
  threadCpu,
  round,
  scaled,
  sum,
  table,
  until,
  watchCollection,
} from './support.ts';

const GROUP = 'api.clever-cloud.com';
const PROVISIONING_MS = 5_000;
const LIST_ROUTE = 'GET /v2/organisations/{ownerId}/addons';
const sizes = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number).filter(Boolean);
const idleCount = Number(process.env.BENCH_IDLE ?? 10_000);
/** The operator's drift interval (`--drift-interval`); the idle window is measured against it. */
const DRIFT_S = Number(process.env.BENCH_DRIFT_S ?? 300);
const IDLE_WINDOW_S = Number(process.env.BENCH_IDLE_WINDOW_S ?? DRIFT_S);
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const BURST = RATE === undefined ? undefined : Number(process.env.BENCH_BURST ?? Math.max(1, Math.round(2 * RATE)));
/** The Clever rate every figure of this run used. */
const RATE_LABEL = RATE === undefined ? '10 calls/s, burst 20 (defaults)' : `${RATE} calls/s, burst ${BURST}`;
/** Reconciles at once per kind (`--concurrency`, operator default 4): how many callers share the Clever budget. */
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
/** Where to write a CPU profile of the operator from apply to all Secrets, per size (none: no inspector). */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const OPERATOR_ARGS = [
  '--drift-interval',
  String(DRIFT_S),
  ...(CONCURRENCY === undefined ? [] : ['--concurrency', String(CONCURRENCY)]),
  ...(RATE === undefined ? [] : ['--clever-rate-limit', String(RATE), '--clever-burst', String(BURST)]),
];

interface Resource extends k8s.KubernetesObject {
  status?: { conditions?: { type: string; status: string }[] };
}

interface Harness {
  plane: LocalPlane;
  sim: Simulator;
  kc: k8s.KubeConfig;
}

async function startOperator(
  h: Harness,
  namespace: string,
): Promise<{ op: OperatorProcess; health: string; metrics: string; inspectPort: number }> {
  const [port, metricsPort, inspectPort] = (await freePorts(3)) as [number, number, number];
  const op = spawnOperatorProcess({
    name: 'bench',
    kubeconfigPath: h.plane.kubeconfigPath,
    simUrl: h.sim.url,
    bridgeUrl: h.sim.bridgeUrl,
    namespace,
    logLevel: 'info',
    metricsPort,
    ...(PROFILE_DIR ? { nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`] } : {}),
    extraArgs: ['--leader-election', 'false', '--health-address', `127.0.0.1:${port}`, ...OPERATOR_ARGS],
  });
  // /readyz: the informer caches are synced.
  const health = `http://127.0.0.1:${port}/readyz`;
  await until('operator ready', () => httpOk(health), 60_000);
  return { op, health, metrics: `http://127.0.0.1:${metricsPort}/metrics`, inspectPort };
}

/**
 * Reconciles the operator has finished (any result), from controller_runtime_reconcile_total: of every controller, or
 * of one (`postgresql` is the add-on controller of the kind benchmarked).
 */
async function reconcilesDone(metricsUrl: string, controller?: string): Promise<number> {
  const text = await fetch(metricsUrl).then((r) => r.text());
  return text
    .split('\n')
    .filter((l) => l.startsWith('controller_runtime_reconcile_total{'))
    .filter((l) => controller === undefined || l.includes(`controller="${controller}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Mean wait for the Clever client's limiter by priority (ms), when the operator exports it. */
async function cleverWaitByPriority(metricsUrl: string): Promise<Record<string, { calls: number; meanMs: number }>> {
  const text = await fetch(metricsUrl).then((r) => r.text());
  const out: Record<string, { calls: number; meanMs: number }> = {};
  for (const [priority, { sum: s, count }] of histogramByLabel(text, 'clever_api_wait_seconds', 'priority')) {
    if (count > 0) out[priority] = { calls: count, meanMs: round((s / count) * 1000, 0) };
  }
  return out;
}

const SPEC = { instance: { plan: 'xxs_sml' } };

const started = Date.now();
const progress = (n: number, what: string) =>
  console.log(`bench: ${n} resources: ${what} (${Math.round((Date.now() - started) / 1000)} s)`);

async function benchSize(h: Harness, n: number) {
  const { kc, sim } = h;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = `bench-${n}`;
  const createResource = (name: string) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      body: { apiVersion: `${GROUP}/v1`, kind: 'PostgreSql', metadata: { name }, spec: SPEC },
    });
  await core.createNamespace({ body: { metadata: { name: namespace } } });

  // 1. Started and synced, no resource yet.
  const started = await startOperator(h, namespace);
  let { op, metrics } = started;
  await sleep(1_000);
  const rssAtStartMiB = procStats(op.child.pid!).rssMiB;

  const ready = (r: Resource) =>
    r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
    r.status.conditions.some((c) => c.type === 'Synced' && c.status === 'True');
  const resources = watchCollection<Resource>(kc, `/apis/${GROUP}/v1/namespaces/${namespace}/postgresqls`, ready);
  const secrets = watchCollection<k8s.V1Secret>(kc, `/api/v1/namespaces/${namespace}/secrets`, () => true);
  await sleep(500);

  // 2. Apply N at once.
  progress(n, 'applying');
  const existing = new Set(sim.addons().map((a) => a.id));
  const ours = () => sim.addons().filter((a) => !existing.has(a.id));
  sim.clearRequests();
  const writesBefore = await kubeWrites(kc);
  const readsBefore = await kubeReads(kc);
  const profiler = PROFILE_DIR ? await attachProfiler(started.inspectPort) : undefined;
  await profiler?.start();
  const cpuBefore = procStats(op.child.pid!).cpuSeconds;
  const threadsBefore = threadCpu(op.child.pid!);
  const passesBefore = await reconcilesDone(metrics, 'postgresql');
  const names = Array.from({ length: n }, (_, i) => `pg-${i}`);
  const appliedAt = new Map<string, number>();
  const t0 = Date.now();
  await pool(names, 20, async (name) => {
    await createResource(name);
    appliedAt.set(name, Date.now());
  });
  const appliedMs = Date.now() - t0;
  let cpuToSecrets = NaN;
  let threadsToSecrets: Record<string, number> = {};
  await until(
    `${n} Secrets`,
    () => {
      if (!names.every((x) => secrets.doneAt.has(`${x}-secrets`))) return false;
      cpuToSecrets = procStats(op.child.pid!).cpuSeconds - cpuBefore;
      threadsToSecrets = threadCpu(op.child.pid!);
      return true;
    },
    3_600_000,
  );
  const lastSecretAt = Math.max(...names.map((x) => secrets.doneAt.get(`${x}-secrets`)!));
  if (profiler && PROFILE_DIR) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    const file = join(PROFILE_DIR, `apply-to-secrets-${n}.cpuprofile`);
    await profiler.stop(file);
    profiler.close();
    console.log(`bench: CPU profile of apply -> all Secrets: ${file} (node test/bench/profile.ts ${file})`);
  }
  await until(`${n} Ready`, () => names.every((x) => resources.doneAt.has(x)), 3_600_000);
  const allReadyAt = Math.max(...resources.doneAt.values());
  const toSecret = names.map((x) => secrets.doneAt.get(`${x}-secrets`)! - appliedAt.get(x)!);
  const cpuToReady = procStats(op.child.pid!).cpuSeconds - cpuBefore;
  const passesToReady = (await reconcilesDone(metrics, 'postgresql')) - passesBefore;
  // Let the last status writes land before counting.
  await sleep(2_000);
  const createRequests = sim.requests();
  const kubeWritesToReady = diff(await kubeWrites(kc), writesBefore);
  const kubeReadsToReady = diff(await kubeReads(kc), readsBefore);
  kubeWritesToReady.postgresqls = (kubeWritesToReady.postgresqls ?? 0) - n; // our own creates
  const waitByPriority = await cleverWaitByPriority(metrics);
  const afterCreate = ours();
  const duplicates = afterCreate.length - new Set(afterCreate.map((a) => `${a.ownerId}/${a.name}`)).size;
  const organisations = new Set(afterCreate.map((a) => a.ownerId)).size;

  progress(n, 'all Ready; idle window');
  // 3. Idle window: every resource Ready, nothing applied. The add-on passes in the window are drift checks; at idle
  // each add-on gets one per drift interval (the requeue is the interval, jittered by 10 %), so the steady-state
  // figures are per pass x 3,600 / interval. Right after a creation burst the checks are bunched (their phase is the
  // Ready time), so calls over the window divided by its length (also printed) under- or over-shoot.
  sim.clearRequests();
  const idleWritesBefore = await kubeWrites(kc);
  const idleReconciles0 = await reconcilesDone(metrics, 'postgresql');
  const idleStart = Date.now();
  await sleep(IDLE_WINDOW_S * 1000);
  const idleS = (Date.now() - idleStart) / 1000;
  const idlePasses = (await reconcilesDone(metrics, 'postgresql')) - idleReconciles0;
  const idleRequests = sim.requests();
  /** Steady state: per drift pass of one add-on x passes per hour. */
  const perAddonHour = (count: number) => (idlePasses > 0 ? (count / idlePasses) * (3_600 / DRIFT_S) : NaN);
  const idleWrites = diff(await kubeWrites(kc), idleWritesBefore);
  const idleByRoute = countBy(idleRequests, (r) => r.route);

  progress(n, 'Secret restores, SIGKILL');
  // 4a. Time to restore a deleted Secret (median of 5, one at a time).
  const restores: number[] = [];
  for (const name of names.slice(0, 5)) {
    const secretName = `${name}-secrets`;
    const since = Date.now();
    secrets.doneAt.delete(secretName);
    await core.deleteNamespacedSecret({ namespace, name: secretName });
    await until(`${secretName} restored`, () => (secrets.doneAt.get(secretName) ?? 0) > since, 120_000);
    restores.push(secrets.doneAt.get(secretName)! - since);
  }

  // 4b. SIGKILL; a resource is applied while the operator is down; it restarts at once (as a Deployment would).
  // Measured: how long that resource waits for its Secret, and the Kubernetes writes of the restart's first pass
  // over everything else.
  await sleep(3_000);
  const stats = procStats(op.child.pid!);
  await op.kill();
  const killedAt = Date.now();
  const probe = `after-kill`;
  await createResource(probe);
  const restarted = await startOperator(h, namespace);
  op = restarted.op;
  metrics = restarted.metrics;
  const startedMs = Date.now() - killedAt;
  await until('resource applied during the SIGKILL bound', () => secrets.doneAt.has(`${probe}-secrets`), 3_600_000);
  const recoveryMs = secrets.doneAt.get(`${probe}-secrets`)! - killedAt;
  const restartWrites0 = await kubeWrites(kc);
  const reconciles0 = await reconcilesDone(metrics);
  const want = Math.min(n, 200);
  await until('restart pass', async () => (await reconcilesDone(metrics)) - reconciles0 >= want, 3_600_000);
  const passes = (await reconcilesDone(metrics)) - reconciles0;
  const restartWrites = diff(await kubeWrites(kc), restartWrites0);
  const afterRestart = procStats(op.child.pid!);

  progress(n, 'deleting all');
  // 5. Delete everything (deletionPolicy Delete, the default) until the simulator holds none of our add-ons.
  await until('probe Ready', () => resources.doneAt.has(probe), 3_600_000);
  sim.clearRequests();
  const d0 = Date.now();
  await pool([...names, probe], 20, async (name) => {
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: 'postgresqls', name });
  });
  await until('every add-on deleted', () => ours().length === 0, 3_600_000);
  const deleteAllMs = Date.now() - d0;
  await until('every resource gone', () => resources.objects.size === 0, 600_000);
  const resourcesGoneMs = Date.now() - d0;
  const deleteRequests = sim.requests();
  await op.kill();
  resources.stop();
  secrets.stop();

  const toSecretRequests = createRequests.filter((r) => r.at <= lastSecretAt);
  return {
    resources: n,
    cleverRate: RATE_LABEL,
    driftIntervalS: DRIFT_S,
    applyMs: appliedMs,
    allSecretsMs: lastSecretAt - t0,
    allReadyMs: allReadyAt - t0,
    applyToSecretMs: { p50: percentile(toSecret, 50), p99: percentile(toSecret, 99), max: Math.max(...toSecret) },
    clever: {
      callsPerAddonToSecret: round(toSecretRequests.length / n, 2),
      toSecretByRoute: scaled(
        countBy(toSecretRequests, (r) => r.route),
        n,
      ),
      callsPerAddonToReady: round(createRequests.length / n, 2),
      // The create, one env read, one readiness read (the first poll comes 5 s after the create, when a 5 s
      // provisioning is done), and the catalogue and the organisation's list shared by all.
      minimumPerAddon: round(3 + Math.ceil(PROVISIONING_MS / 5_000) - 1 + 1 / n, 2),
      toReadyByRoute: scaled(
        countBy(createRequests, (r) => r.route),
        n,
      ),
      waitByPriorityToReady: waitByPriority,
      duplicateAddons: duplicates,
      idleWindowS: round(idleS, 0),
      idlePasses,
      idleCallsPerPass: round(idleRequests.length / idlePasses, 2),
      idleCallsPerAddonPerHour: round(perAddonHour(idleRequests.length), 1),
      idleCallsPerAddonPerHourOverWindow: round((idleRequests.length / n) * (3_600 / idleS), 1),
      // Time-based reads a drift window this short does not show: the environment once per rotation check (1 h) and
      // readiness/version once per version check (3 h), the operator's defaults.
      idleMinimumPerAddonPerHour: round(1 + 1 / 3, 2),
      idleByRoutePerAddonPerHour: scaled(idleByRoute, idlePasses / (3_600 / DRIFT_S), 1),
      organisations,
      // One drift interval = N add-on passes (per pass), or the window's length over the interval (over time).
      idleListsPerOrganisationPerDrift: round(((idleByRoute[LIST_ROUTE] ?? 0) * n) / idlePasses / organisations, 2),
      idleListsPerOrganisationPerDriftOverWindow: round(
        (idleByRoute[LIST_ROUTE] ?? 0) / organisations / (idleS / DRIFT_S),
        2,
      ),
      deleteByRoute: scaled(
        countBy(deleteRequests, (r) => r.route),
        n + 1,
      ),
    },
    kube: {
      writesPerAddonToReady: round(sum(kubeWritesToReady) / n, 2),
      // Finalizer with the create intent, the Secret, its last-bound copy, the status recording the add-on, Ready.
      minimumPerAddon: 5,
      byResource: scaled(kubeWritesToReady, n),
      // Includes the bench's own watches' relists, if any (it lists nothing itself while waiting).
      readsPerAddonToReady: scaled(kubeReadsToReady, n),
      idleWritesPerAddonPerHour: round(perAddonHour(sum(idleWrites)), 2),
      writesPerAddonOnRestartPass: round(sum(restartWrites) / passes, 2),
      restartPassByResource: scaled(restartWrites, passes),
    },
    operator: {
      rssAtStartMiB,
      peakRssMiB: stats.peakRssMiB,
      cpuSecondsToSecrets: round(cpuToSecrets, 2),
      cpuSecondsToReady: round(cpuToReady, 2),
      cpuSecondsToSecretsByThread: Object.fromEntries(
        Object.entries(threadsToSecrets).map(([k, v]) => [k, round(v - (threadsBefore[k] ?? 0), 2)]),
      ),
      passesPerAddonToReady: round(passesToReady / n, 2),
      rssAfterRestartPassMiB: afterRestart.rssMiB,
    },
    secretRestoreMs: { median: percentile(restores, 50), max: Math.max(...restores) },
    sigkill: { restartToReadyzMs: startedMs, killToSecretOfNewResourceMs: recoveryMs },
    deleteAll: { toAddonsGoneMs: deleteAllMs, toResourcesGoneMs: resourcesGoneMs },
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
  const namespace = `bench-idle-${n}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const names = Array.from({ length: n }, (_, i) => `idle-${i}`);
  const t0 = Date.now();
  await createIdleSet(kc, namespace, names, 20);
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

type SizeResult = Awaited<ReturnType<typeof benchSize>>;

/** One row per route seen in any size, figures per add-on ('-' when a size never called it). */
function routeRows(rs: SizeResult[], title: string, pick: (r: SizeResult) => Record<string, number>) {
  const routes = [...new Set(rs.flatMap((r) => Object.keys(pick(r))))].sort();
  return [
    [title, ...rs.map(() => '')] as [string, ...string[]],
    ...routes.map((route) => [`  ${route}`, ...rs.map((r) => String(pick(r)[route] ?? '-'))] as [string, ...string[]]),
  ];
}

function printTable(rs: SizeResult[], idle: Awaited<ReturnType<typeof benchIdle>> | undefined): string {
  const s = (v: number) => String(round(v / 1000));
  const col = (f: (r: SizeResult) => string) => rs.map(f);
  const rows: [string, ...string[]][] = [
    ['figure', ...col((r) => `${r.resources} resources`)],
    ['apply -> all Secrets (s)', ...col((r) => s(r.allSecretsMs))],
    ['apply -> all Ready (s)', ...col((r) => s(r.allReadyMs))],
    ['apply -> Secret p50 / p99 (s)', ...col((r) => `${s(r.applyToSecretMs.p50)} / ${s(r.applyToSecretMs.p99)}`)],
    ['operator RSS before the first resource (MiB)', ...col((r) => String(r.operator.rssAtStartMiB))],
    ['operator peak RSS (MiB)', ...col((r) => String(r.operator.peakRssMiB))],
    ['operator CPU seconds to all Secrets', ...col((r) => String(r.operator.cpuSecondsToSecrets))],
    ['operator CPU seconds to all Ready', ...col((r) => String(r.operator.cpuSecondsToReady))],
    [
      'operator CPU seconds to all Secrets, by thread',
      ...col((r) =>
        Object.entries(r.operator.cpuSecondsToSecretsByThread)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
    ],
    ['add-on reconcile passes per add-on to Ready', ...col((r) => String(r.operator.passesPerAddonToReady))],
    ['Clever calls per add-on to Secret', ...col((r) => String(r.clever.callsPerAddonToSecret))],
    ['Clever calls per add-on to Ready', ...col((r) => String(r.clever.callsPerAddonToReady))],
    ['  minimum', ...col((r) => String(r.clever.minimumPerAddon))],
    [
      'Clever limiter wait to Ready, mean ms by priority',
      ...col(
        (r) =>
          Object.entries(r.clever.waitByPriorityToReady)
            .map(([p, w]) => `${p} ${w.meanMs}`)
            .join(', ') || 'n/a',
      ),
    ],
    ['Kubernetes writes per add-on to Ready (Events included)', ...col((r) => String(r.kube.writesPerAddonToReady))],
    ['  minimum', ...col((r) => String(r.kube.minimumPerAddon))],
    ['duplicate add-ons', ...col((r) => String(r.clever.duplicateAddons))],
    ['delete all -> all add-ons gone (s)', ...col((r) => s(r.deleteAll.toAddonsGoneMs))],
    ['delete all -> all resources gone (s)', ...col((r) => s(r.deleteAll.toResourcesGoneMs))],
    ['idle window (s)', ...col((r) => String(r.clever.idleWindowS))],
    ['idle add-on passes in the window', ...col((r) => String(r.clever.idlePasses))],
    ['idle Clever calls per pass', ...col((r) => String(r.clever.idleCallsPerPass))],
    ['idle Clever calls per add-on per hour', ...col((r) => String(r.clever.idleCallsPerAddonPerHour))],
    [
      '  plus reads by the hour (rotation 1 h, version 3 h)',
      ...col((r) => String(r.clever.idleMinimumPerAddonPerHour)),
    ],
    [
      'idle lists per organisation per drift interval',
      ...col((r) => String(r.clever.idleListsPerOrganisationPerDrift)),
    ],
    [
      '  by the window length instead (calls/h, lists/interval)',
      ...col(
        (r) => `${r.clever.idleCallsPerAddonPerHourOverWindow}, ${r.clever.idleListsPerOrganisationPerDriftOverWindow}`,
      ),
    ],
    ['idle Kubernetes writes per add-on per hour', ...col((r) => String(r.kube.idleWritesPerAddonPerHour))],
    ['Kubernetes writes per add-on, restart pass', ...col((r) => String(r.kube.writesPerAddonOnRestartPass))],
    ['deleted Secret restored, median (ms)', ...col((r) => String(r.secretRestoreMs.median))],
    ['SIGKILL -> restarted operator ready (ms)', ...col((r) => String(r.sigkill.restartToReadyzMs))],
    ['SIGKILL -> Secret of a resource applied meanwhile (s)', ...col((r) => s(r.sigkill.killToSecretOfNewResourceMs))],
    ...routeRows(rs, 'Clever calls per add-on to Secret, by route', (r) => r.clever.toSecretByRoute),
    ...routeRows(rs, 'Clever calls per add-on to Ready, by route', (r) => r.clever.toReadyByRoute),
    ...routeRows(rs, 'idle Clever calls per add-on per hour, by route', (r) => r.clever.idleByRoutePerAddonPerHour),
    ...routeRows(rs, 'Clever calls per add-on to delete, by route', (r) => r.clever.deleteByRoute),
    ...routeRows(rs, 'Kubernetes writes per add-on to Ready, by resource', (r) => r.kube.byResource),
    ...routeRows(
      rs,
      'Kubernetes reads per add-on to Ready, by verb, resource and code',
      (r) => r.kube.readsPerAddonToReady,
    ),
  ];
  const header =
    `Clever rate for every figure below: ${RATE_LABEL}; drift interval ${DRIFT_S} s; ` +
    `${CONCURRENCY ?? 4} reconciles at once; ` +
    `simulator: ${PROVISIONING_MS / 1000} s provisioning, 1 s list lag\n\n`;
  return (
    header +
    table(rows) +
    (idle
      ? `\n\nidle set (no Clever call: paused resources): ${idle.resources} resources, operator RSS ` +
        `${idle.idleRssMiB} MiB once settled (peak ${idle.peakRssMiB} MiB), first pass ${s(idle.firstPassMs)} s`
      : '')
  );
}

async function main(): Promise<void> {
  const machine = {
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    date: new Date().toISOString(),
  };
  console.log(`bench: ${JSON.stringify(machine)}`);
  console.log(`bench: Clever rate ${RATE_LABEL}, drift interval ${DRIFT_S} s, idle window ${IDLE_WINDOW_S} s`);
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
  const results: SizeResult[] = [];
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
  const printed = printTable(results, idle);
  console.log(`\n${printed}`);
  mkdirSync(`${REPO_ROOT}/bench-results`, { recursive: true });
  const out = process.env.BENCH_OUT ?? 'latest';
  writeFileSync(
    `${REPO_ROOT}/bench-results/${out}.json`,
    JSON.stringify(
      {
        machine,
        cleverRate: RATE_LABEL,
        provisioningDelayMs: PROVISIONING_MS,
        driftIntervalS: DRIFT_S,
        idleWindowS: IDLE_WINDOW_S,
        results,
        idle,
        table: printed,
      },
      null,
      2,
    ),
  );
  console.log(`\nwritten to bench-results/${out}.json`);
}

await main();
