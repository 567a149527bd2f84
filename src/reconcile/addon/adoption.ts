// Finding the add-on of a resource (step 5): by status.addonId, else by the adoption annotation, else by the
// deterministic name. Which add-on a resource may hold when two resources point at one is decided by decideClaim
// and decideAdoption (decide.ts); adoptionRival supplies the facts.
import { ForbiddenError, type Addon } from '../../clever/index.ts';
import { InvalidSpecError } from '../catalogue.ts';
import { ANNOTATIONS, addonName, secretName } from '../names.ts';
import { isOurSecret } from '../secret.ts';
import { decideAdoption, decideClaim, decideHeld } from './decide.ts';
import { decideHeldSource } from './decide-observe.ts';
import type { Freshness } from '../org-snapshot.ts';
import { decideAnnotation } from './decide-deletion.ts';
import type { ExternalClient } from './external.ts';
import { HeldAddonError } from './failures.ts';
import { escapePointer } from './kube.ts';
import { ADDON_FIELDS, type Pass } from './pass.ts';
import type { AddonResource, StepContext } from './types.ts';

const ADOPTION_FIELD = `metadata.annotations[${ANNOTATIONS.addonId}]`;

/** The add-on this resource holds, adopts or made earlier; undefined when there is none yet. */
export async function observe(c: StepContext, pass: Pass, ext: ExternalClient): Promise<Addon | undefined> {
  const statusId = pass.status.addonId;
  if (statusId) {
    // Two resources that adopted one add-on at the same moment both hold it: only one may keep it.
    refuseIfClaimed(c, pass, statusId);
    const { answer, forbidden } = await findHeld(c, pass, ext, statusId);
    const held = decideHeld({
      id: statusId,
      answer,
      recordedOwner: pass.original?.organisation,
      owner: ext.owner,
      // Only asked when it matters: a found add-on is used whatever its binding.
      bound: typeof answer === 'object' || (await isBound(c, pass)),
      recreateRequested: pass.annotation(ANNOTATIONS.recreateMissing) === 'true',
    });
    if (held.action === 'use') {
      reportIgnoredAnnotation(pass, held.addon);
      // A recreate request left on a resource whose add-on is there (set ahead, or during an owner change) is
      // dropped: it must not authorise a silent recreate some later day.
      if (pass.annotation(ANNOTATIONS.recreateMissing) !== undefined) await consumeRecreateRequest(c, pass);
      return held.addon;
    }
    if (held.action === 'refuse' || held.action === 'fail') {
      // The owner this pass talked to is not confirmed: keep the recorded one, so the next pass compares again.
      pass.status.organisation = pass.original?.organisation;
      if (held.action === 'fail') throw forbidden ?? new Error(held.why); // reported as Unauthorized
      if (held.reason === 'AddonMissing') {
        pass.condition('Ready', { status: 'False', reason: 'AddonMissing', message: held.message });
      }
      throw new HeldAddonError(held.reason, held.message);
    }
    // Deleted behind our back (console, CLI), and either never bound or the user asked for a new one: say so.
    pass.emit('Warning', 'AddonDeletedExternally', held.message);
    pass.ctx.logger.warn({ addonId: statusId }, 'add-on deleted outside Kubernetes');
    pass.forgetAddon();
    pass.condition('Ready', { status: 'False', reason: 'AddonDeleted', message: held.message });
    // The status written right after the new create must not still say Ready.
    pass.phase('Provisioning');
    // The missing add-on leaves status first, then the request is spent: a crash between the two leaves a resource
    // that holds nothing (the next pass creates, once: the intent guards it; the leftover request is dropped once
    // the new add-on is held), never a spent request next to the missing add-on (AddonMissing for good).
    if (held.consumeRequest) {
      await forgetInStatus(c, pass);
      await consumeRecreateRequest(c, pass);
    }
  }
  const annotation = pass.annotation(ANNOTATIONS.addonId);
  if (annotation) {
    const observed = await ext.byId(annotation);
    pass.freshAddon = true;
    const decision = decideAdoption({
      annotation,
      statusId: pass.status.addonId,
      observed,
      providerId: c.def.providerId,
      owner: ext.owner,
      kind: c.def.kind,
      rival: observed ? adoptionRival(pass.res, observed.id, c.resources.list()) : undefined,
    });
    if (decision.action === 'refuse') {
      if (decision.forgetStatus) pass.forgetAddon();
      throw new InvalidSpecError(decision.reason, ADOPTION_FIELD, decision.message);
    }
    if (decision.announce) pass.emit('Normal', 'Adopted', `adopted existing add-on ${decision.addon.id}`);
    return decision.addon;
  }
  const need = nameLookupFreshness(c, pass);
  const named = await ext.byName(addonName(c.def.kind, pass.uid), need);
  if (!named || need.maxAgeMs === 0) return named;
  // Found in a list that may predate a deletion (the add-on this resource just let go of, deleted behind our back):
  // only Clever's answer now may bring it back into status.
  const confirmed = await ext.byId(named.id);
  if (confirmed) remember(c, pass, ext, confirmed);
  pass.freshAddon = confirmed !== undefined;
  return confirmed;
}

