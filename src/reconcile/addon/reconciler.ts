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
//   9. bind: render the connection Secret and server-side apply it (bind.ts); Ready waits for a pending restore
//      (the backup controller, ../backup/controller.ts, runs backups and the restore and writes their status)
//  10. status, then requeue for drift with jitter
// What to do at each destructive or billable point is decided in decide.ts; which reads a pass makes, in reads.ts
// (timing decided in decide-observe.ts); the create with its intent in create.ts; the status and finalizer writes in
// status-write.ts; failures are reported by failures.ts.
import type { Addon } from '../../clever/index.ts';
import type { ReconcileContext, ReconcileResult } from '../../kube/controller.ts';
import { describeError, isConflict, isNotFound } from '../../kube/errors.ts';
import { hasFinalizer } from '../../kube/objects.ts';
import type { ObjectRef } from '../../kube/objects.ts';
import { API_GROUP, type ProviderDefinition } from '../../model/provider.ts';
import { jitter } from '../../util/backoff.ts';
import { s3BucketStore, type BucketStore } from '../buckets.ts';
import { InvalidSpecError } from '../catalogue.ts';
import { getCondition } from '../conditions.ts';
import { ANNOTATIONS } from '../names.ts';
import { observe, remember } from './adoption.ts';
import { LIST_LAG_MS, readinessPollDelay } from './decide-observe.ts';
import { bind, keepLastBoundSecret, restartConsumers } from './bind.ts';
import { createdAt, decideReads, envDue, probe, readTimes, secretsOfOurs } from './reads.ts';
import { decideMigration } from './decide.ts';
import { repairDuplicates } from './duplicates.ts';
import type { CleverConnector, ExternalClient } from './external.ts';
import { planFailure, POLL_MS, type Requeue } from './failures.ts';
import { createIfMissing } from './create.ts';
import { finalize } from './finalize.ts';
import { enforcePolicy } from './policy.ts';
import type { PolicyGate } from '../../policy/runtime.ts';
import type { KubeWriter } from './kube.ts';
import { Pass, Stop } from './pass.ts';
import { writeStatus } from './status-write.ts';
import { restoreGate, type RestoreGate } from './restore-gate.ts';
import { syncBuckets } from './storage.ts';
import { guardBound, recordTarget, resolveTarget, type Target } from './target.ts';
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
  /** How often a bound add-on's environment is read again, to notice credentials rotated on Clever's side; 1 h. */
  rotationCheckMs?: number;
  /** How often a Ready add-on's readiness and version are read again; default 3 h. */
  versionCheckMs?: number;
  /** How long a list may leave out an add-on this process knows exists; default 5 s (decideHeldSource). */
  listLagMs?: number;
  now?: () => Date;
  /**
   * Act on spec.secret.rolloutRestart (default false: restarting workloads needs patch on Deployments, StatefulSets,
   * DaemonSets, which the default install does not grant). Off, a resource listing workloads gets Synced False.
   */
  workloadRollouts?: boolean;
  /**
   * Act on spec.backup and spec.restoreFrom (default true; the operator's `run` passes the install's choice: batch
   * CronJobs and Jobs need RBAC the default chart does not grant). Off, a resource using them gets Synced False.
   */
  backups?: boolean;
  /** Opens the S3 API of an object-storage add-on (default: the AWS SDK). */
  bucketStore?: (connection: S3Connection) => BucketStore;
  /** Tenancy policies (src/policy/); none: everything is allowed. */
  policy?: PolicyGate;
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
      memory: { lastWarning: new Map(), lastBound: new Map(), seen: new Map(), reads: new Map(), written: new Map() },
      driftMs: deps.driftIntervalMs ?? 5 * 60_000,
      graceMs: deps.createGraceMs ?? 60_000,
      rotationCheckMs: deps.rotationCheckMs ?? ROTATION_CHECK_MS,
      versionCheckMs: deps.versionCheckMs ?? VERSION_CHECK_MS,
      listLagMs: deps.listLagMs ?? LIST_LAG_MS,
      bucketStore: deps.bucketStore ?? s3BucketStore,
      policy: deps.policy,
      workloadRollouts: deps.workloadRollouts ?? false,
      backups: deps.backups ?? true,
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
    const base = this.latest(cached);
    const pass = new Pass(base, ctx, { now: this.now, events: this.events, memory: this.c.memory });
    try {
      return await this.run(pass);
    } catch (err) {
      if (err instanceof Stop) {
        await writeStatus(this.c, pass);
        return err.result;
      }
      return this.fail(pass, err);
    } finally {
      if (pass.res !== base && pass.uid && !pass.released) this.c.memory.written.set(pass.uid, pass.res);
      const last = lastWarning.get(key);
      if (last && (last.uid !== cached.metadata?.uid || getCondition(pass.status, 'Synced')?.reason !== last.reason))
        lastWarning.delete(key);
    }
  }

  /**
   * The newer of the cached resource and what our last write to it returned: a pass our own write triggered (its
   * watch event) may run before the cache holds that write, and would otherwise redo work from the older copy.
   * Resource versions are compared as the integers the API server issues; anything else trusts the cache.
   */
  private latest(cached: AddonResource): AddonResource {
    const uid = cached.metadata?.uid;
    const written = uid ? this.c.memory.written.get(uid) : undefined;
    if (!uid || !written) return cached;
    if (newerVersion(written.metadata?.resourceVersion, cached.metadata?.resourceVersion)) return written;
    this.c.memory.written.delete(uid);
    return cached;
  }

  /** The steps, in order. */
  async run(pass: Pass): Promise<ReconcileResult> {
    const { def } = this.c;
    // 1. Deleting?
    if (pass.res.metadata?.deletionTimestamp) return finalize(this.c, pass);
    // 2. Finalizer first: no add-on is created or recorded before we are sure to be called on deletion. It goes on
    //    with the create intent (one write), or with the first status write when there is no create. Paused?
    pass.finalizerPending = !hasFinalizer(pass.res, def.finalizer);
    this.stopIfPaused(pass);
    // A deleted or edited Secret goes back first, from its last bound content: no Clever call is needed for it.
    await keepLastBoundSecret(this.c, pass, 'before asking Clever Cloud');
    const data = this.parseSpec(pass);
    const spec = data as CommonSpec;
    // 3. Credentials and owner; an existing add-on is never moved to another owner or region (no Clever call).
    guardBound(this.c, pass, data);
    const ext = await this.connect(pass, spec);
    // 4. Catalogue: plan, region, version; only what the spec asks for anew (a bound, unchanged spec keeps its own).
    const target = await resolveTarget(this.c, pass, ext, data);
    // 4b. Tenancy policy: a refusal stops here, before any Clever write (policy.ts).
    enforcePolicy(this.c.policy, pass, ext, def.kind, target, spec);
    // 5. Observe.
    const observed = await observe(this.c, pass, ext);
    // 6. Create when nothing exists.
    const pending = pass.pendingCreate !== undefined;
    const addon = await createIfMissing(this.c, pass, ext, observed, target, data);
    this.recordAddon(pass, addon);
    // An add-on found by name under a pending intent is this resource's own create, unless a Secret of ours shows it
    // was bound before: then status was lost (edited, restored from a backup) and the add-on may hold data.
    const boundBefore = observed !== undefined && pending && !pass.created && (await secretsOfOurs(this.c, pass, spec));
    recordOrigin(pass, addon, observed, pending && !boundBefore);
    // 6b. A second add-on under this resource's name, from a create whose answer was lost: removed.
    await repairDuplicates(this.c, pass, ext, addon);
    // 7-8. Readiness and version (one read, only when due: decideChecks); then a migration when plan or version
    //      differ; variables and buckets (before the Secret: a consumer that starts on the Secret finds them).
    const checks = decideReads(this.c, pass, addon);
    const ready = checks.probe ? await probe(this.c, pass, ext, addon) : checks.assumeReady;
    const migrating = await this.migrate(pass, ext, addon, target, data, checks.probe);
    if (def.desiredEnv) await syncVariables(pass, ext, addon, def.desiredEnv(data));
    if (def.objectStorage && ready) await syncBuckets(this.c, pass, ext, addon, data);
    // 9. Bind when the environment is due for a read (decideEnvRead); then what the backup controller recorded about
    //    the one-off restore, which Ready waits for.
    const env = await envDue(this.c, pass, addon, spec);
    pass.ctx.logger.debug({ probe: checks.why, env: env.why }, 'reads of this pass');
    if (env.read) {
      await bind(this.c, pass, ext, addon, spec);
      readTimes(this.c, pass).envAt = this.now().getTime();
    } else if (pass.status.secretHash) {
      await restartConsumers(this.c, pass, spec, pass.status.secretHash);
    }
    // Off in this install, a restore never runs: Ready stays held (never Ready without it), and Synced says why.
    if (def.backup && this.c.backups === false) reportBackupsDisabled(pass, spec);
    const backups = def.backup ? restoreGate(pass, spec) : undefined;
    // 10. Status.
    const pollMs = checks.probe ? undefined : checks.requeueAfterMs;
    return this.report(pass, { ready, migrating, backups, target, pollMs });
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
    // Not bound yet, this pass may create: on the credentials as they are now, not as read a moment ago.
    const fresh = pass.status.addonId === undefined;
    const credentials = await this.c.clever.open(pass.namespace, spec.credentialsRef, { fresh });
    pass.credentialsSource = credentials.source;
    const ext = await credentials.connect(spec.organisation ?? pass.status.organisation);
    pass.external = ext;
    pass.status.organisation = ext.owner;
    return ext;
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
  async migrate(
    pass: Pass,
    ext: ExternalClient,
    addon: Addon,
    target: Target,
    data: unknown,
    probed: boolean,
  ): Promise<boolean> {
    const { def } = this.c;
    // The version as read in this pass (the readiness answer, read once per pass), else as status last recorded it.
    const current = probed ? await ext.version(addon) : pass.status.version;
    if (current) pass.status.version = current;
    else if (target.version && !pass.status.version) pass.status.version = target.version;
    const decide = (on: Addon) =>
      decideMigration({
        recorded: pass.status.migration,
        addonPlanId: on.plan.id,
        planId: def.plan(data) === undefined ? on.plan.id : target.plan.id,
        version: def.requestedVersion?.(data) === undefined ? undefined : target.version,
        requested: target.requested.version,
        current,
      });
    let decision = decide(addon);
    if (decision.action === 'migrate' && !pass.freshAddon) {
      // A migration is billable: it is decided on the add-on as Clever says it is now, never on a list that may
      // predate a migration that just ended.
      const fresh = await ext.byId(addon.id);
      if (!fresh) {
        // Gone since the list was taken: the next pass asks for it by id and decideHeld says what follows.
        this.c.memory.seen.delete(pass.uid);
        readTimes(this.c, pass).doubt = true;
        throw new Stop({ requeueAfterMs: POLL_MS });
      }
      remember(this.c, pass, ext, fresh);
      pass.freshAddon = true;
      this.recordAddon(pass, fresh);
      addon = fresh;
      decision = decide(fresh);
    }
    const migrating = await carryOutMigration(pass, ext, addon, decision);
    if (decision.action === 'follow' && !migrating) {
      // Finished: the plan and version it moved to are read now, not left to a list taken before it ended.
      const moved = await ext.byId(addon.id);
      if (moved) {
        remember(this.c, pass, ext, moved);
        this.recordAddon(pass, moved);
      }
      // The version it runs now is read on the next pass (this pass's readiness answer may predate the end); its
      // environment (a new host, port) in this one.
      delete readTimes(this.c, pass).probeAt;
      delete readTimes(this.c, pass).envAt;
      pass.requeueSoon = true;
    }
    return migrating;
  }

  /** Step 10: Ready, Synced and phase from what the pass learnt; the status written; when to look again. */
  async report(
    pass: Pass,
    facts: {
      ready: boolean;
      migrating: boolean;
      backups: RestoreGate | undefined;
      target: Target;
      /** When to poll readiness again, when this pass did not read it (decideChecks). */
      pollMs: number | undefined;
    },
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
      pass.status.firstReadyTime ??= this.now().toISOString();
    }
    if (backups?.restoreRefused) pass.softProblem ??= backups.restoreRefused;
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
    recordTarget(pass, target);
    await writeStatus(this.c, pass);
    const provisioning = facts.pollMs ?? readinessPollDelay(createdAt(pass), this.now().getTime());
    // A running migration is followed at the poll period, ready or not; provisioning backs off; else the drift check.
    const requeueAfterMs = migrating || pass.requeueSoon ? POLL_MS : !ready ? provisioning : jitter(this.c.driftMs);
    return { requeueAfterMs: Math.min(requeueAfterMs, backups?.requeueAfterMs ?? requeueAfterMs) };
  }

  /** A failed pass: reported through the FAILURES table, status written, requeued or rethrown. */
  async fail(pass: Pass, err: unknown): Promise<ReconcileResult | void> {
    if (isConflict(err)) {
      // An add-on created in this pass is recorded before the pass ends, conflict or not (writeStatus retries on a
      // fresh copy): the intent would find it again, but only after the list catches up.
      if (pass.created) await writeStatus(this.c, pass).catch(() => undefined);
      throw err;
    }
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
    if (plan.keepSecret) await keepLastBoundSecret(this.c, pass, { while: plan.keepSecret });
    const logger = pass.ctx.logger;
    logger.debug({ err: describeError(err) }, 'reconcile did not complete');
    try {
      await writeStatus(this.c, pass);
    } catch (statusErr) {
      logger.debug({ err: describeError(statusErr) }, 'could not record the failure in status');
    }
    if (plan.requeue === 'rethrow') throw err;
    return this.requeue(plan.requeue);
  }

  private requeue(requeue: Exclude<Requeue, 'rethrow'>): ReconcileResult {
    if (requeue === 'backoff') return { requeue: true };
    if (requeue === 'drift') return { requeueAfterMs: jitter(this.c.driftMs) };
    return { requeueAfterMs: requeue.afterMs };
  }

  private ref(pass: Pass): ObjectRef {
    return pass.ref(this.c.apiVersion, this.c.def.kind);
  }
}

