// The one vocabulary of reasons: what a condition says (status.conditions[].reason) and what an Event says
// (Event.reason). Dashboards, alerts and the tests key on these exact strings, so they are enumerated here and
// everything that writes a condition or emits an Event is typed against these lists.
import { BACKUP_EVENT_REASONS } from '../backup/index.ts';

/** Reasons of the Ready, Synced and BackupHealthy conditions. */
export const CONDITION_REASONS = [
  // Ready
  'Available',
  'Provisioning',
  'Creating',
  'Deleting',
  'AddonDeleted',
  'AddonMissing',
  'Restoring',
  'RestoreFailed',
  // Synced: success and progress
  'ReconcileSuccess',
  'Migrating',
  'Paused',
  // Synced: spec problems
  'InvalidSpec',
  'InvalidPlan',
  'InvalidRegion',
  'InvalidVersion',
  'InvalidOrganisation',
  'AdoptionConflict',
  'OwnerChanged',
  'RegionChanged',
  'AdoptionAnnotationIgnored',
  'RestoreRefused',
  'TemplateError',
  'ProviderUnavailable',
  // Synced: an AddonPolicy refuses the resource (src/policy/)
  'PolicyDenied',
  // Synced: credentials
  'CredentialsMissing',
  'CredentialsInvalid',
  'Unauthorized',
  // Synced: Clever Cloud
  'CleverApiUnavailable',
  'CreateFailed',
  'UpdateFailed',
  'MigrationFailed',
  // Synced: Kubernetes side
  'SecretConflict',
  'CronJobConflict',
  'BindingIncomplete',
  'RolloutTargetNotFound',
  'RolloutsDisabled',
  'BackupsDisabled',
  // Synced: object storage
  'BucketNotEmpty',
  'BucketUnavailable',
  'ObjectStorageError',
  // Synced: deletion (the add-on kept for lack of certainty; deletion waiting for credentials)
  'DeletionUncertain',
  'DeletionBlocked',
  // Synced: anything else
  'ReconcileError',
  // BackupHealthy
  'Suspended',
  'BackupFailed',
  'BackupSucceeded',
  'BackupTargetNotFound',
  'NoBackupYet',
  'NoRecentBackup',
] as const;
export type ConditionReason = (typeof CONDITION_REASONS)[number];

export type EventType = 'Normal' | 'Warning';

/** Event reasons, enumerated: dashboards and alerts key on them. */
export const EVENT_REASONS = [
  'Created',
  'Adopted',
  'CreateFailed',
  'Deleted',
  'Orphaned',
  'DeleteFailed',
  'DeletionUncertain',
  'DeletionBlocked',
  'AdoptionAnnotationIgnored',
  'MigrationStarted',
  'MigrationSucceeded',
  'MigrationFailed',
  'SecretUpdated',
  'SecretRestored',
  'SecretConflict',
  'CronJobConflict',
  'VariablesUpdated',
  'RolloutTriggered',
  'RolloutTargetMissing',
  'RolloutsDisabled',
  'BackupsDisabled',
  'TemplateError',
  'AddonDeletedExternally',
  'AddonMissing',
  'OwnerChanged',
  'DuplicateRemoved',
  'InvalidSpec',
  'OwnerChanged',
  'RegionChanged',
  'CredentialsProblem',
  'PolicyDenied',
  'ReconcileError',
  'BucketCreated',
  'BucketDeleted',
  'BucketReleased',
  'BucketNotEmpty',
  'BucketUnavailable',
  'ObjectStorageError',
  ...BACKUP_EVENT_REASONS,
] as const;
export type EventReason = (typeof EVENT_REASONS)[number];
