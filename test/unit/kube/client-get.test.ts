// getObject: a 404 is `undefined` (built without an error: reads that find nothing are frequent); every other failure
// still throws, with its code. Against a local HTTP server that answers discovery and one object path.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.ts';
import { StaticConnection } from '../../../src/kube/connection.ts';
import { apiStatusCode, isNotFound } from '../../../src/kube/errors.ts';
import { getObject } from '../../../src/kube/objects.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

const discovery = { resources: [{ name: 'secrets', kind: 'Secret', namespaced: true }] };

async function client(answer: (path: string) => [number, unknown]): Promise<KubeClient> {
  server = createServer((req, res) => {
    const [code, body] = req.url === '/api/v1' ? [200, discovery] : answer(req.url ?? '');
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return new KubeClient(new StaticConnection({ server: url, token: 't' }));
}

const ref = { apiVersion: 'v1', kind: 'Secret', namespace: 'ns', name: 'one' };
const status = (code: number, reason: string) => ({ kind: 'Status', code, reason, message: `${reason} message` });

describe('getObject', () => {
  it('returns the object, or undefined for a 404', async () => {
    const c = await client((path) =>
      path === '/api/v1/namespaces/ns/secrets/one'
        ? [200, { kind: 'Secret', metadata: { name: 'one' } }]
        : [404, status(404, 'NotFound')],
    );
    expect((await getObject(c, ref))?.metadata?.name).toBe('one');
    expect(await getObject(c, { ...ref, name: 'other' })).toBeUndefined();
  });

  it('throws every other failure with its code (forbidden, server errors): absence is never assumed', async () => {
    for (const code of [401, 403, 409, 500, 503]) {
      const c = await client(() => [code, status(code, 'Failure')]);
      const err = await getObject(c, ref).catch((e: unknown) => e);
      expect(apiStatusCode(err)).toBe(code);
      expect(isNotFound(err)).toBe(false);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
  });

  it('a request without notFoundAsUndefined still throws a 404 as NotFound', async () => {
    const c = await client(() => [404, status(404, 'NotFound')]);
    const err = await c.request('GET', '/api/v1/namespaces/ns/secrets/one').catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });
});
