// One Clever client per distinct set of credentials, with the catalogue and default owner cached per client.
// Credentials are resolved per resource: spec.credentialsRef > the namespace Secret > the global configuration.
// A resource can only ever read Secrets of its own namespace.
import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import { CatalogueCache, CleverClient, type CleverClientOptions } from '../clever/index.ts';
import { credentialsFromSecretData, NAMESPACE_SECRET_NAMES, type ResolvedCredentials } from '../config/credentials.ts';
import { ConfigError } from '../config/errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { OrgSnapshots } from './org-snapshot.ts';

export type CredentialsReason = 'CredentialsMissing' | 'CredentialsInvalid';

/** Credentials cannot be found or used; fixed by creating or correcting a Secret or the configuration. */
export class CredentialsError extends Error {
  readonly reason: CredentialsReason;
  constructor(reason: CredentialsReason, message: string) {
    super(message);
    this.name = 'CredentialsError';
    this.reason = reason;
  }
}

/** Reads a Secret's decoded data; undefined when it does not exist. Supplied by the Kubernetes side. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export class CleverSession {
  readonly client: CleverClient;
  /** Where the credentials came from (never their values). */
  readonly source: string;
  readonly organisation: string | undefined;
  readonly catalogue: CatalogueCache;
  /** Each owner's add-ons, listed once for every resource that uses these credentials (org-snapshot.ts). */
  readonly snapshots: OrgSnapshots;
  private owner: Promise<string> | undefined;

  constructor(client: CleverClient, resolved: ResolvedCredentials, now: () => number) {
    this.client = client;
    this.source = resolved.source;
    this.organisation = resolved.organisation;
    this.catalogue = new CatalogueCache(client, { now });
    this.snapshots = new OrgSnapshots((owner) => client.listAddons(owner), now);
  }

  /** The owner to use when neither the spec nor the configuration names one: the credentials' personal space. */
  defaultOwner(): Promise<string> {
    if (this.organisation) return Promise.resolve(this.organisation);
    this.owner ??= this.client.resolveDefaultOwner();
    this.owner.catch(() => (this.owner = undefined));
    return this.owner;
  }
}

/**
 * How long a read of a credentials Secret answers for its namespace. Every pass resolves its credentials, and the
 * namespace Secrets are looked up by name (not watched: they are not ours, and a cluster-wide watch of Secrets is a
 * privilege the operator does not take); without this, every drift pass of a bound resource read both namespace
 * names (docs/benchmarks.md). A Secret created, changed or deleted is used within this time; a pass that may create
 * or delete an add-on reads afresh (`fresh`), so neither is ever made with credentials removed or replaced.
 */
export const CREDENTIALS_READ_TTL_MS = 5_000;
/** Sweep expired reads once the map holds this many (one entry per namespace and Secret name looked up). */
const SWEEP_AT = 1_000;

export interface SessionsOptions {
  global: ResolvedCredentials | undefined;
  readSecret: SecretReader;
  /** How long one read of a credentials Secret serves its namespace (default CREDENTIALS_READ_TTL_MS; 0: never). */
  credentialsReadTtlMs?: number;
  clientOptions?: Omit<CleverClientOptions, 'credentials'>;
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
}

export class Sessions {
  private readonly sessions = new Map<string, CleverSession>();
  private readonly options: SessionsOptions;
  /** Recent reads of credentials Secrets by namespace/name, shared by the passes that ask meanwhile. */
  private readonly reads = new Map<string, { at: number; data: Promise<Record<string, string> | undefined> }>();

  constructor(options: SessionsOptions) {
    this.options = options;
  }

