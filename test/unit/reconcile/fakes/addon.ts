// Fakes for driving the add-on reconciler without a control plane or Clever Cloud: a Kubernetes writer holding one
// resource and its Secrets, and an external client holding add-ons. Both log every call, in order, to one journal.
import { makeSnapshot } from '../../../../src/reconcile/org-snapshot.ts';
import type { Addon, Migration } from '../../../../src/clever/index.ts';
import { ConflictError } from '../../../../src/kube/errors.ts';
import type { JsonPatchOp, ObjectRef } from '../../../../src/kube/objects.ts';
import type { KubeObject } from '../../../../src/kube/types.ts';
import type { CleverConnector, CreateRequest, ExternalClient } from '../../../../src/reconcile/addon/external.ts';
import type { KubeWriter } from '../../../../src/reconcile/addon/kube.ts';
import type { AddonResource } from '../../../../src/reconcile/addon/types.ts';
import type { SecretObject } from '../../../../src/reconcile/secret.ts';

export type Journal = string[];

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

export class FakeKube implements KubeWriter {
  resource: AddonResource;
  readonly secrets = new Map<string, SecretObject>();
  /**
   * A SIGKILL: once a journal entry matches, the call that wrote it completes and every later write is refused (the
   * process is gone; nothing it still had in memory reaches the API server).
   */
  killAfter: ((entry: string) => boolean) | undefined;
  killed = false;
  private version = 1;

  private readonly journal: Journal;

  constructor(resource: AddonResource, journal: Journal) {
    this.journal = journal;
    this.resource = structuredClone(resource);
    this.resource.metadata = { ...this.resource.metadata, resourceVersion: String(this.version) };
  }

  private record(entry: string): void {
    this.journal.push(entry);
    if (this.killAfter?.(entry)) this.killed = true;
  }

  private bump(): AddonResource {
    this.version += 1;
    this.resource.metadata = { ...this.resource.metadata, resourceVersion: String(this.version) };
    return structuredClone(this.resource);
  }

  ensureFinalizer(res: AddonResource, finalizer: string): Promise<AddonResource> {
    if (this.resource.metadata?.finalizers?.includes(finalizer)) return Promise.resolve(res);
    if (this.killed) return Promise.reject(new Error('the operator process was killed'));
    this.record(`kube.ensureFinalizer ${finalizer}`);
    this.resource.metadata = { ...this.resource.metadata, finalizers: [finalizer] };
    return Promise.resolve(this.bump());
  }

  removeFinalizer(_res: AddonResource, finalizer: string): Promise<void> {
    if (this.killed) return Promise.reject(new Error('the operator process was killed'));
    this.record(`kube.removeFinalizer ${finalizer}`);
    const finalizers = (this.resource.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    this.resource.metadata = { ...this.resource.metadata, finalizers };
    this.bump();
    return Promise.resolve();
  }

  patch(_ref: ObjectRef, ops: JsonPatchOp[]): Promise<AddonResource> {
    if (this.killed) return Promise.reject(new Error('the operator process was killed'));
    const metadata = { ...this.resource.metadata };
    let kill = false;
    for (const op of ops) {
      const entry = `kube.patch ${op.op} ${op.path}`;
      this.journal.push(entry);
      kill ||= this.killAfter?.(entry) ?? false;
      if (op.op === 'test') {
        if (op.path === '/metadata/resourceVersion' && op.value !== metadata.resourceVersion) {
          return Promise.reject(new ConflictError('resourceVersion changed'));
        }
      } else if (op.op === 'add' && op.path === '/metadata/finalizers') {
        metadata.finalizers = op.value as string[];
      } else if (op.op === 'add' && op.path === '/metadata/finalizers/-') {
        metadata.finalizers = [...(metadata.finalizers ?? []), op.value as string];
      } else if (op.op === 'add' && op.path === '/metadata/annotations') {
        metadata.annotations = op.value as Record<string, string>;
      } else if (op.op === 'add' && op.path.startsWith('/metadata/annotations/')) {
        metadata.annotations = { ...metadata.annotations, [unescape(op.path.slice(22))]: op.value as string };
      } else if (op.op === 'remove' && op.path.startsWith('/metadata/annotations/')) {
        const annotations = { ...metadata.annotations };
        delete annotations[unescape(op.path.slice(22))];
        metadata.annotations = annotations;
      } else {
        return Promise.reject(new Error(`fake patch: ${op.op} ${op.path} not supported`));
      }
    }
    this.resource.metadata = metadata;
    if (kill) this.killed = true;
    return Promise.resolve(this.bump());
  }

  /** Status fields the stored schema does not know (a CRD older than the operator): pruned as the API server does. */
  pruneStatus: string[] = [];

  patchStatus(_ref: ObjectRef, status: Record<string, unknown>): Promise<AddonResource> {
    if (this.killed) return Promise.reject(new Error('the operator process was killed'));
    this.record('kube.patchStatus');
    const next: Record<string, unknown> = { ...this.resource.status };
    for (const [k, v] of Object.entries(status)) {
      if (v === null || this.pruneStatus.includes(k)) delete next[k];
      else next[k] = structuredClone(v);
    }
    this.resource.status = next;
    return Promise.resolve(this.bump());
  }

  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    // Only the resource itself lives here: any other kind (a CronJob looked up before a create) does not exist.
    if (ref.kind !== this.resource.kind) return Promise.resolve(undefined);
    return Promise.resolve(structuredClone(this.resource));
  }

