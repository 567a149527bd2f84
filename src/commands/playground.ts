// `clever-addon-operator playground`: the one-command demo. Starts a local control plane (etcd + kube-apiserver,
// built from Go modules on first use) and the Clever Cloud API simulator, installs the CRDs, runs the operator
// in-process against both, applies the examples and shows them becoming Ready; then waits for Ctrl-C and stops
// everything. With --use-current-cluster it uses the kubeconfig's cluster instead of a local plane, and deletes
// what it applied before stopping (the add-ons live in the simulator, which goes away with us).
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { providers } from '../../providers/index.ts';
import { defaultBinDir, startLocalPlane, type LocalPlane } from '../controlplane/local-plane.ts';
import { applyObject } from '../kube/apply.ts';
import { KubeClient } from '../kube/client.ts';
import { describeError } from '../kube/errors.ts';
import { deleteObject, getObject, refOf } from '../kube/objects.ts';
import type { KubeObject } from '../kube/types.ts';
import { createLogger } from '../log.ts';
import { API_GROUP } from '../model/provider.ts';
import { boundPort, serveMetrics } from '../operator/http.ts';
import { Manager } from '../operator/manager.ts';
import {
  DEV_API_TOKEN,
  DEV_OAUTH_SECRET,
  DEV_OAUTH_TOKEN,
  DEV_ORG_ID,
  startSimulator,
  type Simulator,
} from '../simulator/index.ts';

const HELP = `Usage: clever-addon-operator playground [options]

Starts a local Kubernetes control plane and the Clever Cloud API simulator, installs the CRDs, runs the operator,
applies examples/{postgresql,redis,cellar}.yaml (and examples/paperclip/ when its CRD is available), and shows
them becoming Ready. Runs until Ctrl-C, then stops everything. Nothing touches a real Clever Cloud account.

Options:
  --exit-when-ready            exit 0 once every example is Ready (non-zero on timeout); alias --non-interactive
  --timeout SECONDS            how long to wait for Ready (default 180)
  --namespace NS               namespace for the examples (default clever-playground)
  --provisioning-delay MS      simulated add-on provisioning time (default 3000)
  --use-current-cluster        use the cluster of $KUBECONFIG (or ~/.kube/config) instead of a local plane; the
                               operator then watches only --namespace, and what was applied is deleted on exit
  --kubeconfig PATH            the same, with this kubeconfig
  --context NAME               kubeconfig context (with --kubeconfig / --use-current-cluster)
  -h, --help`;

const FIELD_MANAGER = 'clever-addon-operator-playground';
const EXAMPLES = ['postgresql.yaml', 'redis.yaml', 'cellar.yaml'];

/** The repository (or installed package) root: where crds/, examples/ and tools/ live. */
function findRoot(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'crds')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the crds/ folder next to package.json');
}

function yamlObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && typeof o === 'object' && !!o.kind);
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Builds the local plane's binaries if missing (the first run on a machine compiles them: several minutes). */
async function ensureControlPlaneBinaries(root: string, say: (line: string) => void): Promise<string> {
  const binDir = defaultBinDir();
  if (['etcd', 'kube-apiserver', 'kubectl'].every((b) => existsSync(join(binDir, b)))) return binDir;
  say('building the local control plane (etcd, kube-apiserver, kubectl) from Go modules; only the first time...');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('bash', [join(root, 'tools', 'build-control-plane.sh'), 'etcd', 'kube-apiserver', 'kubectl'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', resolve);
    child.once('error', () => resolve(null));
  });
  if (code !== 0) throw new Error('building the control plane failed (see above)');
  return binDir;
}

/** The local S3 server the tests use (s3rver, a dev dependency), for Cellar buckets; absent from an installed build. */
interface LocalS3 {
  endpoint: string;
  acceptKeys(keys: { keyId: string; keySecret: string }): Promise<void>;
  stop(): Promise<void>;
}

async function startLocalS3(root: string): Promise<LocalS3 | undefined> {
  const module = join(root, 'test', 'support', 's3.ts');
  if (!existsSync(module)) return undefined;
  const mod = (await import(pathToFileURL(module).href)) as { startLocalS3(): Promise<LocalS3> };
  return mod.startLocalS3();
}