  /** A Secret's data, read at most once per TTL per namespace and name; a failed read is not kept. */
  private readSecret(namespace: string, name: string, fresh: boolean): Promise<Record<string, string> | undefined> {
    const ttl = this.options.credentialsReadTtlMs ?? CREDENTIALS_READ_TTL_MS;
    if (ttl <= 0) return this.options.readSecret(namespace, name);
    const now = (this.options.now ?? Date.now)();
    const key = `${namespace}/${name}`;
    const kept = this.reads.get(key);
    if (kept && now - kept.at < ttl && !fresh) return kept.data;
    if (this.reads.size >= SWEEP_AT) for (const [k, r] of this.reads) if (now - r.at >= ttl) this.reads.delete(k);
    const data = this.options.readSecret(namespace, name);
    const entry = { at: now, data };
    this.reads.set(key, entry);
    data.catch(() => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    });
    return data;
  }

  /** The session of a resource, with where its credentials came from (for tenancy policies). */
  async open(
    namespace: string,
    credentialsRef: { name: string } | undefined,
    options: { fresh?: boolean } = {},
  ): Promise<{ session: CleverSession; origin: 'spec' | 'namespace' | 'global'; customEndpoint: boolean }> {
    const resolved = await this.resolve(namespace, credentialsRef, options);
    const origin = resolved === this.options.global ? 'global' : credentialsRef ? 'spec' : 'namespace';
    const customEndpoint = origin !== 'global' && Boolean(resolved.apiUrl || resolved.bridgeUrl);
    return { session: this.session(resolved), origin, customEndpoint };
  }

  /** Resolves the credentials of a resource and returns the session for them. */
  async forResource(namespace: string, credentialsRef: { name: string } | undefined): Promise<CleverSession> {
    return this.session(await this.resolve(namespace, credentialsRef));
  }

  private async fromSecret(
    namespace: string,
    name: string,
    label: string,
    fresh: boolean,
  ): Promise<ResolvedCredentials | undefined> {
    const data = await this.readSecret(namespace, name, fresh);
    if (!data) return undefined;
    try {
      return credentialsFromSecretData(data, label);
    } catch (err) {
      if (err instanceof ConfigError) throw new CredentialsError('CredentialsInvalid', err.message);
      throw err;
    }
  }

  /** `fresh`: read the Secrets now (the read then serves the passes that follow, as any other). */
  async resolve(
    namespace: string,
    credentialsRef: { name: string } | undefined,
    options: { fresh?: boolean } = {},
  ): Promise<ResolvedCredentials> {
    const fresh = options.fresh === true;
    if (credentialsRef) {
      const label = `Secret ${namespace}/${credentialsRef.name} (spec.credentialsRef)`;
      const found = await this.fromSecret(namespace, credentialsRef.name, label, fresh);
      if (!found) throw new CredentialsError('CredentialsMissing', `${label} does not exist`);
      return found;
    }
    for (const name of NAMESPACE_SECRET_NAMES) {
      const found = await this.fromSecret(namespace, name, `Secret ${namespace}/${name}`, fresh);
      if (found) return found;
    }
    if (this.options.global) return this.options.global;
    throw new CredentialsError(
      'CredentialsMissing',
      `no Clever Cloud credentials: set spec.credentialsRef, create Secret ${namespace}/${NAMESPACE_SECRET_NAMES[0]}, ` +
        'or configure the operator (CLEVER_OPERATOR_API_TOKEN and CLEVER_OPERATOR_API_SECRET, or a config file)',
    );
  }

  private session(resolved: ResolvedCredentials): CleverSession {
    // Keyed by a hash of everything that makes a client different; the hash never leaves this map.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([resolved.credentials, resolved.apiUrl, resolved.bridgeUrl, resolved.organisation]))
      .digest('hex');
    let session = this.sessions.get(fingerprint);
    if (!session) {
      const { clientOptions, registry, logger } = this.options;
      const client = new CleverClient({
        ...clientOptions,
        credentials: resolved.credentials,
        ...(resolved.apiUrl ? { apiUrl: resolved.apiUrl } : {}),
        ...(resolved.bridgeUrl ? { bridgeUrl: resolved.bridgeUrl } : {}),
        // Clients share one set of series in the registry (the client reuses metrics already registered).
        ...(registry ? { metrics: registry } : {}),
        logger: logger ?? silentLogger,
      });
      session = new CleverSession(client, resolved, this.options.now ?? Date.now);
      this.sessions.set(fingerprint, session);
    }
    return session;
  }
}
