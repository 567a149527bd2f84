// Backoff timing, Retry-After, and the never-re-send rule for creates.
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_RETRY_AFTER_MS,
  OutcomeUnknownError,
  ResponseShapeError,
  RetryableError,
  TerminalError,
  parseRetryAfter,
} from '../../../src/clever/index.ts';
import {
  ADDON_ID,
  OWNER_ID,
  addonView,
  freePort,
  json,
  sequence,
  startServer,
  testClient,
  type TestServer,
} from './support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CREATE = { name: 'kubernetes::PostgreSql::uid-1', providerId: 'postgresql-addon', plan: 'plan_1', region: 'par' };
const NO_RESOURCE = {
  id: -500,
  message:
    'Error from provider: [{"id":"error","message":"No resource available to provision an addon on grahds.","config":{}}]',
  type: 'error',
};

describe('idempotent calls', () => {
  it('retry 5xx with exponential backoff + jitter (random = 0.5)', async () => {
    server = await startServer(sequence([503, {}], [500, {}], [502, {}], [200, addonView()]));
    const { client, sleeps } = testClient(server.url, { retry: { baseMs: 100, maxMs: 10_000 } });
    const addon = await client.getAddon(OWNER_ID, ADDON_ID);
    expect(addon.id).toBe(ADDON_ID);
    expect(server.requests).toHaveLength(4);
    // attempt n: exp = base*2^n, delay = exp/2 + 0.5*exp/2
    expect(sleeps).toEqual([75, 150, 300]);
  });

  it('uses the random source for jitter and caps at maxMs', async () => {
    server = await startServer((_req, res) => json(res, 500, {}));
    const randoms = [0, 1, 0, 1];
    const { client, sleeps } = testClient(server.url, {
      random: () => randoms.shift() ?? 0,
      retry: { maxAttempts: 5, baseMs: 500, maxMs: 1500 },
    });
    await expect(client.listAddons(OWNER_ID)).rejects.toBeInstanceOf(RetryableError);
    expect(server.requests).toHaveLength(5);
    // exp: 500, 1000, 1500 (capped), 1500; random 0 -> exp/2, random 1 -> exp
    expect(sleeps).toEqual([250, 1000, 750, 1500]);
  });

  it('the default backoff starts at 500 ms and attempts 5 times', async () => {
    server = await startServer((_req, res) => json(res, 503, {}));
    const { client, sleeps } = testClient(server.url, { random: () => 1 });
    await expect(client.getSelf()).rejects.toBeInstanceOf(RetryableError);
    expect(server.requests).toHaveLength(5);
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
  });

  it('PUT and DELETE are retried too', async () => {
    server = await startServer(sequence([500, {}], [200, addonView({ name: 'n2' })], [503, {}], [200, {}]));
    const { client } = testClient(server.url);
    await expect(client.renameAddon(OWNER_ID, ADDON_ID, 'n2')).resolves.toMatchObject({ name: 'n2' });
    await expect(client.deleteAddon(OWNER_ID, ADDON_ID)).resolves.toBe(true);
    expect(server.requests.map((r) => r.method)).toEqual(['PUT', 'PUT', 'DELETE', 'DELETE']);
  });

  it('terminal errors and shape errors are not retried', async () => {
    server = await startServer(sequence([400, { message: 'bad' }], [200, [{ nope: true }]]));
    const { client, sleeps } = testClient(server.url);
    await expect(client.getSelf()).rejects.toBeInstanceOf(TerminalError);
    await expect(client.listZones()).rejects.toBeInstanceOf(ResponseShapeError);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it('retries a timed-out GET', async () => {
    server = await startServer(
      sequence(() => {
        /* hang */
      }, [200, { id: 'user_1' }]),
    );
    const { client } = testClient(server.url, { timeoutMs: 60 });
    await expect(client.getSelf()).resolves.toMatchObject({ id: 'user_1' });
    expect(server.requests).toHaveLength(2);
  });
});

describe('Retry-After', () => {
  it('honours delta seconds', async () => {
    server = await startServer(sequence([429, {}, { 'retry-after': '7' }], [200, { id: 'user_1' }]));
    const { client, sleeps } = testClient(server.url);
    await client.getSelf();
    expect(sleeps).toEqual([7000]);
  });

  it('honours an HTTP date relative to the injected clock', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const at = new Date(now + 12_000).toUTCString();
    server = await startServer(sequence([503, {}, { 'retry-after': at }], [200, { id: 'user_1' }]));
    const { client, sleeps } = testClient(server.url, { now: () => now });
    await client.getSelf();
    expect(sleeps).toEqual([12_000]);
  });

  it('is honoured beyond maxMs but capped at 5 minutes', async () => {
    server = await startServer(
      sequence([429, {}, { 'retry-after': '10' }], [429, {}, { 'retry-after': '3600' }], [200, { id: 'u' }]),
    );
    const { client, sleeps } = testClient(server.url, { retry: { maxMs: 1000 } });
    await client.getSelf();
    expect(sleeps).toEqual([10_000, 300_000]);
    expect(MAX_RETRY_AFTER_MS).toBe(300_000);
  });

  it('parses the header forms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 2 ', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('create is never blindly re-sent', () => {
  const unknownCases: Array<[string, Parameters<typeof startServer>[0]]> = [
    ['500', (_req, res) => json(res, 500, { id: 1, message: 'boom', type: 'error' })],
    ['502', (_req, res) => json(res, 502, {})],
    ['503 without the no-resource message', (_req, res) => json(res, 503, { message: 'maintenance' })],
    ['a reset', (_req, res) => res.socket?.destroy()],
    [
      'a timeout',
      () => {
        /* hang */
      },
    ],
  ];

  it.each(unknownCases)('%s -> OutcomeUnknownError after exactly one POST', async (_name, handler) => {
    server = await startServer(handler);
    const { client, sleeps } = testClient(server.url, { timeoutMs: 60 });
    const error = await client.createAddon(OWNER_ID, CREATE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as OutcomeUnknownError).cause).toBeInstanceOf(RetryableError);
    expect((error as OutcomeUnknownError).route).toBe('/v2/organisations/{ownerId}/addons');
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('429 is retried (rejected before processing)', async () => {
    server = await startServer(sequence([429, {}, { 'retry-after': '1' }], [200, addonView()]));
    const { client, sleeps } = testClient(server.url);
    await expect(client.createAddon(OWNER_ID, CREATE)).resolves.toMatchObject({ id: ADDON_ID });
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([1000]);
  });

  it('503 "No resource available" is retried', async () => {
    server = await startServer(sequence([503, NO_RESOURCE], [200, addonView()]));
    const { client } = testClient(server.url);
    await expect(client.createAddon(OWNER_ID, CREATE)).resolves.toMatchObject({ id: ADDON_ID });
    expect(server.requests).toHaveLength(2);
  });

  it('exhausting 429 retries yields a RetryableError, not an unknown outcome', async () => {
    server = await startServer((_req, res) => json(res, 429, {}));
    const { client } = testClient(server.url, { retry: { maxAttempts: 3 } });
    const error = await client.createAddon(OWNER_ID, CREATE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(OutcomeUnknownError);
    expect(server.requests).toHaveLength(3);
  });

  it('ECONNREFUSED is retried: the request never left', async () => {
    const port = await freePort();
    const posted: string[] = [];
    const late = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posted.push(body);
        json(res, 200, addonView());
      });
    });
    try {
      const { client, sleeps } = testClient(`http://127.0.0.1:${port}`, {
        // The server comes up during the first backoff sleep.
        sleep: async (ms) => {
          sleeps.push(ms);
          if (!late.listening) await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
        },
      });
      await expect(client.createAddon(OWNER_ID, CREATE)).resolves.toMatchObject({ id: ADDON_ID });
      expect(sleeps).toHaveLength(1);
      expect(posted).toHaveLength(1);
      expect(JSON.parse(posted[0]!)).toEqual(CREATE);
    } finally {
      late.closeAllConnections();
      await new Promise<void>((resolve) => late.close(() => resolve()));
    }
  });

  it('a 2xx body that fails the schema is an unknown outcome (the add-on exists)', async () => {
    server = await startServer((_req, res) => json(res, 200, { id: ADDON_ID }));
    const { client } = testClient(server.url);
    const error = await client.createAddon(OWNER_ID, CREATE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).cause).toBeInstanceOf(ResponseShapeError);
    expect(server.requests).toHaveLength(1);
  });

  it('terminal 4xx on create is terminal, not unknown', async () => {
    server = await startServer((_req, res) => json(res, 400, { id: 4001, message: 'invalid plan', type: 'error' }));
    const { client } = testClient(server.url);
    const error = await client.createAddon(OWNER_ID, CREATE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toContain('invalid plan');
  });

  it('migrations follow the same rule', async () => {
    server = await startServer(sequence([500, {}], [429, {}], [200, { migrationId: 'm1', status: 'RUNNING' }]));
    const { client } = testClient(server.url);
    const req = { planId: 'plan_2', region: 'par', version: '17' };
    await expect(client.createMigration(OWNER_ID, ADDON_ID, req)).rejects.toBeInstanceOf(OutcomeUnknownError);
    await expect(client.createMigration(OWNER_ID, ADDON_ID, req)).resolves.toMatchObject({ migrationId: 'm1' });
    expect(server.requests).toHaveLength(3);
    expect(JSON.parse(server.requests[0]!.body)).toEqual(req);
  });
});
