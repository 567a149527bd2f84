// Finding the add-on of a resource (step 5): by status.addonId, else by the adoption annotation, else by the
// deterministic name. Which add-on a resource may hold when two resources point at one is decided by decideClaim
// and decideAdoption (decide.ts); adoptionRival supplies the facts.
import type { Addon } from '../../clever/index.ts';
import { InvalidSpecError } from '../catalogue.ts';
import { ANNOTATIONS, addonName } from '../names.ts';
import { decideAdoption, decideClaim, decideHeld } from './decide.ts';
import { decideAnnotation } from './decide-deletion.ts';
import type { ExternalClient } from './external.ts';
import type { Pass } from './pass.ts';
import type { AddonResource, StepContext } from './types.ts';

const ADOPTION_FIELD = `metadata.annotations[${ANNOTATIONS.addonId}]`;

/** The add-on this resource holds, adopts or made earlier; undefined when there is none yet. */
export async function observe(c: StepContext, pass: Pass, ext: ExternalClient): Promise<Addon | undefined> {
  const statusId = pass.status.addonId;
  if (statusId) {
    // Two resources that adopted one add-on at the same moment both hold it: only one may keep it.
    refuseIfClaimed(c, pass, statusId);
    const held = decideHeld({ id: statusId, observed: await ext.byId(statusId) });
    if (held.action === 'use') {
      reportIgnoredAnnotation(pass, held.addon);
      return held.addon;
    }
    // Deleted behind our back (console, CLI). The spec still asks for one: say so, then make a new one.
    pass.emit('Warning', 'AddonDeletedExternally', held.message);
    pass.ctx.logger.warn({ addonId: statusId }, 'add-on deleted outside Kubernetes');
    pass.forgetAddon();
    pass.condition('Ready', { status: 'False', reason: 'AddonDeleted', message: held.message });
    // The status written right after the new create must not still say Ready.
    pass.phase('Provisioning');
  }
  const annotation = pass.annotation(ANNOTATIONS.addonId);
  if (annotation) {
    const observed = await ext.byId(annotation);
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
  return ext.byName(addonName(c.def.kind, pass.uid));
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
