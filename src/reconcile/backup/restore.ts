// spec.restoreFrom: one Job that loads a dump into the new add-on, run once it is usable and before it is Ready.
// Whether it may run at all is decideRestore's (decide.ts): only into an add-on this resource created, never Ready.
import { applyObject } from '../../kube/apply.ts';
import { getObject } from '../../kube/objects.ts';
import type { RestoreStatus } from '../../model/status.ts';
import { decideRestore } from './decide.ts';
import { buildRestoreJob, restoreJobNameFor, type RestoreSource } from './jobs.ts';
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
  const source: RestoreSource = key
    ? { key }
    : { latestPrefix: spec.latestOf?.prefix ?? defaultPrefix(owner.namespace, spec.latestOf?.name ?? '') };
  const sourceText = 'key' in source ? source.key : `latest under ${source.latestPrefix}`;
  const jobName = restoreJobNameFor(owner, source);
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: owner.namespace, name: jobName };
  let job = await getObject<JobObject>(input.kube, ref);
  const ours = job?.metadata?.ownerReferences?.some((o) => o.uid === owner.uid) ? job : undefined;
  const outcome = ours ? jobOutcome(ours) : undefined;
  const decision = decideRestore({
    requested: true,
    origin: input.origin,
    readyOnce: input.readyOnce ?? false,
    recorded: status.restore,
    jobName,
    job: !outcome ? 'absent' : outcome.state === 'active' ? 'active' : outcome.state,
    addonReady: input.ready,
  });
  const before = status.restore;
  switch (decision.action) {
    case 'none':
    case 'done':
      return;
    case 'refuse': {
      const message = `spec.restoreFrom refused: ${decision.why}; remove spec.restoreFrom (nothing was restored)`;
      status.restore = { source: sourceText, jobName, phase: 'Refused', message };
      if (before?.phase !== 'Refused') input.emit('Warning', 'RestoreRefused', message);
      result.restoreRefused = { status: 'False', reason: 'RestoreRefused', message };
      return;
    }
    case 'skip': {
      const message = `spec.restoreFrom skipped: ${decision.why}`;
      status.restore = { source: sourceText, jobName, phase: 'Skipped', message };
      if (before?.phase !== 'Skipped') input.emit('Warning', 'RestoreSkipped', message);
      return;
    }
    case 'lost': {
      const message =
        `restore Job ${jobName} disappeared before its outcome was recorded: ${decision.why}; ` +
        'remove or change spec.restoreFrom to go on';
      if (before?.phase !== 'Lost') input.emit('Warning', 'RestoreFailed', message);
      status.restore = { source: sourceText, jobName, ...before, phase: 'Lost', message };
      result.restoreFailed = { status: 'False', reason: 'RestoreFailed', message };
      return;
    }
    case 'wait':
      result.restoring = {
        status: 'False',
        reason: 'Restoring',
        message: `waiting for the add-on before restoring ${sourceText}`,
      };
      requeue(result, POLL_MS);
      return;
    case 'start': {
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
      // A Job's pod template is immutable: created once, never re-applied.
      job = await applyObject(input.kube, desired, BACKUP_FIELD_MANAGER, { force: true });
      input.emit('Normal', 'RestoreStarted', `restoring ${sourceText} with Job ${jobName}`);
      break;
    }
    case 'follow':
    case 'succeeded':
    case 'failed':
      break;
  }
  record(input, result, job!, sourceText, before);
}

/** status.restore from the Job; Ready held back while it runs or after it failed. */
function record(
  input: BackupStepInput,
  result: BackupStepResult,
  job: JobObject,
  sourceText: string,
  before: RestoreStatus | undefined,
): void {
  const jobName = job.metadata!.name!;
  const outcome = jobOutcome(job);
  const startTime = job.status?.startTime;
  input.status.restore = {
    source: sourceText,
    jobName,
    phase: outcome.state === 'succeeded' ? 'Succeeded' : outcome.state === 'failed' ? 'Failed' : 'Running',
    ...(startTime ? { startTime } : {}),
    ...(outcome.state !== 'active' ? { completionTime: outcome.time.toISOString() } : {}),
  };
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
