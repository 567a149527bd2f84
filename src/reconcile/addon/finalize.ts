// Deletion (step 1): the deletion policy applied, then the Secret and backup objects removed, then the finalizer. The
// finalizer is never dropped while a Delete-policy add-on may still exist. Only the add-on status records as this
// resource's (created or adopted), and those its own unrecorded creates made (found by its deterministic name), are
// ever deleted; under policy Orphan only the latter. The adoption annotation is never acted on here. When the policy
// cannot be read the add-on is kept, and when the credentials are gone the resource says so and waits for them or for
// the orphan-on-delete annotation. decidePolicy, decideDeletion, decideOrphanCleanup and decideAnnotation
// (decide-deletion.ts) make the choices.
import type { Addon } from '../../clever/index.ts';
import { UnauthorizedError } from '../../clever/index.ts';
import type { ReconcileResult } from '../../kube/controller.ts';
import { hasFinalizer } from '../../kube/objects.ts';
import { ANNOTATIONS, addonName, secretName } from '../names.ts';
import { isOurSecret } from '../secret.ts';
import { CredentialsError } from '../sessions.ts';
import { lastBoundName } from './last-bound.ts';
import { adoptionRival, findHeld } from './adoption.ts';
import {
  decideAnnotation,
  decideDeletion,
  decideOrphanCleanup,
  decidePolicy,
  type Found,
  type PolicyDecision,
} from './decide-deletion.ts';
import type { ExternalClient } from './external.ts';
import { parseUnconfirmed } from './decide-duplicates.ts';
import { DeletionBlockedError, POLL_MS } from './failures.ts';
import { Stop, type Pass } from './pass.ts';
import { deleteBuckets } from './storage.ts';
import type { CommonSpec, StepContext } from './types.ts';

export async function finalize(c: StepContext, pass: Pass): Promise<ReconcileResult> {
  const { def } = c;
  if (!hasFinalizer(pass.res, def.finalizer)) return {};
  pass.phase('Deleting');
  const parsed = def.spec.safeParse(pass.res.spec ?? {});
  // Only a spec that parses is used for anything else (the Secret's name); the policy is read from the raw object.
  pass.spec = parsed.success ? (parsed.data as CommonSpec) : undefined;
  // An AddonPolicy's choice for an adopted add-on (status.deletionPolicy) applies when the spec sets none.
  const policy = decidePolicy({
    rawSpec: pass.res.spec,
    orphanOnDelete: pass.annotation(ANNOTATIONS.orphanOnDelete),
    statusPolicy: pass.status.deletionPolicy,
  });
  const input = {
    policy,
    // status.addon is the upstream operator's name for the same field.
    statusId: recordedId(pass),
    pending: pass.pendingCreate,
    unconfirmedSince: parseUnconfirmed(pass.annotation(ANNOTATIONS.unconfirmedCreates))?.since,
    lastCreate: pass.annotation(ANNOTATIONS.createPending),
    providerId: def.providerId,
    now: pass.now(),
    graceMs: c.graceMs,
  };
  const decision = decideDeletion({ ...input, observation: undefined });
  if (decision.action === 'orphan') {
    await removeLostCreates(c, pass, policy);
    await orphan(c, pass, policy);
  } else if (decision.action === 'observe') {
    const observation = await blockedWithoutCredentials(pass, async () => {
      const ext = await connect(c, pass, policy.action === 'delete' ? policy.credentialsRef : undefined);
      const id = decision.id;
      const byId = id ? await lookUp(c, pass, () => heldForDeletion(c, pass, ext, id)) : undefined;
      // Every add-on under the deterministic name, only while a create of this resource may have made one: from a
      // list requested now (a deletion concludes from it, and a release is final).
      const named = decision.byName ? await namedNow(c, pass, ext) : undefined;
      return { ext, byId, named };
    });
    const next = decideDeletion({ ...input, now: pass.now(), observation });
    if (next.action === 'delete') {
      for (const addon of next.addons) {
        await blockedWithoutCredentials(pass, () => deleteAddon(c, pass, observation.ext, addon));
      }
    }
    if (next.action === 'wait' || (next.action === 'delete' && next.then === 'wait')) {
      waitForEarlierCreates(pass, 'waiting for an earlier create call to surface before deleting');
    }
  }
  await deleteOwnSecret(c, pass);
  // Only a resource that had backups made a CronJob (and only then does the operator need batch RBAC); with backups
  // off in this install there is no batch RBAC, and any CronJob left from before goes by its ownerReference.
  if (def.backup && c.backups !== false && pass.status.backup) {
    await c.kube.deleteBackups({
      apiVersion: c.apiVersion,
      kind: def.kind,
      name: pass.name,
      namespace: pass.namespace,
      uid: pass.uid,
    });
  }
  // Said once, on the pass that lets the resource go (a waiting or blocked deletion passes here again and again).
  reportIgnoredAnnotation(pass);
  await c.kube.removeFinalizer(pass.res, def.finalizer);
  pass.released = true;
  for (const memory of [c.memory.lastBound, c.memory.seen, c.memory.reads, c.memory.written]) memory.delete(pass.uid);
  return {};
}

