// One pass over one resource: what the steps learn as they go, and the small helpers they share to say it (status,
// conditions, phase). A step ends the pass early by throwing Stop with the result to return.
import type { ReconcileContext, ReconcileResult } from '../../kube/controller.ts';
import type { ObjectRef } from '../../kube/objects.ts';
import { splitKey } from '../../kube/types.ts';
import type { AddonStatus, Phase } from '../../model/status.ts';
import { getCondition, setCondition, type ConditionInput } from '../conditions.ts';
import { ANNOTATIONS } from '../names.ts';
import type { ExternalClient } from './external.ts';
import type { ConditionReason, EventReason, EventType } from './reasons.ts';
import type { AddonResource, CommonSpec, EventSink, Memory } from './types.ts';

/** Thrown by a step to end the pass with this result; the status is written first. */
export class Stop extends Error {
  readonly result: ReconcileResult;
  constructor(result: ReconcileResult) {
    super('stop');
    this.result = result;
  }
}

/** The status fields that name an add-on; dropped together when the add-on is let go of. */
export const ADDON_FIELDS = ['addon', 'addonId', 'realId', 'plan', 'version', 'migration', 'target', 'origin'] as const;

export class Pass {
  res: AddonResource;
  readonly ctx: ReconcileContext;
  /** Mutated by the steps and written once at the end. */
  readonly status: AddonStatus;
  /** The status as the pass found it. */
  readonly original: AddonStatus | undefined;
  readonly namespace: string;
  readonly name: string;
  readonly now: () => Date;
  private readonly events: EventSink;
  private readonly memory: Memory;
  spec: CommonSpec | undefined;
  /** Where the credentials came from, once known (for messages). */
  credentialsSource: string | undefined;
  external: ExternalClient | undefined;
  /** A problem that does not stop the pass but keeps Synced False (e.g. a missing roll-out target). */
  softProblem: { reason: ConditionReason; message: string } | undefined;
  /** Work left for a next pass soon (a bucket's objects being deleted). */
  requeueSoon = false;
  /**
   * The add-on was read from Clever in this pass (created, or read by id), not taken from the shared list or this
   * process's memory: a billable action (a migration) is only ever decided on such a read.
   */
  freshAddon = false;
  /** The add-on was created in this pass. */
  created = false;
  /** The finalizer is not on the resource yet: it goes on with the pass's first write (reconciler.ts, step 2). */
  finalizerPending = false;
  /** The finalizer was removed: the resource is let go, nothing of it is remembered. */
  released = false;

  constructor(
    res: AddonResource,
    ctx: ReconcileContext,
    shared: { now: () => Date; events: EventSink; memory: Memory },
  ) {
    this.res = res;
    this.ctx = ctx;
    this.now = shared.now;
    this.events = shared.events;
    this.memory = shared.memory;
    this.original = res.status;
    this.status = structuredClone(res.status ?? {});
    const { namespace, name } = splitKey(`${res.metadata?.namespace ?? ''}/${res.metadata?.name ?? ''}`);
    this.namespace = namespace ?? '';
    this.name = name;
  }

  get generation(): number | undefined {
    return this.res.metadata?.generation;
  }

  get uid(): string {
    return this.res.metadata?.uid ?? '';
  }

  annotation(key: string): string | undefined {
    return this.res.metadata?.annotations?.[key];
  }

  /**
   * The create-pending annotation, while the create it announces is pending: once status records that create's
   * outcome (status.createdFromIntent holds the same value), the annotation stays but announces nothing.
   */
  get pendingCreate(): string | undefined {
    const value = this.annotation(ANNOTATIONS.createPending);
    return value !== undefined && value !== this.status.createdFromIntent ? value : undefined;
  }

  condition(type: 'Ready' | 'Synced', input: ConditionInput): void {
    this.status.conditions = setCondition(this.status.conditions, type, input, this.generation, this.now());
  }

  phase(phase: Phase): void {
    this.status.phase = phase;
  }

  emit(type: EventType, reason: EventReason, message: string): void {
    this.events.emit(this.res, type, reason, message);
  }

  /** Emits a Warning event only when the Synced condition changes, so a failing resource does not flood etcd. */
  warnOnce(event: EventReason, reason: ConditionReason, message: string): void {
    const previous = getCondition(this.original, 'Synced');
    const key = `${this.namespace}/${this.name}`;
    const memo = { uid: this.uid, reason, message };
    const last = this.memory.lastWarning.get(key);
    const reported = last?.uid === memo.uid && last.reason === memo.reason && last.message === memo.message;
    if (!reported && (previous?.reason !== reason || previous.message !== message))
      this.emit('Warning', event, message);
    this.memory.lastWarning.set(key, memo);
  }

  /** Drops every status field that names an add-on. */
  forgetAddon(): void {
    for (const k of ADDON_FIELDS) delete this.status[k];
  }

  ref(apiVersion: string, kind: string): ObjectRef {
    return { apiVersion, kind, namespace: this.namespace, name: this.name };
  }
}
