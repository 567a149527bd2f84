// The external client: the only place the reconciler calls Clever Cloud. `open` resolves the credentials of a
// resource; `connect` binds them to an owner, so every call below already knows whose add-ons it talks about.
// "Not found" is an answer here (undefined), not an error; every other failure is the Clever client's error class.
import {
  NotFoundError,
  type Addon,
  type AddonProvider,
  type DatabaseInfo,
  type DatabaseProviderId,
  type Migration,
  type ProviderInfo,
} from '../../clever/index.ts';
import type { ProviderDefinition } from '../../model/provider.ts';
import type { PlatformBackup } from '../backup/index.ts';
import type { Freshness, Snapshot } from '../org-snapshot.ts';
import type { CleverSession, Sessions } from '../sessions.ts';
import { pickNamed } from './decide-duplicates.ts';
import { READINESS_PROBES, type ProbeContext } from './readiness.ts';

export interface CreateRequest {
  name: string;
  plan: string;
  region: string;
  options: Record<string, string>;
}

export interface MigrationTarget {
  planId: string;
  region: string;
  version: string | undefined;
}

/** Clever Cloud as one resource's pass sees it: one provider, one owner. */
export interface ExternalClient {
  readonly owner: string;
  /** Where the credentials came from, for tenancy policies; absent in test fakes. */
  readonly credentials?: CredentialsOrigin;
  /** The provider's catalogue entry; `fresh` drops the cached catalogue first. */
  provider(fresh?: boolean): Promise<AddonProvider | undefined>;
  providerInfo(): Promise<ProviderInfo | null>;
  /** By id (status.addonId or the adoption annotation); undefined when it does not exist. */
  byId(id: string): Promise<Addon | undefined>;
  /**
   * By the deterministic name, of this provider only, from the owner's shared list as fresh as `need` says; the
   * oldest when several carry it (see pickNamed).
   */
  byName(name: string, need: Freshness): Promise<Addon | undefined>;
  /** Every add-on of this provider under the name, from a list requested now (duplicates; decide-duplicates.ts). */
  named(name: string): Promise<Addon[]>;
  /** The owner's add-ons, shared by every resource of these credentials and owner (org-snapshot.ts). */
  snapshot(need: Freshness): Promise<Snapshot>;
  create(request: CreateRequest): Promise<Addon>;
  /** Deletes the add-on; one that is already gone (404) counts as deleted. */
  delete(id: string): Promise<void>;
  migration(addonId: string, migrationId: string): Promise<Migration>;
  /**
   * Starts a migration, or joins one already running: a request whose answer was lost (or sent by a crashed pass)
   * may be running already, and Clever refuses a second one while the first runs.
   */
  migrate(addonId: string, target: MigrationTarget): Promise<{ migration: Migration; joined: boolean }>;
  ready(addon: Addon): Promise<boolean>;
  version(addon: Addon): Promise<string | undefined>;
  /** The add-on's environment: the connection details. Never logged. */
  env(addonId: string): Promise<Record<string, string>>;
  /** A ConfigProvider's variables (the user's data), read and replaced. */
  variables(realId: string): Promise<Record<string, string>>;
  setVariables(realId: string, vars: Record<string, string>): Promise<void>;
  platformBackups(realId: string): Promise<PlatformBackup[]>;
}

export interface CredentialsOrigin {
  origin: 'spec' | 'namespace' | 'global';
  /** Non-global credentials that name an API endpoint of their own. */
  customEndpoint: boolean;
}

/** Refuses credentials before any call is made with them (a custom endpoint a policy does not allow). */
export type CredentialsGuard = (namespace: string, credentials: CredentialsOrigin) => void;

export interface Credentials {
  /** Where the credentials came from (never their values). */
  readonly source: string;
  /** Binds them to an owner: the given organisation, else the credentials' default owner. */
  connect(organisation: string | undefined): Promise<ExternalClient>;
}

export interface CleverConnector {
  /**
   * The credentials of a resource. `fresh`: read their Secret now rather than reuse a read of the last few seconds
   * (src/reconcile/sessions.ts): for a pass that may create or delete an add-on.
   */
  open(
    namespace: string,
    credentialsRef: { name: string } | undefined,
    options?: { fresh?: boolean },
  ): Promise<Credentials>;
}

const MIGRATION_DONE = new Set(['OK', 'FAILED', 'ERROR', 'CANCELED']);

export function cleverConnector(
  sessions: Sessions,
  def: ProviderDefinition,
  guard?: CredentialsGuard,
): CleverConnector {
  return {
    async open(namespace, credentialsRef, options) {
      const { session, origin, customEndpoint } = await sessions.open(namespace, credentialsRef, options);
      const credentials = { origin, customEndpoint };
      guard?.(namespace, credentials);
      return {
        source: session.source,
        connect: async (organisation) => ({
          ...connect(session, organisation ?? (await session.defaultOwner()), def),
          credentials,
        }),
      };
    },
  };
}

/** The external client of one session and owner, for one provider. */
export function connect(session: CleverSession, owner: string, def: ProviderDefinition): ExternalClient {
  const { client } = session;
  let dbInfo: Promise<DatabaseInfo> | undefined;
  const probe = (addon: Addon): ProbeContext => ({
    client,
    owner,
    addon,
    databaseInfo: () => (dbInfo ??= client.getDatabaseInfo(def.providerId as DatabaseProviderId, addon.id)),
  });
  const { snapshots } = session;
  const named = async (name: string) => (await snapshots.get(owner, { maxAgeMs: 0 })).named(name, def.providerId);
  return {
    owner,
    provider(fresh = false) {
      if (fresh) session.catalogue.clear();
      return session.catalogue.provider(def.providerId);
    },
    providerInfo: () => session.catalogue.providerInfo(def.providerId),
    async byId(id) {
      try {
        return await client.getAddon(owner, id);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    },
    async byName(name, need) {
      return pickNamed((await snapshots.get(owner, need)).named(name, def.providerId));
    },
    named,
    snapshot: (need) => snapshots.get(owner, need),
    create: (request) => client.createAddon(owner, { ...request, providerId: def.providerId }),
    async delete(id) {
      try {
        await client.deleteAddon(owner, id);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      snapshots.forget(owner, id);
    },
    migration: (addonId, migrationId) => client.getMigration(owner, addonId, migrationId),
    async migrate(addonId, target) {
      const running = (await client.listMigrations(owner, addonId)).find((x) => !MIGRATION_DONE.has(x.status));
      if (running) return { migration: running, joined: true };
      const migration = await client.createMigration(owner, addonId, {
        planId: target.planId,
        region: target.region,
        ...(target.version ? { version: target.version } : {}),
      });
      return { migration, joined: false };
    },
    ready: (addon) => READINESS_PROBES[def.readiness.kind].ready(probe(addon)),
    version: (addon) => READINESS_PROBES[def.readiness.kind].version?.(probe(addon)) ?? Promise.resolve(undefined),
    env: (addonId) => client.getAddonEnv(owner, addonId),
    variables: (realId) => client.getConfigProviderEnv(realId),
    async setVariables(realId, vars) {
      await client.putConfigProviderEnv(realId, vars);
    },
    platformBackups: (realId) => client.listBackups(owner, realId),
  };
}
