// The operator's HTTP endpoints over real HTTP: /metrics (controller-runtime names plus the broker's own, among them
// clever_addons computed from the caches at scrape time) with an add-on going Ready on the real API server, and
// the probes: /readyz = caches synced, /healthz fails on a stuck reconcile.
import * as k8s from '@kubernetes/client-node';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundPort, serveMetrics, serveProbes, STUCK_RECONCILE_MS } from '../../src/operator/http.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
};

/** The samples of a metric whose labels include `labels`, summed; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = new Map<string, string>();
    for (const x of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) got.set(x[1]!, x[2]!);
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

describe('metrics and probes over HTTP', () => {
  let op: OperatorHarness;
  let namespace: string;
  const servers: Server[] = [];
  let metricsUrl = '';
  let probesUrl = '';

  beforeAll(async () => {
    namespace = await createTestNamespace(adminKubeConfig(), 'metrics');
    op = await startOperator({ namespaces: [namespace], simulator: { provisioningDelayMs: 200 } });
    const metrics = await serveMetrics(op.registry, '127.0.0.1:0');
    const probes = await serveProbes(op.manager, '127.0.0.1:0');
    servers.push(metrics, probes);
    metricsUrl = `http://127.0.0.1:${boundPort(metrics)}/metrics`;
    probesUrl = `http://127.0.0.1:${boundPort(probes)}`;
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    await op?.stop();
  });

  it('/readyz and /healthz answer 200 once the caches are synced; unknown paths 404', async () => {
    await eventually(async () => ((await get(`${probesUrl}/readyz`)).status === 200 ? true : undefined), 20_000);
    expect(await get(`${probesUrl}/healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
    expect((await get(`${probesUrl}/nope`)).status).toBe(404);
    expect((await get(`${metricsUrl.replace('/metrics', '/other')}`)).status).toBe(404);
  });

  it('/metrics: clever_addons by kind and Ready, reconcile, workqueue and Clever API metrics', async () => {
    const custom = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'api.clever-cloud.com',
      version: 'v1',
      namespace,
      plural: 'redis',
      body: { apiVersion: 'api.clever-cloud.com/v1', kind: 'Redis', metadata: { name: 'cache' }, spec: {} },
    });
    const text = await eventually(
      async () => {
        const m = await get(metricsUrl);
        return sample(m.text, 'clever_addons', { kind: 'Redis', namespace, ready: 'True', synced: 'True' }) === 1
          ? m
          : undefined;
      },
      30_000,
      'clever_addons{kind="Redis",ready="True"} 1',
    );
    expect(text.type).toContain('text/plain');
    // The reconcile that wrote Ready=True is counted when it returns, a moment after its status write.
    const body = await eventually(async () => {
      const t = (await get(metricsUrl)).text;
      return sample(t, 'controller_runtime_reconcile_total', { controller: 'redis' }) ? t : undefined;
    });
    expect(sample(body, 'clever_addons', { kind: 'Redis', namespace, ready: 'False' })).toBeUndefined();
    // Results: success, or requeue_after (the drift re-check every Ready add-on schedules); no error.
    expect(sample(body, 'controller_runtime_reconcile_errors_total', { controller: 'redis' }) ?? 0).toBe(0);
    expect(sample(body, 'controller_runtime_max_concurrent_reconciles', { controller: 'redis' })).toBe(4);
    expect(sample(body, 'workqueue_adds_total', { name: 'redis' })).toBeGreaterThan(0);
    expect(sample(body, 'workqueue_depth', { name: 'postgresql' })).toBe(0);
    expect(body).toContain('controller_runtime_reconcile_time_seconds_bucket{');
    expect(body).toContain('workqueue_queue_duration_seconds_bucket{');
    expect(body).toMatch(/^clever_api_requests_total\{.*route="[^"]*\{[^"]*\}[^"]*".*code="2\d\d".*\} \d+/m);
    expect(body).toContain('clever_api_request_duration_seconds_bucket{');
    // Not ready yet is visible too: a new resource counts as Unknown/False until it is.
    await custom.createNamespacedCustomObject({
      group: 'api.clever-cloud.com',
      version: 'v1',
      namespace,
      plural: 'postgresqls',
      body: {
        apiVersion: 'api.clever-cloud.com/v1',
        kind: 'PostgreSql',
        metadata: { name: 'db', annotations: { 'clever-cloud.com/paused': 'true' } },
        spec: {},
      },
    });
    await eventually(
      async () =>
        sample((await get(metricsUrl)).text, 'clever_addons', { kind: 'PostgreSql', namespace, synced: 'False' }) === 1
          ? true
          : undefined,
      20_000,
      'a paused PostgreSql counted as Synced=False',
    );
  });

  it('probes fail when they must: 503 before the caches sync, 500 on a stuck reconcile', async () => {
    let ready = false;
    let oldest = 0;
    const server = await serveProbes({ ready: () => ready, oldestInFlightMs: () => oldest }, '127.0.0.1:0');
    servers.push(server);
    const url = `http://127.0.0.1:${boundPort(server)}`;
    expect((await get(`${url}/readyz`)).status).toBe(503);
    ready = true;
    expect((await get(`${url}/readyz`)).status).toBe(200);
    oldest = STUCK_RECONCILE_MS + 1_000;
    const stuck = await get(`${url}/healthz`);
    expect(stuck.status).toBe(500);
    expect(stuck.text).toContain('a reconcile has been running for');
  });
});
