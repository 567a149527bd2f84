// What the backup reconcile step takes and returns, and the helpers its parts share.
import type { KubeConfigOrClient } from '../../kube/objects.ts';
import type { BackupTools } from '../../model/provider.ts';
import type { AddonOrigin, AddonStatus } from '../../model/status.ts';
import { setCondition, type ConditionInput } from '../conditions.ts';
import { DEFAULT_BACKUP_IMAGE } from './names.ts';
import type { BackupOwner, BackupSpec, ObjectStoreFactory, PlatformBackup, RestoreFromSpec } from './types.ts';

export const BACKUP_EVENT_REASONS = [
  'BackupSucceeded',
  'BackupFailed',
  'BackupTargetMissing',
  'BackupsPruned',
  'RestoreStarted',
  'RestoreSucceeded',
  'RestoreFailed',
  'RestoreRefused',
  'RestoreSkipped',
] as const;
export type BackupEventReason = (typeof BACKUP_EVENT_REASONS)[number];

export class BackupSpecError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'BackupSpecError';
    this.field = field;
  }
}

export interface BackupStepInput {
  kube: KubeConfigOrClient;
  owner: BackupOwner;
  tools: BackupTools;
  /** Operator-wide default image (the provider's own image, then this, then DEFAULT_BACKUP_IMAGE). */
  defaultImage?: string | undefined;
  connectionSecret: string;
  backup: BackupSpec | undefined;
  restoreFrom: RestoreFromSpec | undefined;
  /** Mutated: backup, restore, platformBackups and the BackupHealthy condition. */
  status: AddonStatus;
  generation: number | undefined;
  /** The add-on is usable: a restore waits for it. */
  ready: boolean;
  /** How the resource came to hold its add-on (status.origin): a restore runs only into one it Created. */
  origin?: AddonOrigin | undefined;
  /** The add-on was reported Ready before: a restore never runs over it. */
  readyOnce?: boolean | undefined;
  now: Date;
  /** The add-on's Clever-side backups; called at most every `platformIntervalMs`. */
  platformBackups?: () => Promise<PlatformBackup[]>;
  platformIntervalMs: number;
  /** When Ready was first True (status.firstReadyTime): the first read waits `platformFirstDelayMs` after it. */
  firstReadyTime?: string | undefined;
  platformFirstDelayMs?: number;
  /** When absent, expired dumps are not swept (the CronJob still runs). */
  objectStore?: ObjectStoreFactory | undefined;
  emit(type: 'Normal' | 'Warning', reason: BackupEventReason, message: string): void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface BackupStepResult {
  /** A restore is pending or running: Ready must stay False with this reason and message. */
  restoring?: ConditionInput;
  /** The restore failed: Ready and Synced False, no retry until the Job is deleted or restoreFrom changes. */
  restoreFailed?: ConditionInput;
  /** spec.restoreFrom cannot run into this add-on (adopted, found): Synced False with this reason; no Job. */
  restoreRefused?: ConditionInput;
  requeueAfterMs?: number;
}

export const POLL_MS = 3_000;
export const TARGET_RECHECK_MS = 30_000;

/** Sets the BackupHealthy condition, or removes it (undefined). */
export function backupCondition(input: BackupStepInput, value: ConditionInput | undefined): void {
  const status = input.status;
  if (!value) {
    if (status.conditions?.some((c) => c.type === 'BackupHealthy'))
      status.conditions = status.conditions.filter((c) => c.type !== 'BackupHealthy');
    return;
  }
  status.conditions = setCondition(status.conditions, 'BackupHealthy', value, input.generation, input.now);
}

/** Asks for the soonest of the requeues asked so far. */
export const requeue = (result: BackupStepResult, ms: number) => {
  result.requeueAfterMs = Math.min(result.requeueAfterMs ?? ms, ms);
};

/** The image of a Job: the resource's, the provider's, the operator-wide one, else DEFAULT_BACKUP_IMAGE. */
export function imageFor(input: BackupStepInput, specImage: string | undefined): string {
  return specImage ?? input.tools.image ?? input.defaultImage ?? DEFAULT_BACKUP_IMAGE;
}
