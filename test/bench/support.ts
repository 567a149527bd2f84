// Helpers of `npm run bench` (test/bench/run.ts): process figures from /proc, write counts from the API server's
// metrics, a watch that remembers when each object first met a condition, and table printing.
import * as k8s from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Peak and current RSS (MiB) and CPU seconds of a process, from /proc. */
export function procStats(pid: number): { peakRssMiB: number; rssMiB: number; cpuSeconds: number } {
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

/**
 * CPU seconds of a process by thread, from /proc/<pid>/task: the JavaScript thread (`main`) and the rest (`helpers`:
 * V8's garbage-collection and compiler threads, libuv's pool; Node names them all alike).
 */
export function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = tid === String(pid) ? 'main' : 'helpers';
    out[kind] = (out[kind] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, round(v, 2)]));
}

/**
 * Write requests the API server has served, by resource (from apiserver_request_total on /metrics). Events are
 * writes like any other and are counted (resource `events`).
 */
export function kubeWrites(kc: k8s.KubeConfig): Promise<Map<string, number>> {
  return kubeRequests(
    kc,
    ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'],
    (l) => `${l.resource}${l.subresource ? `/${l.subresource}` : ''}`,
  );
}

/** Reads (GET, LIST) the API server has served, by resource and answer code (a 404 is a read that found nothing). */
export function kubeReads(kc: k8s.KubeConfig): Promise<Map<string, number>> {
  return kubeRequests(
    kc,
    ['GET', 'LIST'],
    (l) => `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''} ${l.code}`,
  );
}

async function kubeRequests(
  kc: k8s.KubeConfig,
  verbs: string[],
  key: (labels: Record<string, string>) => string,
): Promise<Map<string, number>> {
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
    if (!verbs.includes(labels.verb ?? '')) continue;
    // Leases are the API server's own heartbeats here (the operator runs without leader election).
    if (labels.resource === 'leases') continue;
    const k = key(labels);
    out.set(k, (out.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export function diff(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

export const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Counts by key divided by `per` (figures per add-on), rounded. */
export function scaled(counts: Record<string, number>, per: number, digits = 2): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, round(v / per, digits)]),
  );
}

export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

export async function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface Collection<T> {
  objects: Map<string, T>;
  /** When each object (by name) first met the condition. */
  doneAt: Map<string, number>;
  goneAt: Map<string, number>;
  stop: () => void;
}

/** Keeps the latest version of every object of a namespaced collection, and when each first met a condition. */
export function watchCollection<T extends k8s.KubernetesObject>(
  kc: k8s.KubeConfig,
  path: string,
  isDone: (obj: T) => boolean,
): Collection<T> {
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

export async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Sum and count of a Prometheus histogram's series by one label, from a /metrics text. */
export function histogramByLabel(
  text: string,
  name: string,
  label: string,
): Map<string, { sum: number; count: number }> {
  const out = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}_(sum|count)\\{(.*)\\} (\\S+)$`).exec(line);
    if (!m) continue;
    const value = new RegExp(`${label}="([^"]*)"`).exec(m[2]!)?.[1];
    if (value === undefined) continue;
    const entry = out.get(value) ?? { sum: 0, count: 0 };
    entry[m[1] as 'sum' | 'count'] += Number(m[3]);
    out.set(value, entry);
  }
  return out;
}

export function table(rows: [string, ...string[]][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/** The keys of a PostgreSql connection Secret as the operator writes it: the idle sets' Secrets carry them. */
export const BOUND_SECRET_KEYS = [
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
];

/**
 * Creates paused PostgreSql resources `names` in `namespace`, each with a labelled connection Secret it owns (the
 * keys of BOUND_SECRET_KEYS): what the operator caches for bound resources, without an add-on per resource.
 */
export async function createIdleSet(kc: k8s.KubeConfig, namespace: string, names: string[], width = 16): Promise<void> {
  const group = 'api.clever-cloud.com';
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const data = Object.fromEntries(
    BOUND_SECRET_KEYS.map((k) => [
      k,
      Buffer.from(`${k.toLowerCase()}-value-0123456789abcdef0123456789`).toString('base64'),
    ]),
  );
  await pool(names, width, async (name) => {
    const res = (await custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      body: {
        apiVersion: `${group}/v1`,
        kind: 'PostgreSql',
        metadata: { name, annotations: { 'clever-cloud.com/paused': 'true' } },
        spec: { instance: { plan: 'xxs_sml' } },
      },
    })) as k8s.KubernetesObject;
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: `${name}-secrets`,
          labels: { 'app.kubernetes.io/managed-by': 'clever-addon-operator' },
          ownerReferences: [
            { apiVersion: `${group}/v1`, kind: 'PostgreSql', name, uid: res.metadata!.uid!, controller: true },
          ],
        },
        data,
      },
    });
  });
}
