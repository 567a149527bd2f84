// The operator's two HTTP endpoints, on separate ports as Kubebuilder scaffolds them: Prometheus metrics, and the
// probes. /readyz means the caches are synced; /healthz fails when a reconcile has been running for too long (a
// stuck loop), which a liveness probe turns into a restart.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  ready(): boolean;
  /** Milliseconds the oldest in-flight reconcile has been running. */
  oldestInFlightMs(): number;
}

export const STUCK_RECONCILE_MS = 10 * 60_000;

function parseAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i) : undefined;
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address "${address}"`);
  return { host: host === '' ? undefined : host, port };
}

function listen(server: Server, address: string): Promise<Server> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export function serveMetrics(registry: Registry, address: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return listen(server, address);
}

export function serveProbes(probes: Probes, address: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/readyz') {
      const ok = probes.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'caches not synced\n');
    } else if (req.url === '/healthz' || req.url === '/livez') {
      const oldest = probes.oldestInFlightMs();
      const ok = oldest < STUCK_RECONCILE_MS;
      res
        .writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' })
        .end(ok ? 'ok\n' : `a reconcile has been running for ${Math.round(oldest / 1000)} s\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  return listen(server, address);
}

/** The port a server actually listens on (for ":0" in tests). */
export function boundPort(server: Server): number {
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
