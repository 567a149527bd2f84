// The shapes every module of the reconciler shares: the resource, the part of the spec every kind has, the event
// sink.
import type { Addon } from '../../clever/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ProviderDefinition, S3Connection } from '../../model/provider.ts';
import type { AddonStatus } from '../../model/status.ts';
import type { BackupSpec, RestoreFromSpec } from '../backup/index.ts';
import type { BucketStore } from '../buckets.ts';
import type { PolicyGate } from '../../policy/runtime.ts';
import type { CleverConnector } from './external.ts';
import type { KubeWriter } from './kube.ts';
import type { RolloutTarget } from '../rollout.ts';
import type { Dialect, SecretObject } from '../secret.ts';
import type { EventReason, EventType } from './reasons.ts';

export interface AddonResource extends KubeObject {
  spec?: unknown;
  status?: AddonStatus;
}

/** The subset of the spec every kind shares (see src/model/spec.ts). */
export interface CommonSpec {
  organisation?: string;
  deletionPolicy: 'Delete' | 'Orphan';
  credentialsRef?: { name: string };
  secret?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    dialects?: Dialect[];
    template?: Record<string, string>;
    rolloutRestart?: RolloutTarget[];
  };
  /** Kinds whose provider declares backup tools (src/model/spec.ts backupSpec). */
  backup?: BackupSpec;
  restoreFrom?: RestoreFromSpec;
}

export interface EventSink {
  emit(obj: KubeObject, type: EventType, reason: EventReason, message: string): void;
}

/** What this process remembers across passes (memory only, like the informer caches). */
export interface Memory {
  /**
   * The last Warning per resource key. The informer cache can lag behind our own status write (a finalizer or
   * annotation event requeues the key at once), so the cached Synced condition alone lets two quick passes report
   * the same problem twice. Forgotten once the problem is gone (or the resource is).
   */
  lastWarning: Map<string, { uid: string; reason: string; message: string }>;
  /**
   * The Secret each resource was last bound with (by uid). While Clever Cloud cannot be reached, a deleted or edited
   * Secret is put back from it instead of waiting for Clever: the add-on still exists and its apps still need its
   * credentials.
   */
  lastBound: Map<string, { secret: SecretObject; hash: string }>;
  /**
   * What this process learnt itself about each resource's add-on (by uid): its create's answer or a read by id, and
   * when. It stands in for the organisation's list until a list taken after it can show the add-on
   * (decideHeldSource).
   */
  seen: Map<string, { addon: Addon; owner: string; at: number }>;
  /** When this process last read each resource's readiness/version and environment (by uid; decide-observe.ts). */
  reads: Map<string, { probeAt?: number; envAt?: number; doubt?: boolean }>;
  /**
   * The resource as our last write to it returned it (by uid), until the informer cache catches up: a pass that our
   * own write triggered then starts from what we wrote, not from the older cached copy.
   */
  written: Map<string, AddonResource>;
}

/** What every step module is given: the provider's definition, the Kubernetes writer and the settings. */
export interface StepContext {
  readonly def: ProviderDefinition;
  readonly kube: KubeWriter;
  readonly clever: CleverConnector;
  /** `<group>/<crdVersion>` of the resources. */
  readonly apiVersion: string;
  /** Every resource of this kind, from the informer cache (for adoption claims). */
  readonly resources: { list(): AddonResource[] };
  readonly memory: Memory;
  /** Drift poll period after success (jittered). */
  readonly driftMs: number;
  /** How long a pending create may stay unobserved before it is considered never made. */
  readonly graceMs: number;
  /** How often a bound add-on's environment is read again, to notice rotated credentials. */
  readonly rotationCheckMs: number;
  /** How often a Ready add-on's readiness and version are read again. */
  readonly versionCheckMs: number;
  /** How long a list may leave out an add-on this process knows exists (decideHeldSource). */
  readonly listLagMs: number;
  /** Opens the S3 API of an object-storage add-on. */
  readonly bucketStore: (connection: S3Connection) => BucketStore;
  /** Tenancy policies (src/policy/); none: everything is allowed, as before policies existed. */
  readonly policy: PolicyGate | undefined;
  /** Whether spec.secret.rolloutRestart is acted on (an install-time choice: it needs patch on workloads). */
  readonly workloadRollouts: boolean;
  /**
   * Whether spec.backup and spec.restoreFrom are acted on (an install-time choice: it needs batch CronJobs and Jobs,
   * chart rbac.backups). Off, no batch object is ever read or written. Unset: on (the library default).
   */
  readonly backups?: boolean;
}
