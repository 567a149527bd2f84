// Concurrency cap, token bucket, and Prometheus metrics labelled by route templates.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CleverClient } from '../../../src/clever/index.ts';
import { PriorityLimiter } from '../../../src/clever/limiter.ts';
import { ADDON_ID, OWNER_ID, addonView, json, startServer, testClient, type TestServer } from './support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('concurrency', () => {
  it('never has more than `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    server = await startServer((_req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        json(res, 200, { id: 'user_1' });
      }, 30);
    });
    const registry = new Registry();
    const { client } = testClient(server.url, { concurrency: 2, metrics: registry });
    const pending = Array.from({ length: 6 }, () => client.getSelf());
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect((await registry.getSingleMetric('clever_api_in_flight')!.get()).values[0]?.value).toBe(2);
    await Promise.all(pending);
    expect(peak).toBe(2);
    expect(server.requests).toHaveLength(6);
    expect((await registry.getSingleMetric('clever_api_in_flight')!.get()).values[0]?.value).toBe(0);
  });

  it('the limiter serves waiters of one priority in order and ignores double release', async () => {
    const limiter = new PriorityLimiter({
      ratePerSecond: 1000,
      burst: 1000,
      concurrency: 1,
      now: () => 0,
      sleep: () => Promise.resolve(),
    });
    const order: number[] = [];
    const first = await limiter.acquire('normal');
    const waiters = [1, 2, 3].map((n) => limiter.acquire('normal').then((release) => (order.push(n), release)));
    first();
    first();
    for (const waiter of waiters) (await waiter)();
    expect(order).toEqual([1, 2, 3]);
  });
});

describe('rate limit', () => {
  it('delays requests beyond the burst through the token bucket', async () => {
    server = await startServer((_req, res) => json(res, 200, { id: 'user_1' }));
    const registry = new Registry();
    const { client, sleeps } = testClient(server.url, {
      rateLimit: { ratePerSecond: 1, burst: 2 },
      now: () => 1_000_000,
      metrics: registry,
    });
    await Promise.all(Array.from({ length: 5 }, () => client.getSelf()));
    expect(sleeps).toEqual([1000, 2000, 3000]);
    expect(await registry.metrics()).toMatch(/^clever_api_rate_limited_total 3$/m);
  });
});

describe('429 pause', () => {
  it("a 429's Retry-After holds the client's next caller too, not only the one that got it", async () => {
    server = await startServer((_req, res, index) =>
      index === 0 ? json(res, 429, {}, { 'retry-after': '7' }) : json(res, 200, { id: 'user_1' }),
    );
    // A clock that does not move: the pause is still on when the second call asks.
    const { client, sleeps } = testClient(server.url, { now: () => 1_000_000 });
    await client.getSelf();
    // The caller that got the 429 waited out its Retry-After once, not once more in the limiter.
    expect(sleeps).toEqual([7000]);
    await client.getSelf();
    expect(sleeps).toEqual([7000, 7000]);
    expect(server.requests).toHaveLength(3);
  });
});

describe('metrics', () => {
  it('labels by route template, never by id', async () => {
    const base = `/v2/organisations/${OWNER_ID}/addons/${ADDON_ID}`;
    let getCalls = 0;
    server = await startServer((req, res) => {
      if (req.url === `${base}/env`) return json(res, 200, [{ name: 'A', value: 'b' }]);
      if (req.url === base && req.method === 'GET') {
        getCalls += 1;
        return getCalls === 1 ? json(res, 503, {}) : json(res, 200, addonView());
      }
      return json(res, 404, {});
    });
    const registry = new Registry();
    const { client } = testClient(server.url, { metrics: registry });
    await client.getAddonEnv(OWNER_ID, ADDON_ID);
    await client.getAddon(OWNER_ID, ADDON_ID);
    await client.deleteAddon(OWNER_ID, ADDON_ID);
    const text = await registry.metrics();
    expect(text).not.toMatch(/addon_|orga_/);
    expect(text).toContain(
      'clever_api_requests_total{route="/v2/organisations/{ownerId}/addons/{addonId}/env",method="GET",code="200",outcome="success"} 1',
    );
    expect(text).toContain(
      'clever_api_requests_total{route="/v2/organisations/{ownerId}/addons/{addonId}",method="GET",code="503",outcome="server_error"} 1',
    );
    expect(text).toContain(
      'clever_api_requests_total{route="/v2/organisations/{ownerId}/addons/{addonId}",method="DELETE",code="404",outcome="not_found"} 1',
    );
    expect(text).toContain(
      'clever_api_retries_total{route="/v2/organisations/{ownerId}/addons/{addonId}",method="GET"} 1',
    );
    expect(text).toContain(
      'clever_api_request_duration_seconds_count{route="/v2/organisations/{ownerId}/addons/{addonId}",method="GET"} 2',
    );
    expect(text).toMatch(/^clever_api_in_flight 0$/m);
  });

  it('records transport errors with code="error"', async () => {
    server = await startServer((_req, res) => res.socket?.destroy());
    const registry = new Registry();
    const { client } = testClient(server.url, { metrics: registry, retry: { maxAttempts: 2 } });
    await expect(client.getSelf()).rejects.toThrow();
    expect(await registry.metrics()).toContain(
      'clever_api_requests_total{route="/v2/self",method="GET",code="error",outcome="network"} 2',
    );
  });

  it('several clients can share one registry', () => {
    const registry = new Registry();
    const make = (): CleverClient =>
      new CleverClient({ credentials: { kind: 'apiToken', apiToken: 't' }, metrics: registry });
    expect(() => [make(), make()]).not.toThrow();
  });
});

describe('permits and real sleeps', () => {
  it('failed attempts give their permit back (concurrency 1 keeps working)', async () => {
    server = await startServer((req, res) => (req.url === '/v2/self' ? res.socket?.destroy() : json(res, 404, {})));
    const { client } = testClient(server.url, { concurrency: 1, retry: { maxAttempts: 2 } });
    for (let i = 0; i < 3; i++) await expect(client.getSelf()).rejects.toThrow();
    await expect(client.deleteAddon(OWNER_ID, ADDON_ID)).resolves.toBe(false);
    expect(server.requests).toHaveLength(7);
  });

  it('the default sleep really waits between attempts', async () => {
    const stamps: number[] = [];
    server = await startServer((_req, res, index) => {
      stamps.push(Date.now());
      json(res, index < 2 ? 503 : 200, { id: 'user_1' });
    });
    const client = new CleverClient({
      credentials: { kind: 'apiToken', apiToken: 't' },
      bridgeUrl: server.url,
      random: () => 1,
      retry: { baseMs: 40, maxMs: 1000 },
    });
    await client.getSelf();
    expect(stamps).toHaveLength(3);
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(35);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(75);
  });
});
