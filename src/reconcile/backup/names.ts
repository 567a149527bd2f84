// Names, labels and object keys of backups: bounded to Kubernetes' limits, and derivable from one another (a
// backup Job's name gives its scheduled time, which gives its object key).
import { createHash } from 'node:crypto';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../names.ts';
import type { BackupOwner } from './types.ts';

export const BACKUP_FIELD_MANAGER = 'clever-addon-operator-backup';
/** Built from docker/backup-tools; overridable operator-wide (ManagerOptions.backupImage) and per resource. */
export const DEFAULT_BACKUP_IMAGE = 'ghcr.io/clever-addon-operator/backup-tools:0.1.0';

/** Labels select (values bounded to 63 characters); annotations carry the full owner name. */
export const BACKUP_LABELS = {
  of: 'clever-cloud.com/backup-of',
  kind: 'clever-cloud.com/backup-kind',
  role: 'clever-cloud.com/backup-role',
} as const;
export const BACKUP_OWNER_ANNOTATION = 'clever-cloud.com/backup-of';
/** Set by Kubernetes (1.27+) on the pods of a Job: how the pod learns its Job name, hence the scheduled time. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

const CRONJOB_NAME_MAX = 52;
const JOB_NAME_MAX = 63;

const shortHash = (value: string, length = 8) => createHash('sha256').update(value).digest('hex').slice(0, length);

/** `value` when it fits in `max` characters, else a prefix of it plus a hash of the whole (still unique). */
export function boundedName(value: string, max: number, suffix = ''): string {
  const whole = `${value}${suffix}`;
  if (whole.length <= max) return whole;
  const hash = shortHash(value);
  const head = value.slice(0, max - suffix.length - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}${suffix}`;
}

/** CronJob names are limited to 52 characters (its Jobs append `-<11 digits>` and must stay label values). */
export function backupCronJobName(resourceName: string): string {
  return boundedName(resourceName, CRONJOB_NAME_MAX, '-backup');
}

/** One Job per restore source: changing spec.restoreFrom after a failure runs a new Job. */
export function restoreJobName(resourceName: string, source: string): string {
  return boundedName(resourceName, JOB_NAME_MAX, `-restore-${shortHash(source, 6)}`);
}

export function labelValue(name: string): string {
  return boundedName(name, 63);
}

export function backupLabels(owner: Pick<BackupOwner, 'kind' | 'name'>, role: 'backup' | 'restore') {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [BACKUP_LABELS.of]: labelValue(owner.name),
    [BACKUP_LABELS.kind]: owner.kind,
    [BACKUP_LABELS.role]: role,
  };
}

export function defaultPrefix(namespace: string, name: string): string {
  return `${namespace}/${name}/`;
}

/** `20250131T031700Z`: sorts as time does, and is safe in any object store. */
export function formatStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function parseStamp(stamp: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function backupKey(prefix: string, scheduled: Date, extension: string): string {
  return `${prefix}${formatStamp(scheduled)}.${extension}`;
}

/** The time a backup Job was scheduled for, from its name (`<cronjob>-<unix minutes>`); undefined if not a run. */
export function scheduledTimeOf(jobName: string, cronJobName: string): Date | undefined {
  if (!jobName.startsWith(`${cronJobName}-`)) return undefined;
  const minutes = jobName.slice(cronJobName.length + 1);
  if (!/^\d{8,11}$/.test(minutes)) return undefined;
  return new Date(Number(minutes) * 60_000);
}

/** The Job name the CronJob controller gives the run scheduled at `time`. */
export function scheduledJobName(cronJobName: string, time: Date): string {
  return `${cronJobName}-${Math.floor(time.getTime() / 60_000)}`;
}
