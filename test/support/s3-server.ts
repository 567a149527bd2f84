// Child process of test/support/s3.ts: s3rver (a real S3-compatible server from npm) on a free loopback port.
// Run with --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
// (Node >= 17) only offers through its legacy provider. Protocol: prints {"port":N} once listening; takes
// {"type":"key","id":n,"keyId","keySecret"} messages on the IPC channel (registers the key, answers {"id":n});
// exits when the parent goes away.
import { createRequire } from 'node:module';

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
const { port } = await server.run();

process.on('message', (m: { type?: string; id?: number; keyId?: string; keySecret?: string }) => {
  if (m.type === 'key' && m.keyId && m.keySecret) DUMMY_ACCOUNT.createKeyPair(m.keyId, m.keySecret);
  process.send?.({ id: m.id });
});
const stop = () => {
  void server.close().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.stdout.write(`${JSON.stringify({ port })}\n`);
