// Public types of the simulator. Tests, benchmarks and the playground code against these, so they change only with
// care; internal state types live in state.ts.
import type { CatalogueChange } from './catalogue-changes.ts';

/** Real database servers standing in for Clever's, by provider id: their add-ons get this host and port. */
export type DatabaseServers = Partial<
  Record<'postgresql-addon' | 'mysql-addon' | 'mongodb-addon', { host: string; port: number }>
>;

/** What a real database server standing in for Clever's must accept for one add-on. */
export interface DatabaseCredentials {
  providerId: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface OAuthCredentials {
  token: string;
  secret: string;
}

export interface SimulatorOrganisation {
  id: string;
  name: string;
}

export interface SimulatorAccount {
  userId: string;
  email: string;
  name: string;
  /** Password for `POST /api-tokens` on the bridge. */
  password: string;
  organisations: SimulatorOrganisation[];
  oauth: OAuthCredentials[];
  /** Bearer tokens accepted on the bridge port. */
  apiTokens: string[];
}

export interface OAuthConsumer {
  key: string;
  secret: string;
}

interface FaultRuleBase {
  /** Route template such as 'POST /v2/organisations/{ownerId}/addons', a path template without method, or '*'. */
  route?: string;
  /** Chance that a matching request is hit, default 1. Draws come from the seeded RNG. */
  probability?: number;
  /** Apply to the next N hits, then expire. Unlimited when absent. */
  count?: number;
}

export type FaultRule =
  | (FaultRuleBase & { kind: 'error'; status: number; body?: unknown })
  | (FaultRuleBase & { kind: 'rateLimit'; retryAfterSeconds: number })
  | (FaultRuleBase & { kind: 'latency'; ms: number })
  | (FaultRuleBase & { kind: 'reset' })
  | (FaultRuleBase & { kind: 'commitThenFail'; status?: number });

export type FaultKind = FaultRule['kind'];

export interface RequestLogEntry {
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string without '?', '' when none. */
  query: string;
  /** Matched route template, e.g. 'POST /v2/organisations/{ownerId}/addons'; 'GET <unknown>' when none matched. */
  route: string;
  /** HTTP status sent; 0 when the socket was destroyed without a response. */
  status: number;
  /** Authenticated user id. */
  principal?: string;
  /** Kind of the fault(s) applied, comma separated when a latency preceded another fault. */
  fault?: string;
  host: 'api' | 'bridge';
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface MigrationStep {
  name: string;
  value: string;
  status: 'PENDING' | 'RUNNING' | 'OK';
  startDate: number;
  endDate: number;
  message: string;
}

export interface SimulatedMigration {
  migrationId: string;
  requestDate: number;
  /** Step duration frozen at request time so a restart with another setting does not rewrite history. */
  stepMs: number;
  stepNames: string[];
  from: { planId: string; region: string; version?: string };
  to: { planId: string; region: string; version?: string };
  /** Set once the target plan/region/version has been applied to the add-on. */
  applied: boolean;
}

export interface SimulatedAddon {
  id: string;
  realId: string;
  name: string;
  ownerId: string;
  providerId: string;
  planId: string;
  region: string;
  /** Resolved version key (e.g. '17', '7.2.4'); absent for version-less providers. */
  version?: string;
  options: Record<string, string>;
  creationDate: number;
  /** Before this instant the add-on is missing from list responses (eventual consistency). */
  listedAt: number;
  /** Before this instant v4 status is PROVISIONING and instances are DEPLOYING. */
  readyAt: number;
  /** Structured credentials from which env is derived (host, port, user, password, ...). */
  credentials: Record<string, string>;
  env: EnvVar[];
  migrations: SimulatedMigration[];
}

export interface SimulatorOptions {
  host?: string;
  port?: number;
  bridgePort?: number;
  stateFile?: string;
  accounts?: SimulatorAccount[];
  consumers?: OAuthConsumer[];
  provisioningDelayMs?: number;
  listConsistencyDelayMs?: number;
  migrationStepMs?: number;
  faults?: FaultRule[];
  seed?: number;
  now?: () => number;
  /** Host put in CELLAR_ADDON_HOST, e.g. a local S3 server for tests. */
  cellarHost?: string;
  /**
   * Told the keys of every Cellar add-on when they are generated or rotated, so an S3 server standing in for
   * Cellar (cellarHost) can accept them, as the real Cellar knows its add-ons' keys.
   */
  onCellarKeys?: (keys: { keyId: string; keySecret: string }) => void;
  /**
   * Real database servers (e.g. a local PostgreSQL) whose host and port the add-ons of that provider get instead of
   * made-up ones, so their connection Secrets reach something real: pg_dump in a backup test, a local app.
   */
  databaseServers?: DatabaseServers;
  /**
   * Told each database add-on's database, user and password when they are generated or rotated, so the server in
   * databaseServers can create them, as Clever provisions them on its own servers.
   */
  onDatabaseCredentials?: (credentials: DatabaseCredentials) => void;
  /** Characters used for generated passwords, to test clients against URI-hostile characters. */
  passwordAlphabet?: string;
  /** Plan ids or slugs whose creation answers 402 (payment confirmation required). */
  paymentRequiredPlans?: string[];
  /** Oldest request log entries are dropped beyond this many (a long-running playground must not grow forever). */
  requestLogLimit?: number;
}

export interface Simulator {
  url: string;
  bridgeUrl: string;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  setFaults(rules: FaultRule[]): void;
  addons(): SimulatedAddon[];
  deleteAddonBehindBack(addonId: string): void;
  rotateCredentials(addonId: string): void;
  /** Retires a plan or a version, or adds a version, in the catalogue as served (src/simulator/catalogue-changes.ts). */
  changeCatalogue(change: CatalogueChange): void;
  catalogueChanges(): CatalogueChange[];
  stop(): Promise<void>;
}
