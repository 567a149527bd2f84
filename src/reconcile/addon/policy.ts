// Step 4b: the tenancy policy (src/policy/), asked once the spec, credentials, owner and catalogue are resolved and
// before any Clever write. A refusal ends the pass with PolicyDenied (failures.ts). On the way it records the plan's
// monthly price (status.monthlyPrice, counted in the namespace's spend) and, for an adoption, the deletion policy a
// policy sets when the spec sets none (status.deletionPolicy, read by finalize.ts). A bound resource whose spec did
// not change keeps its recorded plan and price (no catalogue call), so its spend is what status already says.
import type { Plan } from '../../clever/index.ts';
import { PolicyDeniedError } from '../../policy/errors.ts';
import type { PolicyGate } from '../../policy/runtime.ts';
import { ANNOTATIONS } from '../names.ts';
import type { ExternalClient } from './external.ts';
import type { Pass } from './pass.ts';
import type { CommonSpec } from './types.ts';

export function enforcePolicy(
  gate: PolicyGate | undefined,
  pass: Pass,
  ext: ExternalClient,
  kind: string,
  target: { plan: Pick<Plan, 'slug' | 'price'>; region: string },
  spec: CommonSpec,
): void {
  const price = typeof target.plan.price === 'number' ? target.plan.price : undefined;
  const adoption = pass.annotation(ANNOTATIONS.addonId);
  const holds = Boolean(pass.status.addonId);
  const images = [spec.backup?.image, spec.restoreFrom?.image].filter((i): i is string => Boolean(i));
  const decision = gate?.decide(pass.namespace, pass.uid, {
    kind,
    organisation: ext.owner,
    ...(ext.credentials ? { credentials: ext.credentials.origin, customEndpoint: ext.credentials.customEndpoint } : {}),
    plan: target.plan.slug,
    region: target.region,
    ...(price !== undefined ? { monthlyPrice: price } : {}),
    currentPrice: holds ? (pass.status.monthlyPrice ?? 0) : 0,
    ...(adoption ? { adoption } : {}),
    backupImages: images,
  });
  const explicitDeletionPolicy = (pass.res.spec as { deletionPolicy?: unknown } | undefined)?.deletionPolicy;
  if (decision && !decision.allowed) {
    // Never delete, on the resource's deletion, an add-on whose adoption was not allowed.
    if (adoption && pass.status.addonId !== adoption) pass.status.deletionPolicy = 'Orphan';
    throw new PolicyDeniedError(decision.policy, decision.rule, decision.message);
  }
  if (price !== undefined) pass.status.monthlyPrice = price;
  if (adoption && decision?.adoptedDeletionPolicy && explicitDeletionPolicy === undefined)
    pass.status.deletionPolicy = decision.adoptedDeletionPolicy;
}
