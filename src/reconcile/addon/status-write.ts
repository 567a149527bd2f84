// The writes that record a pass: the finalizer deferred from step 2, the status (step 12) and the removal of a spent
// create intent. Functions over the step context and the pass, called by reconciler.ts.
import { isConflict, isNotFound } from '../../kube/errors.ts';
import type { ObjectRef } from '../../kube/objects.ts';
import type { AddonStatus } from '../../model/status.ts';
import { BACKUP_CONDITION } from '../backup/controller.ts';
import { getCondition, sameStatus } from '../conditions.ts';
import { ANNOTATIONS } from '../names.ts';
import { escapePointer } from './kube.ts';
import type { Pass } from './pass.ts';
import { withoutBackupFields } from './restore-gate.ts';
import type { AddonResource, StepContext } from './types.ts';

const ref = (c: StepContext, pass: Pass): ObjectRef => pass.ref(c.apiVersion, c.def.kind);

/** Step 2, carried out with the first status write when no create intent carried it (reconciler.ts, run). */
async function flushFinalizer(c: StepContext, pass: Pass): Promise<void> {
  if (!pass.finalizerPending) return;
  pass.res = await c.kube.ensureFinalizer(pass.res, c.def.finalizer);
  pass.finalizerPending = false;
}

/** Removes the create intent (the annotation), when there is one. */
export async function clearIntent(c: StepContext, pass: Pass): Promise<void> {
  if (!pass.annotation(ANNOTATIONS.createPending)) return;
  pass.res = await c.kube.patch(ref(c, pass), [
    { op: 'remove', path: `/metadata/annotations/${escapePointer(ANNOTATIONS.createPending)}` },
  ]);
}

/**
 * Writes the status fields this reconciler owns: never those of the backup controller (status.backup, restore,
 * platformBackups, the BackupHealthy condition). The condition list is one value in a merge patch, so it is sent
 * with the backup controller's condition as stored, under a resourceVersion precondition; on a conflict the
 * stored condition is read again and the write retried.
 */
export async function writeStatus(c: StepContext, pass: Pass): Promise<void> {
  const before = withoutBackupFields(pass.original);
  const after = withoutBackupFields(pass.status);
  if (sameStatus(before, after)) return;
  // Status may record an add-on from here on: the finalizer must be on first (deferred from step 2).
  await flushFinalizer(c, pass);
  let base: AddonResource | undefined = pass.res;
  for (let attempt = 1; ; attempt++) {
    const patch = statusPatch(before, after);
    const theirs = getCondition(base.status, BACKUP_CONDITION);
    if (after.conditions || theirs) patch.conditions = [...(after.conditions ?? []), ...(theirs ? [theirs] : [])];
    try {
      const stored = await c.kube.patchStatus(ref(c, pass), patch, base.metadata?.resourceVersion);
      if (stored) pass.res = stored;
      // A CRD older than this operator prunes status.createdFromIntent: the intent is then removed instead, as
      // before the field existed (its outcome is recorded by the write that just succeeded).
      const spent = after.createdFromIntent;
      if (
        stored &&
        spent &&
        stored.status?.createdFromIntent !== spent &&
        pass.annotation(ANNOTATIONS.createPending) === spent
      )
        await clearIntent(c, pass);
      return;
    } catch (err) {
      // The resource is gone (deleted while we worked): nothing left to report on.
      if (isNotFound(err)) return;
      if (!isConflict(err) || attempt >= 5) throw err;
      base = await c.kube.get(ref(c, pass));
      if (!base) return;
    }
  }
}

/** A merge patch from `before` to `after`: keys that disappeared are sent as null so they are removed. */
export function statusPatch(before: AddonStatus | undefined, after: AddonStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...after };
  for (const k of Object.keys(before ?? {}))
    if (!(k in after) || (after as Record<string, unknown>)[k] === undefined) patch[k] = null;
  return patch;
}
