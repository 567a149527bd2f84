// The policies at run time: AddonPolicy objects and Namespaces (for their labels) from informers, the operator's
// mode, and the committed spend of each namespace read from the add-on informer caches. `decide` is what the
// reconciler asks (src/reconcile/addon/policy.ts); `writeStatus` records each policy's selected namespaces and their
// spend against the budget.
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/informer.ts';
import { mergePatch } from '../kube/objects.ts';
import type { KubeObject } from '../kube/types.ts';
import type { Logger } from '../log.ts';
import { budgetOf, evaluate, selecting } from './evaluate.ts';
import { parsePolicySpec } from './schema.ts';
import {
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  type AddonPolicy,
  type AddonPolicyStatus,
  type NamespaceSpend,
  type PolicyDecision,
  type PolicyMode,
  type PolicyRequest,
} from './types.ts';

/** An add-on resource as the spend sees it. */
export interface PricedResource {
  metadata?: { namespace?: string; uid?: string };
  status?: { monthlyPrice?: number };
}

/** What the reconciler needs: a decision for one resource's request. */
export interface PolicyGate {
  decide(namespace: string, uid: string, request: PolicyRequest): PolicyDecision;
}

type Namespace = KubeObject;

export interface PolicyRuntimeOptions {
  mode: PolicyMode;
  /** Called with a namespace (or undefined: all) whose resources must be looked at again. */
  requeue: (namespace: string | undefined) => void;
  informer?: { watchTimeoutSeconds?: number; watchdogMs?: number; resyncMs?: number };
  logger: Logger;
}

const round = (n: number) => Math.round(n * 100) / 100;
/** Prices are summed in millionths, as integers: adding and removing them in any order leaves no float residue. */
const MICROS = 1_000_000;

/**
 * The committed spend of every namespace, kept up to date from the add-on informers' events (`set` on add and
 * update, `delete` on delete) instead of summed over every cached resource at each decision: a decision costs O(1)
 * whatever the number of add-ons (it used to be O(N), with N the add-ons of every kind in every namespace).
 */
export class SpendIndex {
  private readonly entries = new Map<string, { namespace: string; uid: string | undefined; micros: number }>();
  private readonly keyByUid = new Map<string, string>();
  private readonly totals = new Map<string, { micros: number; resources: number }>();

  /** Records a resource (its latest version) under `key`, unique across kinds (e.g. `Kind/namespace/name`). */
  set(key: string, resource: PricedResource): void {
    this.delete(key);
    const namespace = resource.metadata?.namespace;
    if (namespace === undefined) return;
    const price = resource.status?.monthlyPrice ?? 0;
    const micros = Number.isFinite(price) ? Math.round(price * MICROS) : 0;
    const uid = resource.metadata?.uid;
    this.entries.set(key, { namespace, uid, micros });
    if (uid) this.keyByUid.set(uid, key);
    const total = this.totals.get(namespace) ?? { micros: 0, resources: 0 };
    total.micros += micros;
    total.resources++;
    this.totals.set(namespace, total);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (entry.uid && this.keyByUid.get(entry.uid) === key) this.keyByUid.delete(entry.uid);
    const total = this.totals.get(entry.namespace);
    if (!total) return;
    total.micros -= entry.micros;
    total.resources--;
    if (total.resources === 0) this.totals.delete(entry.namespace);
  }

  /** Sum of status.monthlyPrice of the namespace's resources, without the one whose uid is `exceptUid`. */
  spend(namespace: string, exceptUid?: string): { committed: number; resources: number } {
    const total = this.totals.get(namespace);
    let micros = total?.micros ?? 0;
    let resources = total?.resources ?? 0;
    const key = exceptUid ? this.keyByUid.get(exceptUid) : undefined;
    const except = key ? this.entries.get(key) : undefined;
    if (except && except.namespace === namespace) {
      micros -= except.micros;
      resources--;
    }
    return { committed: round(micros / MICROS), resources };
  }
}

function spendKey(kind: string, resource: { metadata?: { namespace?: string; name?: string } }): string {
  return `${kind}/${resource.metadata?.namespace ?? ''}/${resource.metadata?.name ?? ''}`;
}

export class PolicyRuntime implements PolicyGate {
  readonly policies: Informer<AddonPolicy>;
  readonly namespaces: Informer<Namespace>;
  /** Fed by the Manager from every add-on informer (track/untrack). */
  readonly spending = new SpendIndex();
  private readonly options: PolicyRuntimeOptions;
  private readonly kube: KubeClient;
  /** Parsed policy specs by uid, reused while the policy's resourceVersion is the same (parsing is per decision). */
  private readonly parsed = new Map<string, { resourceVersion: string; result: ReturnType<typeof parsePolicySpec> }>();

