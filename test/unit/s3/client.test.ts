// The operator's one S3 client: the settings both of its users (Cellar buckets, backup retention) always had, the
// requests it sends to a real HTTP server, and the AWS SDK left unloaded until the first S3 call.
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Connection } from '../../../src/model/provider.ts';
import { s3ObjectStore } from '../../../src/reconcile/backup/index.ts';
import { s3BucketStore } from '../../../src/reconcile/buckets.ts';
import { lazyS3Client, s3ClientConfig } from '../../../src/s3/index.ts';

const conn: S3Connection = {
  endpoint: 'https://cellar-c2.services.clever-cloud.com',
  region: 'us-east-1',
  accessKeyId: 'KEY-ID',
  secretAccessKey: 'KEY-SECRET',
};

describe('s3ClientConfig', () => {
  it('is path-style on the given endpoint and region, with checksums only where S3 requires them', () => {
    expect(s3ClientConfig(conn, { requestTimeoutMs: 15_000 })).toEqual({
      endpoint: 'https://cellar-c2.services.clever-cloud.com',
      region: 'us-east-1',
      credentials: { accessKeyId: 'KEY-ID', secretAccessKey: 'KEY-SECRET' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
    });
  });

  it('takes the request timeout of its user (retention lists whole prefixes: 30 s)', () => {
    expect(s3ClientConfig(conn, { requestTimeoutMs: 30_000 }).requestHandler).toEqual({
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    });
  });
});

describe('lazyS3Client', () => {
  it('builds one SDK client with these settings, at the first call, and reuses it', async () => {
    const s3 = lazyS3Client({ ...conn, region: 'eu-west-3' }, { requestTimeoutMs: 15_000 });
    const first = await s3.use((client) => Promise.resolve(client));
    const second = await s3.use((client) => Promise.resolve(client));
    expect(second).toBe(first);
    const config = first.config;
    expect(await config.endpoint!()).toMatchObject({
      protocol: 'https:',
      hostname: 'cellar-c2.services.clever-cloud.com',
    });
    expect(await config.region()).toBe('eu-west-3');
    expect(config.forcePathStyle).toBe(true);
    expect(await config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await config.maxAttempts()).toBe(2);
    expect(await config.credentials()).toMatchObject({ accessKeyId: 'KEY-ID', secretAccessKey: 'KEY-SECRET' });
    s3.close();
  });

  it('refuses calls once closed', async () => {
    const s3 = lazyS3Client(conn, { requestTimeoutMs: 15_000 });
    s3.close();
    await expect(s3.use(() => Promise.resolve('called'))).rejects.toThrow('the S3 client is closed');
  });
});

describe('requests to an S3 server', () => {
  const requests: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  let endpoint = '';
  const server = createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    if (req.method === 'HEAD') {
      res.writeHead(req.url === '/mine/' || req.url === '/mine' ? 200 : 404).end();
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(
        '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          '<Name>backups</Name><Prefix>team/db/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>' +
          '<IsTruncated>false</IsTruncated><Contents><Key>team/db/20250101T000000Z.dump</Key><Size>1</Size>' +
          '</Contents></ListBucketResult>',
      );
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('addresses buckets by path, signs with the keys, and sends no checksum of its own', async () => {
    requests.length = 0;
    const store = s3ObjectStore({ ...conn, endpoint }, 'backups');
    expect(await store.list('team/db/')).toEqual(['team/db/20250101T000000Z.dump']);
    store.close();
    expect(requests).toHaveLength(1);
    const [list] = requests;
    expect(list!.method).toBe('GET');
    // Path style: the bucket is the first segment of the path, on the endpoint's own host.
    expect(list!.url).toMatch(/^\/backups\/?\?/);
    expect(list!.url).toContain('list-type=2');
    expect(list!.url).toContain('prefix=team%2Fdb%2F');
    expect(list!.headers.host).toBe(new URL(endpoint).host);
    expect(list!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=KEY-ID\/\d{8}\/us-east-1\/s3\//);
    expect(Object.keys(list!.headers).filter((h) => h.startsWith('x-amz-checksum'))).toEqual([]);
    expect(list!.headers['x-amz-sdk-checksum-algorithm']).toBeUndefined();
  });

  it('is the client of the Cellar bucket store too', async () => {
    requests.length = 0;
    const store = s3BucketStore({ ...conn, endpoint });
    expect(await store.exists('mine')).toBe('owned');
    expect(await store.exists('gone')).toBe('missing');
    store.close();
    expect(requests.map((r) => `${r.method} ${r.url.replace(/\/$/, '')}`)).toEqual(['HEAD /mine', 'HEAD /gone']);
  });
});

describe('loading the AWS SDK', () => {
  it('waits for the first S3 call: the operator and every provider load without it', () => {
    const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({
        resolve(specifier, context, next) {
          if (specifier.startsWith('@aws-sdk/')) seen.push(specifier);
          return next(specifier, context);
        },
      });
      await import(${JSON.stringify(root('src/operator/manager.ts'))});
      await import(${JSON.stringify(root('providers/index.ts'))});
      const atStart = [...seen];
      const { lazyS3Client } = await import(${JSON.stringify(root('src/s3/index.ts'))});
      const s3 = lazyS3Client({ endpoint: 'http://127.0.0.1:9', region: 'r', accessKeyId: 'a', secretAccessKey: 's' },
        { requestTimeoutMs: 1000 });
      await s3.use(async () => undefined);
      s3.close();
      console.log(JSON.stringify({ atStart, afterUse: seen }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { atStart: string[]; afterUse: string[] };
    expect(out.atStart).toEqual([]);
    expect(out.afterUse).toContain('@aws-sdk/client-s3');
  });
});
