// Step 6, the create: decided by decideCreate (decide.ts); carried out here with its intent. The create-pending
// annotation (with the finalizer when it is not on yet, and the count of unconfirmed creates) is written under a
// resourceVersion precondition before the call; the result goes into the pass's status write, which spends it.
import { OutcomeUnknownError, type Addon } from '../../clever/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { ANNOTATIONS, addonName } from '../names.ts';
import { remember } from './adoption.ts';
import { decideCreate } from './decide.ts';
import { addUnconfirmed } from './decide-duplicates.ts';
import type { ExternalClient } from './external.ts';
import { POLL_MS } from './failures.ts';
import { escapePointer } from './kube.ts';
import { Stop, type Pass } from './pass.ts';
import { ensureDeliverable } from './precreate.ts';
import { clearIntent, writeStatus } from './status-write.ts';
import type { Target } from './target.ts';
import type { CommonSpec, StepContext } from './types.ts';

/** Step 6: the intent is recorded before the call; the result in the pass's status write, which spends it. */
export async function createIfMissing(
  c: StepContext,
  pass: Pass,
  ext: ExternalClient,
  observed: Addon | undefined,
  target: Target,
  data: unknown,
): Promise<Addon> {
  const { def, kube } = c;
  const ref = pass.ref(c.apiVersion, def.kind);
  const decision = decideCreate({
    observed,
    pending: pass.pendingCreate,
    recorded: observed !== undefined && pass.original?.addonId === observed.id,
    now: pass.now(),
    graceMs: c.graceMs,
    pollMs: POLL_MS,
  });
  if (decision.action === 'use') {
    // The intent's outcome is recorded in status (written at the end of the pass, or by a failing pass): the
    // annotation is then spent. Until that write it still leads deletion to the add-on by name.
    if (decision.clearIntent) pass.status.createdFromIntent = pass.pendingCreate;
    return decision.addon;
  }
  if (decision.action === 'wait') {
    pass.phase('Provisioning');
    pass.condition('Ready', {
      status: 'False',
      reason: 'Creating',
      message: 'waiting to learn the outcome of an earlier create call before creating again',
    });
    throw new Stop({ requeueAfterMs: decision.requeueAfterMs });
  }
  // Spend nothing that cannot be delivered: a Secret that could never be written refuses the create.
  await ensureDeliverable(c, pass, data as CommonSpec, pass.now());
  // Record the intent with a resourceVersion precondition: a crash after this point is detectable, and a second
  // operator instance working from the same (stale) version gets a conflict instead of creating too.
  // An earlier create that never surfaced is counted first (a duplicate it makes later is then removable).
  const at = pass.now().toISOString();
  const unconfirmed = decision.unconfirmedEarlier
    ? [addUnconfirmed(pass.annotation(ANNOTATIONS.unconfirmedCreates), pass.pendingCreate!)]
    : [];
  // The finalizer goes on in the same write as the intent, when it is not on yet (one write, same guarantee).
  const finalizerOps = pass.finalizerPending ? finalizerAddOps(pass.res, def.finalizer) : [];
  pass.res = await kube.patch(ref, [
    { op: 'test', path: '/metadata/resourceVersion', value: pass.res.metadata?.resourceVersion },
    ...finalizerOps,
    ...annotationOps(pass.res, ANNOTATIONS.createPending, at),
    ...unconfirmed.map((value) => ({ op: 'add' as const, path: UNCONFIRMED_PATH, value })),
  ]);
  pass.finalizerPending = false;
  const options = { ...def.options?.(data), ...(target.version ? { version: target.version } : {}) };
  let addon: Addon;
  try {
    addon = await ext.create({
      name: addonName(def.kind, pass.uid),
      plan: target.plan.id,
      region: target.region,
      options,
    });
  } catch (err) {
    if (err instanceof OutcomeUnknownError) {
      // Leave the intent in place: the next pass looks the add-on up by name before anything else. Restart its
      // clock: the grace period counts from when the call ended, not from when it started, since Clever may
      // still commit it later and the call itself (Retry-After waits, timeout) can outlast the grace period.
      pass.res = await kube.patch(ref, annotationOps(pass.res, ANNOTATIONS.createPending, pass.now().toISOString()));
      pass.condition('Ready', {
        status: 'False',
        reason: 'Creating',
        message: 'create call outcome unknown; looking it up',
      });
      pass.condition('Synced', { status: 'False', reason: 'CleverApiUnavailable', message: err.message });
      throw new Stop({ requeueAfterMs: POLL_MS });
    }
    // Clever answered: nothing was created. Clear the intent so the next attempt need not wait.
    await clearIntent(c, pass);
    throw err;
  }
  // The result goes into status with the intent it spends, written once at the end of this pass together with the
  // binding and the Provisioning condition (a failing pass writes it too). A crash before that write is what the
  // intent is for: the next pass finds the add-on by its name and records it then.
  pass.status.addon = addon.id;
  pass.status.addonId = addon.id;
  pass.status.realId = addon.realId;
  pass.status.origin = 'Created';
  pass.status.createdFromIntent = at;
  pass.created = true;
  pass.freshAddon = true;
  remember(c, pass, ext, addon);
  // A restore runs only into an add-on recorded as Created; one found by name after a crash next to a Secret of
  // ours counts as bound before (run, step 6). A resource that asks for a restore records it before its Secret.
  if (def.backup && (data as CommonSpec).restoreFrom) await writeStatus(c, pass);
  pass.ctx.logger.info({ addonId: addon.id, plan: addon.plan.slug, region: addon.region }, 'add-on created');
  // A first create is told by status (origin Created, then Ready): an Event is one more write per add-on. A
  // replacement of an add-on deleted behind our back is worth one: it follows AddonDeletedExternally.
  const replaced = pass.original?.addonId;
  if (replaced && replaced !== addon.id) {
    pass.emit(
      'Normal',
      'Created',
      `created add-on ${addon.id} (${addon.plan.slug}, ${addon.region}) to replace ${replaced}`,
    );
  }
  return addon;
}

/** Where the unconfirmed-creates annotation sits, as a JSON pointer. */
export const UNCONFIRMED_PATH = `/metadata/annotations/${escapePointer(ANNOTATIONS.unconfirmedCreates)}`;

/** JSON patch operations that add `finalizer` (the list may not exist yet). */
function finalizerAddOps(res: KubeObject, finalizer: string) {
  return res.metadata?.finalizers
    ? [{ op: 'add' as const, path: '/metadata/finalizers/-', value: finalizer }]
    : [{ op: 'add' as const, path: '/metadata/finalizers', value: [finalizer] }];
}

function annotationOps(res: KubeObject, key: string, value: string) {
  return res.metadata?.annotations
    ? [{ op: 'add' as const, path: `/metadata/annotations/${escapePointer(key)}`, value }]
    : [{ op: 'add' as const, path: '/metadata/annotations', value: { [key]: value } }];
}