  secret(namespace: string, name: string): Promise<SecretObject | undefined> {
    const found = this.secrets.get(`${namespace}/${name}`);
    return Promise.resolve(found ? structuredClone(found) : undefined);
  }

  applySecret(secret: SecretObject): Promise<void> {
    if (this.killed) return Promise.reject(new Error('the operator process was killed'));
    this.journal.push(`kube.applySecret ${secret.metadata?.name}`);
    this.secrets.set(`${secret.metadata?.namespace}/${secret.metadata?.name}`, structuredClone(secret));
    return Promise.resolve();
  }

  deleteSecret(namespace: string, name: string): Promise<void> {
    this.journal.push(`kube.deleteSecret ${name}`);
    this.secrets.delete(`${namespace}/${name}`);
    return Promise.resolve();
  }

  rolloutRestart(_namespace: string, targets: readonly { kind: string; name: string }[]) {
    this.journal.push(`kube.rolloutRestart ${targets.map((t) => `${t.kind}/${t.name}`).join(',')}`);
    return Promise.resolve({ bumped: [], missing: [] });
  }

  deleteBackups() {
    return Promise.resolve();
  }
}

export const PROVIDER = {
  id: 'redis-addon',
  name: 'Redis',
  regions: ['par'],
  plans: [{ id: 'plan_s', name: 'S', slug: 's', price: 1 }],
};

export const ENV = { REDIS_HOST: 'redis.example', REDIS_PORT: '6379', REDIS_PASSWORD: 'pw-not-logged' };

/** Add-ons of one owner. `failCreate` makes the next create fail with that error (after or before committing). */
export class FakeClever implements CleverConnector {
  readonly addons = new Map<string, Addon>();
  /** The next create throws this; with `commit`, the add-on is made anyway (an answer lost on the way back). */
  failCreate: { error: Error; commit: boolean } | undefined;
  /** Every call throws this (an outage). */
  down: Error | undefined;
  /** Opening the credentials throws this (the credentials Secret deleted, or refused). */
  noCredentials: Error | undefined;
  private next = 1;

  private readonly journal: Journal;

  constructor(journal: Journal) {
    this.journal = journal;
  }

  /** Whether each opening asked for the credentials as they are now (`fresh`), in order. */
  readonly opens: boolean[] = [];

  open(namespace: string, _ref?: unknown, options?: { fresh?: boolean }) {
    this.journal.push(`clever.open ${namespace}`);
    this.opens.push(options?.fresh === true);
    if (this.noCredentials) return Promise.reject(this.noCredentials);
    return Promise.resolve({ source: 'the test', connect: () => Promise.resolve(this.client()) });
  }

  add(name: string, id = `addon_${this.next++}`): Addon {
    const addon = {
      id,
      realId: `real_${id}`,
      name,
      region: 'par',
      provider: { id: PROVIDER.id },
      plan: { id: 'plan_s', slug: 's', name: 'S' },
      creationDate: Date.now(),
    } as unknown as Addon;
    this.addons.set(id, addon);
    return addon;
  }

  private call<T>(what: string, answer: () => T): Promise<T> {
    this.journal.push(`clever.${what}`);
    if (this.down) return Promise.reject(this.down);
    return Promise.resolve().then(answer);
  }

  /** What the organisation's list shows instead of the add-ons as they are (a list taken before a change). */
  staleList: Addon[] | undefined;

  client(): ExternalClient {
    return {
      owner: 'orga_test',
      provider: () => this.call('provider', () => PROVIDER as never),
      providerInfo: () => this.call('providerInfo', () => null),
      byId: (id) => this.call(`byId ${id}`, () => this.addons.get(id)),
      byName: (name) =>
        this.call('byName', () => (this.staleList ?? [...this.addons.values()]).find((a) => a.name === name)),
      named: (name) => this.call('named', () => [...this.addons.values()].filter((a) => a.name === name)),
      snapshot: () =>
        this.call('snapshot', () => makeSnapshot(Date.now(), this.staleList ?? [...this.addons.values()])),
      create: (request: CreateRequest) =>
        this.call('create', () => {
          const failure = this.failCreate;
          this.failCreate = undefined;
          if (failure?.commit) this.add(request.name);
          if (failure) throw failure.error;
          return this.add(request.name);
        }),
      delete: (id) => this.call(`delete ${id}`, () => void this.addons.delete(id)),
      migration: () => this.call('migration', () => ({}) as Migration),
      migrate: () => this.call('migrate', () => ({ migration: {} as Migration, joined: false })),
      ready: () => this.call('ready', () => true),
      version: () => this.call('version', () => undefined),
      env: () => this.call('env', () => ({ ...ENV })),
      variables: () => this.call('variables', () => ({})),
      setVariables: () => this.call('setVariables', () => undefined),
      platformBackups: () => this.call('platformBackups', () => []),
    };
  }
}
