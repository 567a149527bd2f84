// The backup builders are pure: the objects are asserted whole, for what a cluster admin audits (the pod can do
// nothing but its job; no credential value anywhere in the spec) and for what the operator later relies on (the
// object key derivable from the Job name, names within Kubernetes' limits).
import { describe, expect, it } from 'vitest';
import mongodb from '../../../providers/mongodb.ts';
import mysql from '../../../providers/mysql.ts';
import postgresql from '../../../providers/postgresql.ts';
import type { BackupTools } from '../../../src/model/provider.ts';
import {
  BACKUP_UID,
  backupCronJobName,
  backupHealth,
  backupKey,
  backupRuns,
  buildBackupCronJob,
  buildRestoreJob,
  formatStamp,
  labelValue,
  nextRun,
  parseCron,
  parseRetention,
  restoreJobName,
  scheduledJobName,
  scheduledTimeOf,
  selectExpired,
  summarizeBackups,
  summarizePlatformBackups,
  type JobInput,
  type JobObject,
} from '../../../src/reconcile/backup/index.ts';

const tools = postgresql.backup!;
const owner = {
  apiVersion: 'api.clever-cloud.com/v1',
  kind: 'PostgreSql',
  name: 'app-db',
  namespace: 'team',
  uid: 'u-1',
};
const cellarTarget: JobInput['target'] = {
  bucket: 'backups',
  secretName: 'store-secrets',
  endpoint: { secretKey: 'AWS_ENDPOINT_URL_S3' },
  region: { secretKey: 'AWS_REGION' },
};
const input: JobInput = { owner, tools, image: 'tools:1', connectionSecret: 'app-db-secrets', target: cellarTarget };

interface Container {
  name: string;
  image: string;
  command: string[];
  env: {
    name: string;
    value?: string;
    valueFrom?: Record<string, { name?: string; key?: string; fieldPath?: string }>;
  }[];
  envFrom: { secretRef: { name: string } }[];
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext: Record<string, unknown>;
  automountServiceAccountToken: boolean;
  restartPolicy: string;
  volumes: { name: string; emptyDir?: object }[];
}
interface CronSpec {
  schedule: string;
  timeZone: string;
  concurrencyPolicy: string;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  jobTemplate: {
    metadata: { labels: Record<string, string> };
    spec: { backoffLimit: number; template: { spec: PodSpec } };
  };
}

const cron = () => buildBackupCronJob({ ...input, schedule: '17 3 * * *', prefix: 'team/app-db/' });
const cronSpec = () => cron().spec as unknown as CronSpec;
const podOf = (spec: CronSpec) => spec.jobTemplate.spec.template.spec;
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e]));

