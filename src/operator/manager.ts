// Wires the pieces into a running operator: per kind an informer and a work queue feeding the generic reconciler;
// one label-selected Secret informer per watched namespace (never every Secret of the cluster) that requeues the
// owner of a connection Secret someone edited or deleted; optional Lease leader election. Informers run on every
// replica (warm standby caches); only the leader runs workers.
import { KubeClient } from '../kube/client.ts';
import { runWorkers } from '../kube/controller.ts';
import { EventRecorder } from '../kube/events.ts';
import { Informer } from '../kube/informer.ts';
import { LeaderElector } from '../kube/leader.ts';
import { getObject } from '../kube/objects.ts';
import { registerInformerMetrics } from '../kube/metrics.ts';
import { registerAddonGauge, registerPriceGauge, type CachedAddon } from './metrics.ts';
import { objectKey } from '../kube/types.ts';
import { WorkQueue } from '../kube/workqueue.ts';
import { silentLogger, type Logger } from '../log.ts';
import { API_GROUP, type BackupTools, type ProviderDefinition } from '../model/provider.ts';
import { cleverConnector } from '../reconcile/addon/external.ts';
import { BackupController, type BackupControllerDeps } from '../reconcile/backup/controller.ts';
import { createAddonReconciler, EVENT_REASONS, type AddonResource } from '../reconcile/addon-reconciler.ts';
import { BACKUP_LABELS, BACKUP_OWNER_ANNOTATION, s3ObjectStore, type JobObject } from '../reconcile/backup/index.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../reconcile/names.ts';
import type { SecretObject } from '../reconcile/secret.ts';
import { Sessions } from '../reconcile/sessions.ts';
import { atLanePriority } from '../reconcile/lane-priority.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import { PolicyRuntime } from '../policy/runtime.ts';
import type { ManagerOptions } from './options.ts';
import { changed, trimSecret, worthReconciling } from './cache-filters.ts';

export type { LeaderElectionSettings, ManagerOptions } from './options.ts';

interface KindRuntime {
  definition: ProviderDefinition;
  informers: Informer<AddonResource>[];
  queue: WorkQueue;
}

/** The backup controller of one kind (kinds whose provider declares backup tools). */
interface BackupRuntime {
  queue: WorkQueue;
  controller: BackupController;
}

