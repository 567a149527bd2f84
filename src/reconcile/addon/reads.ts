// Which reads of Clever Cloud and of Kubernetes an add-on pass makes, and when (steps 7-9 of reconciler.ts): the
// timing decisions are pure (decide-observe.ts); this module gathers their inputs from the pass and this process's
// memory of its last reads, and records the reads it makes.
import { NotFoundError, type Addon } from '../../clever/index.ts';
import { getCondition } from '../conditions.ts';
import { ANNOTATIONS, secretName } from '../names.ts';
import { dataHash, isOurSecret, type SecretObject } from '../secret.ts';
import { decideChecks, decideEnvRead } from './decide-observe.ts';
import type { ExternalClient } from './external.ts';
import { LAST_BOUND_ANNOTATIONS, lastBoundName } from './last-bound.ts';
import type { Pass } from './pass.ts';
import type { CommonSpec, StepContext } from './types.ts';

/** Our connection Secret or its last-bound copy exists: this resource bound an add-on before. */
export async function secretsOfOurs(c: StepContext, pass: Pass, spec: CommonSpec): Promise<boolean> {
  const names = [pass.status.binding?.name ?? secretName(pass.name, spec.secret?.name), lastBoundName(pass.name)];
  for (const name of names) {
    const live = await c.kube.secret(pass.namespace, name, { cached: false });
    if (live && isOurSecret(live, pass.uid)) return true;
  }
  return false;
}

/** This process's read times for the resource; after a restart, spread over the intervals (see decide-observe). */
export function readTimes(c: StepContext, pass: Pass): { probeAt?: number; envAt?: number; doubt?: boolean } {
  let times = c.memory.reads.get(pass.uid);
  if (!times) {
    // First sight in this process: a settled resource's next reads fall at a random point of their intervals, so
    // a restart does not re-read every add-on at once (a new one has no secretHash and reads at once anyway).
    const now = pass.now().getTime();
    const ready = getCondition(pass.original, 'Ready')?.status === 'True';
    times = ready
      ? {
          probeAt: now - Math.random() * c.versionCheckMs,
          envAt: now - Math.random() * c.rotationCheckMs,
        }
      : {};
    c.memory.reads.set(pass.uid, times);
  }
  return times;
}

/** Steps 7-8: which reads this pass makes (decideChecks). */
export function decideReads(c: StepContext, pass: Pass, addon: Addon) {
  const times = readTimes(c, pass);
  return decideChecks({
    justCreated: pass.created,
    probes: c.def.readiness.kind !== 'exists',
    wasReady: getCondition(pass.original, 'Ready')?.status === 'True' && pass.original?.addonId === addon.id,
    specChanged: pass.generation !== pass.original?.observedGeneration,
    migrating: Boolean(pass.status.migration && !['OK', 'FAILED'].includes(pass.status.migration.status)),
    lastProbeAt: times.probeAt,
    createdAt: createdAt(pass),
    versionCheckMs: c.versionCheckMs,
    now: pass.now().getTime(),
  });
}

/** When the add-on was created, as far as this resource knows (the time of the create intent it records). */
export function createdAt(pass: Pass): number | undefined {
  const intent = pass.status.createdFromIntent ?? pass.annotation(ANNOTATIONS.createPending);
  const at = intent ? Date.parse(intent) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

/** Steps 7-8: readiness (and the version, from the same answer where the provider gives both). */
export async function probe(c: StepContext, pass: Pass, ext: ExternalClient, addon: Addon): Promise<boolean> {
  try {
    const ready = await ext.ready(addon);
    const version = await ext.version(addon);
    if (version) pass.status.version = version;
    readTimes(c, pass).probeAt = pass.now().getTime();
    return ready;
  } catch (err) {
    // The add-on may be gone: the next pass asks for it by id rather than trusting a list that still shows it.
    if (err instanceof NotFoundError) c.memory.seen.delete(pass.uid);
    if (err instanceof NotFoundError) readTimes(c, pass).doubt = true;
    throw err;
  }
}

/** Step 9: whether the environment is read and the Secret bound in this pass (decideEnvRead). */
export async function envDue(
  c: StepContext,
  pass: Pass,
  addon: Addon,
  spec: CommonSpec,
): Promise<{ read: boolean; why: string }> {
  const recordedHash = pass.status.secretHash;
  const name = pass.status.binding?.name ?? secretName(pass.name, spec.secret?.name);
  const intact = async () => {
    if (recordedHash === undefined) return false;
    const fits = (s: SecretObject | undefined) =>
      s !== undefined && isOurSecret(s, pass.uid) && dataHash(s.data) === recordedHash;
    // The cache may not hold our own latest apply yet: a mismatch there is checked against the API server.
    const secretFits =
      fits(await c.kube.secret(pass.namespace, name, { cached: true })) ||
      fits(await c.kube.secret(pass.namespace, name, { cached: false }));
    // The last-bound copy too (guarantee 12 rests on it): a deleted or stale copy is written again by a bind.
    const copyName = lastBoundName(pass.name);
    if (copyName === name) return secretFits;
    // A name someone else's Secret holds is never written (bind.ts keepCopy): not a reason to read again.
    const copyFits = (s: SecretObject | undefined) =>
      s !== undefined &&
      (!isOurSecret(s, pass.uid) || s.metadata?.annotations?.[LAST_BOUND_ANNOTATIONS.hash] === recordedHash);
    return (
      secretFits &&
      (copyFits(await c.kube.secret(pass.namespace, copyName, { cached: true })) ||
        copyFits(await c.kube.secret(pass.namespace, copyName, { cached: false })))
    );
  };
  const decision = decideEnvRead({
    recordedHash,
    secretIntact: recordedHash !== undefined && (await intact()),
    specChanged: pass.generation !== pass.original?.observedGeneration,
    addonChanged: pass.original?.addonId !== addon.id,
    lastReadAt: readTimes(c, pass).envAt,
    rotationCheckMs: c.rotationCheckMs,
    now: pass.now().getTime(),
  });
  return decision;
}
