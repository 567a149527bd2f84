// What a failed pass reports. One table, first match wins: the error's class gives the Synced condition reason, the
// Warning event (emitted once per change of the condition), whether the Secret is put back from its last known
// content, and when the resource is looked at again. Error messages never carry credentials: the Clever client and
// the Kubernetes helpers build them from names, ids and status codes only.
import { describeError } from '../../kube/errors.ts';
import {
  ForbiddenError,
  OutcomeUnknownError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
} from '../../clever/index.ts';
import { MissingEnvError } from '../../model/env.ts';
import { ObjectStorageError } from '../buckets.ts';
import { PolicyDeniedError } from '../../policy/errors.ts';
import { InvalidSpecError } from '../catalogue.ts';
import { CredentialsError } from '../sessions.ts';
import { TemplateError } from '../template.ts';
import type { ConditionReason, EventReason } from './reasons.ts';

/** The fast poll while something is in progress on Clever's side (provisioning, a migration, a deletion). */
export const POLL_MS = 3_000;
/** Spec problems: re-checked slowly (the catalogue may change), not retried in a loop. */
export const INVALID_SPEC_RECHECK_MS = 30 * 60_000;
/**
 * Credential Secrets are not watched (that would mean watching every Secret), so a Secret created later is noticed
 * by this re-check: a fixed period, not a backoff growing to minutes.
 */
export const CREDENTIALS_RECHECK_MS = 15_000;
/** A bucket that blocks deletion because it holds objects is looked at again this often. */
export const BUCKET_RECHECK_MS = 15_000;

/** A failure only a spec change (or Clever's side) can fix: reported, re-checked slowly, not retried in a loop. */
export class AddonFailure extends Error {
  readonly reason: 'ProviderUnavailable' | 'MigrationFailed';
  constructor(reason: AddonFailure['reason'], message: string) {
    super(message);
    this.name = 'AddonFailure';
    this.reason = reason;
  }
}

/**
 * The held add-on cannot be used and must not be replaced on our own: gone after a Secret was bound to it
 * (AddonMissing), or invisible under another owner than the recorded one (OwnerChanged). The Secret is left as it is.
 */
export class HeldAddonError extends Error {
  readonly reason: 'AddonMissing' | 'OwnerChanged';
  constructor(reason: HeldAddonError['reason'], message: string) {
    super(message);
    this.name = 'HeldAddonError';
    this.reason = reason;
  }
}

/** A missing or moved add-on is looked at again this often (it may come back; the user may opt in or revert). */
export const HELD_RECHECK_MS = 60_000;

/**
 * Deletion cannot go on: the credentials are missing or refused, so the add-on can be neither deleted nor confirmed
 * gone. The finalizer stays (a Delete-policy add-on may still exist); the message names the way out.
 */
export class DeletionBlockedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeletionBlockedError';
  }
}

export class SecretConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretConflictError';
  }
}

/**
 * Before a create: a name this resource would write (its Secret, its backup CronJob) is held by an object it does not
 * own, so no add-on is created. Re-checked at the drift interval: deleting that object is not an event we watch.
 */
export class NameTakenError extends Error {
  readonly kind: 'Secret' | 'CronJob';
  constructor(kind: NameTakenError['kind'], message: string) {
    super(message);
    this.name = 'NameTakenError';
    this.kind = kind;
  }
}

/** When to look again: after a fixed delay, at the (jittered) drift interval, with the queue's backoff, or rethrow. */
export type Requeue = { afterMs: number } | 'drift' | 'backoff' | 'rethrow';

export interface FailurePlan {
  reason: ConditionReason;
  message: string;
  /** The Warning event; none for transient trouble that fixes itself. */
  event?: EventReason;
  requeue: Requeue;
  /** Phase Failed (only for a resource that has no add-on yet). */
  failed?: boolean;
  /** Put the Secret back from its last known content, "while <keepSecret>". */
  keepSecret?: string;
}

/** What the table may look at besides the error. */
export interface FailureFacts {
  /** status.addonId is set. */
  hasAddon: boolean;
  /** Where the credentials came from (never their values), when they were found. */
  credentialsSource: string | undefined;
  /** spec.organisation, when the spec names one. */
  organisation: string | undefined;
}

interface FailureRow {
  error: abstract new (...args: never[]) => Error;
  plan(err: Error, facts: FailureFacts): FailurePlan;
}

function row<E extends Error>(
  error: abstract new (...args: never[]) => E,
  plan: (err: E, facts: FailureFacts) => FailurePlan,
): FailureRow {
  return { error, plan: (err, facts) => plan(err as E, facts) };
}

