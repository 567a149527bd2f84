// The entry the operator uses: createAddonReconciler wires the generic reconciler (src/reconcile/addon/) to the real
// Kubernetes client, informer caches and Clever Cloud sessions. The steps themselves are in addon/reconciler.ts.
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import type { KubeClient } from '../kube/client.ts';
import type { ProviderDefinition } from '../model/provider.ts';
import type { ObjectStoreFactory } from './backup.ts';
import { cleverConnector } from './addon/external.ts';
import { kubeWriter } from './addon/kube.ts';
import { AddonReconciler } from './addon/reconciler.ts';
import type { AddonResource, EventSink } from './addon/types.ts';
import type { SecretObject } from './secret.ts';
import type { Sessions } from './sessions.ts';

export { AddonFailure, SecretConflictError } from './addon/failures.ts';
export {
  CONDITION_REASONS,
  EVENT_REASONS,
  type ConditionReason,
  type EventReason,
  type EventType,
} from './addon/reasons.ts';
export type { AddonResource, EventSink } from './addon/types.ts';

export interface AddonReconcilerDeps {
  kube: KubeClient;
  definition: ProviderDefinition;
  /** Informer cache of the resources of this kind. */
  resources: { get(key: string): AddonResource | undefined; list(): AddonResource[] };
  /** Informer cache of the Secrets we manage (label-selected). */
  secrets: { get(key: string): SecretObject | undefined };
  sessions: Sessions;
  events: EventSink;
  /** Drift poll period after success (jittered ±10%); default 5 min. */
  driftIntervalMs?: number;
  /** How long a pending create may stay unobserved before it is considered never made; default 60 s. */
  createGraceMs?: number;
  now?: () => Date;
  /** Operator-wide image for backup and restore Jobs (default: DEFAULT_BACKUP_IMAGE). */
  backupImage?: string;
  /** S3 access for the retention sweep of spec.backup; without it expired dumps are kept. */
  backupObjectStore?: ObjectStoreFactory;
  /** Called for a resource that uses spec.backup or spec.restoreFrom: its namespace's Job watch is needed. */
  watchBackupJobs?: (namespace: string) => void;
}

export function createAddonReconciler(
  deps: AddonReconcilerDeps,
): (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void> {
  const { kube, secrets, sessions, ...rest } = deps;
  const reconciler = new AddonReconciler({
    ...rest,
    kube: kubeWriter(kube, secrets),
    clever: cleverConnector(sessions, deps.definition),
  });
  return (key, ctx) => reconciler.reconcile(key, ctx);
}
