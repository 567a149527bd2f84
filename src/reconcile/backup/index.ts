// Off-platform backups: spec.backup becomes a CronJob that streams a dump to an S3 bucket, spec.restoreFrom a
// one-off Job that loads a dump into a new add-on before it is reported Ready. The commands come from the
// provider's data (ProviderDefinition.backup), so one feature serves every kind that declares them.
//
// Design points:
//  * The builders are pure: everything they need is resolved first, so tests can assert the objects whole.
//  * Credentials only ever travel by reference (envFrom / secretKeyRef): no value is copied into a Job spec.
//  * The object key is derivable from the Job object alone: a CronJob names its Jobs `<cronjob>-<scheduled time in
//    unix minutes>` and the pod reads that name through the downward API, so the operator reports the key of the
//    last successful backup without reading pods or listing the bucket.
//  * Applied with a field manager of our own, like rollout.ts: these objects are ours, nothing else's.
//
// The files: names.ts (names, labels, keys), types.ts (shared shapes), schedule.ts (cron), scripts.ts (pod shell),
// jobs.ts (CronJob and Job builders), status.ts (what status reports), retention.ts (expiry and sweep),
// target.ts (where dumps go), restore.ts (spec.restoreFrom), step.ts and reconcile.ts (the reconcile step).
export { buildBackupCronJob, buildRestoreJob, BACKUP_UID } from './jobs.ts';
export {
  BACKUP_FIELD_MANAGER,
  BACKUP_LABELS,
  BACKUP_OWNER_ANNOTATION,
  DEFAULT_BACKUP_IMAGE,
  JOB_NAME_LABEL,
  backupCronJobName,
  backupKey,
  backupLabels,
  boundedName,
  defaultPrefix,
  formatStamp,
  labelValue,
  parseStamp,
  restoreJobName,
  scheduledJobName,
  scheduledTimeOf,
} from './names.ts';
export { deleteBackupObjects, reconcileBackups } from './reconcile.ts';
export { parseRetention, s3ObjectStore, selectExpired } from './retention.ts';
export { nextRun, parseCron, type Cron } from './schedule.ts';
export { backupScript, restoreScript } from './scripts.ts';
export {
  backupHealth,
  backupRuns,
  jobOutcome,
  summarizeBackups,
  summarizePlatformBackups,
  type BackupRun,
  type JobOutcome,
} from './status.ts';
export {
  BACKUP_EVENT_REASONS,
  BackupSpecError,
  type BackupEventReason,
  type BackupStepInput,
  type BackupStepResult,
} from './step.ts';
export { resolveTarget } from './target.ts';
export type {
  BackupOwner,
  BackupSpec,
  BackupTarget,
  CronJobObject,
  JobCondition,
  JobInput,
  JobObject,
  ObjectStore,
  ObjectStoreFactory,
  PlatformBackup,
  ResolvedTarget,
  RestoreFromSpec,
  S3Access,
  ValueSource,
} from './types.ts';
