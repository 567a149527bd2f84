// Free ports are only free until someone binds them. CI once handed etcd and kube-apiserver the same port; the plane
// must retry on fresh ports instead of failing the whole run.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, startLocalPlane, type LocalPlane } from '../../src/controlplane/local-plane.ts';

describe('local control plane ports', () => {
  let plane: LocalPlane | undefined;
  let squatter: Server | undefined;
  afterEach(async () => {
    await plane?.stop({ keepLogs: false });
    await new Promise<void>((done) => (squatter ? squatter.close(() => done()) : done()));
  });

  it('hands out distinct ports even when asked for many at once', async () => {
    const ports = await freePorts(64);
    expect(new Set(ports).size).toBe(64);
  });

  it('retries on fresh ports when a port it picked is taken before kube-apiserver binds it', async () => {
    // Someone else listens on the port the first attempt gives kube-apiserver.
    // It hangs up on whoever connects (the start-up probe does), so closing it later does not wait on them.
    squatter = createServer((socket) => socket.destroy());
    const taken = await new Promise<number>((resolve) =>
      squatter!.listen(0, '127.0.0.1', () => resolve((squatter!.address() as { port: number }).port)),
    );
    const picks: number[][] = [];
    const messages: string[] = [];
    plane = await startLocalPlane({
      log: (m) => messages.push(m),
      pickPorts: async (n) => {
        const fresh = await freePorts(n);
        const pick = picks.length === 0 ? [fresh[0]!, fresh[1]!, taken] : fresh;
        picks.push(pick);
        return pick;
      },
    });
    expect(picks).toHaveLength(2);
    expect(plane.server).toBe(`https://127.0.0.1:${picks[1]![2]}`);
    expect(messages.some((m) => m.includes('port was taken'))).toBe(true);
    const res = await fetch(`${plane.server}/readyz`).catch((e: unknown) => e);
    // Self-signed CA: reaching the TLS handshake proves something listens on the new port.
    expect(res).toBeInstanceOf(Error);
    expect(String((res as Error).cause)).toMatch(/certificate|self.signed|CERT/i);
  });
});
