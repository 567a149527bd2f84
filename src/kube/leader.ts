// Leader election on a coordination.k8s.io/v1 Lease, following client-go's protocol so it interoperates with Go
// candidates and tools: a candidate acquires a free lease or one whose record has not changed for
// leaseDurationSeconds (measured on the local clock since it was last observed to change, which makes the protocol
// immune to clock skew between nodes); the leader renews every retryPeriod and steps down if it could not renew
// for renewDeadline (< leaseDuration, so it stops before anyone else may start). Every write carries the
// resourceVersion that was read, so two candidates can never both win a round.
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../log.ts';
import { KubeClient } from './client.ts';
import { describeError, isConflict, isNotFound } from './errors.ts';
import { leaderElectionGauge } from './metrics.ts';
import type { KubeConfigOrClient } from './objects.ts';
import type { KubeObject } from './types.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export type LeaseDecision = 'acquire' | 'renew' | 'standby';

/**
 * What a candidate may do with a lease record (client-go tryAcquireOrRenew): renew its own; acquire a free one
 * (no holder: never held, or released); acquire one whose record it has seen unchanged for the record's own
 * leaseDurationSeconds (`observedAt` = local time the record was last seen to change); otherwise stand by.
 */
export function decideLease(
  spec: LeaseSpec | undefined,
  identity: string,
  now: number,
  observedAt: number,
): LeaseDecision {
  const holder = spec?.holderIdentity ?? '';
  if (holder === '') return 'acquire';
  if (holder === identity) return 'renew';
  const durationMs = (spec?.leaseDurationSeconds ?? 0) * 1000;
  return observedAt + durationMs <= now ? 'acquire' : 'standby';
}

/** The record a candidate writes when it acquires or renews (transitions count changes of holder). */
export function nextLeaseSpec(
  old: LeaseSpec | undefined,
  identity: string,
  now: number,
  leaseDurationSeconds: number,
): LeaseSpec {
  const renewing = old?.holderIdentity === identity;
  const transitions = old?.leaseTransitions ?? 0;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing && old?.acquireTime ? old.acquireTime : microTime(now),
    renewTime: microTime(now),
    leaseTransitions: renewing || old === undefined ? transitions : transitions + 1,
  };
}

