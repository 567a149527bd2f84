// spec.backup and spec.restoreFrom on the real API server. No kubelet or controller-manager runs here: CronJobs
// never fire and Jobs never run, so a run is simulated the way the CronJob controller and the Job controller would
// leave it (test/support/jobs.ts). backup.tools.test.ts runs the Jobs' scripts for real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { getObject } from '../../src/kube/objects.ts';
import { backupKey, type CronJobObject } from '../../src/reconcile/backup/index.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import { adminKubeConfig, apiError, createTestNamespace, eventually, statusMessage } from '../support/kube.ts';
import { JobSimulator } from '../support/jobs.ts';
import { stopProcess } from '../support/addons.ts';
import { spawnOperator, startOperator, type OperatorHarness } from '../support/operator.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { CELLAR, POSTGRESQL, condition, namespaceApi, type Resource } from '../support/resources.ts';

describe('off-platform backups and restore', () => {
  const kc = adminKubeConfig();
  const kube = KubeClient.for(kc);
  let namespace = '';
  let api: ReturnType<typeof namespaceApi>;
  let op: OperatorHarness;
  let jobs: JobSimulator;

  const target = { cellarRef: { name: 'store', bucket: 'backups' } };
  const jobsPath = () => `/apis/batch/v1/namespaces/${namespace}/jobs`;
  const cronJob = (name: string) =>
    getObject<CronJobObject>(kc, { apiVersion: 'batch/v1', kind: 'CronJob', namespace, name });
  /** The credential values of a Secret (not the host names or types it also holds). */
  const secretValues = async (name: string) => {
    const s = await getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    return Object.entries(s?.data ?? {})
      .filter(([k]) => /PASSWORD|SECRET|KEY_ID|URI|URL$|^password$|^uri$/.test(k) && k !== 'AWS_ENDPOINT_URL_S3')
      .map(([, v]) => Buffer.from(v, 'base64').toString());
  };

  const backupHealthy = (r: Resource) => condition(r, 'BackupHealthy');

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'backup');
    api = namespaceApi(kc, namespace);
    jobs = new JobSimulator(kube, namespace);
    op = await startOperator({ namespaces: [namespace], manager: { driftIntervalMs: 2_000 } });
    await api.create(CELLAR, 'store', {});
    await api.waitReady(CELLAR, 'store', 30_000);
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('refuses a target that is not exactly one of cellarRef or s3, and restoreFrom added after creation', async () => {
    const both = await apiError(
      api.create(POSTGRESQL, 'bad-target', {
        backup: {
          schedule: '0 3 * * *',
          target: {
            ...target,
            s3: { endpoint: 'https://s3.example.com', bucket: 'b-1', credentialsSecretRef: { name: 's' } },
          },
        },
      }),
    );
    expect(statusMessage(both)).toContain('set exactly one of cellarRef or s3');
    const badCron = await apiError(api.create(POSTGRESQL, 'bad-cron', { backup: { schedule: '@daily', target } }));
    expect(statusMessage(badCron)).toContain('spec.backup.schedule');
    await api.create(POSTGRESQL, 'late-restore', {});
    const late = await apiError(api.patch(POSTGRESQL, 'late-restore', { spec: { restoreFrom: { key: 'k', target } } }));
    expect(statusMessage(late)).toContain('restoreFrom can only be set when the resource is created');
  });

  it('owns a CronJob that matches spec.backup, holds no secret value, and follows schedule changes', async () => {
    await api.create(POSTGRESQL, 'db', { backup: { schedule: '17 3 * * *', retention: '7d', target } });
    const cj = await eventually(() => cronJob('db-backup'), 30_000, 'CronJob db-backup');
    const db = (await api.get(POSTGRESQL, 'db'))!;
    expect(cj.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'PostgreSql', name: 'db', uid: db.metadata!.uid, controller: true }),
    ]);
    expect(cj.metadata?.labels).toMatchObject({
      'clever-cloud.com/backup-of': 'db',
      'clever-cloud.com/backup-kind': 'PostgreSql',
    });
    expect(cj.metadata?.managedFields?.map((f) => f.manager)).toContain('clever-addon-operator-backup');
    const spec = cj.spec as {
      schedule: string;
      timeZone: string;
      concurrencyPolicy: string;
      jobTemplate: { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    };
    expect(spec).toMatchObject({ schedule: '17 3 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const container = spec.jobTemplate.spec.template.spec.containers[0]!;
    expect(container.envFrom).toEqual([{ secretRef: { name: 'db-secrets' } }]);
    const env = container.env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'store-secrets', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    expect(env.find((e) => e.name === 'BACKUP_PREFIX')?.value).toBe(`${namespace}/db/`);
    // No value of either Secret appears anywhere in the stored CronJob.
    const stored = JSON.stringify(cj);
    const values = [...(await secretValues('db-secrets')), ...(await secretValues('store-secrets'))];
    expect(values.length).toBeGreaterThanOrEqual(6);
    for (const value of values) expect(stored).not.toContain(value);

    const withStatus = await api.waitFor(
      POSTGRESQL,
      'db',
      (r) => backupHealthy(r)?.reason === 'NoBackupYet' && !!r.status?.platformBackups,
      'BackupHealthy NoBackupYet and the platform backups view',
      30_000,
    );
    expect(withStatus.status?.backup?.cronJobName).toBe('db-backup');
    // The simulator keeps two platform backups per database.
    expect(withStatus.status?.platformBackups).toMatchObject({ count: 2, latest: { status: 'DONE' } });

    await api.patch(POSTGRESQL, 'db', { spec: { backup: { schedule: '0 * * * *', suspend: true } } });
    await eventually(
      async () => {
        const s = (await cronJob('db-backup'))?.spec as { schedule?: string; suspend?: boolean } | undefined;
        return s?.schedule === '0 * * * *' && s.suspend === true ? true : undefined;
      },
      20_000,
      'CronJob updated',
    );
    await api.patch(POSTGRESQL, 'db', { spec: { backup: { schedule: '17 3 * * *', suspend: false } } });
  });

  it('reports runs from the Jobs: the key of the last success, then BackupHealthy False when a run fails', async () => {
    await eventually(() => cronJob('db-backup'), 30_000, 'CronJob');
    const okAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
    const ok = await jobs.scheduleRun('db-backup', okAt);
    await jobs.finish(ok, 'Complete');
    const key = backupKey(`${namespace}/db/`, okAt, 'dump');
    const healthy = await api.waitFor(
      POSTGRESQL,
      'db',
      (r) => r.status?.backup?.lastSuccessfulKey === key && backupHealthy(r)?.status === 'True',
      `lastSuccessfulKey ${key}`,
      20_000,
    );
    expect(healthy.status?.backup?.lastScheduleTime).toBeDefined();
    expect(backupHealthy(healthy)?.reason).toBe('BackupSucceeded');

    const failed = await jobs.scheduleRun('db-backup', new Date(okAt.getTime() + 60_000));
    await jobs.finish(failed, 'Failed');
    const unhealthy = await api.waitFor(
      POSTGRESQL,
      'db',
      (r) => backupHealthy(r)?.status === 'False',
      'BackupHealthy False',
      20_000,
    );
    expect(backupHealthy(unhealthy)).toMatchObject({ reason: 'BackupFailed' });
    expect(backupHealthy(unhealthy)?.message).toContain(failed);
    expect(unhealthy.status?.backup?.lastFailedTime).toBeDefined();
    // The last success is still reported, and the add-on itself stays Ready.
    expect(unhealthy.status?.backup?.lastSuccessfulKey).toBe(key);
    expect(condition(unhealthy, 'Ready')?.status).toBe('True');
  });

  it('writes backup status as its own field manager: BackupHealthy and Ready/Synced each have one owner', async () => {
    const db = await api.waitFor(
      POSTGRESQL,
      'db',
      (r) => Boolean(backupHealthy(r)) && condition(r, 'Ready')?.status === 'True',
      'BackupHealthy and Ready',
      20_000,
    );
    type Managed = { manager?: string; operation?: string; subresource?: string; fieldsV1?: { 'f:status'?: object } };
    const managed = (db.metadata?.managedFields ?? []) as Managed[];
    const owners = (type: string) =>
      managed
        .filter(
          (f) => f.subresource === 'status' && JSON.stringify(f.fieldsV1 ?? {}).includes(`{\\"type\\":\\"${type}\\"}`),
        )
        .map((f) => `${f.manager} ${f.operation}`);
    expect(owners('BackupHealthy')).toEqual(['clever-addon-operator-backup Apply']);
    expect(owners('Ready')).toEqual(['clever-addon-operator Update']);
    expect(owners('Synced')).toEqual(['clever-addon-operator Update']);
    const backupFields = managed.filter((f) => Object.keys(f.fieldsV1?.['f:status'] ?? {}).includes('f:backup'));
    expect(backupFields.map((f) => f.manager)).toEqual(['clever-addon-operator-backup']);
  });

  it('removes the CronJob and the backup status when spec.backup is cleared', async () => {
    await eventually(() => cronJob('db-backup'), 30_000, 'CronJob');
    await api.patch(POSTGRESQL, 'db', { spec: { backup: null } });
    await eventually(async () => ((await cronJob('db-backup')) ? undefined : true), 20_000, 'CronJob deleted');
    const cleared = await api.waitFor(
      POSTGRESQL,
      'db',
      (r) => !r.status?.backup && !backupHealthy(r),
      'backup status cleared',
      20_000,
    );
    expect(condition(cleared, 'Ready')?.status).toBe('True');
  });

  it('restores into a new add-on before reporting it Ready, once', async () => {
    await api.create(POSTGRESQL, 'restored', { restoreFrom: { latestOf: { name: 'db' }, target } });
    const job = await jobs.restoreJobOf('restored');
    const container = (
      job.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]!;
    expect(container.env.find((e) => e.name === 'RESTORE_PREFIX')?.value).toBe(`${namespace}/db/`);
    const restoring = await api.waitFor(
      POSTGRESQL,
      'restored',
      (r) => condition(r, 'Ready')?.reason === 'Restoring' && r.status?.restore?.phase === 'Running',
      'Ready=False reason Restoring',
      30_000,
    );
    expect(condition(restoring, 'Ready')?.status).toBe('False');
    // Still not Ready a few reconciles later: only the Job's success lets it through.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(condition(await api.get(POSTGRESQL, 'restored'), 'Ready')?.status).toBe('False');

    await jobs.finish(job.metadata!.name!, 'Complete');
    const ready = await api.waitReady(POSTGRESQL, 'restored', 20_000);
    expect(ready.status?.restore).toMatchObject({ phase: 'Succeeded', jobName: job.metadata!.name });
    // Done once: deleting the finished Job does not start another restore.
    await kube.request('DELETE', `${jobsPath()}/${job.metadata!.name}`, {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
    });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await jobs.list('clever-cloud.com/backup-of=restored')).toEqual([]);
    expect((await api.get(POSTGRESQL, 'restored'))?.status?.restore?.phase).toBe('Succeeded');
  });

  it('reports a failed restore as Synced=False reason RestoreFailed and never Ready', async () => {
    await api.create(POSTGRESQL, 'broken', { restoreFrom: { key: `${namespace}/db/20200101T000000Z.dump`, target } });
    const job = await jobs.restoreJobOf('broken');
    await jobs.finish(job.metadata!.name!, 'Failed');
    const failed = await api.waitFor(
      POSTGRESQL,
      'broken',
      (r) => condition(r, 'Synced')?.reason === 'RestoreFailed',
      'Synced=False reason RestoreFailed',
      20_000,
    );
    expect(condition(failed, 'Synced')?.status).toBe('False');
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'RestoreFailed' });
    expect(failed.status?.restore?.phase).toBe('Failed');
  });

  it('says which target is missing instead of writing a CronJob that cannot run', async () => {
    await api.create(POSTGRESQL, 'no-store', {
      backup: { schedule: '0 3 * * *', target: { cellarRef: { name: 'nowhere', bucket: 'backups' } } },
    });
    const r = await api.waitFor(
      POSTGRESQL,
      'no-store',
      (x) => backupHealthy(x)?.reason === 'BackupTargetNotFound',
      'BackupTargetNotFound',
      30_000,
    );
    expect(backupHealthy(r)?.message).toContain('Cellar nowhere not found');
    expect(await cronJob('no-store-backup')).toBeUndefined();
  });
});

