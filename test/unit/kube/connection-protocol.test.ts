// The operator speaks HTTP/1.1 to the API server even where the server offers HTTP/2 (as kube-apiserver does): in
// Node, HTTP/2 framing cost a fifth of the operator's CPU for the same requests
// (docs/benchmarks.md, "CPU and memory, second round").
// Against a local TLS server offering both, with certificates made by the control plane's own helper.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaneCertificates } from '../../../src/controlplane/certs.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { StaticConnection } from '../../../src/kube/connection.ts';

let server: Http2SecureServer;
let url: string;
let ca: Buffer;
const versions: string[] = [];
let connections = 0;

beforeAll(async () => {
  const certs = await createPlaneCertificates(mkdtempSync(join(tmpdir(), 'conn-proto-')));
  ca = readFileSync(certs.caCert);
  server = createSecureServer(
    { allowHTTP1: true, cert: readFileSync(certs.servingCert), key: readFileSync(certs.servingKey) },
    (req, res) => {
      versions.push(req.httpVersion);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', httpVersion: req.httpVersion }));
    },
  );
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('API server connection', () => {
  it('uses HTTP/1.1 with keep-alive where the server also offers HTTP/2', async () => {
    const client = new KubeClient(new StaticConnection({ server: url, tls: { ca }, token: 't' }));
    for (let i = 0; i < 6; i++) await client.request('GET', '/version');
    expect(versions).toEqual(Array(6).fill('1.1'));
    // Kept alive: a connection is reused once free (undici may open a second while the first is being released).
    expect(connections).toBeLessThanOrEqual(2);
  });
});