export class Manager {
  private readonly options: ManagerOptions;
  private readonly logger: Logger;
  private readonly kube: KubeClient;
  private readonly kinds = new Map<string, KindRuntime>();
  private readonly reconcilers = new Map<string, ReturnType<typeof createAddonReconciler>>();
  private readonly secretInformers: Informer<SecretObject>[] = [];
  /** Backup and restore Jobs (our label only): their completion requeues the resource they belong to. */
  private readonly jobInformers: Informer<JobObject>[] = [];
  private readonly jobInformersByNamespace = new Map<string, Informer<JobObject>[]>();
  private readonly backups = new Map<string, BackupRuntime>();
  private elector: LeaderElector | undefined;
  private workers: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private leading = false;
  private stopped = false;
  private readonly policy: PolicyRuntime;
  private policyTimer: NodeJS.Timeout | undefined;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.kube = KubeClient.for(options.kubeConfig);
    const namespaces = options.namespaces && options.namespaces.length > 0 ? options.namespaces : [undefined];
    // One global bucket across every kind's queue: the operator's whole retry rate stays bounded.
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 100 });
    const events = new EventRecorder(this.kube, {
      component: 'clever-addon-operator',
      ...(options.instance ? { instance: options.instance } : {}),
      reasons: EVENT_REASONS,
      logger: this.logger,
    });
    const secretsByKey = new Map<string, Informer<SecretObject>>();
    for (const namespace of namespaces) {
      const informer = Informer.forResource<SecretObject>(
        this.kube,
        {
          group: '',
          version: 'v1',
          plural: 'secrets',
          ...(namespace ? { namespace } : {}),
          labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
        },
        { ...options.informer, logger: this.logger, transform: trimSecret },
      );
      this.secretInformers.push(informer);
      secretsByKey.set(namespace ?? '*', informer);
      const requeueOwner = (secret: SecretObject) => this.requeueOwner(secret);
      informer
        // Secrets found by the start-up list are no change: their owners get a first pass anyway (see firstPass).
        .onAdd((s) => {
          if (informer.hasSynced()) requeueOwner(s);
        })
        .onUpdate((_old, s) => requeueOwner(s))
        .onDelete(requeueOwner);
      if (options.registry) registerInformerMetrics(options.registry, informer);
      // Backups off (the default install grants nothing on batch): no Job or CronJob informer exists at all.
      if (!this.backupsOn()) continue;
      const jobs = Informer.forResource<JobObject>(
        this.kube,
        {
          group: 'batch',
          version: 'v1',
          plural: 'jobs',
          ...(namespace ? { namespace } : {}),
          labelSelector: BACKUP_LABELS.of,
        },
        { ...options.informer, logger: this.logger },
      );
      // The backup CronJobs too: a change to one (its last schedule, an edit) queues its resource's backup pass.
      const cronJobs = Informer.forResource<JobObject>(
        this.kube,
        {
          group: 'batch',
          version: 'v1',
          plural: 'cronjobs',
          ...(namespace ? { namespace } : {}),
          labelSelector: BACKUP_LABELS.of,
        },
        { ...options.informer, logger: this.logger },
      );
      const requeueJobOwner = (job: JobObject) => this.requeueBackupOwner(job);
      for (const informer of [jobs, cronJobs]) {
        informer
          .onAdd(requeueJobOwner)
          .onUpdate((_old, j) => requeueJobOwner(j))
          .onDelete(requeueJobOwner);
        this.jobInformers.push(informer);
      }
      this.jobInformersByNamespace.set(namespace ?? '*', [jobs, cronJobs]);
    }
    const secretCache = {
      get: (key: string) => {
        const ns = key.slice(0, key.indexOf('/'));
        return (secretsByKey.get(ns) ?? secretsByKey.get('*'))?.get(key);
      },
    };
    this.policy = new PolicyRuntime(this.kube, {
      mode: options.policyMode ?? 'open',
      requeue: (namespace) => {
        for (const k of this.kinds.values())
          for (const i of k.informers)
            for (const key of i.keys()) if (!namespace || key.startsWith(`${namespace}/`)) k.queue.add(key);
      },
      ...(options.informer ? { informer: options.informer } : {}),
      logger: this.logger,
    });
    const sessions = new Sessions({
      global: options.global,
      readSecret: (namespace, name) => this.readSecret(namespace, name),
      ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
      logger: this.logger,
    });

    for (const definition of options.providers) {
      const queue = new WorkQueue({
        name: definition.kind.toLowerCase(),
        bucket,
        ...(options.registry ? { registry: options.registry } : {}),
      });
      const informers = namespaces.map((namespace) => {
        const informer = Informer.forResource<AddonResource>(
          this.kube,
          {
            group: API_GROUP,
            version: definition.crdVersion,
            plural: definition.plural,
            ...(namespace ? { namespace } : {}),
          },
          { ...options.informer, logger: this.logger },
        );
        // The policies' spend index first: a pass this event queues must see the resource's price.
        informer
          .onAdd((obj) => this.policy.track(definition.kind, obj))
          .onUpdate((_before, after) => this.policy.track(definition.kind, after))
          .onDelete((obj) => this.policy.untrack(definition.kind, obj));
        informer
          .onAdd((obj) => this.firstPass(queue, obj, informer.size()))
          .onUpdate((before, after) => {
            // The backup controller's record of the restore decides Ready: its change is worth a pass too.
            if (worthReconciling(before, after) || changed(before, after, (s) => s?.restore))
              queue.add(objectKey(after));
          })
          .onDelete((obj) => queue.add(objectKey(obj)));
        if (options.registry) registerInformerMetrics(options.registry, informer);
        return informer;
      });
      const resources = {
        get: (key: string) => {
          for (const i of informers) {
            const found = i.get(key);
            if (found) return found;
          }
          return undefined;
        },
        list: () => informers.flatMap((i) => i.list()),
      };
      const reconcile = createAddonReconciler({
        kube: this.kube,
        definition,
        resources,
        secrets: secretCache,
        sessions,
        events: { emit: (obj, type, reason, message) => void events.record(obj, type, reason, message) },
        ...(options.driftIntervalMs !== undefined ? { driftIntervalMs: options.driftIntervalMs } : {}),
        ...(options.createGraceMs !== undefined ? { createGraceMs: options.createGraceMs } : {}),
        ...(options.rotationCheckMs !== undefined ? { rotationCheckMs: options.rotationCheckMs } : {}),
        ...(options.versionCheckMs !== undefined ? { versionCheckMs: options.versionCheckMs } : {}),
        ...(options.listLagMs !== undefined ? { listLagMs: options.listLagMs } : {}),
        policy: this.policy,
        workloadRollouts: options.workloadRollouts ?? false,
        backups: this.backupsOn(),
      });
      this.kinds.set(definition.kind, { definition, informers, queue });
      this.reconcilers.set(definition.kind, reconcile);
      if (definition.backup && this.backupsOn())
        this.addBackupController(
          { ...definition, backup: definition.backup },
          informers,
          resources,
          sessions,
          (obj, type, reason, message) => void events.record(obj, type, reason, message),
          bucket,
        );
    }
    if (options.registry) registerAddonGauge(options.registry, () => this.cachedAddons());
    if (options.registry) registerPriceGauge(options.registry, () => this.cachedAddons());
  }

  /** Whether spec.backup and spec.restoreFrom are acted on (batch CronJobs and Jobs; see ManagerOptions.backups). */
  private backupsOn(): boolean {
    return this.options.backups ?? false;
  }

  /** Every add-on resource in the caches, with its kind (read at scrape time by the clever_addons gauge). */
  cachedAddons(): CachedAddon[] {
    return [...this.kinds.values()].flatMap((k) =>
      k.informers.flatMap((i) => i.list().map((resource) => ({ kind: k.definition.kind, resource }))),
    );
  }

  /** Reads a Secret directly (credentials are not labelled by us, so not cached: never a cluster-wide watch). */
  private async readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const secret = await getObject<SecretObject>(this.kube, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    if (!secret) return undefined;
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
    return data;
  }

  /**
   * Queues a resource the informer just found. One already Ready and Synced for its generation waits a random delay
   * spread over about the time passes over all of them take under the Clever rate limit (250 ms each, at most the
   * drift interval): after a restart, new, changed and deleting resources go first instead of waiting behind
   * hundreds of drift checks (measured in docs/benchmarks.md).
   */
  private firstPass(queue: WorkQueue, obj: AddonResource | undefined, population: number): void {
    if (!obj) return;
    const key = objectKey(obj);
    const conditions = obj.status?.conditions ?? [];
    const settled =
      !obj.metadata?.deletionTimestamp &&
      obj.status?.observedGeneration === obj.metadata?.generation &&
      ['Ready', 'Synced'].every((t) => conditions.some((c) => c.type === t && c.status === 'True'));
    if (!settled) {
      queue.add(key);
      return;
    }
    const windowMs = Math.min(this.options.driftIntervalMs ?? 300_000, population * 250);
    queue.addAfter(key, Math.floor(Math.random() * windowMs));
  }

  /**
   * Starts the Job watch of a namespace the first time a resource there uses spec.backup or spec.restoreFrom:
   * clusters that use no backups need no RBAC on batch Jobs. It is a trigger only (reconciles list Jobs
   * uncached), so readiness never waits for it.
   */
  private watchBackupJobs(namespace: string): void {
    if (this.stopped) return;
    for (const informer of this.jobInformersByNamespace.get(namespace) ?? this.jobInformersByNamespace.get('*') ?? [])
      informer.start();
  }

  /** The backup controller of a kind: its own queue, fed by the kind's informers and by our Jobs and CronJobs. */
  private addBackupController(
    definition: ProviderDefinition & { backup: BackupTools },
    informers: Informer<AddonResource>[],
    resources: { get(key: string): AddonResource | undefined },
    sessions: Sessions,
    emit: BackupControllerDeps['emit'],
    bucket: TokenBucket,
  ): void {
    const options = this.options;
    const queue = new WorkQueue({
      name: `${definition.kind.toLowerCase()}-backup`,
      bucket,
      ...(options.registry ? { registry: options.registry } : {}),
    });
    const clever = cleverConnector(sessions, definition);
    const controller = new BackupController({
      kube: this.kube,
      definition,
      resources,
      emit,
      platformBackups: async (res, spec) => {
        const credentials = await clever.open(res.metadata!.namespace!, spec.credentialsRef);
        const ext = await credentials.connect(spec.organisation ?? res.status?.organisation);
        return ext.platformBackups(res.status!.realId!);
      },
      watchBackupJobs: (namespace) => this.watchBackupJobs(namespace),
      backupImage: options.backupImage,
      objectStore: options.backupObjectStore ?? s3ObjectStore,
      ...(options.driftIntervalMs !== undefined ? { driftIntervalMs: options.driftIntervalMs } : {}),
    });
    for (const informer of informers) {
      informer
        .onAdd((obj) => {
          if (obj) queue.add(objectKey(obj));
        })
        // What the add-on reconciler records (the add-on, its Secret, readiness) is what a backup pass waits for;
        // this controller's own status writes are not.
        .onUpdate((before, after) => {
          if (
            worthReconciling(before, after) ||
            changed(before, after, (s) => [s?.addonId, s?.binding, s?.origin, s?.firstReadyTime]) ||
            changed(before, after, (s) => s?.conditions?.find((c) => c.type === 'Ready')?.reason)
          )
            queue.add(objectKey(after));
        });
    }
    this.backups.set(definition.kind, { queue, controller });
  }

  /** Jobs made by a backup CronJob are owned by the CronJob: the resource is named by our label and annotation. */
  private requeueBackupOwner(job: JobObject): void {
    const meta = job.metadata;
    const kind = meta?.labels?.[BACKUP_LABELS.kind];
    const name = meta?.annotations?.[BACKUP_OWNER_ANNOTATION] ?? meta?.labels?.[BACKUP_LABELS.of];
    if (!kind || !name || !meta?.namespace) return;
    this.backups.get(kind)?.queue.add(`${meta.namespace}/${name}`);
  }

  private requeueOwner(secret: SecretObject): void {
    const owner = secret.metadata?.ownerReferences?.find(
      (o) => o.controller && o.apiVersion.startsWith(`${API_GROUP}/`),
    );
    if (!owner || !secret.metadata?.namespace) return;
    this.kinds.get(owner.kind)?.queue.add(`${secret.metadata.namespace}/${owner.name}`);
  }

  /** Informers synced: the readiness probe's condition. */
  ready(): boolean {
    return [
      ...this.secretInformers,
      ...this.policy.informers(),
      ...[...this.kinds.values()].flatMap((k) => k.informers),
    ].every((i) => i.hasSynced());
  }

  /** The start time of the oldest reconcile still running, across kinds (liveness: a stuck loop shows here). */
  oldestInFlightMs(now = Date.now()): number {
    let oldest = 0;
    for (const k of [...this.kinds.values(), ...this.backups.values()])
      for (const t of k.queue.inFlightStartTimes()) oldest = Math.max(oldest, now - t);
    return oldest;
  }

  isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    for (const informer of this.secretInformers) informer.start();
    for (const informer of this.policy.informers()) informer.start();
    for (const kind of this.kinds.values()) for (const informer of kind.informers) informer.start();
    const le = this.options.leaderElection;
    if (!le) {
      await this.waitForSync();
      this.startWorkers();
      return;
    }
    this.elector = new LeaderElector(this.kube, {
      ...le,
      logger: this.logger,
      ...(this.options.registry ? { registry: this.options.registry } : {}),
      onStartedLeading: () => {
        void this.waitForSync().then(() => this.startWorkers());
      },
      onStoppedLeading: () => {
        if (this.stopped) return;
        this.logger.error('lost leadership; stopping');
        this.options.onLostLeadership?.();
      },
    });
    void this.elector.run();
  }

  private async waitForSync(): Promise<void> {
    // Policies first among equals: no worker may decide before every AddonPolicy and namespace label is known.
    await Promise.all(
      [
        ...this.secretInformers,
        ...this.policy.informers(),
        ...[...this.kinds.values()].flatMap((k) => k.informers),
      ].map((i) => i.waitForSync()),
    );
  }

  private startWorkers(): void {
    if (this.stopped || this.leading) return;
    this.leading = true;
    this.logger.info({ kinds: [...this.kinds.keys()], policyMode: this.policy.mode }, 'starting workers');
    // AddonPolicy statuses (selected namespaces, committed spend): written by the leader only.
    this.policyTimer = setInterval(() => void this.policy.writeStatus(), this.options.policyStatusIntervalMs ?? 30_000);
    this.policyTimer.unref();
    for (const [kind, runtime] of this.kinds) {
      // Level-triggered: everything in the cache gets a first pass.
      for (const informer of runtime.informers)
        for (const key of informer.keys()) this.firstPass(runtime.queue, informer.get(key), informer.size());
      this.workers.push(
        runWorkers(runtime.queue, this.options.concurrency ?? 4, this.reconcilers.get(kind)!, {
          name: kind.toLowerCase(),
          ...(this.options.registry ? { registry: this.options.registry } : {}),
          logger: this.logger,
          signal: this.abort.signal,
        }),
      );
    }
    for (const [kind, runtime] of this.backups) {
      for (const informer of this.kinds.get(kind)!.informers) for (const key of informer.keys()) runtime.queue.add(key);
      this.workers.push(
        runWorkers(
          runtime.queue,
          this.options.concurrency ?? 4,
          atLanePriority((key, ctx) => runtime.controller.reconcile(key, ctx)),
          {
            name: `${kind.toLowerCase()}-backup`,
            ...(this.options.registry ? { registry: this.options.registry } : {}),
            logger: this.logger,
            signal: this.abort.signal,
          },
        ),
      );
    }
  }

  /** Graceful stop: no new work, in-flight reconciles finish (up to `deadlineMs`), then the lease is released. */
  async stop(deadlineMs = 30_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.policyTimer);
    const queues = [...this.kinds.values(), ...this.backups.values()].map((k) => k.queue);
    for (const queue of queues) queue.shutdown();
    const drained = Promise.all(queues.map((q) => q.drain()));
    const timer = setTimeout(() => this.abort.abort(), deadlineMs);
    await drained;
    await Promise.all(this.workers);
    clearTimeout(timer);
    for (const informer of this.secretInformers) await informer.stop();
    for (const informer of this.jobInformers) await informer.stop();
    for (const informer of this.policy.informers()) await informer.stop();
    for (const runtime of this.kinds.values()) for (const informer of runtime.informers) await informer.stop();
    await this.elector?.release();
  }
}