/** The record a leader writes on release: no holder, 1 s duration, so a standby takes over at its next retry. */
export function releasedLeaseSpec(old: LeaseSpec | undefined, now: number): LeaseSpec {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: microTime(now),
    renewTime: microTime(now),
    leaseTransitions: old?.leaseTransitions ?? 0,
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaderElectorOptions {
  namespace: string;
  /** Lease name (also the metric label). */
  name: string;
  /** Unique per process, e.g. the pod name plus a random suffix. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called once this process holds the lease: start the controllers. */
  onStartedLeading?: () => void;
  /**
   * Called when leadership is lost (renewal failed for renewDeadline, or another holder seen). The process must
   * stop reconciling at once; exiting is the simplest correct reaction. Not called on stop()/release().
   */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this process). */
  onNewLeader?: (identity: string) => void;
  registry?: Registry;
  logger?: Logger;
  random?: () => number;
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly options: LeaderElectorOptions;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly gauge: ReturnType<typeof leaderElectionGauge>;

  private leading = false;
  private observedKey = '';
  private observedAt = 0;
  private observedHolder = '';
  private stopController = new AbortController();
  private running: Promise<void> | undefined;

  constructor(kc: KubeConfigOrClient, options: LeaderElectorOptions) {
    this.client = KubeClient.for(kc);
    this.options = options;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
    this.random = options.random ?? Math.random;
    this.logger = (options.logger ?? silentLogger).child({ lease: `${this.namespace}/${this.name}` });
    this.gauge = leaderElectionGauge(options.registry);
    this.gauge.set({ name: this.name }, 0);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen in the lease ('' when none). */
  leader(): string {
    return this.observedHolder;
  }

  /**
   * Campaigns until leading, then renews until leadership is lost or stop()/release() is called. Resolves when the
   * loop ends (it never rejects). Calling it twice returns the same run.
   */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops campaigning/renewing without touching the lease (as a crash would: others wait for expiry). */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
    this.setLeading(false);
  }

  /** Stops and, if this process holds the lease, releases it so a standby takes over within one retry period. */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    await this.stop();
    if (!wasLeading) return;
    try {
      const lease = await this.getLease();
      if (lease?.spec?.holderIdentity !== this.identity) return;
      await this.putLease(lease, releasedLeaseSpec(lease.spec, Date.now()), this.retryPeriodMs * 2);
      this.logger.info('lease released');
    } catch (err) {
      // Not fatal: the lease expires on its own after leaseDuration.
      this.logger.warn({ err: describeError(err) }, 'could not release the lease');
    }
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async loop(): Promise<void> {
    // Campaign: jittered retries (client-go JitterFactor 1.2) so candidates do not collide in lockstep.
    while (!this.stopped) {
      if ((await this.tryAcquireOrRenew(this.retryPeriodMs)) === 'ok') break;
      await this.sleep(this.retryPeriodMs * (1 + this.random() * 1.2));
    }
    if (this.stopped) return;
    this.setLeading(true);
    this.logger.info({ identity: this.identity }, 'became leader');
    this.options.onStartedLeading?.();

    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped) return;
      const remaining = this.renewDeadlineMs - (Date.now() - lastRenew);
      const result = remaining > 0 ? await this.tryAcquireOrRenew(remaining) : 'failed';
      if (this.stopped) return;
      if (result === 'ok') {
        lastRenew = Date.now();
        continue;
      }
      if (result === 'taken' || Date.now() - lastRenew >= this.renewDeadlineMs) {
        this.setLeading(false);
        this.logger.error({ reason: result, lastRenewMsAgo: Date.now() - lastRenew }, 'leadership lost');
        this.options.onStoppedLeading?.();
        return;
      }
    }
  }

  /** One round: 'ok' (we hold it now), 'taken' (another valid holder), 'failed' (error or lost race). */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<'ok' | 'taken' | 'failed'> {
    const now = Date.now();
    const leaseSeconds = Math.ceil(this.leaseDurationMs / 1000);
    try {
      const lease = await this.getLease(timeoutMs);
      if (!lease) {
        const created = await this.client.request<Lease>('POST', this.collectionPath(), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.name, namespace: this.namespace },
            spec: nextLeaseSpec(undefined, this.identity, now, leaseSeconds),
          },
          timeoutMs,
          signal: this.stopController.signal,
        });
        this.observe(this.identity, this.recordKey(created), Date.now());
        return 'ok';
      }
      const decision = decideLease(lease.spec, this.identity, Date.now(), this.observedAt);
      if (decision === 'standby') return 'taken';
      const updated = await this.putLease(
        lease,
        nextLeaseSpec(lease.spec, this.identity, now, leaseSeconds),
        timeoutMs,
      );
      this.observe(this.identity, this.recordKey(updated), Date.now());
      return 'ok';
    } catch (err) {
      // 409: another candidate wrote between our read and write; it won this round.
      if (!isConflict(err) && !this.stopped) this.logger.warn({ err: describeError(err) }, 'lease round failed');
      return 'failed';
    }
  }

  private async getLease(timeoutMs = this.retryPeriodMs): Promise<Lease | undefined> {
    try {
      const lease = await this.client.request<Lease>('GET', `${this.collectionPath()}/${this.name}`, {
        timeoutMs,
        signal: this.stopController.signal.aborted ? undefined : this.stopController.signal,
      });
      this.observe(lease.spec?.holderIdentity ?? '', this.recordKey(lease), Date.now());
      return lease;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private putLease(lease: Lease, spec: LeaseSpec, timeoutMs: number): Promise<Lease> {
    return this.client.request<Lease>('PUT', `${this.collectionPath()}/${this.name}`, {
      // resourceVersion from our read: the API server refuses the write (409) if anyone wrote since.
      body: { ...lease, metadata: { ...lease.metadata, managedFields: undefined }, spec },
      timeoutMs,
    });
  }

  /** The parts of a record whose change proves the holder is alive (client-go compares the whole record). */
  private recordKey(lease: Lease): string {
    const s = lease.spec ?? {};
    return `${s.holderIdentity ?? ''}|${s.renewTime ?? ''}|${s.leaseDurationSeconds ?? ''}|${s.leaseTransitions ?? ''}`;
  }

  private observe(holder: string, key: string, now: number): void {
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = now;
    }
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder !== '') this.options.onNewLeader?.(holder);
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.gauge.set({ name: this.name }, leading ? 1 : 0);
  }

  private collectionPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopController.signal;
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
