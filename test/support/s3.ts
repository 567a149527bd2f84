// A real S3-compatible server on loopback for tests (and a model for the playground): s3rver from npm, in a child
// process of its own. Cellar add-ons of the simulator point at it with `cellarHost: s3.endpoint`, and the
// simulator tells it their keys (`onCellarKeys: s3.acceptKeys`), as Cellar knows the keys of its add-ons.
//
// Quirks of s3rver 3.7 worth knowing: it checks that the access key id is known but does not verify SigV4
// signatures (so a wrong secret goes unnoticed here); it answers BucketAlreadyExists (not ...OwnedByYou) for a
// bucket of one's own; it needs OpenSSL's legacy provider for ListObjectsV2 continuation tokens (see s3-server.ts).
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface LocalS3 {
  /** http://127.0.0.1:PORT: pass it as the simulator's cellarHost (a host with a scheme is used as given). */
  endpoint: string;
  region: string;
  /** Keys the server always accepts (s3rver's built-in account). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Makes the server accept a key pair (fire and forget from the simulator's hook; awaitable otherwise). */
  acceptKeys(keys: { keyId: string; keySecret: string }): Promise<void>;
  /** An AWS SDK client for this server: path-style, checksums only where S3 requires them. */
  client(credentials?: { accessKeyId: string; secretAccessKey: string }): S3Client;
  stop(): Promise<void>;
}

const SERVER = new URL('./s3-server.ts', import.meta.url).pathname;

export async function startLocalS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'local-s3-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', SERVER, directory], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening: ${stderr}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const clients: S3Client[] = [];
  let nextId = 0;
  const pending = new Map<number, () => void>();
  child.on('message', (m: { id?: number }) => {
    if (m.id === undefined) return;
    pending.get(m.id)?.();
    pending.delete(m.id);
  });

  return {
    endpoint,
    region,
    credentials,
    acceptKeys(keys) {
      const id = nextId++;
      return new Promise<void>((resolve) => {
        pending.set(id, resolve);
        child.send({ type: 'key', id, keyId: keys.keyId, keySecret: keys.keySecret });
      });
    },
    client(creds = credentials) {
      const config: S3ClientConfig = {
        endpoint,
        region,
        credentials: creds,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 1,
      };
      const client = new S3Client(config);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