interface Tracked {
  obj: KubeObject;
  /** Ours (api.clever-cloud.com): tracked until Ready. Others (a Paperclip Instance) are only applied. */
  ours: boolean;
  ready: string;
  phase: string;
  reason: string;
  since: number;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

async function refresh(kube: KubeClient, t: Tracked): Promise<void> {
  if (!t.ours) return;
  const live = await getObject<KubeObject & { status?: { phase?: string; conditions?: Condition[] } }>(
    kube,
    refOf(t.obj),
  );
  const conditions = live?.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const synced = conditions.find((c) => c.type === 'Synced');
  t.phase = live?.status?.phase ?? (live ? 'Pending' : 'Missing');
  t.ready = ready?.status ?? 'Unknown';
  const notGood = [ready, synced].find((c) => c && c.status !== 'True');
  t.reason = t.ready === 'True' ? '' : (notGood?.reason ?? '');
}

function table(rows: Tracked[], now: number): string[] {
  const cells = [
    ['KIND', 'NAMESPACE/NAME', 'READY', 'PHASE', 'REASON', 'AGE'],
    ...rows.map((t) => [
      t.obj.kind!,
      `${t.obj.metadata?.namespace}/${t.obj.metadata?.name}`,
      t.ours ? t.ready : '-',
      t.ours ? t.phase : 'applied',
      t.reason,
      `${Math.round((now - t.since) / 1000)}s`,
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'exit-when-ready': { type: 'boolean' },
      'non-interactive': { type: 'boolean' },
      timeout: { type: 'string', default: '180' },
      namespace: { type: 'string', default: 'clever-playground' },
      'provisioning-delay': { type: 'string', default: '3000' },
      'use-current-cluster': { type: 'boolean' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const exitWhenReady = values['exit-when-ready'] === true || values['non-interactive'] === true;
  const timeoutMs = Number(values.timeout) * 1000;
  const provisioningDelayMs = Number(values['provisioning-delay']);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error('--timeout must be a positive number of seconds');
  if (!Number.isInteger(provisioningDelayMs) || provisioningDelayMs < 0)
    throw new Error('--provisioning-delay must be a non-negative integer (milliseconds)');
  const namespace = values.namespace;
  const useCluster = values['use-current-cluster'] === true || values.kubeconfig !== undefined;
  const tty = process.stdout.isTTY && !exitWhenReady;
  const started = Date.now();
  const say = (line: string) => console.log(`[playground] ${line}`);
  const root = findRoot();

  const stateDir = await mkdtemp(join(tmpdir(), 'clever-playground-'));
  let plane: LocalPlane | undefined;
  let sim: Simulator | undefined;
  let s3: LocalS3 | undefined;
  let manager: Manager | undefined;
  let metrics: Server | undefined;
  const applied: Tracked[] = [];
  let kube: KubeClient | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // On a cluster that outlives us, remove what we applied while the operator still runs: their finalizers
      // need it (and the simulator) to go away.
      if (useCluster && kube && manager) {
        say('deleting the playground resources from the cluster...');
        for (const t of applied) await deleteObject(kube, refOf(t.obj)).catch(() => undefined);
        const deadline = Date.now() + 30_000;
        for (const t of applied) {
          while (Date.now() < deadline && (await getObject(kube, refOf(t.obj)).catch(() => undefined)))
            await sleep(250);
        }
      }
      await manager?.stop(5_000);
      metrics?.close();
      await sim?.stop();
      await s3?.stop();
      await plane?.stop({ keepLogs: false });
      await rm(stateDir, { recursive: true, force: true });
    })());

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      console.error(`[playground] ${signal} again: exiting now`);
      process.exit(130);
    }
    interrupted = true;
    say(`${signal}: stopping the operator, the simulator and the control plane...`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal); // the terminal closed
  const waitUntil = async (deadline: number) => {
    while (!interrupted && Date.now() < deadline) await sleep(200);
  };

  try {
    let kc: k8s.KubeConfig;
    let kubeconfigPath: string;
    let kubectl = 'kubectl';
    if (useCluster) {
      kc = new k8s.KubeConfig();
      if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
      else kc.loadFromDefault();
      if (values.context) kc.setCurrentContext(values.context);
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('the kubeconfig has no current cluster');
      kubeconfigPath = values.kubeconfig ?? process.env.KUBECONFIG ?? join(process.env.HOME ?? '~', '.kube', 'config');
      say(`using the existing cluster ${cluster.server} (context ${kc.getCurrentContext()})`);
    } else {
      const binDir = await ensureControlPlaneBinaries(root, say);
      say('starting a local control plane (etcd + kube-apiserver)...');
      plane = await startLocalPlane({ binDir });
      kc = new k8s.KubeConfig();
      kc.loadFromFile(plane.kubeconfigPath);
      kubeconfigPath = plane.kubeconfigPath;
      kubectl = join(binDir, 'kubectl');
      say(`control plane ready at ${plane.server} (work dir ${plane.workDir})`);
    }
    kube = KubeClient.for(kc);
    try {
      await kube.request('GET', '/version', { timeoutMs: 10_000 });
    } catch (err) {
      throw new Error(`the cluster is not reachable: ${describeError(err)}`, { cause: err });
    }

    // Cellar add-ons point at a real local S3 server, so their spec.buckets are created for real.
    s3 = await startLocalS3(root).catch((err: unknown) => {
      say(`no local S3 server (${err instanceof Error ? err.message : String(err)}): Cellar buckets will fail`);
      return undefined;
    });
    if (s3) say(`local S3 server (s3rver) at ${s3.endpoint} for Cellar buckets`);
    sim = await startSimulator({
      port: 0,
      bridgePort: 0,
      provisioningDelayMs,
      ...(s3 ? { cellarHost: s3.endpoint, onCellarKeys: (keys) => void s3!.acceptKeys(keys) } : {}),
      stateFile: join(stateDir, 'simulator-state.json'),
      requestLogLimit: 1000,
    });
    say(`Clever Cloud API simulator at ${sim.url} (api-bridge ${sim.bridgeUrl})`);

    // CRDs: ours, and Paperclip's when its example is there (it is not ours to run, only to apply).
    const paperclipExamples = yamlFiles(join(root, 'examples', 'paperclip'));
    const paperclipCrds = paperclipExamples.length > 0 ? yamlFiles(join(root, 'test', 'fixtures', 'paperclip')) : [];
    const crds = yamlFiles(join(root, 'crds')).flatMap(yamlObjects);
    for (const crd of paperclipCrds.flatMap(yamlObjects)) {
      // An existing cluster may run the real Paperclip operator: never replace its CRD with our test fixture.
      if (useCluster && (await getObject(kube, refOf(crd)))) continue;
      crds.push(crd);
    }
    say(`installing ${crds.length} CustomResourceDefinitions...`);
    for (const crd of crds) await applyObject(kube, crd, FIELD_MANAGER, { force: true });
    for (const crd of crds) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const live = await getObject<KubeObject & { status?: { conditions?: Condition[] } }>(kube, refOf(crd));
        if (live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata?.name} not Established after 60 s`);
        await sleep(100);
      }
    }

    const logFile = join(stateDir, 'operator.log');
    const registry = new Registry();
    manager = new Manager({
      kubeConfig: kc,
      providers,
      global: {
        credentials: { kind: 'oauth1', token: DEV_OAUTH_TOKEN, secret: DEV_OAUTH_SECRET },
        organisation: DEV_ORG_ID,
        source: 'playground (simulator dev account)',
      },
      clientOptions: { apiUrl: sim.url, bridgeUrl: sim.bridgeUrl },
      // On an existing cluster only the playground's namespace: resources elsewhere may belong to a real operator
      // and a real account, and must never be reconciled against the simulator.
      namespaces: useCluster ? [namespace] : [],
      concurrency: 4,
      driftIntervalMs: 60_000,
      createGraceMs: 10_000,
      // The Paperclip example lists its Instance in spec.secret.rolloutRestart; the playground shows it working.
      workloadRollouts: true,
      // The playground runs with the admin kubeconfig: backups (batch CronJobs and Jobs) work there too.
      backups: true,
      registry,
      logger: createLogger({ level: 'debug', format: 'json', destination: createWriteStream(logFile) }),
      instance: 'playground',
    });
    await manager.start();
    metrics = await serveMetrics(registry, '127.0.0.1:0');
    say(`operator running in-process; logs in ${logFile}; metrics at http://127.0.0.1:${boundPort(metrics)}/metrics`);

    await applyObject(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, FIELD_MANAGER);
    const files = [...EXAMPLES.map((f) => join(root, 'examples', f)), ...paperclipExamples];
    for (const file of files) {
      for (const obj of yamlObjects(file)) {
        const group = obj.apiVersion?.includes('/') ? obj.apiVersion.slice(0, obj.apiVersion.indexOf('/')) : '';
        let namespaced = true;
        try {
          namespaced = (await kube.resolveKind(obj.apiVersion ?? '', obj.kind ?? '')).namespaced;
        } catch {
          say(`skipping ${obj.kind} ${obj.metadata?.name} from ${relative(root, file)}: its kind is not installed`);
          continue;
        }
        const body: KubeObject = {
          ...obj,
          metadata: {
            ...obj.metadata,
            ...(namespaced ? { namespace: useCluster ? namespace : (obj.metadata?.namespace ?? namespace) } : {}),
          },
        };
        await applyObject(kube, body, FIELD_MANAGER, { force: true });
        if (namespaced && body.kind !== 'Secret' && body.kind !== 'ConfigMap') {
          applied.push({
            obj: body,
            ours: group === API_GROUP,
            ready: 'Unknown',
            phase: '',
            reason: '',
            since: Date.now(),
          });
        }
        say(`applied ${body.kind} ${body.metadata?.namespace ?? ''}/${body.metadata?.name} (${relative(root, file)})`);
      }
    }

    // Progress until every add-on is Ready: a table redrawn in place on a terminal, one line per change otherwise.
    const ours = applied.filter((t) => t.ours);
    const deadline = Date.now() + timeoutMs;
    let drawn = 0;
    const seen = new Map<Tracked, string>();
    for (;;) {
      await Promise.all(ours.map((t) => refresh(kube!, t).catch(() => undefined)));
      if (tty) {
        const lines = table(applied, Date.now());
        process.stdout.write((drawn > 0 ? `\x1b[${drawn}A` : '') + lines.map((l) => `\x1b[2K${l}\n`).join(''));
        drawn = lines.length;
      } else {
        for (const t of ours) {
          const state = `${t.ready}/${t.phase}/${t.reason}`;
          if (seen.get(t) === state) continue;
          seen.set(t, state);
          say(
            `${t.obj.kind} ${t.obj.metadata?.namespace}/${t.obj.metadata?.name}: Ready=${t.ready} phase=${t.phase}${t.reason ? ` reason=${t.reason}` : ''}`,
          );
        }
      }
      if (ours.every((t) => t.ready === 'True') || interrupted) break;
      if (Date.now() > deadline) {
        const late = ours.filter((t) => t.ready !== 'True');
        console.error(
          `[playground] timed out after ${values.timeout} s: not Ready: ${late
            .map((t) => `${t.obj.kind} ${t.obj.metadata?.name} (phase ${t.phase}${t.reason ? `, ${t.reason}` : ''})`)
            .join(', ')}; operator logs: ${logFile}`,
        );
        process.exitCode = 1;
        return 1;
      }
      await sleep(500);
    }
    if (interrupted) return 0;
    say(`all ${ours.length} add-ons Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const secrets: Record<string, string[]> = {};
    for (const t of ours) {
      const live = await getObject<KubeObject & { status?: { binding?: { name?: string } } }>(kube, refOf(t.obj));
      const name = live?.status?.binding?.name;
      if (!name) continue;
      const secret = await getObject<KubeObject & { data?: Record<string, string> }>(kube, {
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: t.obj.metadata!.namespace!,
        name,
      });
      secrets[`${t.obj.metadata?.namespace}/${name}`] = Object.keys(secret?.data ?? {}).sort();
    }
    const pg = ours.find((t) => t.obj.kind === 'PostgreSql');
    const pgSecret = Object.keys(secrets).find((k) => pg && k.startsWith(`${namespace}/${pg.obj.metadata?.name}`));
    console.log(
      [
        '',
        'Try it (in another terminal):',
        '',
        `  export KUBECONFIG=${kubeconfigPath}`,
        `  ${kubectl} get clever -A`,
        ...(pgSecret
          ? [
              `  ${kubectl} -n ${namespace} get secret ${pgSecret.split('/')[1]} -o jsonpath='{.data.DATABASE_URL}' | base64 -d`,
            ]
          : []),
        `  ${kubectl} -n ${namespace} apply -f examples/mysql.yaml      # any other example works too`,
        '',
        `Clever Cloud API simulator: ${sim.url} (api-bridge ${sim.bridgeUrl}); fake dev credentials:`,
        `  token ${DEV_OAUTH_TOKEN}, secret ${DEV_OAUTH_SECRET}, API token ${DEV_API_TOKEN}, organisation ${DEV_ORG_ID}`,
        `  e.g. API_HOST=${sim.url} CLEVER_TOKEN=${DEV_OAUTH_TOKEN} CLEVER_SECRET=${DEV_OAUTH_SECRET} clever ...`,
        `  curl ${sim.url}/__simulator/addons   # the simulator's view (admin endpoint, no auth)`,
        '',
      ].join('\n'),
    );
    if (exitWhenReady) {
      // A machine-readable summary read from the API server, for tests and scripts.
      console.log(
        `PLAYGROUND_RESULT ${JSON.stringify({
          ready: ours.map((t) => ({
            kind: t.obj.kind,
            namespace: t.obj.metadata?.namespace,
            name: t.obj.metadata?.name,
            ready: t.ready,
          })),
          applied: applied.filter((t) => !t.ours).map((t) => ({ kind: t.obj.kind, name: t.obj.metadata?.name })),
          secrets,
          seconds: (Date.now() - started) / 1000,
        })}`,
      );
      return 0;
    }
    say('running; press Ctrl-C to stop everything');
    await waitUntil(Number.POSITIVE_INFINITY);
    return 0;
  } finally {
    await stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    say('stopped');
  }
}
