// `clever-addon-operator run`: the operator. In a cluster it uses the pod's service account; outside, a kubeconfig.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { providers } from '../../providers/index.ts';
import { credentialsFromSettings } from '../config/credentials.ts';
import { loadGlobalConfig, type Settings } from '../config/global.ts';
import { loadConnection, usesInClusterConfig } from '../kube/connection.ts';
import { createLogger } from '../log.ts';
import { serveMetrics, serveProbes } from '../operator/http.ts';
import { Manager } from '../operator/manager.ts';

const HELP = `Usage: clever-addon-operator run [options]

Runs the operator. Configuration precedence (highest first): --config FILE, CLEVER_OPERATOR_* environment
variables, the upstream operator's config search path; see README.

Options:
  --kubeconfig PATH              kubeconfig to use (default: in-cluster, else $KUBECONFIG or ~/.kube/config)
  --context NAME                 kubeconfig context
  --config FILE                  configuration file (.toml, .yaml, .json)
  --namespace NS                 namespace to watch (repeat or comma-separate; default: all)
  --metrics-address ADDR         Prometheus /metrics (default :8080)
  --health-address ADDR          /healthz and /readyz (default :8081)
  --concurrency N                reconciles at once per kind (default 4)
  --drift-interval SECONDS       re-check period of each add-on (default 300)
  --create-grace SECONDS         how long an unconfirmed create is waited for before creating again (default 60)
  --rotation-check-interval SECONDS
                                 how often a bound add-on's environment is read again, to carry credentials rotated
                                 on Clever's side into its Secret (default 3600)
  --version-check-interval SECONDS
                                 how often a Ready add-on's readiness and version are read again (default 10800)
  --clever-rate-limit N          Clever Cloud calls per second per set of credentials (default 10)
  --clever-burst N               calls allowed at once above that rate (default 20)
  --policy-mode open|strict       namespaces no AddonPolicy selects: allowed as before (open, default) or refused
  --backup-image IMAGE           image of backup and restore Jobs without spec.backup.image (default: backup-tools)
  --backups true|false           act on spec.backup and spec.restoreFrom (default: true when a backup image is set;
                                 needs RBAC on batch CronJobs and Jobs, chart rbac.backups)
  --workload-rollouts true|false restart the workloads listed in spec.secret.rolloutRestart (default false; needs
                                 get + patch on Deployments, StatefulSets, DaemonSets)
  --leader-election true|false   Lease-based leader election (default true)
  --leader-election-namespace NS namespace of the Lease (default in a cluster: the pod's namespace; required
                                 outside a cluster, with --kubeconfig or $KUBECONFIG)
  --leader-election-id NAME      name of the Lease (default clever-addon-operator)
  --lease-duration SECONDS       how long a standby waits on an unrenewed Lease before taking it (default 15)
  --renew-deadline SECONDS       how long the leader keeps trying to renew before stepping down (default 10)
  --retry-period SECONDS         interval between Lease renewals and acquisition attempts (default 2)
  --log-level LEVEL              trace, debug, info, warn, error (default info)
  --log-format json|pretty       default: pretty on a terminal, json otherwise
  -h, --help`;

function podNamespace(): string | undefined {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export { usesInClusterConfig };

/**
 * The Lease's namespace. In a cluster: the flag, else the pod's own namespace. Outside a cluster it must be given: a
 * guessed namespace ("default", a stray POD_NAMESPACE) could differ from the in-cluster install's, and a remote run
 * and the pod would then each hold a Lease of their own and both reconcile.
 */
export function leaseNamespace(
  explicit: string | undefined,
  inCluster: boolean,
  ownNamespace: () => string | undefined = podNamespace,
): string {
  if (explicit) return explicit;
  if (!inCluster) {
    throw new Error(
      'leader election outside a cluster needs the Lease namespace: pass --leader-election-namespace NS (or ' +
        'operator.leader-election-namespace) naming the namespace of the in-cluster install, or ' +
        '--leader-election false',
    );
  }
  const own = ownNamespace();
  if (!own) throw new Error("cannot tell the pod's namespace: pass --leader-election-namespace NS");
  return own;
}

const bool = (name: string, value: string | undefined, fallback: boolean): boolean => {
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
};

/**
 * The namespaces to watch: --namespace (repeatable), else the operator.watch-namespaces setting
 * (CLEVER_OPERATOR_OPERATOR_WATCH_NAMESPACES, which the OLM bundle fills from the pod's olm.targetNamespaces
 * annotation); each may be comma-separated. Empty (an unset or empty setting, as OLM's AllNamespaces mode gives):
 * every namespace.
 */
export function watchNamespaces(flag: string[] | undefined, setting: string | undefined): string[] {
  return (flag ?? (setting ? [setting] : []))
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
}

const int = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
};

