// The deletion decisions, pure like the rest of decide.ts: which deletion policy holds (read from the stored
// object as it is, since the spec may no longer parse), which add-ons a resource being deleted may delete (under
// Delete, and under Orphan), and what an adoption annotation that disagrees with status amounts to. The rule
// throughout: only the add-on recorded in status (created or adopted by this resource), and those this resource's
// own unrecorded create calls made (its create-pending intent and unconfirmed creates, found by its deterministic
// name), are ever deleted; when the operator cannot tell what the user asked for, the add-on is kept and the
// resource says why.
import type { Addon } from '../../clever/index.ts';
import { decideDuplicates, type Unconfirmed } from './decide-duplicates.ts';

/** The warning a deletion that keeps the add-on for lack of certainty carries: the field that could not be read. */
export interface DeletionWarning {
  field: string;
  message: string;
}

export type PolicyDecision =
  | { action: 'delete'; credentialsRef: { name: string } | undefined; why: string }
  | { action: 'orphan'; warning: DeletionWarning | undefined; by: 'policy' | 'annotation' | 'uncertain'; why: string };

export interface PolicyInput {
  /** The stored spec as the API server holds it (not the parsed one: it may no longer parse). */
  rawSpec: unknown;
  /** The orphan-on-delete annotation. */
  orphanOnDelete: string | undefined;
  /** status.deletionPolicy: what an AddonPolicy chose for an adopted add-on; applies when the spec sets none. */
  statusPolicy?: string | undefined;
}

const POLICIES = ['Delete', 'Orphan'] as const;
/** The schema's default (src/model/spec.ts deletionPolicyField): what an absent field means. */
const DEFAULT_POLICY = 'Delete';

/**
 * The deletion policy, read from the stored object field by field: another field the operator cannot parse (a
 * pattern its regex refuses, schema drift after an upgrade) does not hide a readable policy. An unreadable spec,
 * an unknown policy or an unreadable credentialsRef (the add-on could be looked up with the wrong credentials)
 * keep the add-on, with a warning naming the field. The orphan-on-delete annotation keeps it whatever the policy.
 */
export function decidePolicy(input: PolicyInput): PolicyDecision {
  if (input.orphanOnDelete === 'true') {
    return { action: 'orphan', warning: undefined, by: 'annotation', why: 'the orphan-on-delete annotation is set' };
  }
  const spec = input.rawSpec;
  if (spec !== undefined && (typeof spec !== 'object' || spec === null || Array.isArray(spec))) {
    return uncertain('spec', 'the stored spec is not an object');
  }
  const fields = (spec ?? {}) as Record<string, unknown>;
  const policy = fields.deletionPolicy ?? input.statusPolicy ?? DEFAULT_POLICY;
  if (typeof policy !== 'string' || !(POLICIES as readonly string[]).includes(policy)) {
    const shown = typeof policy === 'string' ? `"${policy.slice(0, 40)}"` : typeof policy;
    return uncertain('spec.deletionPolicy', `unknown value ${shown} (expected Delete or Orphan)`);
  }
  if (policy === 'Orphan') return { action: 'orphan', warning: undefined, by: 'policy', why: 'deletionPolicy Orphan' };
  const ref = fields.credentialsRef;
  if (ref === undefined || ref === null)
    return { action: 'delete', credentialsRef: undefined, why: 'deletionPolicy Delete' };
  const name = typeof ref === 'object' && !Array.isArray(ref) ? (ref as { name?: unknown }).name : undefined;
  if (typeof name !== 'string' || name === '') {
    return uncertain('spec.credentialsRef', 'unreadable, so the add-on cannot be looked up with the right credentials');
  }
  return { action: 'delete', credentialsRef: { name }, why: 'deletionPolicy Delete' };
}

function uncertain(field: string, detail: string): PolicyDecision {
  return {
    action: 'orphan',
    by: 'uncertain',
    warning: {
      field,
      message: `${field}: ${detail}; the add-on is kept (treated as deletionPolicy Orphan) because the operator cannot tell whether it was meant to be deleted`,
    },
    why: `${field} cannot be read`,
  };
}

/** What a lookup found: the add-on (undefined when Clever says there is none) and a resource with a better claim. */
export interface Found {
  addon: Addon | undefined;
  /** Another resource with the better claim on the add-on (see adoptionRival). */
  rival: string | undefined;
}

/** How many create graces a deletion waits for an unrecorded create to surface before it lets the resource go. */
export const DELETION_WAIT_GRACES = 5;

