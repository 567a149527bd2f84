// The backup controller: spec.backup and spec.restoreFrom as a controller of their own, beside the add-on
// reconciler. It watches the kinds whose provider declares backup tools, and their Jobs and CronJobs (an owned
// object's change queues its owner). Per pass: the CronJob, the retention sweep, status.backup and the BackupHealthy
// condition, the platform backups summary, and the one-off restore Job.
//
// Status is shared with the add-on reconciler without fighting: this controller owns status.backup,
// status.restore, status.platformBackups and the BackupHealthy condition, and writes only those, by server-side
// apply with its own field manager. status.conditions is a map list keyed by type, so an apply merges per
// condition; the add-on reconciler never writes these fields (see BACKUP_STATUS_FIELDS) and reads status.restore
// to hold Ready back while a restore is pending or failed.
import { applyStatus } from '../../kube/apply.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { ReconcileContext, ReconcileResult } from '../../kube/controller.ts';
import { isNotFound } from '../../kube/errors.ts';
import { getObject, jsonPatch, mergePatch, type ObjectRef } from '../../kube/objects.ts';
import type { KubeObject } from '../../kube/types.ts';
import { API_GROUP, type BackupTools, type ProviderDefinition } from '../../model/provider.ts';
import type { AddonStatus } from '../../model/status.ts';
import { jitter } from '../../util/backoff.ts';
import { getCondition } from '../conditions.ts';
import { ANNOTATIONS } from '../names.ts';
import { BACKUP_FIELD_MANAGER } from './names.ts';
import { reconcileBackups } from './reconcile.ts';
import { BackupSpecError, POLL_MS, backupCondition, type BackupEventReason, type BackupStepInput } from './step.ts';
import type { BackupSpec, ObjectStoreFactory, PlatformBackup, RestoreFromSpec } from './types.ts';

/** The status fields this controller owns; the add-on reconciler leaves them alone. */
export const BACKUP_STATUS_FIELDS = ['backup', 'restore', 'platformBackups'] as const;
export const BACKUP_CONDITION = 'BackupHealthy';

interface BackupResource extends KubeObject {
  spec?: unknown;
  status?: AddonStatus;
}

/** What the controller needs from Clever Cloud: the add-on's own backups (a view only). */
export type PlatformBackupsReader = (
  res: BackupResource,
  spec: { credentialsRef?: { name: string } | undefined; organisation?: string | undefined },
) => Promise<PlatformBackup[]>;

export interface BackupControllerDeps {
  kube: KubeClient;
  definition: ProviderDefinition & { backup: BackupTools };
  /** Informer cache of the resources of this kind. */
  resources: { get(key: string): BackupResource | undefined };
  emit(obj: KubeObject, type: 'Normal' | 'Warning', reason: BackupEventReason, message: string): void;
  platformBackups?: PlatformBackupsReader;
  /** Called for a resource that uses spec.backup or spec.restoreFrom: its namespace's Job watch is needed. */
  watchBackupJobs?: (namespace: string) => void;
  backupImage?: string | undefined;
  objectStore?: ObjectStoreFactory | undefined;
  driftIntervalMs?: number;
  /** How often Clever's own backups of an add-on are read again (default 6 h); the first read is a drift interval after Ready. */
  platformBackupsIntervalMs?: number;
  now?: () => Date;
}

/** Clever's platform backups are daily: reading them every 6 h keeps the view a few hours fresh for 4 calls a day. */
export const PLATFORM_BACKUPS_INTERVAL_MS = 6 * 3600_000;

export class BackupController {
  private readonly deps: BackupControllerDeps;
  private readonly apiVersion: string;
  private readonly now: () => Date;