const positiveInt = (name: string, value: string | undefined, fallback: number): number => {
  const n = int(name, value, fallback);
  if (n < 1) throw new Error(`${name} must be at least 1, got "${value}"`);
  return n;
};

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      config: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      'metrics-address': { type: 'string' },
      'health-address': { type: 'string' },
      concurrency: { type: 'string' },
      'drift-interval': { type: 'string' },
      'rotation-check-interval': { type: 'string' },
      'version-check-interval': { type: 'string' },
      'create-grace': { type: 'string' },
      'backup-image': { type: 'string' },
      'policy-mode': { type: 'string' },
      'workload-rollouts': { type: 'string' },
      backups: { type: 'string' },
      'clever-rate-limit': { type: 'string' },
      'clever-burst': { type: 'string' },
      'leader-election': { type: 'string', default: 'true' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string', default: 'clever-addon-operator' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const format = values['log-format'];
  if (format !== undefined && format !== 'json' && format !== 'pretty')
    throw new Error('--log-format must be json or pretty');
  const logger = createLogger({
    ...(values['log-level'] ? { level: values['log-level'] } : {}),
    ...(format ? { format } : {}),
  });

  const { settings, sources } = loadGlobalConfig(values.config ? { configFile: values.config } : {});
  const global = credentialsFromSettings(settings, sources, 'global configuration');
  const op = (key: keyof Settings) => settings[key];
  const namespaces = watchNamespaces(values.namespace, op('operator.watch-namespaces'));
  // The service account or a simple kubeconfig is read without client-node's index (src/kube/connection.ts).
  const kc = await loadConnection(values.kubeconfig, values.context);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const identity = `${hostname()}-${randomBytes(3).toString('hex')}`;
  const leaderElection = values['leader-election'] !== 'false';
  // Checked before anything listens or watches: a misconfigured remote run fails at once.
  const leaseNs = leaderElection
    ? leaseNamespace(
        values['leader-election-namespace'] ?? op('operator.leader-election-namespace'),
        usesInClusterConfig(values.kubeconfig),
      )
    : undefined;
  const workloadRollouts = bool(
    '--workload-rollouts',
    values['workload-rollouts'] ?? op('operator.workload-rollouts'),
    false,
  );
  const backupImage = values['backup-image'] ?? op('operator.backup-image');
  // The chart passes both (rbac.backups requires operator.backupImage); by hand, a backup image means backups.
  const backups = bool('--backups', values.backups ?? op('operator.backups'), Boolean(backupImage));
  const manager = new Manager({
    kubeConfig: kc,
    providers,
    global,
    // The endpoints apply to every set of credentials (a namespace Secret may still name its own).
    clientOptions: {
      ...(op('api.endpoint') ? { apiUrl: op('api.endpoint')! } : {}),
      ...(op('api.bridge-endpoint') ? { bridgeUrl: op('api.bridge-endpoint')! } : {}),
      rateLimit: {
        ratePerSecond: positiveInt(
          '--clever-rate-limit',
          values['clever-rate-limit'] ?? op('operator.clever-rate-limit'),
          10,
        ),
        burst: positiveInt('--clever-burst', values['clever-burst'] ?? op('operator.clever-burst'), 20),
      },
    },
    namespaces,
    concurrency: int('--concurrency', values.concurrency ?? op('operator.max-concurrent-reconciles'), 4),
    driftIntervalMs:
      int('--drift-interval', values['drift-interval'] ?? op('operator.drift-interval-seconds'), 300) * 1000,
    createGraceMs: int('--create-grace', values['create-grace'], 60) * 1000,
    rotationCheckMs: positiveInt('--rotation-check-interval', values['rotation-check-interval'], 3600) * 1000,
    versionCheckMs: positiveInt('--version-check-interval', values['version-check-interval'], 10800) * 1000,
    policyMode: policyMode(values['policy-mode'] ?? op('operator.policy-mode')),
    ...(backupImage ? { backupImage } : {}),
    backups,
    workloadRollouts,
    ...(leaseNs
      ? {
          leaderElection: {
            namespace: leaseNs,
            name: values['leader-election-id'],
            identity,
            leaseDurationMs: int('--lease-duration', values['lease-duration'], 15) * 1000,
            renewDeadlineMs: int('--renew-deadline', values['renew-deadline'], 10) * 1000,
            retryPeriodMs: int('--retry-period', values['retry-period'], 2) * 1000,
          },
        }
      : {}),
    registry,
    logger,
    instance: identity,
    onLostLeadership: () => {
      // Another replica now reconciles; continuing would race it. Exit and let Kubernetes restart us as standby.
      process.exit(1);
    },
  });

  const metrics = await serveMetrics(registry, values['metrics-address'] ?? op('operator.metrics-address') ?? ':8080');
  const probes = await serveProbes(manager, values['health-address'] ?? op('operator.health-address') ?? ':8081');
  logger.info(
    {
      identity,
      cluster: kc.server,
      namespaces: namespaces.length > 0 ? namespaces : 'all',
      kinds: providers.map((p) => p.kind),
      credentials: global ? global.source : 'none globally (namespace Secrets or spec.credentialsRef only)',
      leaderElection: leaseNs ? { namespace: leaseNs, name: values['leader-election-id'] } : false,
      workloadRollouts,
      backups,
    },
    'starting clever-addon-operator',
  );
  await manager.start();

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing in-flight reconciles');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await manager.stop();
  metrics.close();
  probes.close();
  logger.info('stopped');
  return 0;
}

function policyMode(value: string | undefined): 'open' | 'strict' {
  if (value === undefined || value === 'open' || value === 'strict') return value ?? 'open';
  throw new Error('--policy-mode must be open or strict');
}
