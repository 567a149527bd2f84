// The entry the operator uses: createAddonReconciler wires the generic reconciler (src/reconcile/addon/) to the real
// Kubernetes client, informer caches and Clever Cloud sessions. The steps themselves are in addon/reconciler.ts.
// It also sets the Clever priority of a pass from the cached resource (src/clever/priority.ts): a deletion is
// `urgent`; a create or an unobserved spec change stays `normal` even when its pass was scheduled (a list-lag wait,
// a retry); anything else keeps the priority of its work-queue lane (src/kube/controller.ts).
import { withCleverPriority, type CleverPriority } from '../clever/priority.ts';
import { lanePriority } from './lane-priority.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import type { KubeClient } from '../kube/client.ts';
import { cleverConnector } from './addon/external.ts';
import { kubeWriter } from './addon/kube.ts';
import { AddonReconciler, type ReconcilerDeps } from './addon/reconciler.ts';
import type { AddonResource } from './addon/types.ts';
import type { SecretObject } from './secret.ts';
import type { Sessions } from './sessions.ts';
import { PolicyDeniedError } from '../policy/errors.ts';

export { AddonFailure, SecretConflictError } from './addon/failures.ts';
export {
  CONDITION_REASONS,
  EVENT_REASONS,
  type ConditionReason,
  type EventReason,
  type EventType,
} from './addon/reasons.ts';
export type { AddonResource, EventSink } from './addon/types.ts';

/** What the operator supplies: the real Kubernetes client, the informer's Secret cache and the Clever sessions. */
export interface AddonReconcilerDeps extends Omit<ReconcilerDeps, 'kube' | 'clever' | 'bucketStore'> {
  kube: KubeClient;
  /** Informer cache of the Secrets we manage (label-selected). */
  secrets: { get(key: string): SecretObject | undefined };
  sessions: Sessions;
}

export function createAddonReconciler(
  deps: AddonReconcilerDeps,
): (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void> {
  const { kube, secrets, sessions, ...rest } = deps;
  const reconciler = new AddonReconciler({
    ...rest,
    kube: kubeWriter(kube, secrets),
    // Custom endpoints are refused before the first call to them, not only at step 4b.
    clever: cleverConnector(sessions, deps.definition, (namespace, credentials) => {
      if (!rest.policy || !credentials.customEndpoint) return;
      const d = rest.policy.decide(namespace, '', { ...credentials });
      if (!d.allowed) throw new PolicyDeniedError(d.policy, d.rule, d.message);
    }),
  });
  return (key, ctx) => {
    const priority = passPriority(rest.resources.get(key), lanePriority(ctx.lane));
    return withCleverPriority(priority, () => reconciler.reconcile(key, ctx));
  };
}

/** The Clever priority of one pass over `res`, given the priority it was started at. */
export function passPriority(res: AddonResource | undefined, started: CleverPriority): CleverPriority {
  if (res?.metadata?.deletionTimestamp) return 'urgent';
  // Not created yet, or a spec change not acted on: a user waits for it. (A failing create retried with backoff
  // stays here too; the per-key backoff bounds how often.)
  const pending =
    res !== undefined && (!res.status?.addonId || res.status.observedGeneration !== res.metadata?.generation);
  if (started === 'background' && pending) return 'normal';
  return started;
}
