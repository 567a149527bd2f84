// Child process of test/support/s3.ts: s3rver (a real S3-compatible server from npm) on a free loopback port, behind
// a front that verifies each request's SigV4 signature (s3rver only checks that the key id exists), so a wrong
// secret key fails as it would against Cellar. Run with --openssl-legacy-provider: s3rver encrypts ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 (Node >= 17) only offers through its legacy provider. Protocol:
// prints {"port":N} (the front's) once listening; takes {"type":"key","id":n,"keyId","keySecret"} messages on the
// IPC channel (registers the key, answers {"id":n}); exits when the parent goes away.
import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { verifySigV4 } from './s3-sigv4.ts';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
// s3rver ships no types; CommonJS.
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
// s3rver authenticates requests against this registry of key ids (it does not check SigV4 signatures).
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(keyId: string, keySecret: string): void };
};

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3-server.ts DIRECTORY');

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true });
const { port: backendPort } = await server.run();

// The secrets the front verifies against: s3rver's built-in pair and every pair the parent registers.
const secrets = new Map<string, string>([['S3RVER', 'S3RVER']]);
process.on('message', (m: { type?: string; id?: number; keyId?: string; keySecret?: string }) => {
  if (m.type === 'key' && m.keyId && m.keySecret) {
    DUMMY_ACCOUNT.createKeyPair(m.keyId, m.keySecret);
    secrets.set(m.keyId, m.keySecret);
  }
  process.send?.({ id: m.id });
});

const xmlError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

const front = createServer((req, res) => {
  const verdict = verifySigV4({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, (id) =>
    secrets.get(id),
  );
  if (verdict.ok === false) {
    req.resume();
    res.writeHead(403, { 'Content-Type': 'application/xml' }).end(xmlError(verdict.code, verdict.message));
    return;
  }
  const { expect: _expect, ...headers } = req.headers;
  const upstream = request(
    { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(String(err));
  });
  req.pipe(upstream);
});
const port = await new Promise<number>((resolve) =>
  front.listen(0, '127.0.0.1', () => resolve((front.address() as { port: number }).port)),
);

const stop = () => {
  front.close();
  void server.close().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.stdout.write(`${JSON.stringify({ port })}\n`);
