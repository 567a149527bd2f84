// Every destructive or billable choice the reconciler makes, as a pure function of what it knows: the spec, the
// status, the annotations, what was observed and the time (passed in, never read). Each returns an action and a
// `why`. Create, recreate, adopt, migrate and putting a Secret back are each decided here and nowhere else (deletion
// in decide-deletion.ts); the steps (reconciler.ts) only carry the decision out.
import type { Addon } from '../../clever/index.ts';
import { versionSatisfies } from '../catalogue.ts';
import { ANNOTATIONS } from '../names.ts';
import { dataHash, isOurSecret, type SecretObject } from '../secret.ts';

/** How long a pending create may stay unobserved before it is considered never made. */
export interface CreateInput {
  /** The add-on observed by status id, adoption annotation or deterministic name, if any. */
  observed: Addon | undefined;
  /** The create-pending annotation: when an earlier create was attempted, its result not recorded. */
  pending: string | undefined;
  /** The observed add-on's id was in status.addonId when the pass began (written, not only decided). */
  recorded: boolean;
  now: Date;
  graceMs: number;
  pollMs: number;
}

export type CreateDecision =
  | {
      action: 'use';
      addon: Addon;
      /**
       * The intent is spent: status.createdFromIntent takes its value in the status write that records the add-on
       * (the annotation stays; Pass.pendingCreate then reads it as spent).
       */
      clearIntent: boolean;
      /**
       * Status does not record the add-on yet: it must before the intent counts as spent. Until then the intent is
       * what lets a deletion find it by name (decideDeletion); spending it first would leak the add-on on a crash in
       * between. One status write does both.
       */
      recordFirst: boolean;
      why: string;
    }
  | {
      action: 'create';
      /** An earlier create's outcome was never learnt: it may still surface as a duplicate (decide-duplicates.ts). */
      unconfirmedEarlier: boolean;
      why: string;
    }
  | { action: 'wait'; requeueAfterMs: number; why: string };

/**
 * Create only when nothing was observed and no earlier create may still surface. An intent is cleared only once
 * status records what it made: the intent goes after the status write, never before.
 */
export function decideCreate(input: CreateInput): CreateDecision {
  if (input.observed) {
    const pending = input.pending !== undefined;
    return {
      action: 'use',
      addon: input.observed,
      clearIntent: pending,
      recordFirst: pending && !input.recorded,
      why: !pending
        ? 'the add-on exists'
        : input.recorded
          ? 'status records the add-on of an earlier create'
          : 'the add-on of an earlier create surfaced: recorded in status before the intent goes',
    };
  }
  if (input.pending) {
    // The name lookup found nothing yet; the list may lag behind, so wait out a grace period before concluding
    // the earlier call never made one. An unreadable time counts as "just now".
    const age = input.now.getTime() - Date.parse(input.pending);
    if (Number.isNaN(age) || age < input.graceMs) {
      return {
        action: 'wait',
        requeueAfterMs: Math.min(input.pollMs, Math.max(500, input.graceMs - (Number.isNaN(age) ? 0 : age))),
        why: 'an earlier create call may still surface',
      };
    }
    return {
      action: 'create',
      unconfirmedEarlier: true,
      why: 'an earlier create did not surface within the grace period',
    };
  }
  return { action: 'create', unconfirmedEarlier: false, why: 'no add-on exists for this resource' };
}

export type ClaimDecision =
  { action: 'keep'; why: string } | { action: 'refuse'; forgetStatus: boolean; message: string; why: string };

/**
 * Two resources on one add-on: deleting either would delete it under the other. The one that holds it (or else the
 * older) keeps it; this one lets go of it without touching it, and says which resource has it.
 */
export function decideClaim(input: {
  id: string;
  statusId: string | undefined;
  rival: string | undefined;
  kind: string;
}): ClaimDecision {
  if (!input.rival) return { action: 'keep', why: 'no other resource has a better claim' };
  return {
    action: 'refuse',
    forgetStatus: input.statusId === input.id,
    message: `add-on ${input.id} is already managed by ${input.kind} ${input.rival}; remove the annotation or that resource`,
    why: `${input.rival} has the better claim`,
  };
}

