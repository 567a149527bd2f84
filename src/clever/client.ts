// The operator's only view of Clever Cloud: one typed method per call (routes.ts), every response checked
// against its schema. Transport concerns (auth, retries, limits, metrics) live in http.ts.
import type { Dispatcher } from 'undici';
import type { Registry } from 'prom-client';
import type * as z from 'zod';
import { silentLogger, type Logger } from '../log.ts';
import { createSigner, type CleverCredentials, type SignerOptions } from './auth.ts';
import { NotFoundError, OutcomeUnknownError, ResponseShapeError } from './errors.ts';
import { HttpTransport, type CallSpec } from './http.ts';
import { createCleverMetrics } from './metrics.ts';
import { ROUTES, type RouteDef } from './routes.ts';
import {
  AddonListSchema,
  AddonProviderListSchema,
  AddonProviderSchema,
  AddonSchema,
  BackupListSchema,
  DatabaseInfoSchema,
  EnvVarListSchema,
  InstanceListSchema,
  MateriaKvSchema,
  MigrationListSchema,
  MigrationSchema,
  OperatorSchema,
  OrganisationListSchema,
  PulsarClusterSchema,
  PulsarSchema,
  SelfSchema,
  SummarySchema,
  ProviderInfoSchema,
  ZoneListSchema,
  ZoneSchema,
  jsonPath,
  type Addon,
  type AddonProvider,
  type Backup,
  type DatabaseInfo,
  type EnvVar,
  type Instance,
  type MateriaKv,
  type Migration,
  type OperatorInfo,
  type Organisation,
  type ProviderInfo,
  type Pulsar,
  type PulsarCluster,
  type Self,
  type Summary,
  type Zone,
} from './schemas.ts';

export const DEFAULT_API_URL = 'https://api.clever-cloud.com';
export const DEFAULT_BRIDGE_URL = 'https://api-bridge.clever-cloud.com';

export interface CleverClientOptions {
  credentials: CleverCredentials;
  /** Default https://api.clever-cloud.com (used with OAuth1 credentials). */
  apiUrl?: string;
  /** Default https://api-bridge.clever-cloud.com (used with apiToken credentials). */
  bridgeUrl?: string;
  /** Per attempt, covering the whole response body. Default 30 000. */
  timeoutMs?: number;
  retry?: { maxAttempts?: number; baseMs?: number; maxMs?: number };
  /** Global cap of requests in flight for this client. Default 8. */
  concurrency?: number;
  /** Client-side token bucket shared by every call. Default 10/s, burst 20. */
  rateLimit?: { ratePerSecond: number; burst: number };
  /** If given, the clever_api_* metrics are registered (or reused) there. */
  metrics?: Registry;
  logger?: Logger;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** OAuth nonce generator, for signature tests. */
  nonce?: () => string;
  dispatcher?: Dispatcher;
}

export type DatabaseProviderId = 'postgresql-addon' | 'mysql-addon' | 'mongodb-addon' | 'es-addon' | 'redis-addon';
export type OperatorKind = 'keycloak' | 'metabase' | 'matomo' | 'otoroshi';

export interface CreateAddonRequest {
  name: string;
  providerId: string;
  /** The plan id (`plan_…`), not the slug. */
  plan: string;
  region: string;
  /** All values are strings (`"true"`/`"false"` for booleans), e.g. `{ version: '17', encryption: 'false' }`. */
  options?: Record<string, string>;
}

