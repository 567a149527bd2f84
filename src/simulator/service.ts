// Add-on operations on the state (create, rename, delete, rotate, migrate). HTTP-agnostic: handlers map requests
// to these, and the programmatic Simulator API uses them directly.
import { buildEnv, DATABASE_PROVIDERS, generateCredentials, moveHost, rotateSecrets, type EnvContext } from './env.ts';
import type { Store } from './state.ts';
import type { DatabaseCredentials, DatabaseServers, EnvVar, SimulatedAddon, SimulatedMigration } from './types.ts';
import type { CreateRequest } from './validate.ts';
import { migrationDone } from './views.ts';

export interface ServiceConfig {
  now: () => number;
  provisioningDelayMs: number;
  listConsistencyDelayMs: number;
  migrationStepMs: number;
  passwordAlphabet: string;
  cellarHost?: string;
  onCellarKeys?: (keys: { keyId: string; keySecret: string }) => void;
  databaseServers?: DatabaseServers;
  onDatabaseCredentials?: (credentials: DatabaseCredentials) => void;
}

const MIGRATION_STEPS = ['PREPARE', 'CREATE_NEW_INSTANCE', 'COPY_DATA', 'SWITCH_ENDPOINT', 'CLEANUP'];

export class AddonService {
  private readonly store: Store;
  private readonly config: ServiceConfig;

  constructor(store: Store, config: ServiceConfig) {
    this.store = store;
    this.config = config;
    // Add-ons restored from a state file keep their keys: the S3 server behind cellarHost must know them too.
    for (const a of store.addons.values()) this.announceKeys(a.providerId, a.credentials);
  }

  private envContext(a: Pick<SimulatedAddon, 'realId' | 'ownerId' | 'options'>): EnvContext {
    return {
      rng: this.store.rng,
      passwordAlphabet: this.config.passwordAlphabet,
      cellarHost: this.config.cellarHost,
      ...(this.config.databaseServers ? { databaseServers: this.config.databaseServers } : {}),
      realId: a.realId,
      ownerId: a.ownerId,
      options: a.options,
    };
  }

  /** Tells the servers standing in for Cellar and the databases the credentials of an add-on (new or rotated). */
  private announceKeys(providerId: string, credentials: Record<string, string>): void {
    const { keyId, keySecret } = credentials;
    if (providerId === 'cellar-addon' && keyId && keySecret) this.config.onCellarKeys?.({ keyId, keySecret });
    const { host, port, database, user, password } = credentials;
    if (DATABASE_PROVIDERS.includes(providerId) && host && port && database && user && password) {
      this.config.onDatabaseCredentials?.({ providerId, host, port: Number(port), database, user, password });
    }
  }

  create(ownerId: string, req: CreateRequest): SimulatedAddon {
    const now = this.config.now();
    const rng = this.store.rng;
    const realId = `${req.provider.realIdPrefix}${rng.uuid()}`;
    const base = { realId, ownerId, options: { ...req.options } };
    const credentials = generateCredentials(req.provider.id, this.envContext(base));
    this.announceKeys(req.provider.id, credentials);
    const addon: SimulatedAddon = {
      id: `addon_${rng.uuid()}`,
      realId,
      name: req.name ?? realId,
      ownerId,
      providerId: req.provider.id,
      planId: req.plan.id,
      region: req.region,
      version: req.version,
      options: base.options,
      creationDate: now,
      listedAt: now + this.config.listConsistencyDelayMs,
      readyAt: now + this.config.provisioningDelayMs,
      credentials,
      env: buildEnv(req.provider.id, credentials, req.version),
      migrations: [],
    };
    this.store.addons.set(addon.id, addon);
    this.store.changed();
    return addon;
  }

  /** Owner's add-ons as the list endpoint shows them: recent creations may be missing for a while. */
  list(ownerId: string): SimulatedAddon[] {
    const now = this.config.now();
    return [...this.store.addons.values()]
      .filter((a) => a.ownerId === ownerId && now >= a.listedAt)
      .map((a) => this.settle(a))
      .sort((x, y) => x.creationDate - y.creationDate);
  }

  find(ownerId: string, ref: string): SimulatedAddon | undefined {
    const a = this.store.find(ownerId, ref);
    return a && this.settle(a);
  }

  findAny(ref: string): SimulatedAddon | undefined {
    const a = this.store.findAny(ref);
    return a && this.settle(a);
  }

  all(): SimulatedAddon[] {
    return [...this.store.addons.values()].map((a) => this.settle(a));
  }

  rename(a: SimulatedAddon, name: string): SimulatedAddon {
    a.name = name;
    this.store.changed();
    return a;
  }

  delete(a: SimulatedAddon): void {
    this.store.addons.delete(a.id);
    this.store.changed();
  }

  rotate(a: SimulatedAddon): void {
    // A config provider's env is user data, not generated credentials: nothing to rotate.
    if (a.providerId === 'config-provider') return;
    a.credentials = rotateSecrets(a.providerId, a.credentials, this.envContext(a));
    this.announceKeys(a.providerId, a.credentials);
    a.env = buildEnv(a.providerId, a.credentials, a.version);
    this.store.changed();
  }

  /** An operator's version update (v4 POST .../version/update): the add-on is rebuilt on the target version. */
  setVersion(a: SimulatedAddon, version: string): void {
    a.version = version;
    a.env = buildEnv(a.providerId, a.credentials, a.version);
    this.store.changed();
  }

  /** Replaces a config-provider's variables (v4 PUT .../env). */
  replaceEnv(a: SimulatedAddon, env: EnvVar[]): void {
    a.env = env.map((e) => ({ name: e.name, value: e.value }));
    this.store.changed();
  }

  runningMigration(a: SimulatedAddon): SimulatedMigration | undefined {
    return a.migrations.find((m) => !m.applied);
  }

  startMigration(a: SimulatedAddon, to: SimulatedMigration['to']): SimulatedMigration {
    const m: SimulatedMigration = {
      migrationId: this.store.rng.uuid(),
      requestDate: this.config.now(),
      stepMs: this.config.migrationStepMs,
      stepNames: [...MIGRATION_STEPS],
      from: { planId: a.planId, region: a.region, version: a.version },
      to,
      applied: false,
    };
    a.migrations.push(m);
    this.store.changed();
    this.settle(a);
    return m;
  }

  /** Applies migrations whose last step has ended: the add-on moves to the target plan/region/version. */
  settle(a: SimulatedAddon): SimulatedAddon {
    const now = this.config.now();
    for (const m of a.migrations) {
      if (m.applied || !migrationDone(m, now)) continue;
      a.planId = m.to.planId;
      a.region = m.to.region;
      a.version = m.to.version;
      if (a.options.version !== undefined && m.to.version !== undefined) a.options.version = m.to.version;
      // A new instance means a new endpoint; credentials are kept.
      a.credentials = moveHost(a.providerId, a.credentials, this.envContext(a));
      a.env = buildEnv(a.providerId, a.credentials, a.version);
      m.applied = true;
      this.store.changed();
    }
    return a;
  }
}