describe('the operator-wide backup image', () => {
  const kc = adminKubeConfig();

  it('run --backup-image sets the image of CronJobs whose resource names none; spec.backup.image still wins', async () => {
    const namespace = await createTestNamespace(kc, 'backup-image');
    const api = namespaceApi(kc, namespace);
    const sim = await startSimulator({ seed: 21 });
    const p = spawnOperator({
      simUrl: sim.url,
      bridgeUrl: sim.bridgeUrl,
      namespaces: [namespace],
      extraArgs: ['--leader-election', 'false', '--backup-image', 'registry.example.com/ops/backup-tools:7'],
    });
    try {
      const target = { cellarRef: { name: 'store', bucket: 'backups' } };
      await api.create(CELLAR, 'store', {});
      await api.create(POSTGRESQL, 'plain', { backup: { schedule: '0 3 * * *', target } });
      await api.create(POSTGRESQL, 'own', {
        backup: { schedule: '0 3 * * *', target, image: 'registry.example.com/team/pg-tools:17' },
      });
      const imageOf = async (name: string) => {
        const cj = await getObject<CronJobObject>(kc, { apiVersion: 'batch/v1', kind: 'CronJob', namespace, name });
        const spec = cj?.spec as
          { jobTemplate: { spec: { template: { spec: { containers: { image: string }[] } } } } } | undefined;
        return spec?.jobTemplate.spec.template.spec.containers[0]?.image;
      };
      expect(await eventually(() => imageOf('plain-backup'), 60_000, 'CronJob plain-backup')).toBe(
        'registry.example.com/ops/backup-tools:7',
      );
      expect(await eventually(() => imageOf('own-backup'), 30_000, 'CronJob own-backup')).toBe(
        'registry.example.com/team/pg-tools:17',
      );
    } finally {
      await stopProcess(p.child, 'SIGTERM');
      await sim.stop();
    }
  });
});