export interface CreateMigrationRequest {
  planId: string;
  region: string;
  version?: string;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CleverClient {
  private readonly http: HttpTransport;

  constructor(options: CleverClientOptions) {
    const { credentials } = options;
    const now = options.now ?? Date.now;
    const signerOptions: SignerOptions = { timestamp: () => Math.floor(now() / 1000) };
    if (options.nonce) signerOptions.nonce = options.nonce;
    const signer = createSigner(credentials, signerOptions);
    const retry = options.retry ?? {};
    this.http = new HttpTransport({
      signer,
      baseUrl:
        credentials.kind === 'apiToken'
          ? (options.bridgeUrl ?? DEFAULT_BRIDGE_URL)
          : (options.apiUrl ?? DEFAULT_API_URL),
      timeoutMs: positive('timeoutMs', options.timeoutMs ?? 30_000),
      retry: {
        maxAttempts: positive('retry.maxAttempts', retry.maxAttempts ?? 5),
        baseMs: nonNegative('retry.baseMs', retry.baseMs ?? 500),
        maxMs: nonNegative('retry.maxMs', retry.maxMs ?? 30_000),
      },
      concurrency: positive('concurrency', options.concurrency ?? 8),
      rateLimit: options.rateLimit ?? { ratePerSecond: 10, burst: 20 },
      ...(options.metrics ? { metrics: createCleverMetrics(options.metrics) } : {}),
      logger: options.logger ?? silentLogger,
      random: options.random ?? Math.random,
      sleep: options.sleep ?? defaultSleep,
      now,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  // ---- catalogue ----------------------------------------------------------------------------------------------

  /** Public catalogue, plus the owner's private providers when `ownerId` is given. */
  listAddonProviders(ownerId?: string): Promise<AddonProvider[]> {
    return this.get(ROUTES.listAddonProviders, AddonProviderListSchema, {}, { orgaId: ownerId });
  }

  getAddonProvider(providerId: string): Promise<AddonProvider> {
    return this.get(ROUTES.getAddonProvider, AddonProviderSchema, { providerId });
  }

  /** Clusters and dedicated versions; `null` when the provider has no v4 info endpoint (404). */
  async getProviderInfo(providerId: string): Promise<ProviderInfo | null> {
    try {
      return await this.get(ROUTES.getProviderInfo, ProviderInfoSchema, { providerId });
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  listZones(): Promise<Zone[]> {
    return this.get(ROUTES.listZones, ZoneListSchema);
  }

  getZone(name: string): Promise<Zone> {
    return this.get(ROUTES.getZone, ZoneSchema, { name });
  }

  // ---- identity -----------------------------------------------------------------------------------------------

  getSelf(): Promise<Self> {
    return this.get(ROUTES.getSelf, SelfSchema);
  }

  getSummary(): Promise<Summary> {
    return this.get(ROUTES.getSummary, SummarySchema);
  }

  listOrganisations(): Promise<Organisation[]> {
    return this.get(ROUTES.listOrganisations, OrganisationListSchema);
  }

  /** The personal space (`user_…`), which `/v2/organisations/{ownerId}/…` routes accept as an owner. */
  async resolveDefaultOwner(): Promise<string> {
    return (await this.getSelf()).id;
  }

  // ---- add-ons (v2) -------------------------------------------------------------------------------------------

  listAddons(ownerId: string): Promise<Addon[]> {
    return this.get(ROUTES.listAddons, AddonListSchema, { ownerId });
  }

  /** `addonId` may be the `addon_…` id or the realId. */
  getAddon(ownerId: string, addonId: string): Promise<Addon> {
    return this.get(ROUTES.getAddon, AddonSchema, { ownerId, addonId });
  }

  /**
   * Never re-sent blindly: throws OutcomeUnknownError when the add-on may have been created (timeout, reset, 5xx,
   * or a 2xx body we cannot read); the caller must then look it up by name before trying again.
   */
  async createAddon(ownerId: string, request: CreateAddonRequest): Promise<Addon> {
    const body: Record<string, unknown> = {
      name: request.name,
      providerId: request.providerId,
      plan: request.plan,
      region: request.region,
    };
    if (request.options !== undefined) body.options = { ...request.options };
    return this.postOnce(ROUTES.createAddon, AddonSchema, { ownerId }, body);
  }

  renameAddon(ownerId: string, addonId: string, name: string): Promise<Addon> {
    return this.send(ROUTES.renameAddon, AddonSchema, { params: { ownerId, addonId }, body: { name } });
  }

  /** True when deleted now, false when it was already gone (404). */
  async deleteAddon(ownerId: string, addonId: string): Promise<boolean> {
    try {
      await this.http.call({ route: ROUTES.deleteAddon, params: { ownerId, addonId } });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** The add-on's env as a map. A name listed twice keeps its last value, as an app's environment would. */
  async getAddonEnv(ownerId: string, addonId: string): Promise<Record<string, string>> {
    return envToRecord(await this.getAddonEnvEntries(ownerId, addonId));
  }

  /** The raw `[{name, value}]` list, in API order. */
  getAddonEnvEntries(ownerId: string, addonId: string): Promise<EnvVar[]> {
    return this.get(ROUTES.getAddonEnv, EnvVarListSchema, { ownerId, addonId });
  }

  /** Plan / region / version change. Same never-re-send rule as createAddon. */
  createMigration(ownerId: string, addonId: string, request: CreateMigrationRequest): Promise<Migration> {
    const body: Record<string, string> = { planId: request.planId, region: request.region };
    if (request.version !== undefined) body.version = request.version;
    return this.postOnce(ROUTES.createMigration, MigrationSchema, { ownerId, addonId }, body);
  }

  getMigration(ownerId: string, addonId: string, migrationId: string): Promise<Migration> {
    return this.get(ROUTES.getMigration, MigrationSchema, { ownerId, addonId, migrationId });
  }

  listMigrations(ownerId: string, addonId: string): Promise<Migration[]> {
    return this.get(ROUTES.listMigrations, MigrationListSchema, { ownerId, addonId });
  }

  getAddonInstances(ownerId: string, addonId: string): Promise<Instance[]> {
    return this.get(ROUTES.getAddonInstances, InstanceListSchema, { ownerId, addonId });
  }

  listBackups(ownerId: string, realId: string): Promise<Backup[]> {
    return this.get(ROUTES.listBackups, BackupListSchema, { ownerId, realId });
  }

  // ---- provider-specific (v4) ---------------------------------------------------------------------------------

  /** Takes the `addon_…` id: the v4 database endpoints are keyed by the add-on id, not the realId. */
  getDatabaseInfo(providerId: DatabaseProviderId, addonId: string): Promise<DatabaseInfo> {
    return this.get(ROUTES.getDatabaseInfo, DatabaseInfoSchema, { providerId, addonId });
  }

  getPulsar(realId: string): Promise<Pulsar> {
    return this.get(ROUTES.getPulsar, PulsarSchema, { realId });
  }

  getPulsarCluster(clusterId: string): Promise<PulsarCluster> {
    return this.get(ROUTES.getPulsarCluster, PulsarClusterSchema, { clusterId });
  }

  getMateriaKv(ownerId: string, realId: string): Promise<MateriaKv> {
    return this.get(ROUTES.getMateriaKv, MateriaKvSchema, { ownerId, realId });
  }

  /** Keycloak, Metabase, Matomo, Otoroshi: path segment `addon-<kind>` whatever the v2 provider id. */
  getOperator(kind: OperatorKind, realId: string): Promise<OperatorInfo> {
    return this.get(ROUTES.getOperator, OperatorSchema, { kind, realId });
  }

  async getConfigProviderEnv(realId: string): Promise<Record<string, string>> {
    return envToRecord(await this.get(ROUTES.getConfigProviderEnv, EnvVarListSchema, { realId }));
  }

  /** Replaces the whole environment (the API has no per-variable write); returns what the API stored. */
  async putConfigProviderEnv(realId: string, vars: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const body = Object.entries(vars).map(([name, value]) => ({ name, value }));
    return envToRecord(await this.send(ROUTES.putConfigProviderEnv, EnvVarListSchema, { params: { realId }, body }));
  }

  // ---- plumbing -----------------------------------------------------------------------------------------------

  private get<S extends z.ZodType>(
    route: RouteDef,
    schema: S,
    params: Record<string, string> = {},
    query?: Record<string, string | undefined>,
  ): Promise<z.output<S>> {
    return this.send(route, schema, { params, ...(query ? { query } : {}) });
  }

  private async send<S extends z.ZodType>(
    route: RouteDef,
    schema: S,
    spec: Omit<CallSpec, 'route'>,
  ): Promise<z.output<S>> {
    const { body } = await this.http.call({ route, ...spec });
    return this.parse(route, schema, body);
  }

  /** A non-idempotent POST: a 2xx we cannot read still means the resource was created. */
  private async postOnce<S extends z.ZodType>(
    route: RouteDef,
    schema: S,
    params: Record<string, string>,
    body: unknown,
  ): Promise<z.output<S>> {
    const result = await this.http.call({ route, params, body });
    try {
      return this.parse(route, schema, result.body);
    } catch (error) {
      if (!(error instanceof ResponseShapeError)) throw error;
      throw new OutcomeUnknownError(
        `${route.method} ${route.template}: HTTP ${result.status} but ${error.message}; ` +
          'the resource was probably created: look it up before trying again',
        { method: route.method, route: route.template, status: result.status, code: 'SHAPE', cause: error },
      );
    }
  }

  private parse<S extends z.ZodType>(route: RouteDef, schema: S, body: unknown): z.output<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const path = jsonPath(issue?.path ?? []);
    // zod messages name expected/received types, never values; redact anyway as a second line of defence.
    const reason = this.http.redact(issue?.message ?? 'invalid');
    const more = parsed.error.issues.length > 1 ? ` (+${parsed.error.issues.length - 1} more issues)` : '';
    throw new ResponseShapeError(
      `${route.method} ${route.template}: unexpected response shape at ${path}: ${reason}${more}`,
      { method: route.method, route: route.template, code: issue?.code ?? 'invalid', path },
    );
  }
}

function envToRecord(entries: readonly EnvVar[]): Record<string, string> {
  // fromEntries defines own properties, so a variable named `__proto__` cannot reach the prototype.
  return Object.fromEntries(entries.map((entry) => [entry.name, entry.value]));
}

function positive(field: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`CleverClient option ${field} must be > 0`);
  return value;
}

function nonNegative(field: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`CleverClient option ${field} must be >= 0`);
  return value;
}
