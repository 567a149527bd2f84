// What a provider module declares. A provider is data: the Kubernetes names of its kind, the Clever provider id,
// the zod schema of its spec (which is also the source of its CRD), how spec fields map to Clever create options,
// and how the add-on's environment maps to the keys of the connection Secret. No HTTP, no Kubernetes client here.
import type { z } from 'zod';

export const API_GROUP = 'api.clever-cloud.com';

/** Keys of the servicebinding.io dialect (https://servicebinding.io/spec/core/1.0.0/#well-known-secret-entries). */
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

export interface VersionSupport {
  /** Upstream operator integer codes (e.g. Redis `724`) and the Clever version string they stand for. */
  upstreamCodes?: Record<number, string>;
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
  /** Maps the add-on's environment (`GET .../env`) to the servicebinding.io and consumer keys. */
  binding(env: Record<string, string>): Binding;
  /** Extra status fields derived from the environment, e.g. Keycloak's `url` and `adminUrl`. */
  statusFields?(env: Record<string, string>): Record<string, string>;
  /**
   * For providers whose environment is the user's data (ConfigProvider): the variables the add-on must hold.
   * The reconciler reads them back through the v4 env API and replaces them when they drifted.
   */
  desiredEnv?(spec: Spec): Record<string, string>;
  /** Extra printer columns beyond Ready, Synced, Plan, Region, Age. */
  printerColumns?: { name: string; type: string; jsonPath: string; priority?: number; description?: string }[];
}

export function defineProvider<Spec>(definition: ProviderDefinition<Spec>): ProviderDefinition<Spec> {
  return definition;
}