/** Credentials rotated on Clever's side show in a Secret within this time. */
export const ROTATION_CHECK_MS = 3600_000;
/** A Ready add-on's readiness and version are read again this often (a version changes through a migration). */
export const VERSION_CHECK_MS = 3 * 3600_000;

/**
 * Step 6: how this resource came to hold `addon`, recorded once (status.origin): Created by this resource (also
 * when a create of ours whose answer was lost is found by name), Adopted through the annotation, else Found.
 */
function recordOrigin(pass: Pass, addon: Addon, observed: Addon | undefined, pendingCreate: boolean): void {
  const held = pass.original?.addonId === addon.id;
  if (held && pass.status.origin) return;
  if (!observed) pass.status.origin = 'Created';
  else if (pass.annotation(ANNOTATIONS.addonId) === addon.id) pass.status.origin = 'Adopted';
  // Held since before origins were recorded: unknown, and a restore treats it as not new.
  else if (held) return;
  else pass.status.origin = pendingCreate ? 'Created' : 'Found';
}

/** Whether resource version `a` is newer than `b`, when both are the integers the API server issues. */
export function newerVersion(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

/** spec.backup or spec.restoreFrom in an install without backups: not a silent no-op (as for rollouts). */
function reportBackupsDisabled(pass: Pass, spec: CommonSpec): void {
  const fields = [spec.backup ? 'spec.backup' : '', spec.restoreFrom ? 'spec.restoreFrom' : ''].filter(Boolean);
  if (fields.length === 0) return;
  const message =
    `${fields.join(' and ')} ${fields.length > 1 ? 'are' : 'is'} set but backups are disabled in this installation ` +
    '(chart rbac.backups=false, operator --backups false): no CronJob or restore Job is made';
  pass.softProblem ??= { reason: 'BackupsDisabled', message };
  pass.warnOnce('BackupsDisabled', 'BackupsDisabled', message);
}
