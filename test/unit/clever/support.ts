// A real local HTTP server with a programmable handler, and a client wired to it with recorded sleeps: the
// transport is exercised end to end (sockets, timeouts, resets) without touching the network.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CleverClient, type CleverClientOptions } from '../../../src/clever/index.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: RecordedRequest, res: ServerResponse, index: number) => void;

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(handler?: Handler, port = 0): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let current: Handler = handler ?? ((_req, res) => json(res, 200, {}));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      current(recorded, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    setHandler: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers with `responses[i]` for the i-th request (the last one repeats). */
export function sequence(...responses: Array<[number, unknown, Record<string, string>?] | Handler>): Handler {
  return (req, res, index) => {
    const next = responses[Math.min(index, responses.length - 1)];
    if (typeof next === 'function') next(req, res, index);
    else if (next) json(res, next[0], next[1], next[2]);
  };
}

export const TOKEN = 'tok-0123456789abcdef';
export const SECRET = 'sec-fedcba9876543210';

export interface TestClient {
  client: CleverClient;
  sleeps: number[];
}

export function testClient(url: string, overrides: Partial<CleverClientOptions> = {}): TestClient {
  const sleeps: number[] = [];
  const client = new CleverClient({
    credentials: { kind: 'oauth1', token: TOKEN, secret: SECRET },
    apiUrl: url,
    random: () => 0.5,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    rateLimit: { ratePerSecond: 10_000, burst: 10_000 },
    ...overrides,
  });
  return { client, sleeps };
}

/** A port nothing listens on (yet). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const ADDON_ID = 'addon_11111111-2222-4333-8444-555555555555';
export const OWNER_ID = 'orga_aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

export function addonView(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ADDON_ID,
    name: 'kubernetes::PostgreSql::uid-1',
    realId: 'postgresql_99999999-8888-4777-8666-555555555555',
    region: 'par',
    zoneId: 'zone-1',
    provider: { id: 'postgresql-addon', name: 'PostgreSQL', regions: ['par'] },
    plan: { id: 'plan_d2ada71a-aa8e-4ead-8cb9-28314664437e', name: 'DEV', slug: 'dev', price: 0 },
    creationDate: 1658325565658,
    configKeys: ['POSTGRESQL_ADDON_HOST'],
    ...overrides,
  };
}
