// Deletion (step 1): the deletion policy applied, then the Secret and backup objects removed, then the finalizer.
// The finalizer is never dropped while a Delete-policy add-on may still exist: an add-on is deleted only after it was
// observed as this resource's (by status id, adoption annotation or deterministic name), and a pending create is
// waited out so its add-on cannot leak. decideDeletion (decide.ts) makes the choice.
import type { Addon } from '../../clever/index.ts';
import type { ReconcileResult } from '../../kube/controller.ts';
import { hasFinalizer } from '../../kube/objects.ts';
import { ANNOTATIONS, addonName, secretName } from '../names.ts';
import { isOurSecret } from '../secret.ts';
import { lastBoundName } from './last-bound.ts';
import { adoptionRival } from './adoption.ts';
import { decideDeletion } from './decide.ts';
import type { ExternalClient } from './external.ts';
import { POLL_MS } from './failures.ts';
import { Stop, type Pass } from './pass.ts';
import { deleteBuckets } from './storage.ts';
import type { CommonSpec, StepContext } from './types.ts';

export async function finalize(c: StepContext, pass: Pass): Promise<ReconcileResult> {
  const { def } = c;
  if (!hasFinalizer(pass.res, def.finalizer)) return {};
  pass.phase('Deleting');
  const parsed = def.spec.safeParse(pass.res.spec ?? {});
  const spec = (parsed.success ? parsed.data : { deletionPolicy: 'Delete' }) as CommonSpec;
  pass.spec = spec;
  const input = {
    policy: spec.deletionPolicy,
    pending: pass.annotation(ANNOTATIONS.createPending),
    now: pass.now(),
    graceMs: c.graceMs,
  };
  const decision = decideDeletion({ ...input, observation: undefined });
  if (decision.action === 'orphan') {
    pass.emit('Normal', 'Orphaned', `add-on ${pass.status.addonId ?? '(none)'} left in place (deletionPolicy Orphan)`);
  } else if (decision.action === 'observe') {
    const credentials = await c.clever.open(pass.namespace, spec.credentialsRef);
    pass.credentialsSource = credentials.source;
    const ext = await credentials.connect(pass.status.organisation ?? spec.organisation);
    pass.external = ext;
    const observation = { addon: await observeForDeletion(c, pass, ext) };
    const next = decideDeletion({ ...input, now: pass.now(), observation });
    if (next.action === 'wait') {
      pass.condition('Ready', {
        status: 'False',
        reason: 'Deleting',
        message: 'waiting for an earlier create call to surface before deleting',
      });
      throw new Stop({ requeueAfterMs: POLL_MS });
    }
    if (next.action === 'delete') await deleteAddon(c, pass, ext, next.addon);
  }
  await deleteOwnSecret(c, pass);
  // Only a resource that had backups made a CronJob (and only then does the operator need batch RBAC).
  if (def.backup && pass.status.backup) {
    await c.kube.deleteBackups({
      apiVersion: c.apiVersion,
      kind: def.kind,
      name: pass.name,
      namespace: pass.namespace,
      uid: pass.uid,
    });
  }
  await c.kube.removeFinalizer(pass.res, def.finalizer);
  c.memory.lastBound.delete(pass.uid);
  return {};
}

/** Buckets first, then the add-on; confirmed gone before Kubernetes may forget about it. */
async function deleteAddon(c: StepContext, pass: Pass, ext: ExternalClient, addon: Addon): Promise<void> {
  await deleteBuckets(c, pass, ext, addon);
  await ext.delete(addon.id);
  if (await ext.byId(addon.id)) {
    pass.condition('Ready', {
      status: 'False',
      reason: 'Deleting',
      message: `waiting for add-on ${addon.id} to be deleted`,
    });
    throw new Stop({ requeueAfterMs: POLL_MS });
  }
  pass.emit('Normal', 'Deleted', `deleted add-on ${addon.id}`);
}

/**
 * The add-on this resource may delete: by status id, then adoption annotation, then deterministic name. An id
 * another resource has the better claim on, or an annotated add-on of another provider (its adoption was refused),
 * is not ours to delete.
 */
export async function observeForDeletion(c: StepContext, pass: Pass, ext: ExternalClient): Promise<Addon | undefined> {
  for (const id of [pass.status.addonId, pass.annotation(ANNOTATIONS.addonId)]) {
    if (!id) continue;
    if (adoptionRival(pass.res, id, c.resources.list())) continue;
    const addon = await ext.byId(id);
    if (addon?.provider.id === c.def.providerId) return addon;
  }
  return ext.byName(addonName(c.def.kind, pass.uid));
}

/** Garbage collection would do this through the ownerReference; doing it here does not depend on it. */
async function deleteOwnSecret(c: StepContext, pass: Pass): Promise<void> {
  const name = pass.status.binding?.name ?? secretName(pass.name, pass.spec?.secret?.name);
  const live = await c.kube.secret(pass.namespace, name, { cached: false });
  if (live && isOurSecret(live, pass.uid)) await c.kube.deleteSecret(pass.namespace, name);
  // The last-bound copy (last-bound.ts) holds the same credentials: it goes with the Secret.
  const copy = await c.kube.secret(pass.namespace, lastBoundName(pass.name), { cached: false });
  if (copy && isOurSecret(copy, pass.uid)) await c.kube.deleteSecret(pass.namespace, lastBoundName(pass.name));
}
