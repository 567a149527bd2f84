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
  /** Every add-on resource of every kind, from the informer caches. */
  resources: () => Iterable<PricedResource>;
  /** Called with a namespace (or undefined: all) whose resources must be looked at again. */
  requeue: (namespace: string | undefined) => void;
  informer?: { watchTimeoutSeconds?: number; watchdogMs?: number; resyncMs?: number };
  logger: Logger;
}

const round = (n: number) => Math.round(n * 100) / 100;

export class PolicyRuntime implements PolicyGate {
  readonly policies: Informer<AddonPolicy>;
  readonly namespaces: Informer<Namespace>;
  private readonly options: PolicyRuntimeOptions;
  private readonly kube: KubeClient;

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
    for (const p of this.policies.list()) {
      const parsed = parsePolicySpec(p.spec);
      if ('error' in parsed) {
        invalid.set(p.metadata?.name ?? '', parsed.error);
        valid.push({ ...p, spec: { namespaceSelector: p.spec?.namespaceSelector ?? {} } });
      } else valid.push({ ...p, spec: parsed.spec });
    }
    return { valid, invalid };
  }

  labels(namespace: string): Record<string, string> {
    return this.namespaces.get(namespace)?.metadata?.labels ?? {};
  }

  /** Sum of status.monthlyPrice of the namespace's resources, without `exceptUid`. */
  spend(namespace: string, exceptUid?: string): { committed: number; resources: number } {
    let committed = 0;
    let resources = 0;
    for (const r of this.options.resources()) {
      if (r.metadata?.namespace !== namespace || (exceptUid && r.metadata.uid === exceptUid)) continue;
      resources++;
      committed += r.status?.monthlyPrice ?? 0;
    }
    return { committed: round(committed), resources };
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