export interface HeldInput {
  /** status.addonId. */
  id: string;
  /** What Clever answered for it under the current owner: the add-on, "not found" (404) or "forbidden" (403). */
  answer: { addon: Addon } | 'notFound' | 'forbidden';
  /** The owner status.organisation recorded before this pass; undefined when an old status never recorded one. */
  recordedOwner: string | undefined;
  /** The owner this pass talks to (spec.organisation, else the recorded one, else the credentials' default). */
  owner: string;
  /**
   * A connection Secret was bound to it: status.secretHash or status.binding is set, or our own Secret exists. An
   * application may have written data to it.
   */
  bound: boolean;
  /** The recreate-missing annotation is "true": the user asks for a new, empty add-on in place of a missing one. */
  recreateRequested: boolean;
}

export type HeldDecision =
  | { action: 'use'; addon: Addon; why: string }
  | { action: 'recreate'; consumeRequest: boolean; message: string; why: string }
  | { action: 'refuse'; reason: 'AddonMissing' | 'OwnerChanged'; message: string; why: string }
  | { action: 'fail'; why: string };

/**
 * The add-on status.addonId names: use it; when Clever says it is not there, never replace it with an empty one on
 * our own once a Secret was bound to it (applications would start writing to an empty database): report it, and
 * recreate only on the user's explicit, one-time request. A 403/404 under another owner than the recorded one says
 * nothing about the add-on: it is refused as an owner change, whatever the annotation says.
 */
export function decideHeld(input: HeldInput): HeldDecision {
  const { id, answer } = input;
  if (typeof answer === 'object') return { action: 'use', addon: answer.addon, why: 'status.addonId exists' };
  if (input.recordedOwner !== undefined && input.recordedOwner !== input.owner) {
    return {
      action: 'refuse',
      reason: 'OwnerChanged',
      message:
        `add-on ${id} was recorded under ${input.recordedOwner}, and ${input.owner} does not show it; ` +
        `nothing is created under ${input.owner}: set spec.organisation (or the credentials) back to ` +
        `${input.recordedOwner}, or delete this resource with deletionPolicy Orphan and adopt the add-on`,
      why: `a ${answer === 'forbidden' ? '403' : '404'} under another owner says nothing about the add-on`,
    };
  }
  // A 403 under the recorded owner: the credentials lost access; the usual Unauthorized report.
  if (answer === 'forbidden') return { action: 'fail', why: 'the credentials lost access to the recorded owner' };
  if (input.recordedOwner === undefined && input.bound) {
    return {
      action: 'refuse',
      reason: 'AddonMissing',
      message:
        `add-on ${id} was not found, and the status does not record the owner it was made under; the Secret was ` +
        `left as it is and nothing was created (set spec.organisation to that owner, or delete this resource with ` +
        `deletionPolicy Orphan and create it again)`,
      why: 'the owner cannot be confirmed, so no recreate, even when asked',
    };
  }
  if (!input.bound) {
    return {
      action: 'recreate',
      consumeRequest: input.recreateRequested,
      message: `add-on ${id} was deleted outside Kubernetes before any Secret was bound to it; creating a new one`,
      why: 'never bound: no application could have written data to it',
    };
  }
  if (input.recreateRequested) {
    return {
      action: 'recreate',
      consumeRequest: true,
      message: `add-on ${id} was deleted outside Kubernetes; creating a new, empty one as the recreate-missing annotation asks`,
      why: 'bound, and the user asked for a new empty add-on',
    };
  }
  return {
    action: 'refuse',
    reason: 'AddonMissing',
    message:
      `add-on ${id} no longer exists in ${input.owner}; the Secret was left as it is and nothing was created. ` +
      `To create a new, empty add-on, set the annotation ${ANNOTATIONS.recreateMissing}: "true"`,
    why: 'bound: a silent recreate would hand applications an empty database',
  };
}

export interface AdoptionInput {
  /** The adoption annotation's add-on id. */
  annotation: string;
  statusId: string | undefined;
  /** What the annotation's id resolves to; undefined when Clever says it does not exist. */
  observed: Addon | undefined;
  providerId: string;
  owner: string;
  kind: string;
  /** Another resource with a better claim on the observed add-on (see adoptionRival). */
  rival: string | undefined;
}