/** The add-on is left in place: by policy, by the orphan-on-delete annotation, or because the policy is unreadable. */
async function orphan(c: StepContext, pass: Pass, policy: PolicyDecision): Promise<void> {
  if (policy.action !== 'orphan') return;
  const id = pass.status.addonId ?? '(none)';
  if (policy.by === 'policy') pass.emit('Normal', 'Orphaned', `add-on ${id} left in place (deletionPolicy Orphan)`);
  if (policy.by === 'annotation') {
    pass.emit('Normal', 'Orphaned', `add-on ${id} left in place (annotation ${ANNOTATIONS.orphanOnDelete})`);
  }
  if (policy.warning) {
    const message = `add-on ${id} left in place: ${policy.warning.message}`;
    pass.condition('Synced', { status: 'False', reason: 'DeletionUncertain', message });
    pass.emit('Warning', 'DeletionUncertain', message);
    // Said in status too, for as long as the resource is still there to read.
    await c.kube.patchStatus(pass.ref(c.apiVersion, c.def.kind), { conditions: pass.status.conditions });
  }
}

/**
 * Under policy Orphan, the extra add-ons this resource's lost create answers made go before it does
 * (decideOrphanCleanup); the recorded one stays. Missing or refused credentials do not hold an Orphan deletion: the
 * resource goes and a Warning says what may be left under its name.
 */
async function removeLostCreates(c: StepContext, pass: Pass, policy: PolicyDecision): Promise<void> {
  const input = {
    policy,
    statusIds: [pass.status.addonId, pass.status.addon, pass.status.realId],
    pending: pass.pendingCreate,
    unconfirmed: parseUnconfirmed(pass.annotation(ANNOTATIONS.unconfirmedCreates)),
    lastCreate: pass.annotation(ANNOTATIONS.createPending),
    name: addonName(c.def.kind, pass.uid),
    adopting: pass.annotation(ANNOTATIONS.addonId) !== undefined,
    now: pass.now(),
    graceMs: c.graceMs,
  };
  const first = decideOrphanCleanup({ ...input, observation: undefined });
  if (first.action !== 'observe') return;
  // The credentials the add-on was made with: the spec's, read only from a spec that parses.
  if (!pass.spec) {
    pass.emit(
      'Warning',
      'DeletionUncertain',
      `the spec cannot be read, so add-ons made by this resource's lost create calls were not looked for; any is left on Clever Cloud under the name ${input.name}`,
    );
    return;
  }
  let ext: ExternalClient;
  let observation: { held: Addon | undefined; named: { at: number; found: Found[] } };
  try {
    ext = await connect(c, pass, pass.spec.credentialsRef);
    const held = await heldForDeletion(c, pass, ext, first.id);
    observation = { held, named: await namedNow(c, pass, ext) };
  } catch (err) {
    if (!(err instanceof CredentialsError) && !(err instanceof UnauthorizedError)) throw err;
    pass.emit(
      'Warning',
      'DeletionUncertain',
      `could not look for add-ons made by this resource's lost create calls (${err.message}); any is left on Clever Cloud under the name ${input.name}`,
    );
    return;
  }
  const next = decideOrphanCleanup({ ...input, now: pass.now(), observation });
  if (next.action === 'remove') {
    for (const addon of next.addons) {
      await deleteAddon(c, pass, ext, addon, [
        'Warning',
        'DuplicateRemoved',
        `removed add-on ${addon.id}: ${next.why}`,
      ]);
    }
  }
  if (next.action === 'wait' || (next.action === 'remove' && next.then === 'wait')) {
    waitForEarlierCreates(
      pass,
      'waiting for earlier create calls to surface before letting go (deletionPolicy Orphan keeps the recorded add-on)',
    );
  }
}

/** A create of this resource may still surface: the deletion says so and looks again at the poll period. */
function waitForEarlierCreates(pass: Pass, message: string): never {
  pass.condition('Ready', { status: 'False', reason: 'Deleting', message });
  throw new Stop({ requeueAfterMs: POLL_MS });
}

