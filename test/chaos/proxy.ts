// A TCP proxy between the operator and the kube-apiserver, so a chaos run can cut every connection at once (watches
// die mid-stream, in-flight requests fail) or freeze traffic (requests hang, e.g. the status write right after a
// create call) without touching the API server itself. TLS passes through untouched.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface KubeProxy {
  port: number;
  /** Destroys every open connection (watches and requests alike). */
  cutAll(): number;
  /** Stops forwarding bytes in both directions until thaw(); new connections wait too. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export async function startKubeProxy(target: { host: string; port: number }): Promise<KubeProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  // Bytes read while frozen wait here, per direction, and are flushed in order on thaw.
  const held: { from: Socket; to: Socket; chunks: Buffer[] }[] = [];
  const forward = (from: Socket, to: Socket) => {
    const queue = { from, to, chunks: [] as Buffer[] };
    held.push(queue);
    from.on('data', (chunk: Buffer) => {
      if (frozen || queue.chunks.length > 0) queue.chunks.push(chunk);
      else to.write(chunk);
    });
    from.on('close', () => {
      const i = held.indexOf(queue);
      if (i >= 0) held.splice(i, 1);
    });
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: KubeProxy = {
    port: (server.address() as AddressInfo).port,
    cutAll() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const q of held) {
        for (const chunk of q.chunks.splice(0)) if (!q.to.destroyed) q.to.write(chunk);
      }
    },
    async stop() {
      proxy.cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
