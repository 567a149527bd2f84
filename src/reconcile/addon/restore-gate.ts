// What the add-on reconciler keeps of backups: Ready waits for the one-off restore of spec.restoreFrom, which the
// backup controller (../backup/controller.ts) runs and records in status.restore; and the status fields that
// controller owns, which this reconciler never writes.
import type { AddonStatus } from '../../model/status.ts';
import { BACKUP_CONDITION, BACKUP_STATUS_FIELDS } from '../backup/controller.ts';
import { decideRestore } from '../backup/decide.ts';
import { getCondition, type ConditionInput } from '../conditions.ts';
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
 * (the add-on was not created by this resource) leaves Ready to the probe and makes Synced False. With nothing
 * recorded, Ready waits only for a restore that may still start: one the backup controller will skip (the add-on
 * was Ready once) or refuse (not Created here) must not take Ready back from an add-on in use.
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
      if (!mayStillStart(pass)) return {};
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

/**
 * Whether the backup controller could still start the restore, by the very decision it takes (decideRestore):
 * never into an add-on that was Ready once (status.firstReadyTime, kept when status.restore is lost) or that this
 * resource did not record creating (status.origin, set at step 6 of this pass). A Job of ours that runs anyway is
 * recorded as Running by the backup controller, and the next pass holds Ready for it.
 */
function mayStillStart(pass: Pass): boolean {
  const decision = decideRestore({
    requested: true,
    origin: pass.status.origin,
    readyOnce:
      Boolean(pass.status.firstReadyTime) ||
      getCondition(pass.original, 'Ready')?.status === 'True' ||
      getCondition(pass.status, 'Ready')?.status === 'True',
    recorded: pass.status.restore,
    jobName: pass.status.restore?.jobName ?? '',
    job: 'absent',
    addonReady: true,
  });
  return decision.action !== 'skip' && decision.action !== 'refuse';
}

/** Status without what the backup controller owns. */
export function withoutBackupFields(status: AddonStatus | undefined): AddonStatus {
  const rest: AddonStatus = { ...status };
  for (const k of BACKUP_STATUS_FIELDS) delete rest[k];
  if (rest.conditions) rest.conditions = rest.conditions.filter((c) => c.type !== BACKUP_CONDITION);
  return rest;
}
