// What the add-on reconciler keeps of backups: Ready waits for the one-off restore of spec.restoreFrom, which the
// backup controller (../backup/controller.ts) runs and records in status.restore; and the status fields that
// controller owns, which this reconciler never writes.
import type { AddonStatus } from '../../model/status.ts';
import { BACKUP_CONDITION, BACKUP_STATUS_FIELDS } from '../backup/controller.ts';
import type { ConditionInput } from '../conditions.ts';
import { POLL_MS } from './failures.ts';
import type { Pass } from './pass.ts';
import type { CommonSpec } from './types.ts';

/** What Ready waits for: the restore the backup controller runs, as it recorded it in status.restore. */
export interface RestoreGate {
  restoring?: ConditionInput;
  restoreFailed?: ConditionInput;
  restoreRefused?: ConditionInput;
  requeueAfterMs?: number;
}

/**
 * Step 9: Ready is held back while spec.restoreFrom has not run (pending, running) or failed; a refused restore
 * (the add-on was not created by this resource) leaves Ready to the probe and makes Synced False.
 */
export function restoreGate(pass: Pass, spec: CommonSpec): RestoreGate {
  if (!spec.restoreFrom) return {};
  const restore = pass.status.restore;
  switch (restore?.phase) {
    case 'Succeeded':
    case 'Skipped':
      return {};
    case 'Refused':
      return { restoreRefused: { status: 'False', reason: 'RestoreRefused', message: restore.message ?? '' } };
    case 'Failed':
      return {
        restoreFailed: {
          status: 'False',
          reason: 'RestoreFailed',
          message: `restore Job ${restore.jobName} failed: see its pod logs; delete the Job or change spec.restoreFrom to retry`,
        },
      };
    case 'Lost':
      return { restoreFailed: { status: 'False', reason: 'RestoreFailed', message: restore.message ?? '' } };
    case 'Running':
      return {
        restoring: {
          status: 'False',
          reason: 'Restoring',
          message: `restoring ${restore.source} (Job ${restore.jobName})`,
        },
        requeueAfterMs: POLL_MS,
      };
    default:
      return {
        restoring: {
          status: 'False',
          reason: 'Restoring',
          message: 'waiting for the restore of spec.restoreFrom to start',
        },
        requeueAfterMs: POLL_MS,
      };
  }
}

/** Status without what the backup controller owns. */
export function withoutBackupFields(status: AddonStatus | undefined): AddonStatus {
  const rest: AddonStatus = { ...status };
  for (const k of BACKUP_STATUS_FIELDS) delete rest[k];
  if (rest.conditions) rest.conditions = rest.conditions.filter((c) => c.type !== BACKUP_CONDITION);
  return rest;
}
