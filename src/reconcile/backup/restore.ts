// spec.restoreFrom: one Job that loads a dump into the new add-on, run once it is usable and before it is Ready.
import { applyObject } from '../../kube/apply.ts';
import { getObject } from '../../kube/objects.ts';
import type { RestoreStatus } from '../../model/status.ts';
import { buildRestoreJob } from './jobs.ts';
import { BACKUP_FIELD_MANAGER, defaultPrefix } from './names.ts';
import { jobOutcome } from './status.ts';
import {
  BackupSpecError,
  POLL_MS,
  TARGET_RECHECK_MS,
  imageFor,
  requeue,
  type BackupStepInput,
  type BackupStepResult,
} from './step.ts';
import { resolveTarget } from './target.ts';
import type { JobObject } from './types.ts';

export async function reconcileRestore(input: BackupStepInput, result: BackupStepResult): Promise<void> {
  const { owner, status } = input;
  const spec = input.restoreFrom;
  if (!spec || status.restore?.phase === 'Succeeded') return;
  const key = spec.key;
  const source: { key: string } | { latestPrefix: string } = key
    ? { key }
    : { latestPrefix: spec.latestOf?.prefix ?? defaultPrefix(owner.namespace, spec.latestOf?.name ?? '') };
  const sourceText = 'key' in source ? source.key : `latest under ${source.latestPrefix}`;
  if (!input.ready) {
    result.restoring = {
      status: 'False',
      reason: 'Restoring',
      message: `waiting for the add-on before restoring ${sourceText}`,
    };
    requeue(result, POLL_MS);
    return;
  }
  const targetSpec = spec.target ?? input.backup?.target;
  if (!targetSpec) throw new BackupSpecError('spec.restoreFrom.target', 'needed when spec.backup is not set');
  const resolved = await resolveTarget(input.kube, owner.namespace, targetSpec, 'spec.restoreFrom.target');
  if ('missing' in resolved) {
    result.restoring = { status: 'False', reason: 'Restoring', message: `cannot restore yet: ${resolved.missing}` };
    requeue(result, TARGET_RECHECK_MS);
    return;
  }
  const desired = buildRestoreJob({
    owner,
    tools: input.tools,
    image: imageFor(input, spec.image ?? input.backup?.image),
    connectionSecret: input.connectionSecret,
    target: resolved.target,
    source,
  });
  const jobName = desired.metadata!.name!;
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: owner.namespace, name: jobName };
  let job = await getObject<JobObject>(input.kube, ref);
  if (!job) {
    // A Job's pod template is immutable: created once, never re-applied.
    job = await applyObject(input.kube, desired, BACKUP_FIELD_MANAGER, { force: true });
    input.emit('Normal', 'RestoreStarted', `restoring ${sourceText} with Job ${jobName}`);
  }
  const outcome = jobOutcome(job);
  const startTime = job.status?.startTime;
  const restore: RestoreStatus = {
    source: sourceText,
    jobName,
    phase: outcome.state === 'succeeded' ? 'Succeeded' : outcome.state === 'failed' ? 'Failed' : 'Running',
    ...(startTime ? { startTime } : {}),
    ...(outcome.state !== 'active' ? { completionTime: outcome.time.toISOString() } : {}),
  };
  const before = status.restore;
  status.restore = restore;
  if (outcome.state === 'succeeded') {
    if (before?.phase !== 'Succeeded') input.emit('Normal', 'RestoreSucceeded', `restored ${sourceText}`);
    return;
  }
  if (outcome.state === 'failed') {
    const message = `restore Job ${jobName} failed: see its pod logs; delete the Job or change spec.restoreFrom to retry`;
    if (before?.phase !== 'Failed' || before.jobName !== jobName) input.emit('Warning', 'RestoreFailed', message);
    result.restoreFailed = { status: 'False', reason: 'RestoreFailed', message };
    return;
  }
  result.restoring = { status: 'False', reason: 'Restoring', message: `restoring ${sourceText} (Job ${jobName})` };
  requeue(result, POLL_MS);
}