export interface DeletionInput {
  /** From decidePolicy. */
  policy: PolicyDecision;
  /** status.addonId: the add-on this resource created or adopted. */
  statusId: string | undefined;
  /** The create-pending annotation: an earlier create of this resource whose outcome was not recorded. */
  pending: string | undefined;
  /**
   * When the first of this resource's unconfirmed creates was (the unconfirmed-creates annotation): a create whose
   * answer was lost and that the list did not show within the grace, so another followed. It may surface under the
   * deterministic name after this resource's own add-on is gone.
   */
  unconfirmedSince?: string | undefined;
  /**
   * The create-pending annotation as stored, spent or not: when this resource's latest create call ended. With
   * unconfirmed creates counted, any of them (this one included) may still surface until it is waited out.
   */
  lastCreate?: string | undefined;
  /**
   * Not looked yet (undefined), or what the lookups the `observe` decision asked for found: the recorded add-on,
   * and every add-on of this provider under the deterministic name with the time the list was requested (epoch ms).
   */
  observation: { byId: Found | undefined; named: { at: number; found: Found[] } | undefined } | undefined;
  providerId: string;
  now: Date;
  graceMs: number;
}

export type DeletionDecision =
  | { action: 'orphan'; why: string }
  | { action: 'observe'; id: string | undefined; byName: boolean; why: string }
  /** Delete these; then release, or (`then: 'wait'`) look again later: another create may still surface. */
  | { action: 'delete'; addons: Addon[]; then: 'release' | 'wait'; why: string }
  | { action: 'wait'; why: string }
  | { action: 'release'; why: string };

/**
 * Delete only under policy Delete, and only the add-on status records, or those this resource's own creates made
 * (found by its deterministic name, which carries the resource's uid): its pending create, and every create it
 * counted as unconfirmed, since each may have made an add-on the duplicate repair has not removed yet. The adoption
 * annotation is never an input: an add-on the resource never recorded as adopted is never deleted.
 *
 * A release is final, so while a create of this resource may still surface, the deletion does not let go: it waits
 * until the list it looked at was requested DELETION_WAIT_GRACES create graces after the latest such create (the
 * list's own time, not the time of the decision: a list slow to arrive shows no more than when it was asked for).
 */
export function decideDeletion(input: DeletionInput): DeletionDecision {
  if (input.policy.action === 'orphan') return { action: 'orphan', why: input.policy.why };
  // A create of this resource may still surface under its name: pending, or counted as unconfirmed.
  const byNameToo = input.pending !== undefined || input.unconfirmedSince !== undefined;
  if (!input.statusId && !byNameToo) {
    // Nothing this resource created or adopted can exist: no lookup, so missing credentials cannot hold it either.
    return { action: 'release', why: 'status records no add-on and no create of this resource is pending' };
  }
  if (!input.observation) {
    return {
      action: 'observe',
      id: input.statusId,
      byName: byNameToo,
      why: byNameToo ? 'status id, and the name of creates that may still surface' : 'the add-on status records',
    };
  }
  const { byId, named } = input.observation;
  const mine = (f: Found | undefined): f is Found & { addon: Addon } =>
    !!f?.addon && !f.rival && f.addon.provider.id === input.providerId;
  const targets: Addon[] = [];
  if (mine(byId)) targets.push(byId.addon);
  if (byNameToo) {
    for (const f of named?.found ?? []) {
      if (mine(f) && !targets.some((a) => a.id === f.addon.id)) targets.push(f.addon);
    }
  }
  // The latest create is the pending one, or with unconfirmed creates counted the intent's time, spent or not.
  // Without a name lookup there is no list: the decision's time stands in.
  const settling =
    byNameToo &&
    mayStillSurface(
      [input.pending, input.unconfirmedSince, input.unconfirmedSince ? input.lastCreate : undefined],
      named?.at ?? input.now.getTime(),
      input.graceMs,
    );
  if (targets.length > 0) {
    const recorded = mine(byId);
    const why =
      targets.length === 1 && recorded
        ? "status records it as this resource's"
        : recorded
          ? "status records one; the others were made by this resource's own unrecorded creates"
          : "made by this resource's own unrecorded create";
    return { action: 'delete', addons: targets, then: settling ? 'wait' : 'release', why };
  }
  if (settling) return { action: 'wait', why: 'an earlier create call may still surface' };
  if (byId?.rival) return { action: 'release', why: `${byId.rival} has the better claim on the recorded add-on` };
  return { action: 'release', why: "no add-on recorded as this resource's exists" };
}

/**
 * Whether a create of this resource may still surface after the list a deletion looked at (requested at `listedAt`):
 * one of these create times (ISO) is less than DELETION_WAIT_GRACES graces before it. An unreadable time does not wait.
 */
function mayStillSurface(times: readonly (string | undefined)[], listedAt: number, graceMs: number): boolean {
  return times.some((t) => {
    const at = t ? Date.parse(t) : NaN;
    return !Number.isNaN(at) && listedAt - at < graceMs * DELETION_WAIT_GRACES;
  });
}

