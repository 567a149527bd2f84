// The one generic add-on reconciler. Every kind goes through the same linear steps; what differs per kind is data
// in its provider definition. The steps (see ARCHITECTURE.md):
//   1. deleting? apply the deletion policy; never drop the finalizer while a Delete-policy add-on may exist
//   2. ensure the finalizer; paused? say so and stop
//   3. resolve credentials and the owner
//   4. resolve plan, region and version against the live catalogue (bad input: condition, no write call)
//   5. observe: by status.addonId, else the adoption annotation, else the deterministic name
//   6. create only when nothing was observed: intent recorded first, result recorded at once
//   7. update what changed and can change (plan/version through a migration)
//   8. readiness from the provider's own status where one exists
//   9. bind: render the connection Secret and server-side apply it
//  10. status, then requeue for drift with jitter
import {
  ForbiddenError,
  NotFoundError,
  OutcomeUnknownError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
  type Addon,
  type DatabaseInfo,
  type DatabaseProviderId,
} from '../clever/index.ts';
import { applyObject } from '../kube/apply.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import { describeError, isConflict, isNotFound } from '../kube/errors.ts';
import {
  deleteObject,
  ensureFinalizer,
  getObject,
  hasFinalizer,
  jsonPatch,
  mergePatch,
  removeFinalizer,
} from '../kube/objects.ts';
import type { KubeClient } from '../kube/client.ts';
import { splitKey, type KubeObject } from '../kube/types.ts';
import { MissingEnvError } from '../model/env.ts';
import { API_GROUP, type ProviderDefinition } from '../model/provider.ts';
import type { AddonStatus, Phase } from '../model/status.ts';
import { jitter } from '../util/backoff.ts';
import { InvalidSpecError, resolvePlan, resolveRegion, resolveVersion, versionSatisfies } from './catalogue.ts';
import { getCondition, sameStatus, setCondition, type ConditionInput } from './conditions.ts';
import { ANNOTATIONS, FIELD_MANAGER, addonName, secretName } from './names.ts';
import { rolloutRestart, secretHashAnnotation, type RolloutTarget } from './rollout.ts';
import {
  bindingEntries,
  dataHash,
  entriesHash,
  isOurSecret,
  renderSecret,
  templateValues,
  type Dialect,
  type SecretObject,
} from './secret.ts';
import { renderTemplate, TemplateError } from './template.ts';
import {
  ensureBucket,
  managedBuckets,
  leftBucket,
  notEmptyMessage,
  ObjectStorageError,
  planBuckets,
  removeBucket,
  s3BucketStore,
  type BucketStatus,
} from './buckets.ts';
import { CredentialsError, type CleverSession, type Sessions } from './sessions.ts';
import {
  BACKUP_EVENT_REASONS,
  BackupSpecError,
  deleteBackupObjects,
  reconcileBackups,
  type BackupSpec,
  type BackupStepResult,
  type ObjectStoreFactory,
  type RestoreFromSpec,
} from './backup.ts';

export interface AddonResource extends KubeObject {
  spec?: unknown;
  status?: AddonStatus;
}

