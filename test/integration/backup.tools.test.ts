// The backup and restore Jobs' scripts, run for real: pg_dump and pg_restore against a local PostgreSQL server,
// mysqldump and mysql against a local MariaDB server, the aws CLI against a local S3 server, with the environment a pod would get from the Jobs the operator wrote in the
// real API server (test/support/jobs.ts stands in for the kubelet and the Job controller). The simulator points the
// database add-ons at the local servers and the Cellar add-on at the local S3 server, so every value comes from the
// connection Secrets the operator wrote, as it would in a cluster.
//
// Needs the Debian packages postgresql and mariadb-server (servers and client tools) and the aws CLI; .ci/run installs them
// (tools/install-test-tools.sh).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { getObject } from '../../src/kube/objects.ts';
import { backupKey, type CronJobObject } from '../../src/reconcile/backup/index.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { JobSimulator } from '../support/jobs.ts';
import { adminKubeConfig, createTestNamespace, eventually } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { startLocalMariaDb, type LocalMariaDb } from '../support/mariadb.ts';
import { postgresBinDir, startLocalPostgres, type LocalPostgres } from '../support/postgres.ts';
import { CELLAR, MYSQL, POSTGRESQL, condition, namespaceApi } from '../support/resources.ts';
import { startLocalS3, type LocalS3 } from '../support/s3.ts';

