// The failure table: each error class to its condition reason, Warning event and requeue, and the adoption claims.
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  OutcomeUnknownError,
  ResponseShapeError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
} from '../../../src/clever/index.ts';
import { MissingEnvError } from '../../../src/model/env.ts';
import { adoptionRival } from '../../../src/reconcile/addon/adoption.ts';
import {
  AddonFailure,
  CREDENTIALS_RECHECK_MS,
  DeletionBlockedError,
  INVALID_SPEC_RECHECK_MS,
  planFailure,
  SecretConflictError,
} from '../../../src/reconcile/addon/failures.ts';
import { CONDITION_REASONS, EVENT_REASONS } from '../../../src/reconcile/addon/reasons.ts';
import type { AddonResource } from '../../../src/reconcile/addon/types.ts';
import { ObjectStorageError } from '../../../src/reconcile/buckets.ts';
import { InvalidSpecError } from '../../../src/reconcile/catalogue.ts';
import { ANNOTATIONS } from '../../../src/reconcile/names.ts';
import { CredentialsError } from '../../../src/reconcile/sessions.ts';
import { TemplateError } from '../../../src/reconcile/template.ts';

const ctx = { method: 'GET', route: 'r' };
const facts = { hasAddon: false, credentialsSource: 'Secret ns/clever', organisation: undefined };
const SPEC = { afterMs: INVALID_SPEC_RECHECK_MS };

describe('planFailure', () => {
  it.each([
    {
      error: new InvalidSpecError('InvalidPlan', 'spec.instance.plan', 'no'),
      reason: 'InvalidPlan',
      event: 'InvalidSpec',
      requeue: SPEC,
      failed: true,
    },
    {
      error: new InvalidSpecError('AdoptionConflict', 'a', 'b'),
      reason: 'AdoptionConflict',
      event: 'InvalidSpec',
      requeue: SPEC,
      failed: true,
    },
    {
      error: new CredentialsError('CredentialsMissing', 'm'),
      reason: 'CredentialsMissing',
      event: 'CredentialsProblem',
      requeue: { afterMs: CREDENTIALS_RECHECK_MS },
      keep: true,
    },
    {
      error: new UnauthorizedError('401', ctx),
      reason: 'Unauthorized',
      event: 'CredentialsProblem',
      requeue: 'backoff',
      keep: true,
    },
    {
      error: new ForbiddenError('403', ctx),
      reason: 'Unauthorized',
      event: 'CredentialsProblem',
      requeue: 'backoff',
      keep: true,
    },
    {
      // Credentials gone at deletion: no Secret to put back (the resource is going), re-checked like credentials.
      error: new DeletionBlockedError('cannot delete add-on a: no Secret'),
      reason: 'DeletionBlocked',
      event: 'DeletionBlocked',
      requeue: { afterMs: CREDENTIALS_RECHECK_MS },
    },
    { error: new SecretConflictError('s'), reason: 'SecretConflict', event: 'SecretConflict', requeue: 'drift' },
    { error: new TemplateError('k', 't'), reason: 'TemplateError', event: 'TemplateError', requeue: SPEC },
    {
      error: new MissingEnvError('REDIS_HOST'),
      reason: 'BindingIncomplete',
      event: undefined,
      requeue: { afterMs: 30_000 },
    },
    {
      error: new AddonFailure('MigrationFailed', 'm'),
      reason: 'MigrationFailed',
      event: 'MigrationFailed',
      requeue: SPEC,
    },
    {
      error: new AddonFailure('ProviderUnavailable', 'p'),
      reason: 'ProviderUnavailable',
      event: 'ReconcileError',
      requeue: SPEC,
    },
    {
      error: new TerminalError('400', ctx),
      reason: 'CreateFailed',
      event: 'CreateFailed',
      requeue: SPEC,
      failed: true,
    },
    {
      error: new RetryableError('503', ctx),
      reason: 'CleverApiUnavailable',
      event: undefined,
      requeue: 'rethrow',
      keep: true,
    },
    {
      error: new OutcomeUnknownError('timeout', ctx),
      reason: 'CleverApiUnavailable',
      event: undefined,
      requeue: 'rethrow',
      keep: true,
    },
    {
      error: new ResponseShapeError('shape', { ...ctx, path: '$' }),
      reason: 'ReconcileError',
      event: 'ReconcileError',
      requeue: 'rethrow',
    },
    { error: new Error('boom'), reason: 'ReconcileError', event: 'ReconcileError', requeue: 'rethrow' },
    { error: 'not an error', reason: 'ReconcileError', event: 'ReconcileError', requeue: 'rethrow' },
  ])('$error.name -> $reason', ({ error, reason, event, requeue, failed, keep }) => {
    const plan = planFailure(error, facts);
    expect(plan.reason).toBe(reason);
    expect(plan.event).toBe(event);
    expect(plan.requeue).toEqual(requeue);
    expect(Boolean(plan.failed)).toBe(Boolean(failed));
    expect(Boolean(plan.keepSecret)).toBe(Boolean(keep));
    expect(CONDITION_REASONS).toContain(plan.reason);
    if (plan.event) expect(EVENT_REASONS).toContain(plan.event);
  });

  it('ObjectStorageError keeps its own reason and is retried', () => {
    const plan = planFailure(new ObjectStorageError('s3 down'), facts);
    expect(plan).toMatchObject({ reason: 'ObjectStorageError', event: 'ObjectStorageError', requeue: 'rethrow' });
  });

  it('a Clever refusal on an existing add-on is an UpdateFailed, not a failed resource', () => {
    const plan = planFailure(new TerminalError('400', ctx), { ...facts, hasAddon: true });
    expect(plan).toMatchObject({ reason: 'UpdateFailed', event: 'MigrationFailed' });
    expect(plan.failed).toBe(false);
  });

  it('a 403 on a named organisation names the field and the credentials source, not their values', () => {
    const plan = planFailure(new ForbiddenError('forbidden', ctx), { ...facts, organisation: 'orga_x' });
    expect(plan.message).toBe(
      'spec.organisation: the credentials from Secret ns/clever have no access to orga_x: forbidden',
    );
    expect(planFailure(new UnauthorizedError('no', ctx), { ...facts, credentialsSource: undefined }).message).toBe(
      'Clever Cloud refused the credentials from the configuration: no',
    );
  });
});

