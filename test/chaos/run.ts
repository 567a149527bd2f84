// One chaos run: a seeded workload of mixed kinds (create, plan change, Secret tampering, delete) on a real control
// plane and the simulator, while operator replicas are SIGKILLed (also inside the create -> status-write window and
// during deletion), the simulator misbehaves, the operator's connections to the API server are cut, and (with a
// plane of its own) the kube-apiserver restarts. Then every fault stops and the invariants must hold.
// The schedule of actions is drawn from the seed; wall-clock interleavings still vary, which is the point.
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { providers } from '../../providers/index.ts';
import { freePorts, type LocalPlane } from '../../src/controlplane/local-plane.ts';
import type { AddonStatus } from '../../src/model/status.ts';
import { ANNOTATIONS } from '../../src/reconcile/names.ts';
import { Rng } from '../../src/simulator/rng.ts';
import { startSimulator, type FaultRule, type Simulator } from '../../src/simulator/index.ts';
import { OPERATOR_CREDENTIALS } from '../support/operator-config.ts';
import {
  addOperatorCredentials,
  checkInvariants,
  collectSecretValues,
  formatInvariants,
  type InvariantResult,
  type LiveResource,
  type TrackedResource,
} from './invariants.ts';
import { installCrdsWith, kubeconfigVia, spawnOperatorProcess, type OperatorProcess } from './procs.ts';
import { startKubeProxy, type KubeProxy } from './proxy.ts';

const GROUP = 'api.clever-cloud.com';

/** Valid specs per kind, with a second plan where the kind migrates between plans. */
interface KindPlan {
  kind: string;
  weight: number;
  spec: Record<string, unknown>;
  plans?: [string, string];
}

export const KIND_PLANS: KindPlan[] = [
  { kind: 'PostgreSql', weight: 4, spec: {}, plans: ['xxs_sml', 'xs_sml'] },
  { kind: 'Redis', weight: 3, spec: {}, plans: ['s_mono', 'm_mono'] },
  { kind: 'Cellar', weight: 2, spec: {} },
  { kind: 'MySql', weight: 2, spec: {}, plans: ['xxs_sml', 'xs_sml'] },
  { kind: 'MongoDb', weight: 1, spec: {}, plans: ['xs_sml', 'xs_med'] },
  { kind: 'ElasticSearch', weight: 1, spec: { options: { version: 8 } }, plans: ['xs', 's'] },
  { kind: 'Pulsar', weight: 1, spec: {} },
  { kind: 'KV', weight: 1, spec: {} },
  { kind: 'ConfigProvider', weight: 1, spec: { variables: { FEATURE: 'on' } } },
  { kind: 'Keycloak', weight: 1, spec: { instance: { plan: 'base' } } },
  { kind: 'Metabase', weight: 1, spec: { instance: { plan: 'base' } } },
  { kind: 'Matomo', weight: 1, spec: { instance: { plan: 'beta' } } },
  { kind: 'Otoroshi', weight: 1, spec: { instance: { plan: 'base' } } },
  { kind: 'Azimutt', weight: 1, spec: { instance: { plan: 'free' } } },
  { kind: 'FSBucket', weight: 1, spec: {} },
];

export interface ChaosOptions {
  seed: number;
  /** Resources created over the run (some are deleted again). */
  resources: number;
  /** How long faults and workload actions go on. */
  faultPhaseMs: number;
  /** How long the system may take to converge once faults stop. */
  settleTimeoutMs: number;
  /** Admin kubeconfig of the control plane (the test's own calls go direct, the operators' through a proxy). */
  kubeconfigPath: string;
  /** A plane of the run's own: enables kube-apiserver restarts. */
  plane?: LocalPlane;
  replicas?: number;
  /** Simulator faults kept in force through the whole fault phase, on top of the random fault sets. */
  standingFaults?: FaultRule[];
  /** Clever's list lag (default 300 ms). */
  listConsistencyDelayMs?: number;
  /** The operator's --create-grace in seconds (default 3). */
  createGraceSeconds?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  durationMs: number;
  counts: Record<string, number>;
  invariants: InvariantResult[];
  table: string;
  ok: boolean;
}