export interface OrphanCleanupInput {
  /** From decidePolicy: only an Orphan chosen by the policy itself cleans up (not the annotation, not uncertainty). */
  policy: PolicyDecision;
  /** status.addonId, status.addon and status.realId: the kept add-on's ids. */
  statusIds: readonly (string | undefined)[];
  /** The create-pending annotation, while pending (not spent). */
  pending: string | undefined;
  /** The unconfirmed-creates annotation, parsed. */
  unconfirmed: Unconfirmed | undefined;
  /** The create-pending annotation as stored, spent or not: when this resource's latest create call ended. */
  lastCreate: string | undefined;
  /** The deterministic name. */
  name: string;
  /** The adoption annotation is set. */
  adopting: boolean;
  /**
   * Not looked yet, or the recorded add-on (undefined: not found) and the add-ons under the name, with the time the
   * list was requested.
   */
  observation: { held: Addon | undefined; named: { at: number; found: Found[] } } | undefined;
  now: Date;
  graceMs: number;
}

export type OrphanCleanupDecision =
  | { action: 'none'; why: string }
  | { action: 'observe'; id: string; why: string }
  | { action: 'remove'; addons: Addon[]; then: 'release' | 'wait'; why: string }
  | { action: 'wait'; why: string };

/**
 * Policy Orphan keeps the add-on status records; it does not keep the extra add-ons this resource's own lost create
 * answers made (never recorded, never bound: duplicates the repair had not removed yet when the resource was
 * deleted). Those are removed under the duplicate rule (decideDuplicates) before the resource goes, and the
 * resource waits, as a Delete does, until a list requested five create graces after its latest create. Only with
 * every intent spent and the kept add-on found: with a create still pending, or the recorded add-on gone, there is
 * no telling which add-on the user meant to keep, and everything stays.
 */
export function decideOrphanCleanup(input: OrphanCleanupInput): OrphanCleanupDecision {
  const id = input.statusIds[0];
  if (input.policy.action !== 'orphan' || input.policy.by !== 'policy') {
    return { action: 'none', why: 'not an Orphan chosen by the policy: nothing is touched' };
  }
  if (!input.unconfirmed) return { action: 'none', why: 'no create of this resource went unconfirmed' };
  if (!id) return { action: 'none', why: 'status records no add-on: no telling which one to keep' };
  if (input.pending !== undefined)
    return { action: 'none', why: 'a create is still pending: no telling which to keep' };
  if (!input.observation) return { action: 'observe', id, why: 'the kept add-on, and what its lost creates made' };
  const { held, named } = input.observation;
  if (!held) return { action: 'none', why: 'the recorded add-on was not found: nothing is touched' };
  const verdicts = decideDuplicates({
    name: input.name,
    held,
    recorded: held.id === id,
    adopting: input.adopting,
    statusIds: input.statusIds,
    // One another resource has the better claim on (it adopted it) is never removed.
    named: named.found.flatMap((f) => (f.addon && !f.rival ? [f.addon] : [])),
    unconfirmed: input.unconfirmed,
  });
  const remove = verdicts.filter((v) => v.action === 'remove').map((v) => v.addon);
  const settling = mayStillSurface([input.unconfirmed.since, input.lastCreate], named.at, input.graceMs);
  if (remove.length > 0) {
    const why = 'made by creates whose answers were lost; never recorded nor bound (the recorded add-on stays)';
    return { action: 'remove', addons: remove, then: settling ? 'wait' : 'release', why };
  }
  if (settling) return { action: 'wait', why: 'a create whose answer was lost may still surface' };
  return { action: 'none', why: 'nothing under the name but the kept add-on' };
}

export type AnnotationDecision =
  { action: 'none' | 'agree'; why: string } | { action: 'ignore'; message: string; why: string };

/**
 * An adoption annotation next to a recorded add-on: it agrees when it names that add-on (by id or realId); else it
 * is reported and never acted on (neither adopted nor, at deletion, deleted).
 */
export function decideAnnotation(input: {
  annotation: string | undefined;
  statusId: string | undefined;
  realId: string | undefined;
  deleting: boolean;
  annotationKey: string;
}): AnnotationDecision {
  const { annotation, statusId } = input;
  if (!annotation) return { action: 'none', why: 'no adoption annotation' };
  if (annotation === statusId || (input.realId && annotation === input.realId)) {
    return { action: 'agree', why: 'the annotation names the recorded add-on' };
  }
  if (!statusId && !input.deleting) return { action: 'none', why: 'nothing recorded yet: the annotation may adopt' };
  const recorded = statusId ? `this resource's add-on is ${statusId}` : 'this resource never adopted it';
  const outcome = input.deleting ? 'left in place' : 'ignored';
  return {
    action: 'ignore',
    message: `${input.annotationKey} names add-on ${annotation}, but ${recorded}: the annotation is ${outcome}; remove it, or delete this resource with deletionPolicy Orphan and adopt ${annotation} with a new one`,
    why: statusId ? 'status records another add-on' : 'status records no add-on',
  };
}
