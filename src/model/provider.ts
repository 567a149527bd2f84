// What a provider module declares. A provider is data: the Kubernetes names of its kind, the Clever provider id,
// the zod schema of its spec (which is also the source of its CRD), how spec fields map to Clever create options,
// and how the add-on's environment maps to the keys of the connection Secret. No HTTP, no Kubernetes client here.
import type { z } from 'zod';
import { stripUserinfo } from '../redact.ts';
import { instanceDefaultRegion } from './spec.ts';

export const API_GROUP = 'api.clever-cloud.com';

/** Keys of the servicebinding.io dialect: the well-known entries of a binding Secret (type, host, port, ...). */
export interface ServiceBinding {
  /** servicebinding.io `type`, e.g. `postgresql`, `redis`, `s3`. */
  type: string;
  host?: string;
  port?: string;
  username?: string;
  password?: string;
  database?: string;
  uri?: string;
  /** Any further well-known or kind-specific entries (e.g. `endpoint`, `access-key-id`). */
  extra?: Record<string, string>;
}

/** What a provider derives from the add-on's Clever environment. */
export interface Binding {
  serviceBinding: ServiceBinding;
  /** Keys that consumers (Paperclip, 12-factor apps) read directly: DATABASE_URL, REDIS_URL, AWS_*. */
  consumer: Record<string, string>;
}

/** How readiness of a provisioned add-on is observed, beyond "the add-on exists". */
export type Readiness =
  | { kind: 'exists' }
  /** `GET /v4/addon-providers/{providerId}/addons/{addonId}` reports `status: ACTIVE`. */
  | { kind: 'databaseStatus' }
  /** `GET /v4/addon-providers/addon-pulsar/addons/{realId}` reports `status: ACTIVE`. */
  | { kind: 'pulsarStatus' }
  /** `GET /v4/materia/.../databases/{realId}` reports `status: PROVISIONED`. */
  | { kind: 'materiaKvStatus' }
  /** The add-on's instances (its entrypoint application) are `UP`. */
  | { kind: 'instancesUp' };

/** A bucket a provider's spec declares on its object storage. */
export interface BucketSpec {
  /** S3 bucket name (validated by the CRD schema). */
  name: string;
}

/** What happens to a managed bucket's objects when the bucket is deleted. */
export type BucketDeletionPolicy = 'RequireEmpty' | 'DeleteContents';