/**
 * How fresh the list must be to look the deterministic name up. With a create of this resource pending, a list
 * requested now: each pass of the wait looks again, and the pass that concludes the earlier create never happened
 * (the grace period is over) must not decide on a list that already said "not there" before the add-on could commit
 * (reconcile-faults: a create slower than the client's timeout). Without one, no create of this resource was ever
 * sent (the intent is always recorded first), so any list of the drift interval will do: the lookup only guards
 * against an intent lost outside the operator.
 */
export function nameLookupFreshness(c: StepContext, pass: Pass): Freshness {
  if (pass.pendingCreate === undefined) return { maxAgeMs: c.driftMs };
  return { maxAgeMs: 0, after: Date.now() };
}

/**
 * The held add-on: from the organisation's shared list, from what this process learnt itself, or read by id when
 * neither can be trusted to show it (decideHeldSource). Only the read by id can say it is gone.
 */
export async function findHeld(
  c: StepContext,
  pass: Pass,
  ext: ExternalClient,
  id: string,
): Promise<{ answer: { addon: Addon } | 'notFound' | 'forbidden'; forbidden?: ForbiddenError }> {
  const reads = c.memory.reads.get(pass.uid);
  // Asked by id, whatever the list says: when an earlier pass had reason to doubt it still exists (a 404 on its
  // readiness), and when the user asked for a recreate: that request is spent (or dropped, when the add-on is there)
  // on what Clever says now, never on a list that may predate the deletion it answers.
  const recreateAsked = pass.annotation(ANNOTATIONS.recreateMissing) !== undefined;
  if (!reads?.doubt && !recreateAsked) {
    const snapshot = await ext.snapshot({ maxAgeMs: c.driftMs });
    const seen = c.memory.seen.get(pass.uid);
    const known = seen && seen.owner === ext.owner && seen.addon.id === id ? seen : undefined;
    const source = decideHeldSource({
      inSnapshot: snapshot.byId(id),
      snapshotAt: snapshot.at,
      known,
      lagMs: c.listLagMs,
    });
    if (source.source !== 'ask') return { answer: { addon: source.addon } };
  }
  const found = await heldAnswer(ext, id);
  if (reads) reads.doubt = false;
  if (typeof found.answer === 'object') remember(c, pass, ext, found.answer.addon);
  else c.memory.seen.delete(pass.uid);
  pass.freshAddon = true;
  return found;
}

/** What this process learnt about the resource's add-on from Clever itself (a create's answer, a read by id). */
export function remember(c: StepContext, pass: Pass, ext: ExternalClient, addon: Addon): void {
  c.memory.seen.set(pass.uid, { addon, owner: ext.owner, at: pass.now().getTime() });
}

/** Clever's answer for the held add-on: found, 404, or 403 (another owner's id answers 403). */
async function heldAnswer(
  ext: ExternalClient,
  id: string,
): Promise<{ answer: { addon: Addon } | 'notFound' | 'forbidden'; forbidden?: ForbiddenError }> {
  try {
    const addon = await ext.byId(id);
    return { answer: addon ? { addon } : 'notFound' };
  } catch (err) {
    if (err instanceof ForbiddenError) return { answer: 'forbidden', forbidden: err };
    throw err;
  }
}