type Action =
  | 'create'
  | 'planChange'
  | 'variablesChange'
  | 'tamperSecret'
  | 'deleteSecret'
  | 'delete'
  | 'faults'
  | 'clearFaults'
  | 'deleteBehindBack'
  | 'rotate'
  | 'killRandom'
  | 'killLeader'
  | 'killInCreateWindow'
  | 'killInDeleteWindow'
  | 'gracefulHandover'
  | 'cutWatches'
  | 'restartApiServer';

const ACTION_WEIGHTS: [Action, number][] = [
  ['create', 10],
  ['planChange', 4],
  ['variablesChange', 1],
  ['tamperSecret', 3],
  ['deleteSecret', 2],
  ['delete', 4],
  ['faults', 4],
  ['clearFaults', 2],
  ['deleteBehindBack', 2],
  ['rotate', 2],
  ['killRandom', 1],
  ['killLeader', 1],
  ['killInCreateWindow', 1],
  ['killInDeleteWindow', 1],
  ['gracefulHandover', 1],
  ['cutWatches', 2],
  ['restartApiServer', 1],
];

function pick<T>(rng: Rng, items: T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(rng.next() * items.length)];
}

function weighted<T>(rng: Rng, items: [T, number][]): T {
  const total = items.reduce((n, [, w]) => n + w, 0);
  let x = rng.next() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1]![0];
}

