// What a pass asks Clever Cloud, decided without I/O: where the held add-on is read from (the organisation's shared
// list, what this process learnt itself, or a read by id), and which per-add-on reads a pass makes (readiness,
// version, environment). Every read skipped here is a call the 10 calls/s budget keeps for creates and deletes; none
// is skipped where its answer could change what the operator does to an add-on or a Secret.
import type { Addon } from '../../clever/index.ts';

/**
 * How long after this process learnt that an add-on exists a list may still leave it out (Clever's lists lag behind
 * creates). Past it, an absence is asked about by id: a list that lags longer costs one read, never a wrong action.
 */
export const LIST_LAG_MS = 5_000;

export interface HeldSourceInput {
  /** The held add-on as the organisation's snapshot shows it, if it does. */
  inSnapshot: Addon | undefined;
  /** When that snapshot was requested (epoch ms). */
  snapshotAt: number;
  /** What this process learnt itself about the add-on (its create's answer, a read by id), and when. */
  known: { addon: Addon; at: number } | undefined;
  lagMs: number;
}

export type HeldSource = { source: 'snapshot' | 'known'; addon: Addon; why: string } | { source: 'ask'; why: string };

/**
 * The held add-on from the shared list when it shows it; from this process's own knowledge when that is newer than
 * the list (a create the list cannot show yet, a read by id after it); by id otherwise. An absence from the list
 * is never taken for a deletion: the answer by id (404) decides that, through decideHeld.
 */
export function decideHeldSource(input: HeldSourceInput): HeldSource {
  const { inSnapshot, known } = input;
  if (inSnapshot && !(known && known.at > input.snapshotAt)) {
    return { source: 'snapshot', addon: inSnapshot, why: "the organisation's list shows it" };
  }
  if (known && (inSnapshot || input.snapshotAt < known.at + input.lagMs)) {
    return {
      source: 'known',
      addon: known.addon,
      why: inSnapshot ? 'this process read it after the list was taken' : 'the list predates what this process knows',
    };
  }
  return {
    source: 'ask',
    why: known ? 'the list was taken well after this process saw it, and leaves it out' : 'the list leaves it out',
  };
}

export interface ChecksInput {
  /** The add-on was created in this pass (its create answered just now). */
  justCreated: boolean;
  /** The provider reports readiness or a version through a call of its own (not the `exists` kind). */
  probes: boolean;
  /** Ready was True for this add-on when the pass began (status, written). */
  wasReady: boolean;
  /** The spec changed since status last recorded it (generation ahead of observedGeneration). */
  specChanged: boolean;
  /** A migration is recorded and not finished. */
  migrating: boolean;
  /** When this process last read the readiness/version of this add-on (epoch ms), if it did. */
  lastProbeAt: number | undefined;
  /** When the add-on was created, when known (epoch ms): the readiness poll backs off from it. */
  createdAt: number | undefined;
  /** How often a Ready add-on's version is read again (it changes only through a migration or Clever's upkeep). */
  versionCheckMs: number;
  now: number;
}

export type ChecksDecision =
  | { probe: true; why: string }
  | { probe: false; assumeReady: boolean; requeueAfterMs: number | undefined; why: string };

/** The first readiness poll after a create, and the longest wait between two polls while provisioning. */
export const FIRST_POLL_MS = 5_000;
export const MAX_POLL_MS = 30_000;

/**
 * How long to wait before the next readiness poll: provisioning takes from seconds to minutes, so the wait grows with
 * the time already spent (5 s, then as long as the add-on has been provisioning, at most 30 s).
 */
export function readinessPollDelay(createdAt: number | undefined, now: number): number {
  if (createdAt === undefined || Number.isNaN(createdAt)) return FIRST_POLL_MS;
  return Math.min(MAX_POLL_MS, Math.max(FIRST_POLL_MS, now - createdAt));
}

/**
 * Whether this pass reads the add-on's readiness (and version, from the same answer). Not right after the create
 * (it cannot be ready yet); not again before the poll delay while provisioning (a pass our own writes triggered);
 * not for an add-on already Ready unless the spec changed, a migration runs, or its version is due for a re-read.
 */
export function decideChecks(input: ChecksInput): ChecksDecision {
  if (!input.probes) return { probe: true, why: 'readiness needs no call for this kind' };
  const delay = readinessPollDelay(input.createdAt, input.now);
  if (input.justCreated) {
    return { probe: false, assumeReady: false, requeueAfterMs: delay, why: 'just created: it cannot be ready yet' };
  }
  if (input.specChanged || input.migrating) return { probe: true, why: 'the spec changed or a migration runs' };
  if (input.wasReady) {
    if (input.lastProbeAt !== undefined && input.now - input.lastProbeAt < input.versionCheckMs) {
      return { probe: false, assumeReady: true, requeueAfterMs: undefined, why: 'Ready, and its version read lately' };
    }
    return { probe: true, why: 'Ready, and its version is due for a re-read' };
  }
  // The wait that followed the last poll (or the create): as long as the add-on had been provisioning then. Measured
  // from now instead, it would grow as fast as time passes and the poll would never come.
  const since = input.lastProbeAt ?? input.createdAt;
  const wait = since === undefined ? delay : readinessPollDelay(input.createdAt, since);
  if (since !== undefined && input.now - since < wait) {
    return {
      probe: false,
      assumeReady: false,
      requeueAfterMs: wait - (input.now - since),
      why: 'provisioning, and polled less than the poll delay ago',
    };
  }
  return { probe: true, why: 'provisioning: poll' };
}

export interface EnvReadInput {
  /** status.secretHash: what the Secret was last bound with; undefined when it never was. */
  recordedHash: string | undefined;
  /** The Secret in the cluster is ours and holds what status.secretHash says. */
  secretIntact: boolean;
  /** The spec changed since status last recorded it (the Secret's name, template or dialects may have). */
  specChanged: boolean;
  /** The add-on the Secret was last bound from is not the one held now (a recreate, an adoption). */
  addonChanged: boolean;
  /** When this process last read the environment of this add-on (epoch ms), if it did. */
  lastReadAt: number | undefined;
  /** How often the environment is read again to notice credentials rotated on Clever's side. */
  rotationCheckMs: number;
  now: number;
}

/** Whether this pass reads the add-on's environment (and binds the Secret from it). */
export function decideEnvRead(input: EnvReadInput): { read: boolean; why: string } {
  if (input.recordedHash === undefined) return { read: true, why: 'never bound' };
  if (!input.secretIntact) return { read: true, why: 'the Secret is missing or differs from what was bound' };
  if (input.specChanged) return { read: true, why: 'the spec changed' };
  if (input.addonChanged) return { read: true, why: 'the Secret was bound from another add-on' };
  if (input.lastReadAt === undefined || input.now - input.lastReadAt >= input.rotationCheckMs) {
    return { read: true, why: 'due for the rotation check' };
  }
  return { read: false, why: 'bound, intact, and read lately' };
}
