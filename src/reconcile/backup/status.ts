// What status reports about backups: the outcome of our Jobs, status.backup, the BackupHealthy condition, and the
// summary of the add-on's Clever-side backups.
import { KubeClient } from '../../kube/client.ts';
import type { ObjectList } from '../../kube/types.ts';
import type { BackupStatus, PlatformBackupsStatus } from '../../model/status.ts';
import type { ConditionInput } from '../conditions.ts';
import { BACKUP_LABELS, BACKUP_OWNER_ANNOTATION, backupKey, labelValue, scheduledTimeOf } from './names.ts';
import { nextRun, type Cron } from './schedule.ts';
import type { BackupStepInput } from './step.ts';
import type { CronJobObject, JobObject, PlatformBackup } from './types.ts';

export type JobOutcome = { state: 'active' } | { state: 'succeeded'; time: Date } | { state: 'failed'; time: Date };

export function jobOutcome(job: JobObject): JobOutcome {
  const status = job.status ?? {};
  const cond = (type: string) => status.conditions?.find((c) => c.type === type && c.status === 'True');
  const at = (t: string | undefined) => new Date(t ?? job.metadata?.creationTimestamp ?? 0);
  const complete = cond('Complete');
  if (complete) return { state: 'succeeded', time: at(status.completionTime ?? complete.lastTransitionTime) };
  const failed = cond('Failed');
  if (failed) return { state: 'failed', time: at(failed.lastTransitionTime) };
  return { state: 'active' };
}

export interface BackupRun {
  name: string;
  /** Scheduled time from the name, else the Job's creation. */
  time: Date;
  key: string | undefined;
  outcome: JobOutcome;
}