function missingTools(): string[] {
  const missing = ['pg_dump', 'pg_restore', 'mysqldump', 'mysql', 'mariadb-install-db', 'aws'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (!postgresBinDir()) missing.push('a PostgreSQL server (/usr/lib/postgresql/*/bin/postgres)');
  if (!existsSync('/usr/sbin/mariadbd')) missing.push('a MariaDB server (/usr/sbin/mariadbd)');
  return missing;
}

describe('backup and restore scripts against real PostgreSQL and S3 servers', () => {
  const kc = adminKubeConfig();
  const kube = KubeClient.for(kc);
  let namespace = '';
  let api: ReturnType<typeof namespaceApi>;
  let jobs: JobSimulator;
  let op: OperatorHarness;
  let pg: LocalPostgres;
  let maria: LocalMariaDb;
  let s3: LocalS3;
  let s3Client: S3Client;
  // Bucket names are global on the S3 server: unique per run.
  const bucket = `backups-${Math.random().toString(36).slice(2, 8)}`;
  const target = { cellarRef: { name: 'store', bucket } };

  const secret = async (name: string) => {
    const s = await getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    return Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  };
  /** SQL in an add-on's database as the add-on's own user, as an application would write it. */
  const asAddon = async (resource: string, statement: string) => {
    const env = await secret(`${resource}-secrets`);
    const role = `"${env.POSTGRESQL_ADDON_USER!}"`;
    return pg.sql(env.POSTGRESQL_ADDON_DB!, `set role ${role};\n${statement}`);
  };
  const keysUnder = async (prefix: string) =>
    ((await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key!)
      .sort();

  beforeAll(async () => {
    const missing = missingTools();
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')}: run \`sudo bash tools/install-test-tools.sh\` (CI does)`);
    }
    [pg, maria, s3] = await Promise.all([startLocalPostgres(), startLocalMariaDb(), startLocalS3()]);
    s3Client = s3.client();
    namespace = await createTestNamespace(kc, 'backup-tools');
    api = namespaceApi(kc, namespace);
    jobs = new JobSimulator(kube, namespace);
    op = await startOperator({
      namespaces: [namespace],
      manager: { driftIntervalMs: 2_000 },
      simulator: {
        cellarHost: s3.endpoint,
        onCellarKeys: (keys) => void s3.acceptKeys(keys),
        databaseServers: {
          'postgresql-addon': { host: pg.host, port: pg.port },
          'mysql-addon': { host: maria.host, port: maria.port },
        },
        onDatabaseCredentials: (c) => (c.providerId === 'mysql-addon' ? maria : pg).provision(c),
      },
    });
    await api.create(CELLAR, 'store', { buckets: [{ name: bucket }] });
    await api.waitReady(CELLAR, 'store', 30_000);
  });
  afterAll(async () => {
    await op?.stop();
    await Promise.all([pg?.stop(), maria?.stop(), s3?.stop()]);
  });

  it('dumps the database to the bucket under the scheduled key, and prunes dumps beyond retention', async () => {
    const prefix = `${namespace}/source/`;
    // A dump from long ago (beyond the 7-day retention) and a file that is not ours: only the first may go.
    await s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}20200101T000000Z.dump`, Body: 'old' }));
    await s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}README.txt`, Body: 'keep me' }));

    // The add-on's major version is the local server's, so the Job must pick that version's pg_dump.
    await api.create(POSTGRESQL, 'source', {
      options: { version: pg.major },
      backup: { schedule: '17 3 * * *', retention: '7d', target },
    });
    await api.waitReady(POSTGRESQL, 'source', 30_000);
    await eventually(
      () => getObject<CronJobObject>(kc, { apiVersion: 'batch/v1', kind: 'CronJob', namespace, name: 'source-backup' }),
      30_000,
      'CronJob source-backup',
    );
    await asAddon(
      'source',
      `create table notes (id int primary key, body text not null);
       insert into notes values (1, 'première note'), (2, 'it''s a "quoted" one'), (3, repeat('x', 100000));`,
    );

    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
    const name = await jobs.scheduleRun('source-backup', at);
    const run = await jobs.run(name);
    const key = backupKey(prefix, at, 'dump');
    expect(run.output, run.output).toContain(`uploaded s3://${bucket}/${key}`);
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(`using /usr/lib/postgresql/${pg.major}/bin/pg_dump`);
    // Nothing the script printed carries a credential.
    const credentials = [run.env.POSTGRESQL_ADDON_PASSWORD!, run.env.AWS_SECRET_ACCESS_KEY!];
    for (const value of credentials) expect(run.output).not.toContain(value);

    // A PostgreSQL custom-format archive, as pg_restore expects.
    const object = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');

    const healthy = await api.waitFor(
      POSTGRESQL,
      'source',
      (r) => r.status?.backup?.lastSuccessfulKey === key && condition(r, 'BackupHealthy')?.status === 'True',
      `lastSuccessfulKey ${key}`,
      30_000,
    );
    expect(condition(healthy, 'BackupHealthy')?.reason).toBe('BackupSucceeded');
    await eventually(
      async () => ((await keysUnder(prefix)).includes(`${prefix}20200101T000000Z.dump`) ? undefined : true),
      30_000,
      'the expired dump pruned',
    );
    expect(await keysUnder(prefix)).toEqual([key, `${prefix}README.txt`]);
  });

  it('fails the run and leaves no partial object when the dump fails', async () => {
    const env = await secret('source-secrets');
    // The database refuses the add-on's user: pg_dump exits non-zero after the upload has started.
    pg.sql('postgres', `alter role "${env.POSTGRESQL_ADDON_USER!}" nologin`);
    try {
      const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
      const run = await jobs.run(await jobs.scheduleRun('source-backup', at));
      expect(run.exitCode).not.toBe(0);
      expect(run.output).toContain('backup failed (exit statuses of dump | upload: 1 0 ); removing');
      expect(await keysUnder(backupKey(`${namespace}/source/`, at, 'dump'))).toEqual([]);
      const r = await api.waitFor(
        POSTGRESQL,
        'source',
        (x) => condition(x, 'BackupHealthy')?.status === 'False',
        'BackupHealthy False',
        30_000,
      );
      expect(condition(r, 'BackupHealthy')?.reason).toBe('BackupFailed');
    } finally {
      pg.sql('postgres', `alter role "${env.POSTGRESQL_ADDON_USER!}" login`);
    }
  });

  it('restores the latest dump into a new add-on before it is Ready', async () => {
    await api.create(POSTGRESQL, 'copy', {
      options: { version: pg.major },
      restoreFrom: { latestOf: { name: 'source' }, target },
    });
    const job = await jobs.restoreJobOf('copy');
    expect(condition(await api.get(POSTGRESQL, 'copy'), 'Ready')?.status).not.toBe('True');
    const run = await jobs.run(job.metadata!.name!);
    expect(run.output, run.output).toMatch(
      new RegExp(`restored s3://${bucket}/${namespace}/source/\\d{8}T\\d{6}Z\\.dump`),
    );
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain(`using /usr/lib/postgresql/${pg.major}/bin/pg_restore`);
    await api.waitReady(POSTGRESQL, 'copy', 30_000);

    // The rows, byte for byte, in the new add-on's own database, owned by its own user.
    const rows = await asAddon('copy', 'select id, body from notes order by id');
    expect(rows.trim().split('\n')).toEqual(['1|première note', `2|it's a "quoted" one`, `3|${'x'.repeat(100000)}`]);
    const copyEnv = await secret('copy-secrets');
    expect(copyEnv.POSTGRESQL_ADDON_DB).not.toBe((await secret('source-secrets')).POSTGRESQL_ADDON_DB);
    expect(
      pg.sql(copyEnv.POSTGRESQL_ADDON_DB!, `select tableowner from pg_tables where tablename = 'notes'`).trim(),
    ).toBe(copyEnv.POSTGRESQL_ADDON_USER);
  });

  it('MySql: dumps with mysqldump through gzip, and restores into a new add-on', async () => {
    await api.create(MYSQL, 'shop', { backup: { schedule: '0 4 * * *', retention: '30d', target } });
    await api.waitReady(MYSQL, 'shop', 30_000);
    await eventually(
      () => getObject<CronJobObject>(kc, { apiVersion: 'batch/v1', kind: 'CronJob', namespace, name: 'shop-backup' }),
      30_000,
      'CronJob shop-backup',
    );
    const shopDb = (await secret('shop-secrets')).MYSQL_ADDON_DB!;
    maria.sql(
      shopDb,
      `create table orders (id int primary key, item varchar(100) not null) character set utf8mb4;
       insert into orders values (1, 'crème brûlée'), (2, 'it''s "quoted"');`,
    );

    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
    const run = await jobs.run(await jobs.scheduleRun('shop-backup', at));
    const key = backupKey(`${namespace}/shop/`, at, 'sql.gz');
    expect(run.output, run.output).toContain(`uploaded s3://${bucket}/${key}`);
    expect(run.exitCode).toBe(0);
    expect(run.output).not.toContain(run.env.MYSQL_ADDON_PASSWORD!);
    const object = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const dump = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString();
    expect(dump).toContain('CREATE TABLE `orders`');
    await api.waitFor(
      MYSQL,
      'shop',
      (r) => r.status?.backup?.lastSuccessfulKey === key,
      `lastSuccessfulKey ${key}`,
      30_000,
    );

    await api.create(MYSQL, 'shop-copy', { restoreFrom: { key, target } });
    const restore = await jobs.run((await jobs.restoreJobOf('shop-copy')).metadata!.name!);
    expect(restore.output, restore.output).toContain(`restored s3://${bucket}/${key}`);
    expect(restore.exitCode).toBe(0);
    await api.waitReady(MYSQL, 'shop-copy', 30_000);
    const copyDb = (await secret('shop-copy-secrets')).MYSQL_ADDON_DB!;
    expect(copyDb).not.toBe(shopDb);
    expect(maria.sql(copyDb, 'select id, item from orders order by id').trim().split('\n')).toEqual([
      '1\tcrème brûlée',
      `2\tit's "quoted"`,
    ]);
  });
});