/** A random fault set for the simulator: what a bad minute at an API provider looks like. */
function randomFaults(rng: Rng): { label: string; rules: FaultRule[] } {
  const choice = Math.floor(rng.next() * 6);
  switch (choice) {
    case 0:
      return { label: '5xx 20%', rules: [{ route: '*', kind: 'error', status: 503, probability: 0.2 }] };
    case 1:
      return { label: '429 burst', rules: [{ route: '*', kind: 'rateLimit', retryAfterSeconds: 1, count: 15 }] };
    case 2:
      return { label: 'latency spikes', rules: [{ route: '*', kind: 'latency', ms: 1_500, probability: 0.3 }] };
    case 3:
      return { label: 'connection resets 10%', rules: [{ route: '*', kind: 'reset', probability: 0.1 }] };
    case 4:
      return {
        label: 'commit-then-fail creates',
        rules: [{ route: 'POST /v2/organisations/{ownerId}/addons', kind: 'commitThenFail', status: 502, count: 3 }],
      };
    default:
      return {
        label: 'mixed',
        rules: [
          { route: '*', kind: 'latency', ms: 400, probability: 0.2 },
          { route: '*', kind: 'error', status: 500, probability: 0.1 },
          { route: '*', kind: 'reset', probability: 0.05 },
          { route: 'POST /v2/organisations/{ownerId}/addons', kind: 'commitThenFail', probability: 0.3 },
        ],
      };
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const rng = new Rng(options.seed);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  const namespace = `chaos-${options.seed}-${Date.now().toString(36).slice(-5)}`;
  const counts: Record<string, number> = {};
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  const tracked: TrackedResource[] = [];
  const secretValues = new Set<string>();
  // The replicas run with the dev account's OAuth token and secret (test/support/operator-config.ts): never shown.
  addOperatorCredentials(OPERATOR_CREDENTIALS, secretValues);
  const deadOutputs: string[] = [];
  const replicas: (OperatorProcess | undefined)[] = [];
  const pendingRestarts = new Set<Promise<void>>();
  let sim: Simulator | undefined;
  let proxy: KubeProxy | undefined;

  const plural = (kind: string) => providers.find((p) => p.kind === kind)!.plural;
  const version = (kind: string) => providers.find((p) => p.kind === kind)!.crdVersion;

  let duplicateSampler: ReturnType<typeof setInterval> | undefined;
  try {
    await installCrdsWith(options.kubeconfigPath);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    sim = await startSimulator({
      seed: options.seed,
      provisioningDelayMs: 400,
      listConsistencyDelayMs: options.listConsistencyDelayMs ?? 300,
      migrationStepMs: 150,
    });
    const server = new URL(kc.getCurrentCluster()!.server);
    proxy = await startKubeProxy({ host: server.hostname, port: Number(server.port) });
    const operatorKubeconfig = kubeconfigVia(options.kubeconfigPath, `https://127.0.0.1:${proxy.port}`);
    const simulator = sim;
    const standing = options.standingFaults ?? [];
    simulator.setFaults(standing);
    // Names ever held by two live add-ons during the run (the end-state invariant only sees what is left).
    const seenDuplicates = new Set<string>();
    duplicateSampler = setInterval(() => {
      const byName = new Map<string, number>();
      for (const a of simulator.addons()) byName.set(a.name, (byName.get(a.name) ?? 0) + 1);
      for (const [name, n] of byName) if (n > 1) seenDuplicates.add(name);
      counts.duplicatesSeenDuringRun = seenDuplicates.size;
    }, 100);

    // Drift checks often enough to notice rotations and deletions behind our back within the run, but not more
    // often than the Clever rate limit (10 calls/s, about 3 calls per check) can serve: with 300 resources and an
    // 8 s interval the operator is overloaded for good and new resources wait minutes behind drift checks.
    const driftSeconds = Math.max(8, Math.ceil(options.resources * 0.5));
    const metricsPorts = await freePorts(options.replicas ?? 2);
    const startReplica = (slot: number) => {
      replicas[slot] = spawnOperatorProcess({
        metricsPort: metricsPorts[slot]!,
        name: `replica-${slot}`,
        kubeconfigPath: operatorKubeconfig,
        simUrl: simulator.url,
        bridgeUrl: simulator.bridgeUrl,
        namespace,
        extraArgs: [
          '--leader-election-namespace',
          namespace,
          '--drift-interval',
          String(driftSeconds),
          // Credentials rotated behind its back must show within the run: the rotation check at the drift interval.
          '--rotation-check-interval',
          String(driftSeconds),
          '--create-grace',
          String(options.createGraceSeconds ?? 3),
          '--concurrency',
          '4',
        ],
      });
    };
    const stopReplica = async (slot: number, how: 'kill' | 'terminate') => {
      const p = replicas[slot];
      if (!p) return;
      replicas[slot] = undefined;
      await (how === 'kill' ? p.kill() : p.terminate());
      deadOutputs.push(p.output());
    };
    const restartLater = (slot: number, delayMs: number) => {
      const done = sleep(delayMs).then(() => {
        if (!replicas[slot]) startReplica(slot);
      });
      pendingRestarts.add(done);
      void done.finally(() => pendingRestarts.delete(done));
    };
    const replicaCount = options.replicas ?? 2;
    for (let i = 0; i < replicaCount; i++) startReplica(i);

    const leaderSlot = async (): Promise<number | undefined> => {
      const lease = await coord.readNamespacedLease({ name: 'clever-addon-operator', namespace });
      const holder = lease.spec?.holderIdentity;
      if (!holder) return undefined;
      const slot = replicas.findIndex((p) => p?.output().includes(`"identity":"${holder}"`));
      if (slot < 0) log(`chaos ${options.seed}: leader ${holder} is none of the running replicas`);
      return slot >= 0 ? slot : undefined;
    };

    // --- workload ---------------------------------------------------------------------------------------------
    let serial = 0;
    const createOne = async (): Promise<TrackedResource | undefined> => {
      const kp = weighted(
        rng,
        KIND_PLANS.map((k) => [k, k.weight]),
      );
      const policy = rng.next() < 0.2 ? 'Orphan' : 'Delete';
      const name = `${kp.kind.toLowerCase()}-${serial++}`;
      const plan = kp.plans?.[0];
      const spec = {
        ...structuredClone(kp.spec),
        ...(plan ? { instance: { plan } } : {}),
        deletionPolicy: policy,
      };
      const body = { apiVersion: `${GROUP}/${version(kp.kind)}`, kind: kp.kind, metadata: { name }, spec };
      let uid: string | undefined;
      try {
        const created = (await custom.createNamespacedCustomObject({
          group: GROUP,
          version: version(kp.kind),
          namespace,
          plural: plural(kp.kind),
          body,
        })) as k8s.KubernetesObject;
        uid = created.metadata?.uid;
      } catch {
        const existing = await getResource(kp.kind, name).catch(() => undefined);
        uid = existing?.metadata?.uid;
      }
      if (!uid) return undefined;
      const planSlug = plan ?? (kp.spec.instance as { plan?: string } | undefined)?.plan;
      const t: TrackedResource = {
        kind: kp.kind,
        name,
        uid,
        policy,
        deleted: false,
        ...(planSlug ? { plan: planSlug } : {}),
        secretName: `${name}-secrets`,
      };
      tracked.push(t);
      count('created');
      return t;
    };
    const getResource = async (kind: string, name: string) => {
      try {
        return (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: version(kind),
          namespace,
          plural: plural(kind),
          name,
        })) as k8s.KubernetesObject & { status?: AddonStatus };
      } catch (err) {
        if (err instanceof k8s.ApiException && err.code === 404) return undefined;
        throw err;
      }
    };
    const mergePatch = (kind: string, name: string, body: object) =>
      custom.patchNamespacedCustomObject(
        { group: GROUP, version: version(kind), namespace, plural: plural(kind), name, body },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    const deleteResource = async (t: TrackedResource) => {
      try {
        await custom.deleteNamespacedCustomObject({
          group: GROUP,
          version: version(t.kind),
          namespace,
          plural: plural(t.kind),
          name: t.name,
        });
      } catch {
        // Unknown outcome (e.g. the API server restarting): look.
      }
      const r = await getResource(t.kind, t.name).catch(() => 'unknown' as const);
      if (r === undefined || (r !== 'unknown' && r.metadata?.deletionTimestamp)) {
        t.deleted = true;
        count('deleted');
      }
    };
    const live = () => tracked.filter((t) => !t.deleted);
    const addonOf = (t: TrackedResource) =>
      simulator.addons().find((a) => a.name === `kubernetes::${t.kind}::${t.uid}`);
    const waitForRequest = async (route: string, since: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (simulator.requests().some((r) => r.at >= since && r.route === route)) return true;
        await sleep(20);
      }
      return false;
    };
    const killAll = async () => {
      for (let i = 0; i < replicas.length; i++) await stopReplica(i, 'kill');
    };

    const act = async (action: Action): Promise<string> => {
      switch (action) {
        case 'create': {
          const n = 1 + Math.floor(rng.next() * 5);
          const room = options.resources - tracked.length;
          if (room <= 0) return 'create: budget spent';
          await Promise.all(Array.from({ length: Math.min(n, room) }, () => createOne()));
          return `create ${Math.min(n, room)}`;
        }
        case 'planChange': {
          const t = pick(
            rng,
            live().filter((x) => KIND_PLANS.find((k) => k.kind === x.kind)?.plans),
          );
          if (!t) return 'planChange: none';
          const plans = KIND_PLANS.find((k) => k.kind === t.kind)!.plans!;
          const next = t.plan === plans[0] ? plans[1] : plans[0];
          await mergePatch(t.kind, t.name, { spec: { instance: { plan: next } } });
          t.plan = next;
          count('planChanges');
          return `planChange ${t.kind} ${t.name} -> ${next}`;
        }
        case 'variablesChange': {
          const t = pick(
            rng,
            live().filter((x) => x.kind === 'ConfigProvider'),
          );
          if (!t) return 'variablesChange: none';
          await mergePatch(t.kind, t.name, { spec: { variables: { FEATURE: `v${serial++}` } } });
          count('variablesChanges');
          return `variablesChange ${t.name}`;
        }
        case 'tamperSecret': {
          const t = pick(rng, live());
          if (!t) return 'tamper: none';
          try {
            await core.patchNamespacedSecret(
              { namespace, name: t.secretName, body: { stringData: { host: 'tampered.example.org', EXTRA: 'x' } } },
              k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
            );
            count('secretsTampered');
          } catch {
            return `tamper ${t.secretName}: not there yet`;
          }
          return `tamper ${t.secretName}`;
        }
        case 'deleteSecret': {
          const t = pick(rng, live());
          if (!t) return 'deleteSecret: none';
          try {
            await core.deleteNamespacedSecret({ namespace, name: t.secretName });
            count('secretsDeleted');
          } catch {
            return `deleteSecret ${t.secretName}: not there yet`;
          }
          return `deleteSecret ${t.secretName}`;
        }
        case 'delete': {
          const t = pick(rng, live());
          if (!t) return 'delete: none';
          await deleteResource(t);
          return `delete ${t.kind} ${t.name} (${t.policy})`;
        }
        case 'faults': {
          const f = randomFaults(rng);
          simulator.setFaults([...f.rules, ...standing]);
          count('faultSets');
          return `faults: ${f.label}`;
        }
        case 'clearFaults':
          simulator.setFaults(standing);
          return 'faults cleared';
        case 'deleteBehindBack': {
          const t = pick(rng, live());
          const a = t && addonOf(t);
          if (!a) return 'deleteBehindBack: none';
          simulator.deleteAddonBehindBack(a.id);
          count('deletedBehindBack');
          // Issue 13 (guarantee 4): a bound add-on that disappears is reported, not replaced on its own. The user
          // of this run wants it back, and says so with the one-time recreate-missing annotation.
          await mergePatch(t.kind, t.name, { metadata: { annotations: { [ANNOTATIONS.recreateMissing]: 'true' } } });
          return `deleteBehindBack ${a.id} of ${t.name} (recreate-missing asked)`;
        }
        case 'rotate': {
          const t = pick(rng, live());
          const a = t && addonOf(t);
          if (!a) return 'rotate: none';
          simulator.rotateCredentials(a.id);
          collectSecretValues(simulator.addons(), secretValues);
          count('rotated');
          return `rotate ${a.id} of ${t.name}`;
        }
        case 'killRandom': {
          const slot = Math.floor(rng.next() * replicaCount);
          await stopReplica(slot, 'kill');
          restartLater(slot, Math.floor(rng.next() * 3_000));
          count('sigkills');
          return `SIGKILL replica-${slot}`;
        }
        case 'killLeader': {
          const slot = await leaderSlot().catch((err: unknown) => log(`chaos: lease read failed: ${String(err)}`));
          if (slot === undefined) return 'killLeader: no leader known';
          await stopReplica(slot, 'kill');
          restartLater(slot, Math.floor(rng.next() * 3_000));
          count('sigkills');
          count('leaderKills');
          return `SIGKILL leader replica-${slot}`;
        }
        case 'gracefulHandover': {
          const slot = await leaderSlot().catch((err: unknown) => log(`chaos: lease read failed: ${String(err)}`));
          if (slot === undefined) return 'handover: no leader known';
          await stopReplica(slot, 'terminate');
          restartLater(slot, 500);
          count('gracefulHandovers');
          return `SIGTERM leader replica-${slot}`;
        }
        case 'killInCreateWindow': {
          // The create call is slowed down; once it is on the wire, kube traffic freezes, so whichever replica sent
          // it is stuck before its status write when it dies.
          if (tracked.length >= options.resources) return 'killInCreateWindow: budget spent';
          const route = 'POST /v2/organisations/{ownerId}/addons';
          simulator.setFaults([{ route, kind: 'latency', ms: 800, count: 1 }, ...standing]);
          const since = Date.now();
          await createOne();
          if (!(await waitForRequest(route, since, 20_000))) return 'killInCreateWindow: no create seen';
          proxy!.freeze();
          await sleep(1_000);
          await killAll();
          proxy!.thaw();
          for (let i = 0; i < replicaCount; i++) restartLater(i, 200);
          count('sigkills');
          count('createWindowKills');
          return 'SIGKILL all replicas between create call and status write';
        }
        case 'killInDeleteWindow': {
          const t = pick(
            rng,
            live().filter((x) => x.policy === 'Delete' && addonOf(x)),
          );
          if (!t) return 'killInDeleteWindow: none';
          const route = 'DELETE /v2/organisations/{ownerId}/addons/{addonId}';
          simulator.setFaults([{ route, kind: 'latency', ms: 800, count: 1 }, ...standing]);
          const since = Date.now();
          await deleteResource(t);
          if (!(await waitForRequest(route, since, 20_000))) return 'killInDeleteWindow: no delete seen';
          await sleep(200);
          await killAll();
          for (let i = 0; i < replicaCount; i++) restartLater(i, 200);
          count('sigkills');
          count('deleteWindowKills');
          return `SIGKILL all replicas while deleting ${t.name}`;
        }
        case 'cutWatches': {
          const n = proxy!.cutAll();
          count('connectionCuts');
          return `cut ${n} operator connections to the API server`;
        }
        case 'restartApiServer': {
          if (!options.plane) return 'restartApiServer: shared plane, skipped';
          await options.plane.restartApiServer();
          count('apiserverRestarts');
          return 'kube-apiserver restarted';
        }
      }
    };

    // First wave: most of the resources at once.
    const firstWave = Math.ceil(options.resources * 0.6);
    for (let i = 0; i < firstWave; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, firstWave - i) }, () => createOne()));
    }
    log(`[chaos ${options.seed}] ${tracked.length} resources created in ${namespace}`);

    const faultEnd = Date.now() + options.faultPhaseMs;
    while (Date.now() < faultEnd) {
      await sleep(200 + Math.floor(rng.next() * 1_300));
      const action = weighted(rng, ACTION_WEIGHTS);
      try {
        const what = await act(action);
        log(`[chaos ${options.seed}] +${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
      } catch (err) {
        log(`[chaos ${options.seed}] ${action} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      collectSecretValues(simulator.addons(), secretValues);
    }
    // Whatever the budget left, create it now so every run ends with the same count.
    while (tracked.length < options.resources) await createOne();

    // --- calm: faults off, every replica up, then wait for convergence ------------------------------------------
    simulator.setFaults([]);
    proxy.thaw();
    await Promise.all([...pendingRestarts]);
    for (let i = 0; i < replicaCount; i++) {
      // A replica may also have exited on its own (lost leadership): bring it back like a Deployment would.
      const p = replicas[i];
      if (p && (p.child.exitCode !== null || p.child.signalCode !== null)) {
        deadOutputs.push(p.output());
        replicas[i] = undefined;
      }
      if (!replicas[i]) startReplica(i);
    }
    log(`[chaos ${options.seed}] faults stopped after ${((Date.now() - started) / 1000).toFixed(0)} s; settling`);

    const snapshot = async () => {
      collectSecretValues(simulator.addons(), secretValues);
      const liveMap = new Map<string, LiveResource>();
      const statuses: unknown[] = [];
      for (const kind of new Set(KIND_PLANS.map((k) => k.kind))) {
        const list = (await custom.listNamespacedCustomObject({
          group: GROUP,
          version: version(kind),
          namespace,
          plural: plural(kind),
        })) as { items: (k8s.KubernetesObject & { status?: AddonStatus })[] };
        for (const r of list.items) {
          statuses.push(r.status);
          const m = r.metadata!;
          liveMap.set(m.uid!, {
            kind,
            name: m.name!,
            uid: m.uid!,
            ...(m.generation !== undefined ? { generation: m.generation } : {}),
            ...(m.deletionTimestamp ? { deletionTimestamp: String(m.deletionTimestamp) } : {}),
            ...(m.finalizers ? { finalizers: m.finalizers } : {}),
            ...(m.annotations ? { annotations: m.annotations } : {}),
            ...(r.status ? { status: r.status } : {}),
          });
        }
      }
      const secrets = new Map<string, { owner?: string; data: Record<string, string> }>();
      for (const s of (await core.listNamespacedSecret({ namespace })).items) {
        const owner = s.metadata?.ownerReferences?.find((o) => o.controller)?.uid;
        secrets.set(s.metadata!.name!, {
          ...(owner ? { owner } : {}),
          data: Object.fromEntries(
            Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
          ),
        });
      }
      const events = (await core.listNamespacedEvent({ namespace })).items;
      return {
        tracked,
        live: liveMap,
        secrets,
        addons: simulator.addons(),
        published: {
          logs: [...deadOutputs, ...replicas.map((p) => p?.output() ?? '')].join('\n'),
          events: events.map((e) => `${e.reason} ${e.message}`).join('\n'),
          statuses: JSON.stringify(statuses),
        },
        secretValues,
      };
    };

    // Every rotation or deletion behind our back needs a drift check to be seen: allow two intervals at least.
    const settleEnd = Date.now() + Math.max(options.settleTimeoutMs, 2.5 * driftSeconds * 1_000);
    let results: InvariantResult[] = [];
    for (;;) {
      try {
        results = checkInvariants(await snapshot());
      } catch (err) {
        log(`chaos ${options.seed}: snapshot failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (results.length > 0 && results.every((r) => r.count === 0)) break;
      if (Date.now() > settleEnd) break;
      await sleep(2_000);
    }
    const durationMs = Date.now() - started;
    if (!results.every((r) => r.count === 0)) {
      // A failing run lasts its whole settle window: that is waiting for the invariants, not a stalled operator.
      const settleS = Math.round(Math.max(options.settleTimeoutMs, 2.5 * driftSeconds * 1_000) / 1000);
      log(`chaos ${options.seed}: invariants still failing at the end of the ${settleS} s settle window`);
      // Where the work stands in each replica: queue depth, work in flight and the longest-running reconcile per kind.
      for (let i = 0; i < replicaCount; i++) {
        const text = await fetch(`http://127.0.0.1:${metricsPorts[i]}/metrics`)
          .then((r) => r.text())
          .catch((err: unknown) => `unreachable: ${String(err)}`);
        const lines = text
          .split('\n')
          .filter((l) =>
            /^(workqueue_(depth|unfinished_work_seconds|longest_running_processor_seconds)|controller_runtime_active_workers|clever_api_in_flight|leader_election_master_status)/.test(
              l,
            ),
          )
          .filter((l) => !l.endsWith(' 0'));
        log(`chaos ${options.seed}: replica-${i} metrics:\n${lines.join('\n') || text.slice(0, 300)}`);
      }
    }
    counts.liveAtEnd = live().length;
    counts.addonsOnCleverAtEnd = simulator.addons().length;
    const table = formatInvariants(
      `chaos seed ${options.seed}: ${tracked.length} resources, ${(durationMs / 1000).toFixed(0)} s, ${JSON.stringify(counts)}`,
      results,
    );
    log(table);
    return {
      seed: options.seed,
      durationMs,
      counts,
      invariants: results,
      table,
      ok: results.length > 0 && results.every((r) => r.count === 0),
    };
  } finally {
    clearInterval(duplicateSampler);
    await Promise.all([...pendingRestarts]).catch(() => undefined);
    for (let i = 0; i < replicas.length; i++) await replicas[i]?.kill();
    if (process.env.CHAOS_DUMP_LOGS) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        `/tmp/chaos-${options.seed}-operator.log`,
        [...deadOutputs, ...replicas.map((p) => p?.output() ?? '')].join('\n'),
      );
    }
    proxy?.cutAll();
    await proxy?.stop();
    await sim?.stop();
  }
}
