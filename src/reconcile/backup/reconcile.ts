// The backup reconcile step: the backup CronJob and its status, the restore, the platform backups summary.
import { applyObject } from '../../kube/apply.ts';
import { deleteObject, getObject, type KubeConfigOrClient } from '../../kube/objects.ts';
import { buildBackupCronJob } from './jobs.ts';
import { BACKUP_FIELD_MANAGER, backupCronJobName, defaultPrefix } from './names.ts';
import { reconcileRestore } from './restore.ts';
import { parseRetention, sweepExpired } from './retention.ts';
import { nextRun, parseCron, type Cron } from './schedule.ts';
import { backupHealth, backupRuns, listOurJobs, refreshPlatformBackups, summarizeBackups } from './status.ts';
import {
  BackupSpecError,
  TARGET_RECHECK_MS,
  backupCondition,
  imageFor,
  requeue,
  type BackupStepInput,
  type BackupStepResult,
} from './step.ts';
import { resolveTarget } from './target.ts';
import type { BackupOwner, CronJobObject } from './types.ts';

export async function reconcileBackups(input: BackupStepInput): Promise<BackupStepResult> {
  const result: BackupStepResult = {};
  await reconcileSchedule(input, result);
  await reconcileRestore(input, result);
  await refreshPlatformBackups(input);
  return result;
}

async function reconcileSchedule(input: BackupStepInput, result: BackupStepResult): Promise<void> {
  const { owner, status } = input;
  const name = backupCronJobName(owner.name);
  const ref = { apiVersion: 'batch/v1', kind: 'CronJob', namespace: owner.namespace, name };
  const backup = input.backup;
  if (!backup) {
    if (status.backup) {
      const live = await getObject<CronJobObject>(input.kube, ref);
      if (live?.metadata?.ownerReferences?.some((o) => o.uid === owner.uid)) {
        await deleteObject(input.kube, ref, { uid: live.metadata.uid!, propagationPolicy: 'Background' });
      }
      delete status.backup;
    }
    backupCondition(input, undefined);
    return;
  }
  let cron: Cron;
  try {
    cron = parseCron(backup.schedule);
  } catch (err) {
    throw new BackupSpecError('spec.backup.schedule', (err as Error).message);
  }
  if (!nextRun(cron, input.now)) throw new BackupSpecError('spec.backup.schedule', 'the schedule never fires');
  try {
    parseRetention(backup.retention);
  } catch (err) {
    throw new BackupSpecError('spec.backup.retention', (err as Error).message);
  }
  const resolved = await resolveTarget(input.kube, owner.namespace, backup.target, 'spec.backup.target');
  if ('missing' in resolved) {
    backupCondition(input, { status: 'False', reason: 'BackupTargetNotFound', message: resolved.missing });
    if (status.backup?.targetProblem !== resolved.missing)
      input.emit('Warning', 'BackupTargetMissing', resolved.missing);
    status.backup = { ...status.backup, targetProblem: resolved.missing };
    requeue(result, TARGET_RECHECK_MS);
    return;
  }
  const prefix = backup.prefix ?? defaultPrefix(owner.namespace, owner.name);
  const desired = buildBackupCronJob({
    owner,
    tools: input.tools,
    image: imageFor(input, backup.image),
    connectionSecret: input.connectionSecret,
    target: resolved.target,
    schedule: backup.schedule,
    prefix,
    suspend: backup.suspend,
  });
  const applied = await applyObject(input.kube, desired, BACKUP_FIELD_MANAGER, { force: true });
  const runs = backupRuns(await listOurJobs(input, 'backup'), name, prefix, input.tools.extension);
  const previous = status.backup;
  const { targetProblem: _gone, ...kept } = previous ?? {};
  const summary = summarizeBackups(kept, applied, runs);
  if (summary.lastSuccessfulTime && summary.lastSuccessfulTime !== previous?.lastSuccessfulTime) {
    input.emit('Normal', 'BackupSucceeded', `backup ${summary.lastSuccessfulKey ?? ''} uploaded`.replace('  ', ' '));
  }
  if (summary.lastFailedTime && summary.lastFailedTime !== previous?.lastFailedTime) {
    input.emit('Warning', 'BackupFailed', `a backup Job failed at ${summary.lastFailedTime}; see its pod logs`);
  }
  status.backup = summary;
  backupCondition(
    input,
    backupHealth({
      cron,
      runs,
      since: new Date(applied.metadata?.creationTimestamp ?? input.now),
      now: input.now,
      suspended: backup.suspend ?? false,
      lastSuccessfulTime: summary.lastSuccessfulTime,
      lastSuccessfulKey: summary.lastSuccessfulKey,
    }),
  );
  await sweepExpired(input, backup, resolved.target, prefix);
}

/** Removes our CronJob and restore Jobs (deletion of the resource; garbage collection would do it too). */
export async function deleteBackupObjects(kube: KubeConfigOrClient, owner: BackupOwner): Promise<void> {
  const ref = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    namespace: owner.namespace,
    name: backupCronJobName(owner.name),
  };
  const live = await getObject<CronJobObject>(kube, ref);
  if (live?.metadata?.ownerReferences?.some((o) => o.uid === owner.uid)) {
    await deleteObject(kube, ref, { uid: live.metadata.uid!, propagationPolicy: 'Background' });
  }
}
