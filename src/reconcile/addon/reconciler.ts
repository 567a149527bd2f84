// The one generic add-on reconciler. Every kind goes through the same numbered steps, top to bottom in `run`; what
// differs per kind is data in its provider definition. Each step calls into one module:
//   1. deleting? apply the deletion policy (finalize.ts); never drop the finalizer while a Delete-policy add-on may
//      exist
//   2. ensure the finalizer; paused? say so and stop
//   3. resolve credentials and the owner (external.ts)
//   4. resolve plan, region and version against the live catalogue (bad input: condition, no write call)
//   5. observe: by status.addonId, else the adoption annotation, else the deterministic name (adoption.ts)
//   6. create only when nothing was observed: intent recorded first, result recorded at once
//   7. update what changed and can change (plan/version through a migration)
//   8. readiness from the provider's own status where one exists (readiness.ts), variables, buckets (storage.ts)
//   9. bind: render the connection Secret and server-side apply it (bind.ts); backups and restore (../backup/)
//  10. status, then requeue for drift with jitter
// What to do at each destructive or billable point is decided in decide.ts; failures are reported by failures.ts.
import { OutcomeUnknownError, type Addon, type Plan } from '../../clever/index.ts';
import type { ReconcileContext, ReconcileResult } from '../../kube/controller.ts';
import { isConflict, isNotFound } from '../../kube/errors.ts';
import type { ObjectRef } from '../../kube/objects.ts';
import type { KubeObject } from '../../kube/types.ts';
import { API_GROUP, type BackupTools, type ProviderDefinition } from '../../model/provider.ts';
import type { AddonStatus } from '../../model/status.ts';
import { jitter } from '../../util/backoff.ts';
import { BackupSpecError, type BackupStepResult, type ObjectStoreFactory } from '../backup/index.ts';
import { s3BucketStore, type BucketStore } from '../buckets.ts';
import { InvalidSpecError, resolvePlan, resolveRegion, resolveVersion } from '../catalogue.ts';
import { getCondition, sameStatus } from '../conditions.ts';
import { ANNOTATIONS, addonName } from '../names.ts';
import { observe } from './adoption.ts';
import { bind, keepLastBoundSecret } from './bind.ts';
import { decideCreate, decideMigration } from './decide.ts';
import type { CleverConnector, ExternalClient } from './external.ts';
import { AddonFailure, planFailure, POLL_MS, type Requeue } from './failures.ts';
import { finalize } from './finalize.ts';
import type { KubeWriter } from './kube.ts';
import { Pass, Stop } from './pass.ts';
import { syncBuckets } from './storage.ts';
import { carryOutMigration, syncVariables } from './update.ts';
import type { AddonResource, CommonSpec, EventSink, StepContext } from './types.ts';
import type { S3Connection } from '../../model/provider.ts';

export interface ReconcilerDeps {
  definition: ProviderDefinition;
  kube: KubeWriter;
  clever: CleverConnector;
  /** Informer cache of the resources of this kind. */
  resources: { get(key: string): AddonResource | undefined; list(): AddonResource[] };
  events: EventSink;
  /** Drift poll period after success (jittered ±10%); default 5 min. */
  driftIntervalMs?: number;
  /** How long a pending create may stay unobserved before it is considered never made; default 60 s. */
  createGraceMs?: number;
  now?: () => Date;
  /** Operator-wide image for backup and restore Jobs (default: DEFAULT_BACKUP_IMAGE). */
  backupImage?: string;
  /**
   * Act on spec.secret.rolloutRestart (default false: restarting workloads needs patch on Deployments, StatefulSets,
   * DaemonSets, which the default install does not grant). Off, a resource listing workloads gets Synced False.
   */
  workloadRollouts?: boolean;
  /** S3 access for the retention sweep of spec.backup; without it expired dumps are kept. */
  backupObjectStore?: ObjectStoreFactory;
  /** Called for a resource that uses spec.backup or spec.restoreFrom: its namespace's Job watch is needed. */
  watchBackupJobs?: (namespace: string) => void;
  /** Opens the S3 API of an object-storage add-on (default: the AWS SDK). */
  bucketStore?: (connection: S3Connection) => BucketStore;
}

