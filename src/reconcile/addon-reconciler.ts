// The entry the operator uses: createAddonReconciler wires the generic reconciler (src/reconcile/addon/) to the real
// Kubernetes client, informer caches and Clever Cloud sessions. The steps themselves are in addon/reconciler.ts.
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import type { KubeClient } from '../kube/client.ts';
import { cleverConnector } from './addon/external.ts';
import { kubeWriter } from './addon/kube.ts';
import { AddonReconciler, type ReconcilerDeps } from './addon/reconciler.ts';
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
  return (key, ctx) => reconciler.reconcile(key, ctx);
}
