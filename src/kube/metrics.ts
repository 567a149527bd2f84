// Metrics with controller-runtime's names and labels, so the dashboards and alerts written for Go operators work
// unchanged. prom-client refuses to register a name twice in one registry, so each metric family is created once
// per registry and shared by every queue/controller/elector that reports into it (distinguished by label).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What a work queue exposes for the collect-time gauges (in-flight work is measured when scraped). */
export interface InFlightSource {
  readonly name: string;
  /** Start times (ms since epoch) of the items being processed now. */
  inFlightStartTimes(): number[];
  now(): number;
}

export interface WorkqueueMetrics {
  depth: Gauge<'name'>;
  adds: Counter<'name'>;
  retries: Counter<'name'>;
  queueDuration: Histogram<'name'>;
  workDuration: Histogram<'name'>;
  sources: Set<InFlightSource>;
}

export interface ControllerMetrics {
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  activeWorkers: Gauge<'controller'>;
  maxConcurrentReconciles: Gauge<'controller'>;
}

// controller-runtime: prometheus.ExponentialBuckets(10e-9, 10, 12).
const QUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

const queueMetrics = new WeakMap<Registry, WorkqueueMetrics>();
const controllerMetricsCache = new WeakMap<Registry, ControllerMetrics>();
const leaderGauges = new WeakMap<Registry, Gauge<'name'>>();

function registers(registry: Registry | undefined): Registry[] {
  return registry ? [registry] : [];
}

/** The workqueue_* families of a registry (unregistered ones, private to the caller, when no registry is given). */
export function workqueueMetrics(registry?: Registry): WorkqueueMetrics {
  const cached = registry && queueMetrics.get(registry);
  if (cached) return cached;
  const sources = new Set<InFlightSource>();
  const r = registers(registry);
  const m: WorkqueueMetrics = {
    depth: new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers: r,
    }),
    adds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers: r,
    }),
    retries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers: r,
    }),
    queueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS,
      registers: r,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS,
      registers: r,
    }),
    sources,
  };
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: 'How many seconds of work has been done that is in progress and has not been observed by work_duration.',
    labelNames: ['name'],
    registers: r,
    collect() {
      for (const s of sources) {
        const now = s.now();
        this.set(
          { name: s.name },
          s.inFlightStartTimes().reduce((sum, t) => sum + (now - t) / 1000, 0),
        );
      }
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name'],
    registers: r,
    collect() {
      for (const s of sources) {
        const now = s.now();
        this.set(
          { name: s.name },
          s.inFlightStartTimes().reduce((max, t) => Math.max(max, (now - t) / 1000), 0),
        );
      }
    },
  });
  if (registry) queueMetrics.set(registry, m);
  return m;
}

export function controllerMetrics(registry?: Registry): ControllerMetrics {
  const cached = registry && controllerMetricsCache.get(registry);
  if (cached) return cached;
  const r = registers(registry);
  const m: ControllerMetrics = {
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers: r,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers: r,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers: r,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers: r,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers: r,
    }),
  };
  if (registry) controllerMetricsCache.set(registry, m);
  return m;
}

export function leaderElectionGauge(registry?: Registry): Gauge<'name'> {
  const cached = registry && leaderGauges.get(registry);
  if (cached) return cached;
  const g = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
    labelNames: ['name'],
    registers: registers(registry),
  });
  if (registry) leaderGauges.set(registry, g);
  return g;
}

/** What an informer reports (see Informer.stats). */
export interface InformerStatsSource {
  readonly resource: string;
  stats(): { relists: number; restarts: number; watchdogRestarts: number; events: number };
}

const informerSources = new WeakMap<Registry, Set<InformerStatsSource>>();

/**
 * Registers informers' counters: `informer_relists_total`, `informer_watch_restarts_total`,
 * `informer_watchdog_restarts_total`, `informer_events_total` (label `resource`). Read at scrape time.
 */
export function registerInformerMetrics(registry: Registry, informer: InformerStatsSource): void {
  let sources = informerSources.get(registry);
  if (!sources) {
    const set = new Set<InformerStatsSource>();
    sources = set;
    informerSources.set(registry, set);
    const family = (name: string, help: string, pick: (s: ReturnType<InformerStatsSource['stats']>) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['resource'],
        registers: [registry],
        collect() {
          this.reset();
          for (const s of set) this.inc({ resource: s.resource }, pick(s.stats()));
        },
      });
    family('informer_relists_total', 'Full LISTs done by informers (initial, 410 Gone, resync)', (s) => s.relists);
    family('informer_watch_restarts_total', 'Watches restarted after an error or a cut', (s) => s.restarts);
    family('informer_watchdog_restarts_total', 'Watches restarted because they were silent', (s) => s.watchdogRestarts);
    family('informer_events_total', 'Watch events received by informers', (s) => s.events);
  }
  sources.add(informer);
}