/** A Secret was bound from this resource: recorded in status, or our own Secret exists (a status write lost). */
async function isBound(c: StepContext, pass: Pass): Promise<boolean> {
  if (pass.status.secretHash !== undefined || pass.status.binding !== undefined) return true;
  const live = await c.kube.secret(pass.namespace, secretName(pass.name, pass.spec?.secret?.name), { cached: false });
  return live !== undefined && isOurSecret(live, pass.uid);
}

/**
 * The recreate-missing annotation allows one recreate: removed before the create, with a resourceVersion
 * precondition, so a crash after this point needs a new request rather than recreating twice.
 */
async function consumeRecreateRequest(c: StepContext, pass: Pass): Promise<void> {
  pass.res = await c.kube.patch(pass.ref(c.apiVersion, c.def.kind), [
    { op: 'test', path: '/metadata/resourceVersion', value: pass.res.metadata?.resourceVersion },
    { op: 'remove', path: `/metadata/annotations/${escapePointer(ANNOTATIONS.recreateMissing)}` },
  ]);
}

async function forgetInStatus(c: StepContext, pass: Pass): Promise<void> {
  const cleared = Object.fromEntries(ADDON_FIELDS.map((k) => [k, null]));
  const stored = await c.kube.patchStatus(pass.ref(c.apiVersion, c.def.kind), {
    ...cleared,
    phase: pass.status.phase,
    conditions: pass.status.conditions,
  });
  // The create intent that follows is guarded by the resource version: it must be this write's.
  if (stored) pass.res = stored;
}

/**
 * An adoption annotation added to a resource that already holds another add-on is not acted on (the held add-on
 * stays, the annotated one is neither adopted nor, later, deleted), but it is said: Synced False and one Warning.
 */
function reportIgnoredAnnotation(pass: Pass, held: Addon): void {
  const decision = decideAnnotation({
    annotation: pass.annotation(ANNOTATIONS.addonId),
    statusId: held.id,
    realId: held.realId,
    deleting: false,
    annotationKey: ANNOTATIONS.addonId,
  });
  if (decision.action !== 'ignore') return;
  pass.softProblem ??= { reason: 'AdoptionAnnotationIgnored', message: decision.message };
  pass.warnOnce('AdoptionAnnotationIgnored', 'AdoptionAnnotationIgnored', decision.message);
}

/** Lets go of add-on `id` (without touching it) when another resource has the better claim on it. */
export function refuseIfClaimed(c: StepContext, pass: Pass, id: string): void {
  const claim = decideClaim({
    id,
    statusId: pass.status.addonId,
    rival: adoptionRival(pass.res, id, c.resources.list()),
    kind: c.def.kind,
  });
  if (claim.action === 'keep') return;
  if (claim.forgetStatus) pass.forgetAddon();
  throw new InvalidSpecError('AdoptionConflict', ADOPTION_FIELD, claim.message);
}

/**
 * Another resource of this kind with a better claim on add-on `id`: one that holds it (status.addonId) when `res`
 * does not, else an older one (creation time, then namespace/name) that holds or adopts it too. Its
 * namespace/name, or undefined when `res` may have it.
 */
export function adoptionRival(res: AddonResource, id: string, all: readonly AddonResource[]): string | undefined {
  const claims = (r: AddonResource) => ({
    holds: r.status?.addonId === id || r.status?.addon === id,
    wants: r.metadata?.annotations?.[ANNOTATIONS.addonId] === id,
  });
  const age = (r: AddonResource) =>
    [Date.parse(r.metadata?.creationTimestamp ?? '') || 0, `${r.metadata?.namespace}/${r.metadata?.name}`] as const;
  const mine = claims(res);
  const [myTime, myName] = age(res);
  for (const other of all) {
    if (other.metadata?.uid === res.metadata?.uid) continue;
    const theirs = claims(other);
    if (!theirs.holds && !theirs.wants) continue;
    const [time, name] = age(other);
    const older = time < myTime || (time === myTime && name < myName);
    if ((theirs.holds && !mine.holds) || (theirs.holds === mine.holds && older)) return name;
  }
  return undefined;
}