export const FAILURES: readonly FailureRow[] = [
  // Policies are watched: a change requeues the resource at once; the slow re-check is a safety net.
  row(PolicyDeniedError, (err, facts) => ({
    reason: 'PolicyDenied',
    message: err.message,
    event: 'PolicyDenied',
    requeue: { afterMs: INVALID_SPEC_RECHECK_MS },
    failed: !facts.hasAddon,
  })),
  row(DeletionBlockedError, (err) => ({
    reason: 'DeletionBlocked',
    message: err.message,
    event: 'DeletionBlocked',
    requeue: { afterMs: CREDENTIALS_RECHECK_MS },
  })),
  row(InvalidSpecError, (err, facts) => ({
    reason: err.reason,
    message: err.message,
    // Moving an existing add-on is its own event, so an alert can key on it.
    event: err.reason === 'OwnerChanged' || err.reason === 'RegionChanged' ? err.reason : 'InvalidSpec',
    requeue: { afterMs: INVALID_SPEC_RECHECK_MS },
    failed: !facts.hasAddon,
  })),
  row(CredentialsError, (err) => ({
    reason: err.reason,
    message: err.message,
    event: 'CredentialsProblem',
    requeue: { afterMs: CREDENTIALS_RECHECK_MS },
    keepSecret: 'the Clever Cloud credentials are missing',
  })),
  row(UnauthorizedError, (err, facts) => {
    const from = `the credentials from ${facts.credentialsSource ?? 'the configuration'}`;
    // A 403 on an owner the spec names is a spec problem as much as a credentials one: say which field.
    const message =
      err instanceof ForbiddenError && facts.organisation
        ? `spec.organisation: ${from} have no access to ${facts.organisation}: ${err.message}`
        : `Clever Cloud refused ${from}: ${err.message}`;
    return {
      reason: 'Unauthorized',
      message,
      event: 'CredentialsProblem',
      requeue: 'backoff',
      keepSecret: 'Clever Cloud refuses the credentials',
    };
  }),
  row(HeldAddonError, (err) => ({
    reason: err.reason,
    message: err.message,
    event: err.reason,
    requeue: { afterMs: HELD_RECHECK_MS },
    failed: true,
  })),
  row(SecretConflictError, (err) => ({
    reason: 'SecretConflict',
    message: err.message,
    event: 'SecretConflict',
    requeue: 'drift',
  })),
  row(NameTakenError, (err, facts) => ({
    reason: err.kind === 'Secret' ? 'SecretConflict' : 'CronJobConflict',
    message: err.message,
    event: err.kind === 'Secret' ? 'SecretConflict' : 'CronJobConflict',
    requeue: 'drift',
    failed: !facts.hasAddon,
  })),
  row(TemplateError, (err) => ({
    reason: 'TemplateError',
    message: err.message,
    event: 'TemplateError',
    requeue: { afterMs: INVALID_SPEC_RECHECK_MS },
  })),
  row(ObjectStorageError, (err) => ({
    reason: err.reason,
    message: err.message,
    event: 'ObjectStorageError',
    requeue: 'rethrow',
  })),
  row(MissingEnvError, (err) => ({
    reason: 'BindingIncomplete',
    message: err.message,
    requeue: { afterMs: POLL_MS * 10 },
  })),
  row(AddonFailure, (err) => ({
    reason: err.reason,
    message: err.message,
    event: err.reason === 'MigrationFailed' ? 'MigrationFailed' : 'ReconcileError',
    requeue: { afterMs: INVALID_SPEC_RECHECK_MS },
  })),
  row(TerminalError, (err, facts) => ({
    reason: facts.hasAddon ? 'UpdateFailed' : 'CreateFailed',
    message: err.message,
    event: facts.hasAddon ? 'MigrationFailed' : 'CreateFailed',
    requeue: { afterMs: INVALID_SPEC_RECHECK_MS },
    failed: !facts.hasAddon,
  })),
  ...[RetryableError, OutcomeUnknownError].map((error) =>
    row(error, (err) => ({
      reason: 'CleverApiUnavailable',
      message: err.message,
      requeue: 'rethrow',
      keepSecret: 'Clever Cloud is unreachable',
    })),
  ),
];

/** The plan for any error: its row in FAILURES, else a ReconcileError that is retried with backoff. */
export function planFailure(err: unknown, facts: FailureFacts): FailurePlan {
  if (err instanceof Error) {
    const match = FAILURES.find((r) => err instanceof r.error);
    if (match) return match.plan(err, facts);
  }
  return {
    reason: 'ReconcileError',
    // Unclassified (an API server error among others): summarised, never its raw body.
    message: describeError(err),
    event: 'ReconcileError',
    requeue: 'rethrow',
  };
}