  constructor(kube: KubeClient, options: PolicyRuntimeOptions) {
    this.kube = kube;
    this.options = options;
    const informer = { ...options.informer, logger: options.logger };
    this.policies = Informer.forResource<AddonPolicy>(
      kube,
      { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL },
      informer,
    );
    this.namespaces = Informer.forResource<Namespace>(
      kube,
      { group: '', version: 'v1', plural: 'namespaces' },
      informer,
    );
    // A policy change may allow or refuse anything: every resource is looked at again. A namespace's labels decide
    // which policies select it: only its own resources.
    const all = () => {
      if (this.policies.hasSynced()) options.requeue(undefined);
    };
    this.policies
      .onAdd(all)
      .onUpdate((a, b) => {
        if (a.metadata?.generation !== b.metadata?.generation) all();
      })
      .onDelete(all);
    this.namespaces.onUpdate((a, b) => {
      if (JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}))
        options.requeue(b.metadata?.name);
    });
  }

  get mode(): PolicyMode {
    return this.options.mode;
  }

  informers(): Informer<KubeObject>[] {
    return [this.policies, this.namespaces] as Informer<KubeObject>[];
  }

  /** Policies whose spec reads, and the names of those that do not (with why): those refuse what they select. */
  private read(): { valid: AddonPolicy[]; invalid: Map<string, string> } {
    const valid: AddonPolicy[] = [];
    const invalid = new Map<string, string>();
    const live = new Set<string>();
    for (const p of this.policies.list()) {
      const parsed = this.parse(p);
      if (p.metadata?.uid) live.add(p.metadata.uid);
      if ('error' in parsed) {
        invalid.set(p.metadata?.name ?? '', parsed.error);
        valid.push({ ...p, spec: { namespaceSelector: p.spec?.namespaceSelector ?? {} } });
      } else valid.push({ ...p, spec: parsed.spec });
    }
    for (const uid of this.parsed.keys()) if (!live.has(uid)) this.parsed.delete(uid);
    return { valid, invalid };
  }

  private parse(p: AddonPolicy): ReturnType<typeof parsePolicySpec> {
    const uid = p.metadata?.uid;
    const resourceVersion = p.metadata?.resourceVersion;
    if (!uid || !resourceVersion) return parsePolicySpec(p.spec);
    const cached = this.parsed.get(uid);
    if (cached?.resourceVersion === resourceVersion) return cached.result;
    const result = parsePolicySpec(p.spec);
    this.parsed.set(uid, { resourceVersion, result });
    return result;
  }

  /** An add-on resource was added or changed (its kind keeps equal names of two kinds apart). */
  track(kind: string, resource: PricedResource & { metadata?: { name?: string } }): void {
    this.spending.set(spendKey(kind, resource), resource);
  }

  untrack(kind: string, resource: PricedResource & { metadata?: { name?: string } }): void {
    this.spending.delete(spendKey(kind, resource));
  }

  labels(namespace: string): Record<string, string> {
    return this.namespaces.get(namespace)?.metadata?.labels ?? {};
  }

  /** Sum of status.monthlyPrice of the namespace's resources, without `exceptUid`. O(1): see SpendIndex. */
  spend(namespace: string, exceptUid?: string): { committed: number; resources: number } {
    return this.spending.spend(namespace, exceptUid);
  }

  decide(namespace: string, uid: string, request: PolicyRequest): PolicyDecision {
    const { valid, invalid } = this.read();
    const namespaceSpend = this.spend(namespace, uid).committed;
    return evaluate(
      valid,
      this.labels(namespace),
      { ...request, namespaceSpend },
      { mode: this.options.mode, invalid },
    );
  }

  /** The status each policy should have: its selected namespaces, their spend and budget. */
  statuses(): Map<string, AddonPolicyStatus> {
    const { valid, invalid } = this.read();
    const out = new Map<string, AddonPolicyStatus>();
    const namespaces = this.namespaces
      .list()
      .map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }));
    for (const p of valid) {
      const name = p.metadata?.name ?? '';
      const selected: NamespaceSpend[] = namespaces
        .filter((n) => selecting([p], n.labels).length > 0)
        .map((n) => {
          const budget = budgetOf(valid, n.labels);
          return { namespace: n.name, ...this.spend(n.name), ...(budget !== undefined ? { budget } : {}) };
        })
        .sort((a, b) => a.namespace.localeCompare(b.namespace));
      const problem = invalid.get(name);
      const previous = this.policies.get(name)?.status?.conditions?.find((c) => c.type === 'Valid');
      const status = problem ? 'False' : 'True';
      out.set(name, {
        observedGeneration: p.metadata?.generation,
        selectedNamespaces: selected.length,
        namespaces: selected,
        conditions: [
          {
            type: 'Valid',
            status,
            reason: problem ? 'InvalidSpec' : 'Valid',
            message: problem ?? 'the spec was read',
            lastTransitionTime:
              previous?.status === status
                ? previous.lastTransitionTime
                : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      });
    }
    return out;
  }

  /** Writes the statuses that changed (leader only). */
  async writeStatus(): Promise<void> {
    for (const [name, status] of this.statuses()) {
      const current = this.policies.get(name)?.status;
      if (JSON.stringify(current ?? {}) === JSON.stringify(status)) continue;
      try {
        await mergePatch(
          this.kube,
          { apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`, kind: POLICY_KIND, name },
          { status: { ...status, namespaces: status.namespaces ?? [] } },
          { subresource: 'status', fieldManager: 'clever-addon-operator' },
        );
      } catch (err) {
        this.options.logger.debug({ policy: name, err: String(err) }, 'could not write the policy status');
      }
    }
  }
}