export type AdoptionDecision =
  | { action: 'adopt'; addon: Addon; announce: boolean; why: string }
  | {
      action: 'refuse';
      reason: 'InvalidSpec' | 'AdoptionConflict';
      forgetStatus: boolean;
      message: string;
      why: string;
    };

/** Adopt the annotated add-on, or refuse it (missing, another provider's, or claimed by another resource). */
export function decideAdoption(input: AdoptionInput): AdoptionDecision {
  const { annotation, observed } = input;
  if (!observed) {
    return refuse('InvalidSpec', false, `add-on ${annotation} does not exist in ${input.owner}`, 'not found');
  }
  if (observed.provider.id !== input.providerId) {
    const message = `add-on ${annotation} is a ${observed.provider.id}, not a ${input.providerId}`;
    return refuse('InvalidSpec', false, message, 'another provider');
  }
  const claim = decideClaim({ id: observed.id, statusId: input.statusId, rival: input.rival, kind: input.kind });
  if (claim.action === 'refuse') return refuse('AdoptionConflict', claim.forgetStatus, claim.message, claim.why);
  return {
    action: 'adopt',
    addon: observed,
    announce: input.statusId !== observed.id,
    why: input.statusId === observed.id ? 'already adopted' : 'the annotation names an add-on of this provider',
  };
}

function refuse(
  reason: 'InvalidSpec' | 'AdoptionConflict',
  forgetStatus: boolean,
  message: string,
  why: string,
): AdoptionDecision {
  return { action: 'refuse', reason, forgetStatus, message, why };
}

export interface MigrationInput {
  /** status.migration. */
  recorded: { id: string; status: string; targetPlanId?: string; targetVersion?: string } | undefined;
  /** The add-on's current plan id. */
  addonPlanId: string;
  /** The plan to be on: the spec's, or the current one when the spec names none. */
  planId: string;
  /** The version to be on when the spec names one. */
  version: string | undefined;
  /** The version the add-on reports, when its provider reports one. */
  current: string | undefined;
  /**
   * The spec's version as written ("8"), when it names one: a current version that satisfies it is never migrated,
   * whatever newer minor the catalogue would resolve it to now.
   */
  requested?: string | undefined;
}

export type MigrationDecision =
  | { action: 'follow'; migrationId: string; why: string }
  | { action: 'none'; why: string }
  | { action: 'refuse'; message: string; why: string }
  | { action: 'migrate'; planId: string; version: string | undefined; why: string };

/** Migrate only on an explicit spec change of plan or version, once per target. */
export function decideMigration(input: MigrationInput): MigrationDecision {
  const m = input.recorded;
  if (m && m.status !== 'OK' && m.status !== 'FAILED') {
    return { action: 'follow', migrationId: m.id, why: `migration ${m.id} is ${m.status}` };
  }
  const planDiffers = input.addonPlanId !== input.planId;
  const versionDiffers =
    input.version !== undefined &&
    input.current !== undefined &&
    !versionSatisfies(input.current, input.version) &&
    !(input.requested !== undefined && versionSatisfies(input.current, input.requested));
  if (!planDiffers && !versionDiffers) return { action: 'none', why: 'plan and version are as asked' };
  // A plan change alone keeps the version the add-on runs.
  const version = versionDiffers ? input.version : undefined;
  // A failed migration to this very target is not retried on its own: the user changes the spec to try again.
  if (m?.status === 'FAILED' && m.targetPlanId === input.planId && m.targetVersion === version) {
    return {
      action: 'refuse',
      message: 'the last migration to this plan and version failed; change the spec to try again',
      why: 'the same target failed before',
    };
  }
  return {
    action: 'migrate',
    planId: input.planId,
    version,
    why: planDiffers ? 'the spec asks for another plan' : 'the spec asks for another version',
  };
}

export type MigrationProgress = 'succeeded' | 'failed' | 'running';

/** A followed migration's Clever status, as the reconciler sees it. */
export function migrationProgress(status: string): MigrationProgress {
  if (status === 'OK') return 'succeeded';
  if (status === 'FAILED' || status === 'ERROR' || status === 'CANCELED') return 'failed';
  return 'running';
}

