// What a Manager is started with: the cluster, the kinds, credentials, tuning, leader election and policy mode.
import type { KubeTarget } from '../kube/client.ts';
import type { Registry } from 'prom-client';
import type { CleverClientOptions } from '../clever/index.ts';
import type { ResolvedCredentials } from '../config/credentials.ts';
import type { Logger } from '../log.ts';
import type { ProviderDefinition } from '../model/provider.ts';
import type { PolicyMode } from '../policy/types.ts';
import type { ObjectStoreFactory } from '../reconcile/backup/index.ts';

export interface LeaderElectionSettings {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  /** The cluster: a connection (src/kube/connection.ts) or client-node's KubeConfig. */
  kubeConfig: KubeTarget;
  providers: ProviderDefinition[];
  global: ResolvedCredentials | undefined;
  clientOptions?: Omit<CleverClientOptions, 'credentials'>;
  /** Namespaces to watch; empty or undefined: all. */
  namespaces?: string[];
  /** Reconciles at once per kind (default 4). */
  concurrency?: number;
  driftIntervalMs?: number;
  createGraceMs?: number;
  /** How often a bound add-on's environment is read again (rotated credentials); default 1 h. */
  rotationCheckMs?: number;
  /** How often a Ready add-on's readiness and version are read again; default 3 h. */
  versionCheckMs?: number;
  /** How long a list may leave out an add-on this process knows exists (Clever's lists lag); default 5 s. */
  listLagMs?: number;
  /** Image of backup and restore Jobs (spec.backup), unless a resource names its own. */
  backupImage?: string;
  /** Act on spec.secret.rolloutRestart (default false; needs get + patch on the workloads). */
  workloadRollouts?: boolean;
  /**
   * Act on spec.backup and spec.restoreFrom (default false: backup CronJobs and restore Jobs need RBAC on batch
   * objects, which the default install does not grant; chart rbac.backups). Off, no batch object is watched, read or
   * written, and a resource that uses them gets Synced False reason BackupsDisabled.
   */
  backups?: boolean;
  /** S3 access for backup retention; default: the AWS SDK S3 client. */
  backupObjectStore?: ObjectStoreFactory;
  leaderElection?: LeaderElectionSettings;
  /** Informer tuning, e.g. short watchdogs in tests. */
  informer?: { watchTimeoutSeconds?: number; watchdogMs?: number; resyncMs?: number };
  registry?: Registry;
  logger?: Logger;
  /** Called when leadership is lost: the process must exit (another replica now reconciles). */
  onLostLeadership?: () => void;
  instance?: string;
  /** open (default): namespaces no AddonPolicy selects work as before; strict: nothing is allowed there. */
  policyMode?: PolicyMode;
  /** How often AddonPolicy statuses (committed spend) are refreshed; default 30 s. */
  policyStatusIntervalMs?: number;
}
