// KubeClient.watch splits the stream into events wherever the chunks happen to end: several events in one chunk,
// one event across chunks, blank lines. Against a local HTTP server through a plain StaticConnection.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.ts';
import { StaticConnection } from '../../../src/kube/connection.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(chunks: string[]): Promise<{ url: string; auth: () => string | undefined }> {
  let auth: string | undefined;
  server = createServer((req, res) => {
    auth = req.headers.authorization;
    res.writeHead(200, { 'content-type': 'application/json' });
    const next = () => {
      const c = chunks.shift();
      if (c === undefined) return res.end();
      res.write(c, () => setTimeout(next, 5));
    };
    next();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth: () => auth };
}

const ev = (name: string) => JSON.stringify({ type: 'ADDED', object: { metadata: { name } } });

describe('KubeClient.watch', () => {
  it('parses many events per chunk and events split across chunks, in order', async () => {
    const many = Array.from({ length: 200 }, (_, i) => ev(`m${i}`)).join('\n') + '\n';
    const split = ev('split');
    const { url, auth } = await serve([
      `${ev('a')}\n${ev('b')}\n\n`,
      split.slice(0, 10),
      split.slice(10) + '\n',
      many,
      ev('last'),
      '\n',
    ]);
    const client = new KubeClient(new StaticConnection({ server: url, token: 'tkn' }));
    const names: string[] = [];
    await client.watch(
      '/api/v1/secrets',
      { resourceVersion: '1' },
      (e) => names.push((e.object as { metadata: { name: string } }).metadata.name),
      new AbortController().signal,
    );
    expect(names).toEqual(['a', 'b', 'split', ...Array.from({ length: 200 }, (_, i) => `m${i}`), 'last']);
    expect(auth()).toBe('Bearer tkn');
  });
});