function expectHardened(pod: PodSpec): void {
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.restartPolicy).toBe('Never');
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: BACKUP_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(BACKUP_UID).toBeGreaterThan(0);
  const [c] = pod.containers;
  expect(c!.securityContext).toEqual(
    expect.objectContaining({
      runAsNonRoot: true,
      runAsUser: BACKUP_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    }),
  );
  // The read-only root still needs a writable /tmp (HOME points there).
  expect(c!.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  expect(pod.volumes.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
  expect(envOf(c!).HOME?.value).toBe('/tmp');
}

describe('buildBackupCronJob', () => {
  it('schedules in UTC, never overlaps, keeps bounded history and retries a bounded number of times', () => {
    const obj = cron();
    expect(obj).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob' });
    expect(obj.metadata).toMatchObject({
      name: 'app-db-backup',
      namespace: 'team',
      labels: {
        'app.kubernetes.io/managed-by': 'clever-addon-operator',
        'clever-cloud.com/backup-of': 'app-db',
        'clever-cloud.com/backup-kind': 'PostgreSql',
        'clever-cloud.com/backup-role': 'backup',
      },
      ownerReferences: [{ kind: 'PostgreSql', name: 'app-db', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
    });
    const spec = cronSpec();
    expect(spec).toMatchObject({
      schedule: '17 3 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(spec.jobTemplate.spec.backoffLimit).toBe(2);
    // Jobs carry the labels the operator's Job informer selects on.
    expect(spec.jobTemplate.metadata.labels['clever-cloud.com/backup-of']).toBe('app-db');
  });

  it('runs a hardened pod', () => {
    expectHardened(podOf(cronSpec()));
  });

  it('takes every credential by reference: the connection Secret by envFrom, the S3 keys by secretKeyRef', () => {
    const [c] = podOf(cronSpec()).containers;
    expect(c!.envFrom).toEqual([{ secretRef: { name: 'app-db-secrets' } }]);
    const env = envOf(c!);
    expect(env.AWS_ACCESS_KEY_ID?.valueFrom?.secretKeyRef).toEqual({ name: 'store-secrets', key: 'AWS_ACCESS_KEY_ID' });
    expect(env.AWS_SECRET_ACCESS_KEY?.valueFrom?.secretKeyRef).toEqual({
      name: 'store-secrets',
      key: 'AWS_SECRET_ACCESS_KEY',
    });
    expect(env.AWS_ENDPOINT_URL_S3?.valueFrom?.secretKeyRef).toEqual({
      name: 'store-secrets',
      key: 'AWS_ENDPOINT_URL_S3',
    });
    expect(env.JOB_NAME?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.labels['batch.kubernetes.io/job-name']");
    expect(env.BACKUP_PREFIX?.value).toBe('team/app-db/');
    expect(env.BACKUP_BUCKET?.value).toBe('backups');
    expect(env.BACKUP_EXTENSION?.value).toBe('dump');
  });

  it('holds no secret value anywhere in the object', () => {
    const secrets = ['s3cr3t-pa55', 'AKIAEXAMPLEKEY', 'wJalrXUtnFEMI/EXAMPLE'];
    // Whatever the Secrets hold, the builders never see it: only names go in. Serialize and grep to be sure.
    const text = JSON.stringify([
      cron(),
      buildRestoreJob({ ...input, source: { key: 'team/app-db/20250101T000000Z.dump' } }),
    ]);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/"value":"[^"]*(postgresql:\/\/|password)/i);
    for (const env of podOf(cronSpec()).containers[0]!.env) {
      if (env.name.startsWith('AWS_ACCESS') || env.name.startsWith('AWS_SECRET')) expect(env.value).toBeUndefined();
    }
  });

  it('runs the dump stages of the provider into the upload, keyed <prefix><UTC stamp>.<ext>', () => {
    // What the script does is tested by running it (backup-scripts.test.ts); here, that the Job carries it.
    const script = podOf(cronSpec()).containers[0]!.command.join(' ');
    expect(script).toContain(`{ if ${tools.dump[0]!} ; then`);
    expect(script).toContain('key="${BACKUP_PREFIX}$(date -u -d "@${seconds}" +%Y%m%dT%H%M%SZ).${BACKUP_EXTENSION}"');
  });

  it('uses literal endpoint and region for an explicit S3 target', () => {
    const obj = buildBackupCronJob({
      ...input,
      target: {
        bucket: 'b',
        secretName: 'aws-creds',
        endpoint: { value: 'https://s3.example.com' },
        region: { value: 'eu-west-3' },
      },
      schedule: '0 * * * *',
      prefix: 'p/',
      suspend: true,
    });
    const spec = obj.spec as unknown as CronSpec;
    expect(spec.suspend).toBe(true);
    const env = envOf(podOf(spec).containers[0]!);
    expect(env.AWS_ENDPOINT_URL_S3).toEqual({ name: 'AWS_ENDPOINT_URL_S3', value: 'https://s3.example.com' });
    expect(env.AWS_REGION).toEqual({ name: 'AWS_REGION', value: 'eu-west-3' });
    expect(env.AWS_ACCESS_KEY_ID?.valueFrom?.secretKeyRef?.name).toBe('aws-creds');
  });

  it.each([
    ['app-db', 'app-db-backup'],
    ['a'.repeat(45), `${'a'.repeat(45)}-backup`],
  ])('keeps short names as they are (%s)', (name, expected) => {
    expect(backupCronJobName(name)).toBe(expected);
  });

  it('truncates long names to the 52-character CronJob limit with a hash that keeps them distinct', () => {
    const a = backupCronJobName(`${'x'.repeat(60)}-one`);
    const b = backupCronJobName(`${'x'.repeat(60)}-two`);
    expect(a.length).toBeLessThanOrEqual(52);
    expect(a).toMatch(/^x+-[0-9a-f]{8}-backup$/);
    expect(a).not.toBe(b);
    // A Job of that CronJob still fits a label value.
    expect(scheduledJobName(a, new Date('2099-12-31T23:59:00Z')).length).toBeLessThanOrEqual(63);
    expect(labelValue('y'.repeat(253)).length).toBeLessThanOrEqual(63);
    const long = buildBackupCronJob({
      ...input,
      owner: { ...owner, name: 'z'.repeat(200) },
      schedule: '0 0 * * *',
      prefix: '',
    });
    expect(long.metadata?.name?.length).toBeLessThanOrEqual(52);
    expect(long.metadata?.annotations?.['clever-cloud.com/backup-of']).toBe('z'.repeat(200));
  });
});

describe('buildRestoreJob', () => {
  it('is a hardened one-off Job restoring a given key, by reference only', () => {
    const job = buildRestoreJob({ ...input, source: { key: 'team/app-db/20250101T000000Z.dump' } });
    expect(job.metadata?.name).toMatch(/^app-db-restore-[0-9a-f]{6}$/);
    expect(job.metadata?.labels?.['clever-cloud.com/backup-role']).toBe('restore');
    expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ uid: 'u-1', controller: true });
    const spec = job.spec as unknown as { backoffLimit: number; template: { spec: PodSpec } };
    expect(spec.backoffLimit).toBe(1);
    expectHardened(spec.template.spec);
    const c = spec.template.spec.containers[0]!;
    expect(c.envFrom).toEqual([{ secretRef: { name: 'app-db-secrets' } }]);
    expect(envOf(c).RESTORE_KEY?.value).toBe('team/app-db/20250101T000000Z.dump');
    expect(c.command.join(' ')).toContain(`| { if ${tools.restore[0]!} ; then`);
  });

  it('finds the newest dump under a prefix in the Job itself, and names Jobs per source', () => {
    const latest = buildRestoreJob({ ...input, source: { latestPrefix: 'team/old-db/' } });
    const c = (latest.spec as unknown as { template: { spec: PodSpec } }).template.spec.containers[0]!;
    expect(envOf(c).RESTORE_PREFIX?.value).toBe('team/old-db/');
    expect(envOf(c).RESTORE_KEY).toBeUndefined();
    expect(c.command.join(' ')).toContain('list-objects-v2');
    expect(restoreJobName('app-db', 'a')).not.toBe(restoreJobName('app-db', 'b'));
    expect(restoreJobName('q'.repeat(250), 'a').length).toBeLessThanOrEqual(63);
  });
});

describe('provider backup tools', () => {
  it.each([
    [
      'PostgreSql',
      postgresql.backup,
      'dump',
      [/^"\$\(.*picked=pg_dump;.*\)" --format=custom/],
      [/^"\$\(.*picked=pg_restore;.*\)" --clean --if-exists/],
    ],
    ['MySql', mysql.backup, 'sql.gz', [/^MYSQL_PWD=\S+ mysqldump /, /^gzip -c$/], [/^gunzip -c$/, / mysql /]],
    ['MongoDb', mongodb.backup, 'archive.gz', [/^mongodump .*--archive/], [/^mongorestore .*--archive/]],
  ])('%s declares dump, restore and extension', (_kind, t: BackupTools | undefined, ext, dump, restore) => {
    expect(t?.extension).toBe(ext);
    expect(t?.dump).toHaveLength(dump.length);
    dump.forEach((re, i) => expect(t?.dump[i]).toMatch(re));
    expect(t?.restore).toHaveLength(restore.length);
    restore.forEach((re, i) => expect(t?.restore[i]).toMatch(re));
    // One command per stage: a pipe inside a stage would hide its first command's failure.
    for (const stage of [...t!.dump, ...t!.restore]) expect(stage).not.toMatch(/\|/);
    // Credentials from the environment, never literals.
    expect([...t!.dump, ...t!.restore].join(' ')).toMatch(/\$\{[A-Z_]+:-\$[A-Za-z_]+\}/);
  });
});

describe('keys', () => {
  it('derives the object key from the CronJob run name (scheduled unix minutes)', () => {
    const at = new Date('2025-01-31T03:17:00Z');
    const job = scheduledJobName('app-db-backup', at);
    expect(job).toBe(`app-db-backup-${at.getTime() / 60_000}`);
    expect(scheduledTimeOf(job, 'app-db-backup')).toEqual(at);
    expect(backupKey('team/app-db/', at, 'dump')).toBe('team/app-db/20250131T031700Z.dump');
    expect(formatStamp(at)).toMatch(/^\d{8}T\d{6}Z$/);
    expect(scheduledTimeOf('app-db-backup-manual', 'app-db-backup')).toBeUndefined();
    expect(scheduledTimeOf('other-backup-29000000', 'app-db-backup')).toBeUndefined();
  });
});

describe('selectExpired', () => {
  const now = new Date('2025-03-01T00:00:00Z');
  const k = (stamp: string, ext = 'dump') => `team/db/${stamp}.${ext}`;
  it.each([
    { name: 'nothing to delete', keys: [k('20250228T000000Z')], retention: '30d', expected: [] },
    {
      name: 'older than retention go, in key order',
      keys: [k('20250101T000000Z'), k('20250228T000000Z'), k('20241201T000000Z'), k('20250215T000000Z')],
      retention: '30d',
      expected: [k('20241201T000000Z'), k('20250101T000000Z')],
    },
    {
      name: 'the newest is kept even when expired',
      keys: [k('20240101T000000Z'), k('20240102T000000Z')],
      retention: '1d',
      expected: [k('20240101T000000Z')],
    },
    {
      name: 'hours',
      keys: [k('20250228T100000Z'), k('20250228T130000Z'), k('20250228T230000Z')],
      retention: '12h',
      expected: [k('20250228T100000Z')],
    },
    {
      name: 'weeks; exactly at the cutoff is kept',
      keys: [k('20250222T000000Z'), k('20250221T235959Z'), k('20250228T000000Z')],
      retention: '1w',
      expected: [k('20250221T235959Z')],
    },
    {
      name: 'foreign keys, other extensions and other prefixes are never touched',
      keys: [
        k('20200101T000000Z', 'sql.gz'),
        'team/db/notes.txt',
        'team/db/20200101T000000Z.dump.partial',
        'team/other/20200101T000000Z.dump',
        k('20200101T000000Z'),
        k('20250228T000000Z'),
      ],
      retention: '30d',
      expected: [k('20200101T000000Z')],
    },
    { name: 'empty bucket', keys: [], retention: '1h', expected: [] },
  ])('$name', ({ keys, retention, expected }) => {
    expect(selectExpired(keys, { prefix: 'team/db/', extension: 'dump', retention, now })).toEqual(expected);
  });

  it.each(['', '0d', '30', '30m', '1y', '-1d'])('refuses retention %j', (r) => {
    expect(() => parseRetention(r)).toThrow(/invalid retention/);
  });
});

describe('cron', () => {
  const at = (s: string) => new Date(s);
  it.each([
    ['17 3 * * *', '2025-01-31T03:17:00Z', '2025-02-01T03:17:00Z'],
    ['*/15 * * * *', '2025-01-31T03:17:00Z', '2025-01-31T03:30:00Z'],
    ['0 0 1 * *', '2025-12-15T00:00:00Z', '2026-01-01T00:00:00Z'],
    ['0 12 * * MON-FRI', '2025-02-01T00:00:00Z', '2025-02-03T12:00:00Z'], // Saturday -> Monday
    ['0 0 13 * 5', '2025-01-01T00:00:00Z', '2025-01-03T00:00:00Z'], // dom OR dow: Friday the 3rd first
    ['0 0 29 2 *', '2025-03-01T00:00:00Z', '2028-02-29T00:00:00Z'],
    ['0 6 * JAN,jul 0', '2025-01-01T00:00:00Z', '2025-01-05T06:00:00Z'],
    ['30 1 * * 7', '2025-01-01T00:00:00Z', '2025-01-05T01:30:00Z'], // 7 is Sunday too
  ])('%s after %s fires at %s', (expr, after, expected) => {
    expect(nextRun(parseCron(expr), at(after))?.toISOString()).toBe(at(expected).toISOString());
  });

  it.each([
    ['* * * *', /5 fields/],
    ['60 * * * *', /minute/],
    ['0 24 * * *', /hour/],
    ['0 0 0 * *', /day of month/],
    ['0 0 * 13 *', /month/],
    ['0 0 * * FUNDAY', /day of week/],
    ['*/0 * * * *', /step/],
  ])('refuses %j', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
  });

  it('knows a schedule that never fires', () => {
    expect(nextRun(parseCron('0 0 30 2 *'), at('2025-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('status from Jobs', () => {
  const cronJobName = 'app-db-backup';
  const job = (time: string, outcome: 'ok' | 'failed' | 'active', done?: string): JobObject => ({
    metadata: { name: scheduledJobName(cronJobName, new Date(time)), creationTimestamp: time },
    status:
      outcome === 'active'
        ? { active: 1 }
        : {
            completionTime: outcome === 'ok' ? (done ?? time) : undefined,
            conditions: [
              { type: outcome === 'ok' ? 'Complete' : 'Failed', status: 'True', lastTransitionTime: done ?? time },
            ],
          },
  });
  const schedule = parseCron('0 3 * * *');
  const since = new Date('2025-01-01T00:00:00Z');

  it('reports the newest success with its key, and the newest failure', () => {
    const runs = backupRuns(
      [
        job('2025-01-03T03:00:00Z', 'failed', '2025-01-03T03:05:00Z'),
        job('2025-01-02T03:00:00Z', 'ok', '2025-01-02T03:04:00Z'),
      ],
      cronJobName,
      'team/app-db/',
      'dump',
    );
    const summary = summarizeBackups(undefined, { metadata: { name: cronJobName } }, runs);
    expect(summary).toEqual({
      cronJobName,
      lastScheduleTime: '2025-01-03T03:00:00.000Z',
      lastSuccessfulTime: '2025-01-02T03:04:00.000Z',
      lastSuccessfulKey: 'team/app-db/20250102T030000Z.dump',
      lastFailedTime: '2025-01-03T03:05:00.000Z',
    });
    // The last finished run failed.
    expect(
      backupHealth({
        cron: schedule,
        runs,
        since,
        now: new Date('2025-01-03T04:00:00Z'),
        suspended: false,
        ...summary,
      }),
    ).toMatchObject({ status: 'False', reason: 'BackupFailed' });
  });

  it('keeps what older Jobs (since deleted) reported', () => {
    const previous = { lastSuccessfulTime: '2025-02-01T03:01:00.000Z', lastSuccessfulKey: 'k/newer.dump' };
    const runs = backupRuns([job('2025-01-02T03:00:00Z', 'ok')], cronJobName, 'k/', 'dump');
    expect(summarizeBackups(previous, undefined, runs)).toMatchObject(previous);
  });

  it.each([
    {
      name: 'no run yet, within two periods',
      now: '2025-01-02T10:00:00Z',
      jobs: [],
      status: 'Unknown',
      reason: 'NoBackupYet',
    },
    {
      name: 'no run for two periods and a half',
      now: '2025-01-03T16:00:00Z',
      jobs: [],
      status: 'False',
      reason: 'NoRecentBackup',
    },
    {
      name: 'recent success',
      now: '2025-01-02T10:00:00Z',
      jobs: [job('2025-01-02T03:00:00Z', 'ok')],
      status: 'True',
      reason: 'BackupSucceeded',
    },
    {
      name: 'success too old',
      now: '2025-01-05T16:00:00Z',
      jobs: [job('2025-01-02T03:00:00Z', 'ok')],
      status: 'False',
      reason: 'NoRecentBackup',
    },
    {
      name: 'a failure followed by a success',
      now: '2025-01-03T10:00:00Z',
      jobs: [job('2025-01-02T03:00:00Z', 'failed'), job('2025-01-03T03:00:00Z', 'ok')],
      status: 'True',
      reason: 'BackupSucceeded',
    },
    {
      name: 'a run in progress does not hide the previous failure',
      now: '2025-01-03T03:01:00Z',
      jobs: [job('2025-01-02T03:00:00Z', 'failed'), job('2025-01-03T03:00:00Z', 'active')],
      status: 'False',
      reason: 'BackupFailed',
    },
  ])('BackupHealthy: $name', ({ now, jobs, status, reason }) => {
    const runs = backupRuns(jobs, cronJobName, 'p/', 'dump');
    const summary = summarizeBackups(undefined, undefined, runs);
    expect(
      backupHealth({ cron: schedule, runs, since, now: new Date(now), suspended: false, ...summary }),
    ).toMatchObject({
      status,
      reason,
    });
  });

  it('says Suspended when suspended', () => {
    expect(
      backupHealth({ cron: schedule, runs: [], since, now: new Date('2030-01-01T00:00:00Z'), suspended: true }),
    ).toMatchObject({ status: 'Unknown', reason: 'Suspended' });
  });
});

describe('platform backups view', () => {
  it('counts and picks the newest', () => {
    const now = new Date('2025-03-01T00:00:00Z');
    expect(
      summarizePlatformBackups(
        [
          { backup_id: 'b1', status: 'DONE', creation_date: '2025-02-27T00:00:00Z' },
          { backup_id: 'b2', status: 'DONE', creation_date: Date.parse('2025-02-28T00:00:00Z') },
        ],
        now,
      ),
    ).toEqual({
      count: 2,
      latest: { id: 'b2', status: 'DONE', createdAt: '2025-02-28T00:00:00.000Z' },
      checkedAt: now.toISOString(),
    });
    expect(summarizePlatformBackups([], now)).toEqual({ count: 0, checkedAt: now.toISOString() });
  });
});
