// The shapes the backup files share: the spec as parsed by src/model/spec.ts, a resolved target, the Job objects
// read back from Kubernetes, and what the retention sweep needs from an object store.
import type { KubeObject } from '../../kube/types.ts';
import type { BackupTools, S3Connection } from '../../model/provider.ts';

export interface BackupTarget {
  cellarRef?: { name: string; bucket: string } | undefined;
  s3?: { endpoint: string; bucket: string; region?: string | undefined; credentialsSecretRef: { name: string } };
}

export interface BackupSpec {
  schedule: string;
  retention: string;
  target: BackupTarget;
  prefix?: string | undefined;
  suspend?: boolean | undefined;
  image?: string | undefined;
}

export interface RestoreFromSpec {
  key?: string | undefined;
  latestOf?: { name: string; prefix?: string | undefined } | undefined;
  target?: BackupTarget | undefined;
  image?: string | undefined;
}

/** Where a value comes from: a literal, or a key of the target's credentials Secret. */
export type ValueSource = { value: string } | { secretKey: string };

/** A bucket and how a pod reaches it; resolved by the reconciler from a BackupTarget. */
export interface ResolvedTarget {
  bucket: string;
  /** The Secret holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  secretName: string;
  endpoint: ValueSource;
  region: ValueSource;
}

export interface BackupOwner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface JobInput {
  owner: BackupOwner;
  tools: BackupTools;
  image: string;
  /** Our connection Secret: the database credentials, as environment. */
  connectionSecret: string;
  target: ResolvedTarget;
}

export interface JobCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface JobObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: JobCondition[];
  };
}

export interface CronJobObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { lastScheduleTime?: string; lastSuccessfulTime?: string; active?: unknown[] };
}

export interface ObjectStore {
  list(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  close(): void;
}

/** How the operator reaches a bucket: the same connection as a Cellar add-on's. Holds credentials: never log it. */
export type S3Access = S3Connection;

export type ObjectStoreFactory = (connection: S3Access, bucket: string) => ObjectStore;

export interface PlatformBackup {
  backup_id: string;
  status: string;
  creation_date: string | number;
}