describe('adoptionRival', () => {
  const res = (name: string, created: string, extra: { holds?: string; wants?: string } = {}): AddonResource => ({
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      creationTimestamp: created,
      ...(extra.wants ? { annotations: { [ANNOTATIONS.addonId]: extra.wants } } : {}),
    },
    ...(extra.holds ? { status: { addonId: extra.holds } } : {}),
  });
  const early = '2026-01-01T10:00:00Z';
  const late = '2026-01-01T11:00:00Z';
  it.each([
    { situation: 'alone', me: res('b', late, { wants: 'a1' }), others: [], rival: undefined },
    {
      situation: 'other wants another add-on',
      me: res('b', late, { wants: 'a1' }),
      others: [res('a', early, { wants: 'a2' })],
      rival: undefined,
    },
    {
      situation: 'older one wants it too',
      me: res('b', late, { wants: 'a1' }),
      others: [res('a', early, { wants: 'a1' })],
      rival: 'ns/a',
    },
    {
      situation: 'younger one wants it too',
      me: res('a', early, { wants: 'a1' }),
      others: [res('b', late, { wants: 'a1' })],
      rival: undefined,
    },
    {
      situation: 'younger one holds it',
      me: res('a', early, { wants: 'a1' }),
      others: [res('b', late, { holds: 'a1' })],
      rival: 'ns/b',
    },
    {
      situation: 'I hold it, older one wants it',
      me: res('b', late, { holds: 'a1' }),
      others: [res('a', early, { wants: 'a1' })],
      rival: undefined,
    },
    {
      situation: 'same time: name decides',
      me: res('b', early, { wants: 'a1' }),
      others: [res('a', early, { wants: 'a1' })],
      rival: 'ns/a',
    },
  ])('$situation -> $rival', ({ me, others, rival }) => {
    expect(adoptionRival(me, 'a1', [me, ...others])).toBe(rival);
  });
});