/** How to reach an add-on's S3 API, derived from its environment. Holds credentials: never log it. */
export interface S3Connection {
  /** Endpoint URL with its scheme, e.g. https://cellar-c2.services.clever-cloud.com. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * An add-on that is S3 object storage (Cellar). The reconciler creates the declared buckets once the add-on is
 * ready (before the Secret is written, so consumers find them), and deletes them with the add-on.
 */
export interface ObjectStorage<Spec = unknown> {
  buckets(spec: Spec): BucketSpec[];
  /** Delete buckets removed from the spec (default: keep them, and stop managing them). */
  pruneBuckets(spec: Spec): boolean;
  /** RequireEmpty (default): a bucket holding objects blocks its deletion. DeleteContents: objects go too. */
  bucketDeletionPolicy(spec: Spec): BucketDeletionPolicy;
  connection(env: Record<string, string>): S3Connection;
}

export interface VersionSupport {
  /** Upstream operator integer codes (e.g. Redis `724`) and the Clever version string they stand for. */
  upstreamCodes?: Record<number, string>;
}

/**
 * How the operator's own backups (spec.backup, spec.restoreFrom) dump and restore this kind. The commands run in
 * a POSIX shell (dash or busybox ash: no pipefail) with the connection Secret as environment (envFrom): they read
 * credentials from variables only, never from arguments baked into the Job, and may fall back across dialects
 * (`${DATABASE_URL:-$..._URI}`). Each is a list of pipeline stages, never a pipeline written inside one string, so
 * the script can check every stage's exit status: `a | gzip` alone would hide a failure of `a`.
 */
export interface BackupTools {
  /** Stages that write one dump of the whole database to stdout. */
  dump: readonly string[];
  /** Stages that read a dump made by `dump` on stdin and load it, replacing what exists. */
  restore: readonly string[];
  /** Object key extension, without the dot, e.g. `dump`, `sql.gz`. */
  extension: string;
  /** Image with the client tools and the aws CLI; default: the operator-wide backup image. */
  image?: string;
}

export interface ProviderDefinition<Spec = unknown> {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** CRD version served and stored, e.g. `v1` (upstream uses `v1beta1` for Pulsar, `v1alpha1` for KV). */
  crdVersion: string;
  /** Finalizer name; upstream-compatible names let us take over resources the upstream operator managed. */
  finalizer: string;
  /** Clever Cloud provider id, e.g. `postgresql-addon`. */
  providerId: string;
  /** One sentence for `kubectl explain` and the docs. */
  description: string;
  /** The zod schema of `.spec`. Its JSON Schema (with descriptions and CEL rules from `.meta()`) becomes the CRD. */
  spec: z.ZodType<Spec>;
  /** Region used when the spec names none (some providers exist in one region only). */
  defaultRegion: string;
  versions?: VersionSupport;
  /** The spec's requested plan (slug, name or id), if any; none means the provider's cheapest plan. */
  plan(spec: Spec): string | undefined;
  region(spec: Spec): string | undefined;
  /** Requested version as the user wrote it (upstream integer code or version string), if any. */
  requestedVersion?(spec: Spec): string | number | undefined;
  /** Create options other than the version (`encryption`, `kibana`, ...), as Clever expects them: strings. */
  options?(spec: Spec): Record<string, string>;
  readiness: Readiness;
  /**
   * The keys of the add-on's environment, when known: a spec.secret.template is checked against them (and the keys
   * the binding derives from them) before the add-on is created. Without them only the template's syntax is.
   */
  envKeys?: readonly string[];
  /** Maps the add-on's environment (`GET .../env`) to the servicebinding.io and consumer keys. */
  binding(env: Record<string, string>): Binding;
  /** Extra status fields derived from the environment, e.g. Keycloak's `url` and `adminUrl`. */
  statusFields?(env: Record<string, string>): Record<string, string>;
  /**
   * For providers whose environment is the user's data (ConfigProvider): the variables the add-on must hold.
   * The reconciler reads them back through the v4 env API and replaces them when they drifted.
   */
  desiredEnv?(spec: Spec): Record<string, string>;
  /** Dump and restore commands: kinds that declare them accept spec.backup and spec.restoreFrom. */
  backup?: BackupTools;
  /** S3 object storage with declared buckets (Cellar). */
  objectStorage?: ObjectStorage<Spec>;
  /** Extra printer columns beyond Ready, Synced, Plan, Region, Age. */
  printerColumns?: { name: string; type: string; jsonPath: string; priority?: number; description?: string }[];
}

/** The part of a spec every kind has: `spec.instance` (instanceField or regionOnlyInstanceField). */
export interface InstanceSpec {
  instance: { region?: string | undefined; plan?: string | undefined };
}

/** What a provider module declares; defineProvider supplies the rest. */
export type ProviderInput<Spec> = Omit<
  ProviderDefinition<Spec>,
  'plan' | 'region' | 'defaultRegion' | 'crdVersion' | 'shortNames'
> &
  Partial<Pick<ProviderDefinition<Spec>, 'plan' | 'region' | 'defaultRegion' | 'crdVersion' | 'shortNames'>>;

/**
 * A provider definition from what is specific to its kind. Unless the module says otherwise: the plan and region
 * are those of `spec.instance`, the default region is the one its instance field defaults to, the CRD version is
 * `v1` and there are no short names.
 */
export function defineProvider<Spec extends InstanceSpec>(input: ProviderInput<Spec>): ProviderDefinition<Spec>;
export function defineProvider<Spec>(definition: ProviderDefinition<Spec>): ProviderDefinition<Spec>;
export function defineProvider<Spec>(input: ProviderInput<Spec>): ProviderDefinition<Spec> {
  const defaultRegion = input.defaultRegion ?? instanceDefaultRegion(input.spec);
  if (defaultRegion === undefined) {
    throw new Error(`${input.kind}: the spec has no instance field to take the default region from`);
  }
  const instance = (spec: Spec) => (spec as InstanceSpec).instance;
  const statusFields = input.statusFields;
  return {
    crdVersion: 'v1',
    shortNames: [],
    plan: (spec) => instance(spec).plan,
    region: (spec) => instance(spec).region,
    ...input,
    defaultRegion,
    // Status is readable by anyone who can `get` the resource (the built-in `view` role, which cannot read
    // Secrets): a URL derived from the environment keeps its host and path but never its userinfo.
    ...(statusFields ? { statusFields: (env: Record<string, string>) => withoutUserinfo(statusFields(env)) } : {}),
  };
}

/** Status fields with every URL's userinfo removed (`https://admin:pw@host/` becomes `https://host/`). */
export function withoutUserinfo(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, stripUserinfo(v)]));
}
