// Every status / transport failure maps to the error class the reconciler acts on.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CleverApiError,
  ForbiddenError,
  NotFoundError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
} from '../../../src/clever/index.ts';
import { ADDON_ID, OWNER_ID, freePort, json, startServer, testClient, type TestServer } from './support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failure(promise: Promise<unknown>): Promise<CleverApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CleverApiError);
    return error as CleverApiError;
  }
  throw new Error('expected a rejection');
}

describe('HTTP status mapping', () => {
  const table: Array<[number, new (...args: never[]) => CleverApiError, string]> = [
    [400, TerminalError, 'TerminalError'],
    [402, TerminalError, 'TerminalError'],
    [409, TerminalError, 'TerminalError'],
    [422, TerminalError, 'TerminalError'],
    [401, UnauthorizedError, 'UnauthorizedError'],
    [403, ForbiddenError, 'ForbiddenError'],
    [404, NotFoundError, 'NotFoundError'],
    [408, RetryableError, 'RetryableError'],
    [429, RetryableError, 'RetryableError'],
    [500, RetryableError, 'RetryableError'],
    [502, RetryableError, 'RetryableError'],
    [503, RetryableError, 'RetryableError'],
    [504, RetryableError, 'RetryableError'],
  ];

  it.each(table)('%i -> %s', async (status, cls, name) => {
    server = await startServer((_req, res) => json(res, status, { id: 4242, message: 'v2 says no', type: 'error' }));
    const { client } = testClient(server.url, { retry: { maxAttempts: 1 } });
    const error = await failure(client.getAddon(OWNER_ID, ADDON_ID));
    expect(error).toBeInstanceOf(cls);
    expect(error.name).toBe(name);
    expect(error.status).toBe(status);
    expect(error.code).toBe(4242);
    expect(error.method).toBe('GET');
    expect(error.route).toBe('/v2/organisations/{ownerId}/addons/{addonId}');
    expect(error.message).toContain('v2 says no');
    expect(error.message).not.toContain(ADDON_ID);
  });

  it('401 is not a ForbiddenError, 403 is also an UnauthorizedError', async () => {
    server = await startServer((req, res) => json(res, req.url === '/v2/self' ? 401 : 403, {}));
    const { client } = testClient(server.url, { retry: { maxAttempts: 1 } });
    const e401 = await failure(client.getSelf());
    const e403 = await failure(client.listOrganisations());
    expect(e401).toBeInstanceOf(UnauthorizedError);
    expect(e401).not.toBeInstanceOf(ForbiddenError);
    expect(e403).toBeInstanceOf(UnauthorizedError);
    expect(e403).toBeInstanceOf(ForbiddenError);
  });

  it('reads the v4 error body (code + error)', async () => {
    server = await startServer((_req, res) =>
      json(res, 400, { apiRequestId: 'r1', code: 'clever.core.quota-exceeded', context: {}, error: 'Quota exceeded' }),
    );
    const { client } = testClient(server.url, { retry: { maxAttempts: 1 } });
    const error = await failure(client.getZone('par'));
    expect(error).toBeInstanceOf(TerminalError);
    expect(error.code).toBe('clever.core.quota-exceeded');
    expect(error.message).toContain('Quota exceeded');
    expect(error.route).toBe('/v4/products/zones/{name}');
  });

  it('429 carries retryAfterMs', async () => {
    server = await startServer((_req, res) => json(res, 429, {}, { 'retry-after': '3' }));
    const { client } = testClient(server.url, { retry: { maxAttempts: 1 } });
    const error = await failure(client.listZones());
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(3000);
  });

  it('a 2xx body that is not JSON is terminal', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>maintenance</html>');
    });
    const { client } = testClient(server.url);
    const error = await failure(client.getSelf());
    expect(error).toBeInstanceOf(TerminalError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('transport failures', () => {
  it('timeout -> RetryableError TIMEOUT', async () => {
    server = await startServer(() => {
      /* never answers */
    });
    const { client } = testClient(server.url, { timeoutMs: 50, retry: { maxAttempts: 1 } });
    const started = Date.now();
    const error = await failure(client.getSelf());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('timed out after 50 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a body that stalls after the headers also times out', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('[');
    });
    const { client } = testClient(server.url, { timeoutMs: 80, retry: { maxAttempts: 1 } });
    const error = await failure(client.listZones());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.code).toBe('TIMEOUT');
  });

  it('connection reset -> RetryableError', async () => {
    server = await startServer((_req, res) => res.socket?.destroy());
    const { client } = testClient(server.url, { retry: { maxAttempts: 1 } });
    const error = await failure(client.getSelf());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.status).toBeUndefined();
    expect(String(error.code)).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it('connection refused -> RetryableError ECONNREFUSED', async () => {
    const port = await freePort();
    const { client } = testClient(`http://127.0.0.1:${port}`, { retry: { maxAttempts: 1 } });
    const error = await failure(client.getSelf());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.code).toBe('ECONNREFUSED');
  });
});