export function backupRuns(jobs: readonly JobObject[], cronJobName: string, prefix: string, extension: string) {
  return jobs
    .map((job): BackupRun => {
      const name = job.metadata?.name ?? '';
      const scheduled = scheduledTimeOf(name, cronJobName);
      return {
        name,
        time: scheduled ?? new Date(job.metadata?.creationTimestamp ?? 0),
        key: scheduled ? backupKey(prefix, scheduled, extension) : undefined,
        outcome: jobOutcome(job),
      };
    })
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** What status.backup reports, from the CronJob's status and our Jobs (the newest wins over older status). */
export function summarizeBackups(
  previous: BackupStatus | undefined,
  cronJob: CronJobObject | undefined,
  runs: readonly BackupRun[],
): BackupStatus {
  const latest = (...times: (string | undefined)[]) =>
    times.filter((t): t is string => !!t).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  const succeeded = runs.filter((r) => r.outcome.state === 'succeeded');
  const failed = runs.filter((r) => r.outcome.state === 'failed');
  const lastOk = succeeded[succeeded.length - 1];
  const lastFailed = failed[failed.length - 1];
  const okTime = lastOk?.outcome.state === 'succeeded' ? lastOk.outcome.time.toISOString() : undefined;
  const failedTime = lastFailed?.outcome.state === 'failed' ? lastFailed.outcome.time.toISOString() : undefined;
  const newestRun = runs[runs.length - 1]?.time.toISOString();
  const status: BackupStatus = { ...previous };
  const set = <K extends keyof BackupStatus>(k: K, v: BackupStatus[K] | undefined) => {
    if (v !== undefined) status[k] = v;
  };
  set('cronJobName', cronJob?.metadata?.name);
  set('lastScheduleTime', latest(previous?.lastScheduleTime, cronJob?.status?.lastScheduleTime, newestRun));
  const successful = latest(previous?.lastSuccessfulTime, okTime);
  set('lastSuccessfulTime', successful);
  if (lastOk?.key && successful === okTime) status.lastSuccessfulKey = lastOk.key;
  set('lastFailedTime', latest(previous?.lastFailedTime, failedTime));
  return status;
}

/**
 * BackupHealthy: False when the newest finished run failed, or when nothing succeeded within two schedule
 * periods (plus half a period for the run to finish) of the last success or, before any, of the schedule's start.
 */
export function backupHealth(input: {
  cron: Cron;
  runs: readonly BackupRun[];
  since: Date;
  now: Date;
  suspended: boolean;
  lastSuccessfulTime?: string | undefined;
  lastSuccessfulKey?: string | undefined;
}): ConditionInput {
  if (input.suspended) return { status: 'Unknown', reason: 'Suspended', message: 'backups are suspended' };
  const finished = input.runs.filter((r) => r.outcome.state !== 'active');
  const last = finished[finished.length - 1];
  if (last?.outcome.state === 'failed') {
    return {
      status: 'False',
      reason: 'BackupFailed',
      message: `backup Job ${last.name} failed at ${last.outcome.time.toISOString()}`,
    };
  }
  const success = input.lastSuccessfulTime ? new Date(input.lastSuccessfulTime) : undefined;
  const reference = success ?? input.since;
  const first = nextRun(input.cron, reference);
  const second = first && nextRun(input.cron, first);
  const deadline = first && second ? second.getTime() + (second.getTime() - first.getTime()) / 2 : Infinity;
  if (input.now.getTime() > deadline) {
    return {
      status: 'False',
      reason: 'NoRecentBackup',
      message: success
        ? `no backup succeeded since ${success.toISOString()} (two schedule periods)`
        : `no backup succeeded since backups started at ${input.since.toISOString()} (two schedule periods)`,
    };
  }
  if (!success) return { status: 'Unknown', reason: 'NoBackupYet', message: 'waiting for the first backup' };
  return {
    status: 'True',
    reason: 'BackupSucceeded',
    message: `last backup ${input.lastSuccessfulKey ?? ''} at ${success.toISOString()}`.replace('  ', ' '),
  };
}

/** Our backup or restore Jobs of this resource. */
export async function listOurJobs(input: BackupStepInput, role: 'backup' | 'restore'): Promise<JobObject[]> {
  const client = KubeClient.for(input.kube);
  const { owner } = input;
  const selector = [
    `${BACKUP_LABELS.of}=${labelValue(owner.name)}`,
    `${BACKUP_LABELS.kind}=${owner.kind}`,
    `${BACKUP_LABELS.role}=${role}`,
  ].join(',');
  const list = await client.request<ObjectList<JobObject>>(
    'GET',
    `/apis/batch/v1/namespaces/${encodeURIComponent(owner.namespace)}/jobs`,
    { query: { labelSelector: selector } },
  );
  // Labels are bounded; the annotation holds the full name (two long names may share a label value).
  return list.items.filter((j) => (j.metadata?.annotations?.[BACKUP_OWNER_ANNOTATION] ?? owner.name) === owner.name);
}

export function summarizePlatformBackups(backups: readonly PlatformBackup[], now: Date): PlatformBackupsStatus {
  const time = (b: PlatformBackup) =>
    typeof b.creation_date === 'number' ? b.creation_date : Date.parse(b.creation_date);
  const sorted = [...backups].filter((b) => !Number.isNaN(time(b))).sort((a, b) => time(b) - time(a));
  const latest = sorted[0];
  return {
    count: backups.length,
    ...(latest
      ? { latest: { id: latest.backup_id, status: latest.status, createdAt: new Date(time(latest)).toISOString() } }
      : {}),
    checkedAt: now.toISOString(),
  };
}

/**
 * Whether Clever's own backups of an add-on are read now: never before it is Ready (a provisioning add-on has none),
 * the first time one delay after it became Ready, then every interval. A view only, on its own slow cadence: each read
 * is a Clever call per add-on.
 */
export function platformBackupsDue(input: {
  checkedAt: string | undefined;
  firstReadyTime: string | undefined;
  now: Date;
  intervalMs: number;
  firstDelayMs: number;
}): boolean {
  const now = input.now.getTime();
  if (input.checkedAt) {
    const checked = Date.parse(input.checkedAt);
    return Number.isNaN(checked) || now - checked >= input.intervalMs;
  }
  if (!input.firstReadyTime) return false;
  const ready = Date.parse(input.firstReadyTime);
  return Number.isNaN(ready) || now - ready >= input.firstDelayMs;
}

export async function refreshPlatformBackups(input: BackupStepInput): Promise<void> {
  if (!input.platformBackups) return;
  const due = platformBackupsDue({
    checkedAt: input.status.platformBackups?.checkedAt,
    firstReadyTime: input.firstReadyTime,
    now: input.now,
    intervalMs: input.platformIntervalMs,
    firstDelayMs: input.platformFirstDelayMs ?? 0,
  });
  if (!due) return;
  try {
    input.status.platformBackups = summarizePlatformBackups(await input.platformBackups(), input.now);
  } catch (err) {
    // A view only: a failure here never fails the reconcile; it is tried again next time.
    input.log?.('could not list the platform backups', { err: (err as Error).message });
  }
}