export interface BindInput {
  /** The Secret as it is, when it exists. */
  live: SecretObject | undefined;
  desired: SecretObject;
  /** The hash of the desired entries. */
  hash: string;
  /** status.secretHash. */
  recordedHash: string | undefined;
  uid: string;
}

export type BindDecision =
  | { action: 'refuse'; why: string }
  | { action: 'apply'; announce: boolean; why: string }
  | { action: 'keep'; why: string };

/** Write the connection Secret when it is missing or differs; never over a Secret this resource does not own. */
export function decideBind(input: BindInput): BindDecision {
  const { live } = input;
  if (live && !isOurSecret(live, input.uid)) return { action: 'refuse', why: 'the Secret belongs to something else' };
  if (live && sameSecret(live, input.desired, input.hash)) return { action: 'keep', why: 'the Secret is up to date' };
  // What the Secret held before: our last recorded hash, or (when the cached status predates it, e.g. a pass
  // queued by our own first apply) the live content, so a rotation right after creation is still reported.
  const previousHash = input.recordedHash ?? dataHash(live?.data);
  return {
    action: 'apply',
    announce: live !== undefined && previousHash !== input.hash,
    why: live ? 'the Secret differs' : 'the Secret does not exist',
  };
}

/** A renamed Secret: the old one goes (only when it is ours), so consumers cannot keep reading stale credentials. */
export function decideOldSecret(input: {
  previous: string | undefined;
  name: string;
  old: SecretObject | undefined;
  uid: string;
}): { action: 'delete'; name: string; why: string } | { action: 'keep'; why: string } {
  if (!input.previous || input.previous === input.name) return { action: 'keep', why: 'the Secret was not renamed' };
  if (!input.old || !isOurSecret(input.old, input.uid)) return { action: 'keep', why: 'the old Secret is not ours' };
  return { action: 'delete', name: input.previous, why: `renamed from ${input.previous}` };
}

export interface SecretRestoreInput {
  uid: string | undefined;
  deleting: boolean;
  /** The Secret this resource was last bound with in this process. */
  last: { secret: SecretObject; hash: string } | undefined;
  /** status.secretHash and status.binding.name. */
  secretHash: string | undefined;
  bindingName: string | undefined;
  /** Not read yet (undefined), or the Secret as it is. */
  live: { secret: SecretObject | undefined } | undefined;
}

export type SecretRestoreDecision =
  | { action: 'skip'; why: string }
  | { action: 'read'; name: string; why: string }
  | { action: 'restore'; secret: SecretObject; existed: boolean; why: string };

/**
 * While Clever Cloud cannot be asked, put the Secret back as this resource last bound it: only our own Secret, only
 * the content status.secretHash names, never while deleting.
 */
export function decideSecretRestore(input: SecretRestoreInput): SecretRestoreDecision {
  const { last } = input;
  const name = last?.secret.metadata?.name;
  if (!input.uid || !last || !name || input.deleting) return { action: 'skip', why: 'nothing bound in this process' };
  if (last.hash !== input.secretHash || name !== input.bindingName) {
    return { action: 'skip', why: 'the status names other content' };
  }
  if (!input.live) return { action: 'read', name, why: 'compare with the Secret as it is' };
  const live = input.live.secret;
  if (live && !isOurSecret(live, input.uid)) return { action: 'skip', why: 'the Secret is not ours' };
  if (live && sameSecret(live, last.secret, last.hash)) return { action: 'skip', why: 'the Secret is intact' };
  return { action: 'restore', secret: last.secret, existed: live !== undefined, why: live ? 'edited' : 'deleted' };
}

/** The live Secret carries the desired content, labels, annotations and our controller reference. */
export function sameSecret(live: SecretObject, desired: SecretObject, hash: string): boolean {
  if (dataHash(live.data) !== hash) return false;
  const labels = live.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(desired.metadata?.labels ?? {})) if (labels[k] !== v) return false;
  const annotations = live.metadata?.annotations ?? {};
  for (const [k, v] of Object.entries(desired.metadata?.annotations ?? {})) if (annotations[k] !== v) return false;
  return (live.metadata?.ownerReferences ?? []).some(
    (o) => o.uid === desired.metadata?.ownerReferences?.[0]?.uid && o.controller,
  );
}
