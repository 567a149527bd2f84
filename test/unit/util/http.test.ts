// src/util/http.ts: undici's request and Agent without undici's index. Requests with and without a dispatcher, a
// body and a query string reach a local server as sent; HTTP/1.1 with keep-alive; and the index (fetch, WebSocket,
// mocks, caches) is never loaded, which a child process checks (vitest itself may load it).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1Agent, httpRequest } from '../../../src/util/http.ts';

let server: Server;
let url: string;
const seen: { method: string; url: string; body: string; version: string; port: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body,
        version: req.httpVersion,
        port: req.socket.remotePort ?? 0,
      });
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('httpRequest', () => {
  it('sends method, path, query and body as given, on the shared agent or a given one, and answers status and body', async () => {
    seen.length = 0;
    const a = await httpRequest(`${url}/v2/self?limit=5&x=a%2Fb`, { method: 'GET', headers: { accept: 'json' } });
    expect(a.statusCode).toBe(200);
    expect(await a.body.json()).toEqual({ ok: true });
    const agent = http1Agent();
    const b = await httpRequest(new URL(`${url}/missing`), { method: 'POST', body: '{"n":1}', dispatcher: agent });
    expect(b.statusCode).toBe(404);
    await b.body.text();
    await agent.close();
    expect(seen.map(({ method, url: u, body, version }) => ({ method, url: u, body, version }))).toEqual([
      { method: 'GET', url: '/v2/self?limit=5&x=a%2Fb', body: '', version: '1.1' },
      { method: 'POST', url: '/missing', body: '{"n":1}', version: '1.1' },
    ]);
  });

  it('keeps connections alive on the shared agent', async () => {
    seen.length = 0;
    for (let i = 0; i < 6; i++) await (await httpRequest(`${url}/n${i}`, { method: 'GET' })).body.text();
    expect(new Set(seen.map((s) => s.port)).size).toBeLessThanOrEqual(2);
  });

  it("never loads undici's index", () => {
    const script = [
      `await import(${JSON.stringify(new URL('../../../src/util/http.ts', import.meta.url).href)});`,
      "import { createRequire } from 'node:module';",
      'const cache = createRequire(import.meta.url).cache;',
      "console.log(JSON.stringify({ index: Object.keys(cache).some((k) => /undici[\\\\/]index\\.js$/.test(k)), agent: Object.keys(cache).some((k) => k.endsWith('agent.js')) }));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toEqual({ index: false, agent: true });
  });
});