/** What step 4 resolved: the plan, region and version to create with (and, when the spec asks, to be on). */
interface Target {
  plan: Plan;
  region: string;
  version: string | undefined;
}

export class AddonReconciler {
  private readonly c: StepContext;
  private readonly resources: ReconcilerDeps['resources'];
  private readonly events: EventSink;
  private readonly now: () => Date;

  constructor(deps: ReconcilerDeps) {
    const def = deps.definition;
    this.resources = deps.resources;
    this.events = deps.events;
    this.now = deps.now ?? (() => new Date());
    this.c = {
      def,
      kube: deps.kube,
      clever: deps.clever,
      apiVersion: `${API_GROUP}/${def.crdVersion}`,
      resources: deps.resources,
      memory: { lastWarning: new Map(), lastBound: new Map() },
      driftMs: deps.driftIntervalMs ?? 5 * 60_000,
      graceMs: deps.createGraceMs ?? 60_000,
      bucketStore: deps.bucketStore ?? s3BucketStore,
      backupImage: deps.backupImage,
      workloadRollouts: deps.workloadRollouts ?? false,
      backupObjectStore: deps.backupObjectStore,
      watchBackupJobs: deps.watchBackupJobs,
    };
  }

  /** The entry point: one pass over the resource `key` (namespace/name). */
  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const { lastWarning } = this.c.memory;
    const cached = this.resources.get(key);
    if (!cached) {
      lastWarning.delete(key);
      return;
    }
    const pass = new Pass(cached, ctx, { now: this.now, events: this.events, memory: this.c.memory });
    try {
      return await this.run(pass);
    } catch (err) {
      if (err instanceof Stop) {
        await this.writeStatus(pass);
        return err.result;
      }
      return this.fail(pass, err);
    } finally {
      const last = lastWarning.get(key);
      if (last && (last.uid !== cached.metadata?.uid || getCondition(pass.status, 'Synced')?.reason !== last.reason))
        lastWarning.delete(key);
    }
  }

  /** The steps, in order. */
  async run(pass: Pass): Promise<ReconcileResult> {
    const { def } = this.c;
    // 1. Deleting?
    if (pass.res.metadata?.deletionTimestamp) return finalize(this.c, pass);
    // 2. Finalizer first: no side effect on Clever before we are sure to be called on deletion. Paused?
    await this.ensureFinalizer(pass);
    this.stopIfPaused(pass);
    const data = this.parseSpec(pass);
    const spec = data as CommonSpec;
    // 3. Credentials and owner.
    const ext = await this.connect(pass, spec);
    // 4. Catalogue: plan, region, version.
    const target = await this.resolveTarget(ext, data);
    // 5. Observe.
    const observed = await observe(this.c, pass, ext);
    // 6. Create when nothing exists.
    const addon = await this.createIfMissing(pass, ext, observed, target, data);
    this.recordAddon(pass, addon);
    // 7. Update through a migration when plan or version differ.
    const migrating = await this.migrate(pass, ext, addon, target, data);
    // 8. Readiness, variables, buckets (before the Secret: a consumer that starts on the Secret finds them).
    const ready = await ext.ready(addon);
    if (def.desiredEnv) await syncVariables(pass, ext, addon, def.desiredEnv(data));
    if (def.objectStorage && ready) await syncBuckets(this.c, pass, ext, addon, data);
    // 9. Bind; then backups (CronJob, status, platform view) and the one-off restore before Ready.
    const secret = await bind(this.c, pass, ext, addon, spec);
    const backups = def.backup ? await this.backups(pass, ext, addon, def.backup, secret, ready, spec) : undefined;
    // 10. Status.
    return this.report(pass, { ready, migrating, backups, target });
  }

  /** Step 2. */
  async ensureFinalizer(pass: Pass): Promise<void> {
    pass.res = await this.c.kube.ensureFinalizer(pass.res, this.c.def.finalizer);
  }

  /** Step 2: the paused annotation stops the pass before any Clever call. */
  stopIfPaused(pass: Pass): void {
    if (pass.annotation(ANNOTATIONS.paused) !== 'true') return;
    pass.phase('Paused');
    pass.condition('Synced', {
      status: 'False',
      reason: 'Paused',
      message: `reconciliation is paused by the ${ANNOTATIONS.paused} annotation`,
    });
    throw new Stop({});
  }

  /** Step 2: the spec as the provider's schema reads it; the first issue is an InvalidSpec. */
  parseSpec(pass: Pass): unknown {
    const parsed = this.c.def.spec.safeParse(pass.res.spec ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidSpecError('InvalidSpec', ['spec', ...(issue?.path ?? [])].join('.'), issue?.message ?? '');
    }
    pass.spec = parsed.data as CommonSpec;
    return parsed.data;
  }

  /** Step 3: the owner is spec.organisation, else the one recorded, else the credentials' default. */
  async connect(pass: Pass, spec: CommonSpec): Promise<ExternalClient> {
    const credentials = await this.c.clever.open(pass.namespace, spec.credentialsRef);
    pass.credentialsSource = credentials.source;
    const ext = await credentials.connect(spec.organisation ?? pass.status.organisation);
    pass.external = ext;
    pass.status.organisation = ext.owner;
    return ext;
  }

  /** Step 4. A plan missing from a cached catalogue is re-checked fresh once before the spec is called wrong. */
  async resolveTarget(ext: ExternalClient, data: unknown): Promise<Target> {
    const { def } = this.c;
    let provider = await ext.provider();
    if (!provider) {
      throw new AddonFailure(
        'ProviderUnavailable',
        `provider ${def.providerId} is not in the Clever Cloud catalogue of these credentials`,
      );
    }
    let plan;
    try {
      plan = resolvePlan(provider, def.plan(data));
    } catch (err) {
      if (!(err instanceof InvalidSpecError)) throw err;
      provider = (await ext.provider(true)) ?? provider;
      plan = resolvePlan(provider, def.plan(data));
    }
    const region = resolveRegion(provider, plan, def.region(data) ?? def.defaultRegion);
    const info = def.requestedVersion ? await ext.providerInfo() : null;
    const version = def.requestedVersion
      ? resolveVersion(def, info, plan, region, def.requestedVersion(data))
      : undefined;
    return { plan, region, version };
  }

  /** Step 6: the intent is recorded before the call, the result at once after it. */
  async createIfMissing(
    pass: Pass,
    ext: ExternalClient,
    observed: Addon | undefined,
    target: Target,
    data: unknown,
  ): Promise<Addon> {
    const { def, kube } = this.c;
    const decision = decideCreate({
      observed,
      pending: pass.annotation(ANNOTATIONS.createPending),
      now: this.now(),
      graceMs: this.c.graceMs,
      pollMs: POLL_MS,
    });
    if (decision.action === 'use') {
      if (decision.clearIntent) await this.clearIntent(pass);
      return decision.addon;
    }
    if (decision.action === 'wait') {
      pass.phase('Provisioning');
      pass.condition('Ready', {
        status: 'False',
        reason: 'Creating',
        message: 'waiting to learn the outcome of an earlier create call before creating again',
      });
      throw new Stop({ requeueAfterMs: decision.requeueAfterMs });
    }
    // Record the intent with a resourceVersion precondition: a crash after this point is detectable, and a second
    // operator instance working from the same (stale) version gets a conflict instead of creating too.
    pass.res = await kube.patch(this.ref(pass), [
      { op: 'test', path: '/metadata/resourceVersion', value: pass.res.metadata?.resourceVersion },
      ...annotationOps(pass.res, ANNOTATIONS.createPending, this.now().toISOString()),
    ]);
    const options = { ...def.options?.(data), ...(target.version ? { version: target.version } : {}) };
    let addon: Addon;
    try {
      addon = await ext.create({
        name: addonName(def.kind, pass.uid),
        plan: target.plan.id,
        region: target.region,
        options,
      });
    } catch (err) {
      if (err instanceof OutcomeUnknownError) {
        // Leave the intent in place: the next pass looks the add-on up by name before anything else. Restart its
        // clock: the grace period counts from when the call ended, not from when it started, since Clever may
        // still commit it later and the call itself (Retry-After waits, timeout) can outlast the grace period.
        pass.res = await kube.patch(
          this.ref(pass),
          annotationOps(pass.res, ANNOTATIONS.createPending, this.now().toISOString()),
        );
        pass.condition('Ready', {
          status: 'False',
          reason: 'Creating',
          message: 'create call outcome unknown; looking it up',
        });
        pass.condition('Synced', { status: 'False', reason: 'CleverApiUnavailable', message: err.message });
        throw new Stop({ requeueAfterMs: POLL_MS });
      }
      // Clever answered: nothing was created. Clear the intent so the next attempt need not wait.
      await this.clearIntent(pass);
      throw err;
    }
    // Record the result at once, before anything else can fail.
    pass.status.addon = addon.id;
    pass.status.addonId = addon.id;
    pass.status.realId = addon.realId;
    await this.writeStatus(pass);
    await this.clearIntent(pass);
    pass.emit('Normal', 'Created', `created add-on ${addon.id} (${addon.plan.slug}, ${addon.region})`);
    return addon;
  }

  /** Step 6: what the status says about the add-on. */
  recordAddon(pass: Pass, addon: Addon): void {
    pass.status.addon = addon.id;
    pass.status.addonId = addon.id;
    pass.status.realId = addon.realId;
    pass.status.region = addon.region;
    pass.status.plan = { id: addon.plan.id, slug: addon.plan.slug, name: addon.plan.name ?? addon.plan.slug };
  }

  /**
   * Step 7: starts or follows a migration; true while one is running. Defaults (cheapest plan, default version)
   * choose what to create; they never migrate an existing add-on (an adopted one, or one whose spec dropped the
   * field): only an explicit spec value does.
   */
  async migrate(pass: Pass, ext: ExternalClient, addon: Addon, target: Target, data: unknown): Promise<boolean> {
    const { def } = this.c;
    const current = await ext.version(addon);
    if (current) pass.status.version = current;
    else if (target.version && !pass.status.version) pass.status.version = target.version;
    const decision = decideMigration({
      recorded: pass.status.migration,
      addonPlanId: addon.plan.id,
      planId: def.plan(data) === undefined ? addon.plan.id : target.plan.id,
      version: def.requestedVersion?.(data) === undefined ? undefined : target.version,
      current,
    });
    return carryOutMigration(pass, ext, addon, decision);
  }

  /** Step 9b: spec.backup and spec.restoreFrom (src/reconcile/backup/); the bad-input cases become InvalidSpec. */
  async backups(
    pass: Pass,
    ext: ExternalClient,
    addon: Addon,
    tools: BackupTools,
    connectionSecret: string,
    ready: boolean,
    spec: CommonSpec,
  ): Promise<BackupStepResult> {
    if (spec.backup || spec.restoreFrom) this.c.watchBackupJobs?.(pass.namespace);
    try {
      return await this.c.kube.backups({
        owner: {
          apiVersion: this.c.apiVersion,
          kind: this.c.def.kind,
          name: pass.name,
          namespace: pass.namespace,
          uid: pass.uid,
        },
        tools,
        defaultImage: this.c.backupImage,
        connectionSecret,
        backup: spec.backup,
        restoreFrom: spec.restoreFrom,
        status: pass.status,
        generation: pass.generation,
        ready,
        now: this.now(),
        platformBackups: () => ext.platformBackups(addon.realId),
        platformIntervalMs: this.c.driftMs,
        objectStore: this.c.backupObjectStore,
        emit: (type, reason, message) => pass.emit(type, reason, message),
        log: (message, fields) => pass.ctx.logger.debug(fields ?? {}, message),
      });
    } catch (err) {
      if (err instanceof BackupSpecError) throw new InvalidSpecError('InvalidSpec', err.field, err.message);
      throw err;
    }
  }

  /** Step 10: Ready, Synced and phase from what the pass learnt; the status written; when to look again. */
  async report(
    pass: Pass,
    facts: { ready: boolean; migrating: boolean; backups: BackupStepResult | undefined; target: Target },
  ): Promise<ReconcileResult> {
    const { ready, migrating, backups, target } = facts;
    const { kind } = this.c.def;
    const restore = backups?.restoreFailed ?? backups?.restoring;
    if (!ready) {
      pass.phase('Provisioning');
      pass.condition('Ready', { status: 'False', reason: 'Provisioning', message: `${kind} add-on is provisioning` });
    } else if (restore) {
      pass.phase(backups?.restoreFailed ? 'Failed' : 'Provisioning');
      pass.condition('Ready', restore);
      if (backups?.restoreFailed) pass.softProblem ??= backups.restoreFailed;
    } else {
      pass.condition('Ready', { status: 'True', reason: 'Available', message: `${kind} add-on is available` });
      pass.phase(migrating ? 'Updating' : 'Ready');
    }
    const version = target.version ? ` version ${target.version}` : '';
    pass.condition(
      'Synced',
      pass.softProblem
        ? { status: 'False', ...pass.softProblem }
        : {
            status: 'True',
            reason: migrating ? 'Migrating' : 'ReconcileSuccess',
            message: migrating ? `migrating to plan ${target.plan.slug}${version}` : 'in sync with Clever Cloud',
          },
    );
    pass.status.observedGeneration = pass.generation;
    await this.writeStatus(pass);
    const requeueAfterMs = !ready || migrating || pass.requeueSoon ? POLL_MS : jitter(this.c.driftMs);
    return { requeueAfterMs: Math.min(requeueAfterMs, backups?.requeueAfterMs ?? requeueAfterMs) };
  }

  /** A failed pass: reported through the FAILURES table, status written, requeued or rethrown. */
  async fail(pass: Pass, err: unknown): Promise<ReconcileResult | void> {
    if (isConflict(err)) throw err;
    // Our own resource vanished mid-pass (its finalizer was just removed, from a stale cache): nothing to do.
    if (isNotFound(err) && !(await this.c.kube.get(this.ref(pass)))) return;
    const plan = planFailure(err, {
      hasAddon: Boolean(pass.status.addonId),
      credentialsSource: pass.credentialsSource,
      organisation: pass.spec?.organisation,
    });
    pass.condition('Synced', { status: 'False', reason: plan.reason, message: plan.message });
    if (plan.event) pass.warnOnce(plan.event, plan.reason, plan.message);
    if (plan.failed) pass.phase('Failed');
    if (plan.keepSecret) await keepLastBoundSecret(this.c, pass, plan.keepSecret);
    const logger = pass.ctx.logger;
    logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'reconcile did not complete');
    try {
      await this.writeStatus(pass);
    } catch (statusErr) {
      logger.debug({ err: String(statusErr) }, 'could not record the failure in status');
    }
    if (plan.requeue === 'rethrow') throw err;
    return this.requeue(plan.requeue);
  }

  private requeue(requeue: Exclude<Requeue, 'rethrow'>): ReconcileResult {
    if (requeue === 'backoff') return { requeue: true };
    if (requeue === 'drift') return { requeueAfterMs: jitter(this.c.driftMs) };
    return { requeueAfterMs: requeue.afterMs };
  }

  private async clearIntent(pass: Pass): Promise<void> {
    if (!pass.annotation(ANNOTATIONS.createPending)) return;
    pass.res = await this.c.kube.patch(this.ref(pass), [
      { op: 'remove', path: `/metadata/annotations/${escapePointer(ANNOTATIONS.createPending)}` },
    ]);
  }

  private ref(pass: Pass): ObjectRef {
    return pass.ref(this.c.apiVersion, this.c.def.kind);
  }

  async writeStatus(pass: Pass): Promise<void> {
    if (sameStatus(pass.original, pass.status)) return;
    try {
      await this.c.kube.patchStatus(this.ref(pass), statusPatch(pass.original, pass.status));
    } catch (err) {
      // The resource is gone (deleted while we worked): nothing left to report on.
      if (!isNotFound(err)) throw err;
    }
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

/** A merge patch from `before` to `after`: keys that disappeared are sent as null so they are removed. */
export function statusPatch(before: AddonStatus | undefined, after: AddonStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...after };
  for (const k of Object.keys(before ?? {}))
    if (!(k in after) || (after as Record<string, unknown>)[k] === undefined) patch[k] = null;
  return patch;
}
