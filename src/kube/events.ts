// Kubernetes Events (core/v1) for the objects we reconcile. Identical events (same object, type, reason, message)
// within a window bump `count` and `lastTimestamp` of the existing Event instead of creating a new object: an
// operator retrying every few seconds must not flood etcd (as the upstream Rust operator did).
//
// Messages are shown to anyone who can read Events in the namespace. Callers must never put secret values in them
// (passwords, tokens, connection URIs with credentials); the recorder bounds their length and, as a last line of
// defence, masks what looks like a credential (src/redact.ts).
import { silentLogger, type Logger } from '../log.ts';
import { redactText } from '../redact.ts';
import { KubeClient } from './client.ts';
import { describeError, isNotFound } from './errors.ts';
import type { KubeConfigOrClient } from './objects.ts';
import type { KubeObject, ObjectMeta } from './types.ts';

export type EventType = 'Normal' | 'Warning';

export interface CoreEvent extends KubeObject {
  involvedObject: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: EventType;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  action?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  metadata?: ObjectMeta;
}

/** Cuts a message to `max` characters (the API keeps whole messages; kubectl and UIs do not need more). */
export function truncateMessage(message: string, max: number): string {
  return message.length <= max ? message : `${message.slice(0, Math.max(0, max - 1))}…`;
}

/** metav1.Time: RFC 3339 with second precision. */
export function eventTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  lastSeen: number;
}

export type CorrelatorDecision =
  { action: 'create' } | { action: 'patch'; namespace: string; name: string; count: number };

/**
 * The pure part of de-duplication: remembers Events it created (bounded LRU) and tells whether a new occurrence
 * should create an Event or bump an existing one (last seen within `windowMs`).
 */
export class EventCorrelator {
  private readonly seen = new Map<string, Seen>();
  private readonly windowMs: number;
  private readonly maxEntries: number;

  constructor(options: { windowMs: number; maxEntries: number }) {
    this.windowMs = options.windowMs;
    this.maxEntries = options.maxEntries;
  }

  static key(involved: CoreEvent['involvedObject'], type: EventType, reason: string, message: string): string {
    return JSON.stringify([
      involved.uid ?? `${involved.kind}/${involved.namespace}/${involved.name}`,
      type,
      reason,
      message,
    ]);
  }

  decide(key: string, now: number): CorrelatorDecision {
    const s = this.seen.get(key);
    if (!s || now - s.lastSeen > this.windowMs) return { action: 'create' };
    return { action: 'patch', namespace: s.namespace, name: s.name, count: s.count + 1 };
  }

  /** Records a created or bumped Event (most recently used last, oldest evicted first). */
  remember(key: string, event: { namespace: string; name: string; count: number }, now: number): void {
    this.seen.delete(key);
    this.seen.set(key, { ...event, lastSeen: now });
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  size(): number {
    return this.seen.size;
  }
}

export interface EventRecorderOptions<R extends string> {
  /** `reportingComponent` and `source.component`, e.g. 'clever-addon-operator'. */
  component: string;
  /** `reportingInstance` and `source.host`, e.g. the pod name. */
  instance?: string;
  /** The reasons this recorder may emit (CamelCase, enumerated by the caller). */
  reasons: readonly R[];
  /** Identical events within this window are merged (default 10 min). */
  dedupWindowMs?: number;
  /** Default 1024 characters. */
  maxMessageLength?: number;
  /** Default 4096 remembered events. */
  maxCacheEntries?: number;
  logger?: Logger;
  now?: () => number;
}

export class EventRecorder<R extends string> {
  private readonly client: KubeClient;
  private readonly component: string;
  private readonly instance: string | undefined;
  private readonly reasons: ReadonlySet<string>;
  private readonly maxMessageLength: number;
  private readonly correlator: EventCorrelator;
  private readonly logger: Logger;
  private readonly now: () => number;
  private sequence = 0;
  /** Per-key chains, so concurrent identical events become one create and patches, not duplicate creates. */
  private readonly pending = new Map<string, Promise<CoreEvent | undefined>>();

  constructor(kc: KubeConfigOrClient, options: EventRecorderOptions<R>) {
    this.client = KubeClient.for(kc);
    this.component = options.component;
    this.instance = options.instance;
    this.reasons = new Set(options.reasons);
    this.maxMessageLength = options.maxMessageLength ?? 1024;
    this.correlator = new EventCorrelator({
      windowMs: options.dedupWindowMs ?? 10 * 60_000,
      maxEntries: options.maxCacheEntries ?? 4096,
    });
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * Records an event about `obj`. Never throws: an Event is informational and must not fail a reconcile; failures
   * are logged. Resolves with the Event as stored (undefined when it could not be written).
   */
  async record(
    obj: KubeObject,
    type: EventType,
    reason: R,
    message: string,
    action?: string,
  ): Promise<CoreEvent | undefined> {
    if (!this.reasons.has(reason)) {
      this.logger.error({ reason }, 'event reason not in the enumerated list; event dropped');
      return undefined;
    }
    const meta = obj.metadata ?? {};
    const involvedObject = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    };
    // Events are readable without access to Secrets: mask anything that looks like a credential, as a last line.
    const text = truncateMessage(redactText(message), this.maxMessageLength);
    const key = EventCorrelator.key(involvedObject, type, reason, text);
    const previous = this.pending.get(key) ?? Promise.resolve(undefined);
    const next = previous.then(() => this.write(key, obj, involvedObject, type, reason, text, action));
    this.pending.set(key, next);
    void next.finally(() => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    });
    return next;
  }

  private async write(
    key: string,
    obj: KubeObject,
    involvedObject: CoreEvent['involvedObject'],
    type: EventType,
    reason: R,
    text: string,
    action: string | undefined,
  ): Promise<CoreEvent | undefined> {
    const meta = obj.metadata ?? {};
    const now = this.now();
    try {
      const decision = this.correlator.decide(key, now);
      if (decision.action === 'patch') {
        try {
          const patched = await this.client.request<CoreEvent>(
            'PATCH',
            `/api/v1/namespaces/${encodeURIComponent(decision.namespace)}/events/${encodeURIComponent(decision.name)}`,
            {
              body: { count: decision.count, lastTimestamp: eventTimestamp(now) },
              contentType: 'application/merge-patch+json',
            },
          );
          this.correlator.remember(key, decision, now);
          return patched;
        } catch (err) {
          // The Event expired (events have a TTL) or was deleted: start a new one.
          if (!isNotFound(err)) throw err;
          this.correlator.forget(key);
        }
      }
      const namespace = meta.namespace || 'default';
      const event: CoreEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        // client-go's naming: <object>.<hex time>; the sequence keeps names unique within one millisecond.
        metadata: {
          name: `${meta.name ?? 'unknown'}.${(now * 1000 + (this.sequence++ % 1000)).toString(16)}`,
          namespace,
        },
        involvedObject,
        reason,
        message: text,
        type,
        count: 1,
        firstTimestamp: eventTimestamp(now),
        lastTimestamp: eventTimestamp(now),
        action,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
      };
      const created = await this.client.request<CoreEvent>(
        'POST',
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
        {
          body: event,
        },
      );
      this.correlator.remember(key, { namespace, name: created.metadata?.name ?? '', count: 1 }, now);
      return created;
    } catch (err) {
      this.logger.warn({ reason, err: describeError(err) }, 'could not record event');
      return undefined;
    }
  }
}