/** The subset of the spec every kind shares (see src/model/spec.ts). */
interface CommonSpec {
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

export type EventType = 'Normal' | 'Warning';

/** Event reasons, enumerated: dashboards and alerts key on them. */
export const EVENT_REASONS = [
  'Created',
  'Adopted',
  'CreateFailed',
  'Deleted',
  'Orphaned',
  'DeleteFailed',
  'MigrationStarted',
  'MigrationSucceeded',
  'MigrationFailed',
  'SecretUpdated',
  'SecretRestored',
  'SecretConflict',
  'VariablesUpdated',
  'RolloutTriggered',
  'RolloutTargetMissing',
  'TemplateError',
  'AddonDeletedExternally',
  'InvalidSpec',
  'CredentialsProblem',
  'ReconcileError',
  'BucketCreated',
  'BucketDeleted',
  'BucketReleased',
  'BucketNotEmpty',
  'BucketUnavailable',
  'ObjectStorageError',
  ...BACKUP_EVENT_REASONS,
] as const;
export type EventReason = (typeof EVENT_REASONS)[number];

export interface EventSink {
  emit(obj: KubeObject, type: EventType, reason: EventReason, message: string): void;
}

export interface AddonReconcilerDeps {
  kube: KubeClient;
  definition: ProviderDefinition;
  /** Informer cache of the resources of this kind. */
  resources: { get(key: string): AddonResource | undefined; list(): AddonResource[] };
  /** Informer cache of the Secrets we manage (label-selected). */
  secrets: { get(key: string): SecretObject | undefined };
  sessions: Sessions;
  events: EventSink;
  /** Drift poll period after success (jittered ±10%); default 5 min. */
  driftIntervalMs?: number;
  /** How long a pending create may stay unobserved before it is considered never made; default 60 s. */
  createGraceMs?: number;
  now?: () => Date;
  /** Operator-wide image for backup and restore Jobs (default: DEFAULT_BACKUP_IMAGE). */
  backupImage?: string;
  /** S3 access for the retention sweep of spec.backup; without it expired dumps are kept. */
  backupObjectStore?: ObjectStoreFactory;
  /** Called for a resource that uses spec.backup or spec.restoreFrom: its namespace's Job watch is needed. */
  watchBackupJobs?: (namespace: string) => void;
}

/** Thrown inside the loop to end it with a given status and requeue decision. */
class Stop extends Error {
  readonly result: ReconcileResult;
  constructor(result: ReconcileResult) {
    super('stop');
    this.result = result;
  }
}

const POLL_MS = 3_000;
const MIGRATION_DONE = new Set(['OK', 'FAILED', 'ERROR', 'CANCELED']);
const INVALID_SPEC_RECHECK_MS = 30 * 60_000;
const CREDENTIALS_RECHECK_MS = 15_000;
/** A bucket that blocks deletion because it holds objects is looked at again this often. */
const BUCKET_RECHECK_MS = 15_000;

export function createAddonReconciler(deps: AddonReconcilerDeps) {
  const def = deps.definition;
  const now = deps.now ?? (() => new Date());
  const driftMs = deps.driftIntervalMs ?? 5 * 60_000;
  const graceMs = deps.createGraceMs ?? 60_000;
  const apiVersion = `${API_GROUP}/${def.crdVersion}`;
  // The last Warning per resource. The informer cache can lag behind our own status write (a finalizer or
  // annotation event requeues the key at once), so the cached Synced condition alone lets two quick passes report
  // the same problem twice. Forgotten once the problem is gone (or the resource is).
  // The Secret each resource was last bound with (by uid), in memory only, like the informer's Secret cache. While
  // Clever Cloud cannot be reached, a deleted or edited Secret is put back from it instead of waiting for Clever:
  // the add-on still exists and its apps still need its credentials.
  const lastBound = new Map<string, { secret: SecretObject; hash: string }>();
  const lastWarning = new Map<string, { uid: string; reason: string; message: string }>();

  /** One pass over one resource: holds what the steps learn. */
  class Run {
    res: AddonResource;
    readonly ctx: ReconcileContext;
    readonly status: AddonStatus;
    readonly original: AddonStatus | undefined;
    readonly namespace: string;
    readonly name: string;
    spec: CommonSpec | undefined;
    session: CleverSession | undefined;
    owner: string | undefined;
    addon: Addon | undefined;
    dbInfo: Promise<DatabaseInfo> | undefined;
    /** A problem that does not stop the pass but keeps Synced False (e.g. a missing roll-out target). */
    softProblem: { reason: string; message: string } | undefined;
    /** Work left for a next pass soon (a bucket's objects being deleted). */
    requeueSoon = false;

    constructor(res: AddonResource, ctx: ReconcileContext) {
      this.res = res;
      this.ctx = ctx;
      this.original = res.status;
      this.status = structuredClone(res.status ?? {});
      const { namespace, name } = splitKey(`${res.metadata?.namespace ?? ''}/${res.metadata?.name ?? ''}`);
      this.namespace = namespace ?? '';
      this.name = name;
    }

    get generation(): number | undefined {
      return this.res.metadata?.generation;
    }

    condition(type: 'Ready' | 'Synced', input: ConditionInput): void {
      this.status.conditions = setCondition(this.status.conditions, type, input, this.generation, now());
    }

    phase(phase: Phase): void {
      this.status.phase = phase;
    }

    /** Emits a Warning event only when the Synced condition changes, so a failing resource does not flood etcd. */
    warnOnce(reason: EventReason, conditionReason: string, message: string): void {
      const previous = getCondition(this.original, 'Synced');
      const key = `${this.namespace}/${this.name}`;
      const memo = { uid: this.res.metadata?.uid ?? '', reason: conditionReason, message };
      const last = lastWarning.get(key);
      const reported = last?.uid === memo.uid && last.reason === memo.reason && last.message === memo.message;
      if (!reported && (previous?.reason !== conditionReason || previous.message !== message)) {
        deps.events.emit(this.res, 'Warning', reason, message);
      }
      lastWarning.set(key, memo);
    }

    async execute(): Promise<ReconcileResult> {
      // 1. Deleting?
      if (this.res.metadata?.deletionTimestamp) return this.finalize();

      // 2. Finalizer first: no side effect on Clever before we are sure to be called on deletion.
      if (!hasFinalizer(this.res, def.finalizer)) {
        this.res = await ensureFinalizer(deps.kube, this.res, def.finalizer);
      }
      if (this.res.metadata?.annotations?.[ANNOTATIONS.paused] === 'true') {
        this.phase('Paused');
        this.condition('Synced', {
          status: 'False',
          reason: 'Paused',
          message: `reconciliation is paused by the ${ANNOTATIONS.paused} annotation`,
        });
        throw new Stop({});
      }

      const parsed = def.spec.safeParse(this.res.spec ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new InvalidSpecError('InvalidSpec', ['spec', ...issue.path].join('.'), issue.message);
      }
      const spec = parsed.data as CommonSpec;
      this.spec = spec;

      // 3. Credentials and owner.
      const session = await deps.sessions.forResource(this.namespace, spec.credentialsRef);
      this.session = session;
      const owner = spec.organisation ?? this.status.organisation ?? (await session.defaultOwner());
      this.owner = owner;
      this.status.organisation = owner;

      // 4. Catalogue: plan, region, version. A plan missing from a cached catalogue is re-checked fresh once.
      let provider = await session.catalogue.provider(def.providerId);
      if (!provider) {
        throw new AddonFailure(
          'ProviderUnavailable',
          `provider ${def.providerId} is not in the Clever Cloud catalogue of these credentials`,
        );
      }
      let plan;
      try {
        plan = resolvePlan(provider, def.plan(parsed.data));
      } catch (err) {
        if (!(err instanceof InvalidSpecError)) throw err;
        // The cached catalogue may predate a new plan: look once more, fresh, before calling the spec wrong.
        session.catalogue.clear();
        provider = (await session.catalogue.provider(def.providerId)) ?? provider;
        plan = resolvePlan(provider, def.plan(parsed.data));
      }
      const region = resolveRegion(provider, plan, def.region(parsed.data) ?? def.defaultRegion);
      const info = def.requestedVersion ? await session.catalogue.providerInfo(def.providerId) : null;
      const version = def.requestedVersion
        ? resolveVersion(def, info, plan, region, def.requestedVersion(parsed.data))
        : undefined;

      // 5. Observe.
      this.addon = await this.observe();

      // 6. Create when nothing exists.
      if (!this.addon) {
        const options = { ...def.options?.(parsed.data), ...(version ? { version } : {}) };
        this.addon = await this.create({ plan: plan.id, region, options });
      } else if (this.res.metadata?.annotations?.[ANNOTATIONS.createPending]) {
        await this.clearPending();
      }
      const addon = this.addon;
      this.status.addon = addon.id;
      this.status.addonId = addon.id;
      this.status.realId = addon.realId;
      this.status.region = addon.region;
      this.status.plan = { id: addon.plan.id, slug: addon.plan.slug, name: addon.plan.name ?? addon.plan.slug };

      // 7. Update through a migration when plan or version differ; 8. readiness.
      const current = await this.observedVersion(addon);
      if (current) this.status.version = current;
      else if (version && !this.status.version) this.status.version = version;
      // Defaults (cheapest plan, default version) choose what to create; they never migrate an existing add-on
      // (an adopted one, or one whose spec dropped the field): only an explicit spec value does.
      const migrating = await this.migrate(
        addon,
        def.plan(parsed.data) === undefined ? addon.plan.id : plan.id,
        def.requestedVersion?.(parsed.data) === undefined ? undefined : version,
        current,
      );
      const ready = await this.isReady(addon);
      if (def.desiredEnv) await this.syncEnv(addon, def.desiredEnv(parsed.data));
      // 8b. Buckets of object storage, before the Secret: a consumer that starts on the Secret finds them.
      if (def.objectStorage && ready) await this.syncBuckets(addon, parsed.data);

      // 9. Bind.
      await this.bind(addon);
      // 9b. Backups (CronJob, status, platform view) and the one-off restore before Ready.
      const backups = def.backup ? await this.backups(addon, ready, parsed.data as CommonSpec) : undefined;

      // 10. Status.
      if (!ready) {
        this.phase('Provisioning');
        this.condition('Ready', {
          status: 'False',
          reason: 'Provisioning',
          message: `${def.kind} add-on is provisioning`,
        });
      } else if (backups?.restoring || backups?.restoreFailed) {
        this.phase(backups.restoreFailed ? 'Failed' : 'Provisioning');
        this.condition('Ready', (backups.restoreFailed ?? backups.restoring)!);
        if (backups.restoreFailed) this.softProblem ??= backups.restoreFailed;
      } else {
        this.condition('Ready', { status: 'True', reason: 'Available', message: `${def.kind} add-on is available` });
        this.phase(migrating ? 'Updating' : 'Ready');
      }
      this.condition(
        'Synced',
        this.softProblem
          ? { status: 'False', ...this.softProblem }
          : {
              status: 'True',
              reason: migrating ? 'Migrating' : 'ReconcileSuccess',
              message: migrating
                ? `migrating to plan ${plan.slug}${version ? ` version ${version}` : ''}`
                : 'in sync with Clever Cloud',
            },
      );
      this.status.observedGeneration = this.generation;
      await this.writeStatus();
      const requeueAfterMs = !ready || migrating || this.requeueSoon ? POLL_MS : jitter(driftMs);
      return { requeueAfterMs: Math.min(requeueAfterMs, backups?.requeueAfterMs ?? requeueAfterMs) };
    }

    /** spec.backup and spec.restoreFrom (src/reconcile/backup.ts); the bad-input cases become InvalidSpec. */
    async backups(addon: Addon, ready: boolean, spec: CommonSpec): Promise<BackupStepResult> {
      if (spec.backup || spec.restoreFrom) deps.watchBackupJobs?.(this.namespace);
      try {
        return await reconcileBackups({
          kube: deps.kube,
          owner: {
            apiVersion,
            kind: def.kind,
            name: this.name,
            namespace: this.namespace,
            uid: this.res.metadata!.uid!,
          },
          tools: def.backup!,
          defaultImage: deps.backupImage,
          connectionSecret: this.status.binding!.name,
          backup: spec.backup,
          restoreFrom: spec.restoreFrom,
          status: this.status,
          generation: this.generation,
          ready,
          now: now(),
          platformBackups: () => this.session!.client.listBackups(this.owner!, addon.realId),
          platformIntervalMs: driftMs,
          objectStore: deps.backupObjectStore,
          emit: (type, reason, message) => deps.events.emit(this.res, type, reason, message),
          log: (message, fields) => this.ctx.logger.debug(fields ?? {}, message),
        });
      } catch (err) {
        if (err instanceof BackupSpecError) throw new InvalidSpecError('InvalidSpec', err.field, err.message);
        throw err;
      }
    }

    async observe(): Promise<Addon | undefined> {
      const { client } = this.session!;
      const owner = this.owner!;
      if (this.status.addonId) {
        // Two resources that adopted one add-on at the same moment both hold it: only one may keep it.
        this.refuseIfClaimed(this.status.addonId);
        try {
          return await client.getAddon(owner, this.status.addonId);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          // Deleted behind our back (console, CLI). The spec still asks for one: say so, then make a new one.
          const message = `add-on ${this.status.addonId} was deleted outside Kubernetes; creating a new one`;
          deps.events.emit(this.res, 'Warning', 'AddonDeletedExternally', message);
          this.ctx.logger.warn({ addonId: this.status.addonId }, 'add-on deleted outside Kubernetes');
          for (const k of ['addon', 'addonId', 'realId', 'plan', 'version', 'migration'] as const)
            delete this.status[k];
          this.condition('Ready', { status: 'False', reason: 'AddonDeleted', message });
          // The status written right after the new create must not still say Ready.
          this.phase('Provisioning');
        }
      }
      const adopt = this.res.metadata?.annotations?.[ANNOTATIONS.addonId];
      if (adopt) {
        let addon: Addon;
        try {
          addon = await client.getAddon(owner, adopt);
        } catch (err) {
          if (err instanceof NotFoundError) {
            throw new InvalidSpecError(
              'InvalidSpec',
              `metadata.annotations[${ANNOTATIONS.addonId}]`,
              `add-on ${adopt} does not exist in ${owner}`,
            );
          }
          throw err;
        }
        if (addon.provider.id !== def.providerId) {
          throw new InvalidSpecError(
            'InvalidSpec',
            `metadata.annotations[${ANNOTATIONS.addonId}]`,
            `add-on ${adopt} is a ${addon.provider.id}, not a ${def.providerId}`,
          );
        }
        this.refuseIfClaimed(addon.id);
        if (this.status.addonId !== addon.id)
          deps.events.emit(this.res, 'Normal', 'Adopted', `adopted existing add-on ${addon.id}`);
        return addon;
      }
      const wanted = addonName(def.kind, this.res.metadata!.uid!);
      return (await client.listAddons(owner)).find((a) => a.name === wanted && a.provider.id === def.providerId);
    }

    async create(request: { plan: string; region: string; options: Record<string, string> }): Promise<Addon> {
      const pending = this.res.metadata?.annotations?.[ANNOTATIONS.createPending];
      if (pending) {
        // A create was attempted and its result never recorded (crash, lost response). The name lookup found
        // nothing yet; the list may lag behind, so wait out a grace period before concluding it was never made.
        const age = now().getTime() - Date.parse(pending);
        if (Number.isNaN(age) || age < graceMs) {
          this.phase('Provisioning');
          this.condition('Ready', {
            status: 'False',
            reason: 'Creating',
            message: 'waiting to learn the outcome of an earlier create call before creating again',
          });
          throw new Stop({ requeueAfterMs: Math.min(POLL_MS, Math.max(500, graceMs - (Number.isNaN(age) ? 0 : age))) });
        }
      }
      // Record the intent with a resourceVersion precondition: a crash after this point is detectable, and a
      // second operator instance working from the same (stale) version gets a conflict instead of creating too.
      this.res = await jsonPatch(deps.kube, this.ref(), [
        { op: 'test', path: '/metadata/resourceVersion', value: this.res.metadata!.resourceVersion },
        ...annotationOps(this.res, ANNOTATIONS.createPending, now().toISOString()),
      ]);
      let addon: Addon;
      try {
        addon = await this.session!.client.createAddon(this.owner!, {
          name: addonName(def.kind, this.res.metadata!.uid!),
          providerId: def.providerId,
          ...request,
        });
      } catch (err) {
        if (err instanceof OutcomeUnknownError) {
          // Leave the intent in place: the next pass looks the add-on up by name before anything else. Restart its
          // clock: the grace period counts from when the call ended, not from when it started, since Clever may
          // still commit it later and the call itself (Retry-After waits, timeout) can outlast the grace period.
          this.res = await jsonPatch(
            deps.kube,
            this.ref(),
            annotationOps(this.res, ANNOTATIONS.createPending, now().toISOString()),
          );
          this.condition('Ready', {
            status: 'False',
            reason: 'Creating',
            message: 'create call outcome unknown; looking it up',
          });
          this.condition('Synced', { status: 'False', reason: 'CleverApiUnavailable', message: err.message });
          throw new Stop({ requeueAfterMs: POLL_MS });
        }
        // Clever answered: nothing was created. Clear the intent so the next attempt need not wait.
        await this.clearPending();
        throw err;
      }
      // Record the result at once, before anything else can fail.
      this.status.addon = addon.id;
      this.status.addonId = addon.id;
      this.status.realId = addon.realId;
      await this.writeStatus();
      await this.clearPending();
      deps.events.emit(
        this.res,
        'Normal',
        'Created',
        `created add-on ${addon.id} (${addon.plan.slug}, ${addon.region})`,
      );
      return addon;
    }

    async clearPending(): Promise<void> {
      if (!this.res.metadata?.annotations?.[ANNOTATIONS.createPending]) return;
      this.res = await jsonPatch(deps.kube, this.ref(), [
        { op: 'remove', path: `/metadata/annotations/${escapePointer(ANNOTATIONS.createPending)}` },
      ]);
    }

    /** The v4 database view, read once per pass (version and readiness both come from it). */
    databaseInfo(addon: Addon): Promise<DatabaseInfo> {
      this.dbInfo ??= this.session!.client.getDatabaseInfo(def.providerId as DatabaseProviderId, addon.id);
      return this.dbInfo;
    }

    async observedVersion(addon: Addon): Promise<string | undefined> {
      if (def.readiness.kind !== 'databaseStatus') return undefined;
      return (await this.databaseInfo(addon)).version ?? undefined;
    }

    /** Starts or follows a migration; true while one is running. */
    async migrate(
      addon: Addon,
      planId: string,
      version: string | undefined,
      current: string | undefined,
    ): Promise<boolean> {
      const client = this.session!.client;
      const m = this.status.migration;
      if (m && m.status !== 'OK' && m.status !== 'FAILED') {
        const latest = await client.getMigration(this.owner!, addon.id, m.id);
        this.status.migration = { ...m, status: latest.status };
        if (latest.status === 'OK') {
          deps.events.emit(this.res, 'Normal', 'MigrationSucceeded', `migration ${m.id} finished`);
          return false;
        }
        if (latest.status === 'FAILED' || latest.status === 'ERROR' || latest.status === 'CANCELED') {
          this.status.migration.status = 'FAILED';
          const message = `migration ${m.id} failed: ${latest.steps.find((s) => s.status !== 'OK')?.message ?? 'no detail'}`;
          deps.events.emit(this.res, 'Warning', 'MigrationFailed', message);
          throw new AddonFailure('MigrationFailed', message);
        }
        return true;
      }
      const planDiffers = addon.plan.id !== planId;
      const versionDiffers = version !== undefined && current !== undefined && !versionSatisfies(current, version);
      if (!planDiffers && !versionDiffers) return false;
      // A failed migration to this very target is not retried on its own: the user changes the spec to try again.
      if (m?.status === 'FAILED' && m.targetPlanId === planId && m.targetVersion === version) {
        throw new AddonFailure(
          'MigrationFailed',
          'the last migration to this plan and version failed; change the spec to try again',
        );
      }
      // A migration request whose answer was lost (or sent by a crashed pass) may be running already: follow it
      // rather than asking again (Clever refuses a second one while the first runs).
      const running = (await client.listMigrations(this.owner!, addon.id)).find((x) => !MIGRATION_DONE.has(x.status));
      if (running) {
        this.status.migration = {
          id: running.migrationId,
          status: running.status,
          targetPlanId: planId,
          ...(version ? { targetVersion: version } : {}),
          startedAt: now().toISOString(),
        };
        return true;
      }
      const migration = await client.createMigration(this.owner!, addon.id, {
        planId,
        region: addon.region,
        ...(version ? { version } : {}),
      });
      this.status.migration = {
        id: migration.migrationId,
        status: migration.status,
        targetPlanId: planId,
        ...(version ? { targetVersion: version } : {}),
        startedAt: now().toISOString(),
      };
      deps.events.emit(this.res, 'Normal', 'MigrationStarted', `migration ${migration.migrationId} started`);
      return migration.status !== 'OK';
    }

    /** Creates declared buckets, deletes or lets go of undeclared ones (src/reconcile/buckets.ts decides). */
    async syncBuckets(addon: Addon, spec: unknown): Promise<void> {
      const storage = def.objectStorage!;
      const desired = storage.buckets(spec);
      // Never ours to delete: buckets whose name another account holds.
      const managed = (this.status.buckets ?? []).filter((b) => b.state !== 'Unavailable').map((b) => b.name);
      if (desired.length === 0 && managed.length === 0) {
        delete this.status.buckets;
        return;
      }
      const store = s3BucketStore(storage.connection(await this.session!.client.getAddonEnv(this.owner!, addon.id)));
      const statuses: BucketStatus[] = [];
      try {
        const plan = planBuckets(desired, managed, storage.pruneBuckets(spec));
        for (const name of plan.ensure) {
          const { status, created } = await ensureBucket(store, name);
          statuses.push(status);
          if (created) deps.events.emit(this.res, 'Normal', 'BucketCreated', `created bucket ${name}`);
        }
        for (const name of plan.remove) {
          const outcome = await removeBucket(store, name, storage.bucketDeletionPolicy(spec));
          const left = leftBucket(name, outcome, false);
          if (left) statuses.push(left);
          if (outcome === 'deleted') {
            deps.events.emit(this.res, 'Normal', 'BucketDeleted', `deleted bucket ${name} (no longer in spec.buckets)`);
          }
        }
        for (const name of plan.release) {
          const message = `bucket ${name} left spec.buckets: kept with its objects, no longer managed (see spec.pruneBuckets)`;
          deps.events.emit(this.res, 'Normal', 'BucketReleased', message);
        }
      } finally {
        store.close();
      }
      if (statuses.length > 0) this.status.buckets = statuses;
      else delete this.status.buckets;
      this.requeueSoon ||= statuses.some((b) => b.state === 'Deleting');
      const notEmpty = statuses.filter((b) => b.state === 'NotEmpty').map((b) => b.name);
      const unavailable = statuses.filter((b) => b.state === 'Unavailable');
      if (notEmpty.length > 0) {
        this.softProblem = { reason: 'BucketNotEmpty', message: notEmptyMessage(notEmpty, false) };
        this.warnOnce('BucketNotEmpty', 'BucketNotEmpty', this.softProblem.message);
      } else if (unavailable.length > 0) {
        this.softProblem = { reason: 'BucketUnavailable', message: unavailable.map((b) => b.message).join('; ') };
        this.warnOnce('BucketUnavailable', 'BucketUnavailable', this.softProblem.message);
      }
    }

    /**
     * Deletion policy Delete: the managed buckets go before the add-on. One holding objects (without
     * bucketDeletionPolicy DeleteContents), or one we can no longer look into, keeps the add-on: deleting the
     * add-on would destroy the objects too.
     */
    async deleteBuckets(addon: Addon): Promise<void> {
      const storage = def.objectStorage;
      if (!storage) return;
      const parsed = def.spec.safeParse(this.res.spec ?? {});
      const known = this.status.buckets ?? [];
      const names = managedBuckets(parsed.success ? storage.buckets(parsed.data) : [], known).filter(
        (name) => known.find((b) => b.name === name)?.state !== 'Unavailable',
      );
      if (names.length === 0) return;
      const policy = parsed.success ? storage.bucketDeletionPolicy(parsed.data) : 'RequireEmpty';
      const store = s3BucketStore(storage.connection(await this.session!.client.getAddonEnv(this.owner!, addon.id)));
      const left: BucketStatus[] = [];
      try {
        for (const name of names) {
          const outcome = await removeBucket(store, name, policy);
          // A declared bucket we never recorded and cannot list is someone else's: nothing of ours to keep.
          const remaining = leftBucket(name, outcome, true);
          if (remaining && (outcome !== 'forbidden' || known.some((b) => b.name === name))) left.push(remaining);
          if (outcome === 'deleted') deps.events.emit(this.res, 'Normal', 'BucketDeleted', `deleted bucket ${name}`);
        }
      } finally {
        store.close();
      }
      if (left.length === 0) {
        delete this.status.buckets;
        return;
      }
      this.status.buckets = left;
      const blocking = left.filter((b) => b.state !== 'Deleting');
      if (blocking.length > 0) {
        const notEmpty = blocking.filter((b) => b.state === 'NotEmpty').map((b) => b.name);
        const reason = notEmpty.length > 0 ? 'BucketNotEmpty' : 'BucketUnavailable';
        const message = [
          ...(notEmpty.length > 0 ? [notEmptyMessage(notEmpty, true)] : []),
          ...blocking.filter((b) => b.state === 'Unavailable').map((b) => `${b.message}; the add-on is kept`),
        ].join('; ');
        this.condition('Synced', { status: 'False', reason, message });
        this.warnOnce(reason, reason, message);
        throw new Stop({ requeueAfterMs: BUCKET_RECHECK_MS });
      }
      this.condition('Ready', { status: 'False', reason: 'Deleting', message: 'deleting the objects of the buckets' });
      throw new Stop({ requeueAfterMs: POLL_MS });
    }

    /** Keeps a user-managed environment (ConfigProvider variables) equal to the spec, reverting outside edits. */
    async syncEnv(addon: Addon, desired: Record<string, string>): Promise<void> {
      const client = this.session!.client;
      const current = await client.getConfigProviderEnv(addon.realId);
      const same =
        Object.keys(current).length === Object.keys(desired).length &&
        Object.entries(desired).every(([k, v]) => current[k] === v);
      if (same) return;
      await client.putConfigProviderEnv(addon.realId, desired);
      deps.events.emit(
        this.res,
        'Normal',
        'VariablesUpdated',
        `set ${Object.keys(desired).length} variables on ${addon.id}`,
      );
    }

    async isReady(addon: Addon): Promise<boolean> {
      const client = this.session!.client;
      switch (def.readiness.kind) {
        case 'exists':
          return true;
        case 'databaseStatus':
          return (await this.databaseInfo(addon)).status === 'ACTIVE';
        case 'pulsarStatus':
          return (await client.getPulsar(addon.realId)).status === 'ACTIVE';
        case 'materiaKvStatus':
          return (await client.getMateriaKv(this.owner!, addon.realId)).status === 'PROVISIONED';
        case 'instancesUp': {
          const instances = await client.getAddonInstances(this.owner!, addon.id);
          return instances.length > 0 && instances.every((i) => i.state === 'UP');
        }
      }
    }

    async bind(addon: Addon): Promise<void> {
      const env = await this.session!.client.getAddonEnv(this.owner!, addon.id);
      const spec = this.spec!;
      const binding = def.binding(env);
      const entries = {
        ...bindingEntries(env, binding, spec.secret?.dialects),
        ...renderTemplate(spec.secret?.template ?? {}, templateValues(env, binding)),
      };
      Object.assign(this.status, def.statusFields?.(env) ?? {});
      const name = secretName(this.name, spec.secret?.name);
      const uid = this.res.metadata!.uid!;
      const desired = renderSecret({
        name,
        namespace: this.namespace,
        owner: { apiVersion, kind: def.kind, name: this.name, uid },
        entries,
        ...(spec.secret?.labels ? { labels: spec.secret.labels } : {}),
        ...(spec.secret?.annotations ? { annotations: spec.secret.annotations } : {}),
      });
      const hash = entriesHash(entries);
      const live =
        deps.secrets.get(`${this.namespace}/${name}`) ??
        (await getObject<SecretObject>(deps.kube, {
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: this.namespace,
          name,
        }));
      if (live && !isOurSecret(live, uid)) {
        throw new SecretConflictError(
          `Secret ${name} exists and is not owned by this ${def.kind}; it was left untouched`,
        );
      }
      if (!live || !sameSecret(live, desired, hash)) {
        await applyObject(deps.kube, desired, FIELD_MANAGER, { force: true });
        // What the Secret held before: our last recorded hash, or (when the cached status predates it, e.g. a pass
        // queued by our own first apply) the live content, so a rotation right after creation is still reported.
        const previousHash = this.status.secretHash ?? dataHash(live?.data);
        if (live && previousHash !== hash) {
          deps.events.emit(this.res, 'Normal', 'SecretUpdated', `Secret ${name} updated with new connection details`);
        }
      }
      // A renamed Secret: the old one goes, so consumers cannot keep reading stale credentials from it.
      const previous = this.status.binding?.name;
      if (previous && previous !== name) {
        const old = await getObject<SecretObject>(deps.kube, {
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: this.namespace,
          name: previous,
        });
        if (old && isOurSecret(old, uid)) {
          await deleteObject(deps.kube, {
            apiVersion: 'v1',
            kind: 'Secret',
            namespace: this.namespace,
            name: previous,
          });
        }
      }
      this.status.binding = { name };
      this.status.secretHash = hash;
      lastBound.set(uid, { secret: desired, hash });

      const targets = spec.secret?.rolloutRestart ?? [];
      if (targets.length > 0) {
        const annotation = secretHashAnnotation(def.kind, this.name);
        const { bumped, missing } = await rolloutRestart(deps.kube, this.namespace, targets, annotation, hash);
        if (bumped.length > 0) {
          deps.events.emit(
            this.res,
            'Normal',
            'RolloutTriggered',
            `restarting ${bumped.join(', ')} for the new connection details`,
          );
        }
        if (missing.length > 0) {
          // The Secret is fine and the add-on usable: only Synced reports it, and it is re-checked at drift time.
          const message = `spec.secret.rolloutRestart: ${missing.join(', ')} not found in ${this.namespace}`;
          this.softProblem = { reason: 'RolloutTargetNotFound', message };
          this.warnOnce('RolloutTargetMissing', 'RolloutTargetNotFound', message);
        }
      }
    }

    async finalize(): Promise<ReconcileResult> {
      if (!hasFinalizer(this.res, def.finalizer)) return {};
      this.phase('Deleting');
      const parsed = def.spec.safeParse(this.res.spec ?? {});
      const spec = (parsed.success ? parsed.data : { deletionPolicy: 'Delete' }) as CommonSpec;
      this.spec = spec;
      if (spec.deletionPolicy === 'Orphan') {
        deps.events.emit(
          this.res,
          'Normal',
          'Orphaned',
          `add-on ${this.status.addonId ?? '(none)'} left in place (deletionPolicy Orphan)`,
        );
      } else {
        const session = await deps.sessions.forResource(this.namespace, spec.credentialsRef);
        this.session = session;
        this.owner = this.status.organisation ?? spec.organisation ?? (await session.defaultOwner());
        const addon = await this.observeForDeletion();
        if (addon) {
          await this.deleteBuckets(addon);
          await session.client.deleteAddon(this.owner, addon.id);
          // Confirm it is gone before letting Kubernetes forget about it.
          try {
            await session.client.getAddon(this.owner, addon.id);
            this.condition('Ready', {
              status: 'False',
              reason: 'Deleting',
              message: `waiting for add-on ${addon.id} to be deleted`,
            });
            throw new Stop({ requeueAfterMs: POLL_MS });
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
          deps.events.emit(this.res, 'Normal', 'Deleted', `deleted add-on ${addon.id}`);
        }
      }
      await this.deleteOwnSecret();
      // Only a resource that had backups made a CronJob (and only then does the operator need batch RBAC).
      if (def.backup && this.status.backup) {
        const uid = this.res.metadata!.uid!;
        await deleteBackupObjects(deps.kube, {
          apiVersion,
          kind: def.kind,
          name: this.name,
          namespace: this.namespace,
          uid,
        });
      }
      await removeFinalizer(deps.kube, this.res, def.finalizer);
      lastBound.delete(this.res.metadata!.uid!);
      return {};
    }

    /** The add-on to delete: by id, adoption or name; a pending create is waited out so it cannot leak. */
    async observeForDeletion(): Promise<Addon | undefined> {
      const found = await this.observeQuietly();
      if (found) return found;
      const pending = this.res.metadata?.annotations?.[ANNOTATIONS.createPending];
      if (pending && now().getTime() - Date.parse(pending) < graceMs) {
        this.condition('Ready', {
          status: 'False',
          reason: 'Deleting',
          message: 'waiting for an earlier create call to surface before deleting',
        });
        throw new Stop({ requeueAfterMs: POLL_MS });
      }
      return undefined;
    }

    /**
     * Two resources on one add-on: deleting either would delete it under the other. The one that holds it (or else
     * the older) keeps it; this one lets go of it without touching it, and says which resource has it.
     */
    refuseIfClaimed(id: string): void {
      const rival = this.adoptionRival(id);
      if (!rival) return;
      if (this.status.addonId === id) {
        for (const k of ['addon', 'addonId', 'realId', 'plan', 'version', 'migration'] as const) delete this.status[k];
      }
      throw new InvalidSpecError(
        'AdoptionConflict',
        `metadata.annotations[${ANNOTATIONS.addonId}]`,
        `add-on ${id} is already managed by ${def.kind} ${rival}; remove the annotation or that resource`,
      );
    }

    /**
     * Another resource of this kind with a better claim on add-on `id`: one that holds it (status.addonId) when
     * this one does not, else an older one (creation time, then namespace/name) that holds or adopts it too.
     * Its namespace/name, or undefined when this resource may have it.
     */
    adoptionRival(id: string): string | undefined {
      const claims = (r: AddonResource) => ({
        holds: r.status?.addonId === id || r.status?.addon === id,
        wants: r.metadata?.annotations?.[ANNOTATIONS.addonId] === id,
      });
      const age = (r: AddonResource) =>
        [Date.parse(r.metadata?.creationTimestamp ?? '') || 0, `${r.metadata?.namespace}/${r.metadata?.name}`] as const;
      const mine = claims(this.res);
      const [myTime, myName] = age(this.res);
      for (const other of deps.resources.list()) {
        if (other.metadata?.uid === this.res.metadata?.uid) continue;
        const theirs = claims(other);
        if (!theirs.holds && !theirs.wants) continue;
        const [time, name] = age(other);
        const older = time < myTime || (time === myTime && name < myName);
        if ((theirs.holds && !mine.holds) || (theirs.holds === mine.holds && older)) return name;
      }
      return undefined;
    }

    async observeQuietly(): Promise<Addon | undefined> {
      const { client } = this.session!;
      const owner = this.owner!;
      for (const id of [this.status.addonId, this.res.metadata?.annotations?.[ANNOTATIONS.addonId]]) {
        if (!id) continue;
        // An add-on another resource has the better claim on is not ours to delete.
        if (this.adoptionRival(id)) continue;
        try {
          const addon = await client.getAddon(owner, id);
          // An adoption annotation naming another provider's add-on was refused: it is not ours to delete.
          if (addon.provider.id === def.providerId) return addon;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      const wanted = addonName(def.kind, this.res.metadata!.uid!);
      return (await client.listAddons(owner)).find((a) => a.name === wanted && a.provider.id === def.providerId);
    }

    async deleteOwnSecret(): Promise<void> {
      const name = this.status.binding?.name ?? secretName(this.name, this.spec?.secret?.name);
      const ref = { apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name };
      const live = await getObject<SecretObject>(deps.kube, ref);
      // Garbage collection would do this through the ownerReference; doing it here does not depend on it.
      if (live && isOurSecret(live, this.res.metadata!.uid!)) await deleteObject(deps.kube, ref);
    }

    ref() {
      return { apiVersion, kind: def.kind, namespace: this.namespace, name: this.name };
    }

    async writeStatus(): Promise<void> {
      if (sameStatus(this.original, this.status)) return;
      try {
        await mergePatch(
          deps.kube,
          this.ref(),
          { status: statusPatch(this.original, this.status) },
          {
            subresource: 'status',
            fieldManager: FIELD_MANAGER,
          },
        );
      } catch (err) {
        // The resource is gone (deleted while we worked): nothing left to report on.
        if (!isNotFound(err)) throw err;
      }
    }

    /**
     * Puts the Secret back as this resource last bound it, when it was deleted or edited and Clever cannot be asked
     * (an outage, refused or missing credentials). Only our own Secret, only the content status.secretHash names,
     * never while deleting; the next successful pass reconciles it against Clever as usual.
     */
    async keepLastBoundSecret(why: string): Promise<void> {
      const uid = this.res.metadata?.uid;
      const last = uid ? lastBound.get(uid) : undefined;
      const name = last?.secret.metadata?.name;
      if (!uid || !last || !name || this.res.metadata?.deletionTimestamp) return;
      if (last.hash !== this.status.secretHash || name !== this.status.binding?.name) return;
      try {
        const live =
          deps.secrets.get(`${this.namespace}/${name}`) ??
          (await getObject<SecretObject>(deps.kube, {
            apiVersion: 'v1',
            kind: 'Secret',
            namespace: this.namespace,
            name,
          }));
        if (live && (!isOurSecret(live, uid) || sameSecret(live, last.secret, last.hash))) return;
        await applyObject(deps.kube, last.secret, FIELD_MANAGER, { force: true });
        deps.events.emit(
          this.res,
          'Normal',
          'SecretRestored',
          `Secret ${name} ${live ? 'reverted' : 'restored'} to its last known content while ${why}`,
        );
      } catch (restoreErr) {
        this.ctx.logger.warn(
          { err: describeError(restoreErr) },
          'could not restore the Secret from its last known content',
        );
      }
    }

    async fail(err: unknown): Promise<ReconcileResult | void> {
      if (isConflict(err)) throw err;
      // Our own resource vanished mid-pass (its finalizer was just removed, from a stale cache): nothing to do.
      if (isNotFound(err) && !(await getObject(deps.kube, this.ref()))) return;
      const logger = this.ctx.logger;
      let result: ReconcileResult | undefined;
      let rethrow = false;
      if (err instanceof InvalidSpecError) {
        this.condition('Synced', { status: 'False', reason: err.reason, message: err.message });
        this.warnOnce('InvalidSpec', err.reason, err.message);
        if (!this.status.addonId) this.phase('Failed');
        result = { requeueAfterMs: INVALID_SPEC_RECHECK_MS };
      } else if (err instanceof CredentialsError) {
        this.condition('Synced', { status: 'False', reason: err.reason, message: err.message });
        this.warnOnce('CredentialsProblem', err.reason, err.message);
        // Credential Secrets are not watched (that would mean watching every Secret), so a Secret created later
        // is noticed by this re-check: a fixed period, not a backoff growing to minutes.
        await this.keepLastBoundSecret('the Clever Cloud credentials are missing');
        result = { requeueAfterMs: CREDENTIALS_RECHECK_MS };
      } else if (err instanceof UnauthorizedError) {
        const from = `the credentials from ${this.session?.source ?? 'the configuration'}`;
        // A 403 on an owner the spec names is a spec problem as much as a credentials one: say which field.
        const message =
          err instanceof ForbiddenError && this.spec?.organisation
            ? `spec.organisation: ${from} have no access to ${this.spec.organisation}: ${err.message}`
            : `Clever Cloud refused ${from}: ${err.message}`;
        this.condition('Synced', { status: 'False', reason: 'Unauthorized', message });
        this.warnOnce('CredentialsProblem', 'Unauthorized', message);
        await this.keepLastBoundSecret('Clever Cloud refuses the credentials');
        result = { requeue: true };
      } else if (err instanceof SecretConflictError) {
        this.condition('Synced', { status: 'False', reason: 'SecretConflict', message: err.message });
        this.warnOnce('SecretConflict', 'SecretConflict', err.message);
        result = { requeueAfterMs: jitter(driftMs) };
      } else if (err instanceof TemplateError) {
        this.condition('Synced', { status: 'False', reason: 'TemplateError', message: err.message });
        this.warnOnce('TemplateError', 'TemplateError', err.message);
        result = { requeueAfterMs: INVALID_SPEC_RECHECK_MS };
      } else if (err instanceof ObjectStorageError) {
        this.condition('Synced', { status: 'False', reason: err.reason, message: err.message });
        this.warnOnce('ObjectStorageError', err.reason, err.message);
        rethrow = true;
      } else if (err instanceof MissingEnvError) {
        this.condition('Synced', { status: 'False', reason: 'BindingIncomplete', message: err.message });
        result = { requeueAfterMs: POLL_MS * 10 };
      } else if (err instanceof AddonFailure) {
        this.condition('Synced', { status: 'False', reason: err.reason, message: err.message });
        this.warnOnce(err.reason === 'MigrationFailed' ? 'MigrationFailed' : 'ReconcileError', err.reason, err.message);
        result = { requeueAfterMs: INVALID_SPEC_RECHECK_MS };
      } else if (err instanceof TerminalError) {
        const reason = this.status.addonId ? 'UpdateFailed' : 'CreateFailed';
        this.condition('Synced', { status: 'False', reason, message: err.message });
        this.warnOnce(this.status.addonId ? 'MigrationFailed' : 'CreateFailed', reason, err.message);
        if (!this.status.addonId) this.phase('Failed');
        result = { requeueAfterMs: INVALID_SPEC_RECHECK_MS };
      } else if (err instanceof RetryableError || err instanceof OutcomeUnknownError) {
        this.condition('Synced', { status: 'False', reason: 'CleverApiUnavailable', message: err.message });
        await this.keepLastBoundSecret('Clever Cloud is unreachable');
        rethrow = true;
      } else {
        // Unclassified (an API server error among others): summarised, never its raw body.
        const message = describeError(err);
        this.condition('Synced', { status: 'False', reason: 'ReconcileError', message });
        this.warnOnce('ReconcileError', 'ReconcileError', message);
        rethrow = true;
      }
      logger.debug({ err: describeError(err) }, 'reconcile did not complete');
      try {
        await this.writeStatus();
      } catch (statusErr) {
        logger.debug({ err: describeError(statusErr) }, 'could not record the failure in status');
      }
      if (rethrow) throw err;
      return result;
    }
  }

  return async function reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const cached = deps.resources.get(key);
    if (!cached) {
      lastWarning.delete(key);
      return;
    }
    const run = new Run(cached, ctx);
    try {
      return await run.execute();
    } catch (err) {
      if (err instanceof Stop) {
        await run.writeStatus();
        return err.result;
      }
      return run.fail(err);
    } finally {
      const last = lastWarning.get(key);
      if (last && (last.uid !== cached.metadata?.uid || getCondition(run.status, 'Synced')?.reason !== last.reason))
        lastWarning.delete(key);
    }
  };
}

/** A failure only a spec change (or Clever's side) can fix: reported, re-checked slowly, not retried in a loop. */
export class AddonFailure extends Error {
  readonly reason: 'ProviderUnavailable' | 'MigrationFailed';
  constructor(reason: AddonFailure['reason'], message: string) {
    super(message);
    this.name = 'AddonFailure';
    this.reason = reason;
  }
}

export class SecretConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretConflictError';
  }
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function annotationOps(res: KubeObject, key: string, value: string) {
  return res.metadata?.annotations
    ? [{ op: 'add' as const, path: `/metadata/annotations/${escapePointer(key)}`, value }]
    : [{ op: 'add' as const, path: '/metadata/annotations', value: { [key]: value } }];
}

function sameSecret(live: SecretObject, desired: SecretObject, hash: string): boolean {
  if (dataHash(live.data) !== hash) return false;
  const labels = live.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(desired.metadata?.labels ?? {})) if (labels[k] !== v) return false;
  const annotations = live.metadata?.annotations ?? {};
  for (const [k, v] of Object.entries(desired.metadata?.annotations ?? {})) if (annotations[k] !== v) return false;
  return (live.metadata?.ownerReferences ?? []).some(
    (o) => o.uid === desired.metadata?.ownerReferences?.[0]?.uid && o.controller,
  );
}

/** A merge patch from `before` to `after`: keys that disappeared are sent as null so they are removed. */
function statusPatch(before: AddonStatus | undefined, after: AddonStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...after };
  for (const k of Object.keys(before ?? {}))
    if (!(k in after) || (after as Record<string, unknown>)[k] === undefined) patch[k] = null;
  return patch;
}