/** The add-on status records as this resource's (created or adopted). */
function recordedId(pass: Pass): string | undefined {
  return pass.status.addonId ?? pass.status.addon;
}

/** An adoption annotation that names another add-on than status records: said, never acted on. */
function reportIgnoredAnnotation(pass: Pass): void {
  const annotation = decideAnnotation({
    annotation: pass.annotation(ANNOTATIONS.addonId),
    statusId: recordedId(pass),
    realId: pass.status.realId,
    deleting: true,
    annotationKey: ANNOTATIONS.addonId,
  });
  if (annotation.action === 'ignore') pass.emit('Warning', 'AdoptionAnnotationIgnored', annotation.message);
}

async function connect(c: StepContext, pass: Pass, ref: { name: string } | undefined): Promise<ExternalClient> {
  // A deletion acts on the credentials as they are now: removed ones are not used for it (guarantee 10).
  const credentials = await c.clever.open(pass.namespace, ref, { fresh: true });
  pass.credentialsSource = credentials.source;
  const ext = await credentials.connect(pass.status.organisation ?? pass.spec?.organisation);
  pass.external = ext;
  return ext;
}

/**
 * Every add-on of this provider under the resource's deterministic name, from a list requested now; `at` is when it
 * was asked for, on the pass's clock (the list started no earlier, so it shows no less than Clever listed then).
 */
async function namedNow(c: StepContext, pass: Pass, ext: ExternalClient): Promise<{ at: number; found: Found[] }> {
  const at = pass.now().getTime();
  const snapshot = await ext.snapshot({ maxAgeMs: 0, after: Date.now() });
  const named = snapshot.named(addonName(c.def.kind, pass.uid), c.def.providerId);
  return {
    at,
    found: named.map((addon) => ({ addon, rival: adoptionRival(pass.res, addon.id, c.resources.list()) })),
  };
}

/** What a lookup found, and whether another resource has the better claim on it. */
async function lookUp(c: StepContext, pass: Pass, find: () => Promise<Addon | undefined>): Promise<Found> {
  const addon = await find();
  return { addon, rival: addon ? adoptionRival(pass.res, addon.id, c.resources.list()) : undefined };
}

/**
 * Missing or refused credentials stop the deletion with a condition that says so and names the way out: restore
 * them, or let the add-on go with the orphan-on-delete annotation.
 */
async function blockedWithoutCredentials<T>(pass: Pass, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof CredentialsError) && !(err instanceof UnauthorizedError)) throw err;
    const why =
      err instanceof CredentialsError
        ? err.message
        : `Clever Cloud refused the credentials from ${pass.credentialsSource ?? 'the configuration'}: ${err.message}`;
    const id = recordedId(pass);
    const what = id ? `add-on ${id}` : "this resource's add-on";
    pass.condition('Ready', { status: 'False', reason: 'Deleting', message: `deleting ${what} is blocked` });
    throw new DeletionBlockedError(
      `cannot delete ${what}: ${why}. Restore the credentials, or annotate this resource with ` +
        `${ANNOTATIONS.orphanOnDelete}=true to leave the add-on in place and let the resource go`,
      { cause: err },
    );
  }
}

/**
 * The add-on status records, for deletion: what the shared list or this process knows (decideHeldSource), else read
 * by id. A list that no longer shows it proves nothing (it may lag): then only the read by id says it is gone.
 */
async function heldForDeletion(
  c: StepContext,
  pass: Pass,
  ext: ExternalClient,
  id: string,
): Promise<Addon | undefined> {
  const held = await findHeld(c, pass, ext, id);
  // A refusal (403) says nothing about the add-on: the deletion fails and says so, it never lets the resource go.
  if (held.answer === 'forbidden') throw held.forbidden ?? new Error(`add-on ${id}: access refused`);
  return typeof held.answer === 'object' ? held.answer.addon : undefined;
}

/**
 * Buckets first, then the add-on. Clever's answer to the delete call is the confirmation: 200 (deleted) or 404
 * (already gone); any other answer, a lost one included, fails the pass and the delete is sent again, so Kubernetes
 * forgets the resource only after Clever said the add-on is gone.
 */
async function deleteAddon(
  c: StepContext,
  pass: Pass,
  ext: ExternalClient,
  addon: Addon,
  event: Parameters<Pass['emit']> = ['Normal', 'Deleted', `deleted add-on ${addon.id}`],
): Promise<void> {
  await deleteBuckets(c, pass, ext, addon);
  await ext.delete(addon.id);
  c.memory.seen.delete(pass.uid);
  pass.emit(...event);
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