  constructor(deps: BackupControllerDeps) {
    this.deps = deps;
    this.apiVersion = `${API_GROUP}/${deps.definition.crdVersion}`;
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const cached = this.deps.resources.get(key);
    // Deleting: the add-on reconciler's finalize removes the CronJob; ownerReferences collect the rest.
    if (!cached || cached.metadata?.deletionTimestamp) return;
    if (cached.metadata?.annotations?.[ANNOTATIONS.paused] === 'true') return;
    const def = this.deps.definition;
    const parsed = def.spec.safeParse(cached.spec ?? {});
    // Bad input is the add-on reconciler's to report (Synced=False InvalidSpec).
    if (!parsed.success) return;
    const spec = parsed.data as {
      backup?: BackupSpec;
      restoreFrom?: RestoreFromSpec;
      credentialsRef?: { name: string };
      organisation?: string;
    };
    const uses = Boolean(spec.backup || spec.restoreFrom);
    const cachedView = ownedView(cached.status);
    // Neither used nor left over: nothing to do, not even a read.
    if (!uses && !cachedView.backup && !getCondition(cachedView, BACKUP_CONDITION)) return;
    // Nothing to back up or restore into before the add-on exists and its Secret is bound; recording either queues
    // this resource again (see the manager).
    if (uses && (!cached.status?.addonId || !cached.status.binding?.name)) return;
    const ref = this.ref(cached);
    // The freshest status: the restore record decides whether a Job may run, so no stale cache here.
    const live = await getObject<BackupResource>(this.deps.kube, ref);
    if (!live || live.metadata?.uid !== cached.metadata?.uid || live.metadata?.deletionTimestamp) return;
    const before = live.status ?? {};
    const owned = ownedView(before);
    if (uses) this.deps.watchBackupJobs?.(live.metadata!.namespace!);
    const connectionSecret = before.binding?.name;
    if (uses && (!before.addonId || !connectionSecret)) return { requeueAfterMs: POLL_MS };
    const status: AddonStatus = structuredClone(owned);
    const input: BackupStepInput = {
      kube: this.deps.kube,
      owner: {
        apiVersion: this.apiVersion,
        kind: def.kind,
        name: live.metadata!.name!,
        namespace: live.metadata!.namespace!,
        uid: live.metadata!.uid!,
      },
      tools: def.backup,
      defaultImage: this.deps.backupImage,
      connectionSecret: connectionSecret ?? '',
      backup: spec.backup,
      restoreFrom: spec.restoreFrom,
      status,
      generation: live.metadata?.generation,
      ready: addonAnswers(before),
      origin: before.origin,
      readyOnce: Boolean(before.firstReadyTime) || getCondition(before, 'Ready')?.status === 'True',
      now: this.now(),
      ...(this.deps.platformBackups && before.addonId
        ? { platformBackups: () => this.deps.platformBackups!(live, spec) }
        : {}),
      platformIntervalMs: this.deps.platformBackupsIntervalMs ?? PLATFORM_BACKUPS_INTERVAL_MS,
      firstReadyTime: before.firstReadyTime,
      platformFirstDelayMs: this.deps.driftIntervalMs ?? 5 * 60_000,
      objectStore: this.deps.objectStore,
      emit: (type, reason, message) => this.deps.emit(live, type, reason, message),
      log: (message, fields) => ctx.logger.debug(fields ?? {}, message),
    };
    let requeueAfterMs: number | undefined;
    try {
      requeueAfterMs = (await reconcileBackups(input)).requeueAfterMs;
    } catch (err) {
      if (!(err instanceof BackupSpecError)) throw err;
      // Written as BackupHealthy=False: the CEL rules of the CRD refuse most of these before they are stored.
      backupCondition(input, { status: 'False', reason: 'InvalidSpec', message: err.message });
    }
    await this.writeStatus(ref, before, status);
    return { requeueAfterMs: Math.min(requeueAfterMs ?? Infinity, jitter(this.deps.driftIntervalMs ?? 300_000)) };
  }

  /**
   * Server-side applies the fields this controller owns; fields it owned and no longer sets are dropped by the
   * apply. One written before this controller existed (by the add-on reconciler's merge patches, another manager)
   * is removed explicitly.
   */
  private async writeStatus(ref: ObjectRef, before: AddonStatus, after: AddonStatus): Promise<void> {
    const previous = ownedView(before);
    if (JSON.stringify(previous) === JSON.stringify(after)) return;
    const body = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace },
      status: after,
    };
    let stored: BackupResource;
    try {
      stored = await applyStatus(this.deps.kube, body, BACKUP_FIELD_MANAGER, { force: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const leftovers: Record<string, null> = {};
    for (const k of BACKUP_STATUS_FIELDS)
      if (after[k] === undefined && stored.status?.[k] !== undefined) leftovers[k] = null;
    if (Object.keys(leftovers).length > 0)
      await mergePatch(
        this.deps.kube,
        ref,
        { status: leftovers },
        { subresource: 'status', fieldManager: BACKUP_FIELD_MANAGER },
      );
    const index = stored.status?.conditions?.findIndex((c) => c.type === BACKUP_CONDITION) ?? -1;
    if (!getCondition(after, BACKUP_CONDITION) && index >= 0) {
      await jsonPatch(
        this.deps.kube,
        ref,
        [
          { op: 'test', path: `/status/conditions/${index}/type`, value: BACKUP_CONDITION },
          { op: 'remove', path: `/status/conditions/${index}` },
        ],
        { subresource: 'status', fieldManager: BACKUP_FIELD_MANAGER },
      );
    }
  }

  private ref(res: KubeObject): ObjectRef {
    return {
      apiVersion: this.apiVersion,
      kind: this.deps.definition.kind,
      namespace: res.metadata!.namespace!,
      name: res.metadata!.name!,
    };
  }
}

/** The part of status this controller owns. */
export function ownedView(status: AddonStatus | undefined): AddonStatus {
  const view: AddonStatus = {};
  for (const k of BACKUP_STATUS_FIELDS) if (status?.[k] !== undefined) (view as Record<string, unknown>)[k] = status[k];
  const condition = getCondition(status, BACKUP_CONDITION);
  if (condition) view.conditions = [condition];
  return view;
}

/**
 * The add-on answers its readiness probe: the add-on reconciler reports Ready=True, or holds Ready back for the
 * restore (Restoring, RestoreFailed), which it does only once the probe says the add-on is usable.
 */
export function addonAnswers(status: AddonStatus): boolean {
  const ready = getCondition(status, 'Ready');
  return ready?.status === 'True' || ready?.reason === 'Restoring' || ready?.reason === 'RestoreFailed';
}
