// Small typed helpers over the custom resources, Secrets and Events of one test namespace, for scenario tests that
// assert on what the operator wrote to the API server.
import * as k8s from '@kubernetes/client-node';
import { getObject } from '../../src/kube/objects.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import type { AddonStatus, Condition } from '../../src/model/status.ts';
import type { SecretObject } from '../../src/reconcile/secret.ts';
import type { RequestLogEntry } from '../../src/simulator/index.ts';
import { eventually } from './kube.ts';

export const GROUP = 'api.clever-cloud.com';

export interface Resource extends KubeObject {
  spec: Record<string, unknown>;
  status?: AddonStatus;
}

export interface KindRef {
  kind: string;
  plural: string;
}

export const POSTGRESQL: KindRef = { kind: 'PostgreSql', plural: 'postgresqls' };
export const REDIS: KindRef = { kind: 'Redis', plural: 'redis' };
export const CELLAR: KindRef = { kind: 'Cellar', plural: 'cellars' };
export const MYSQL: KindRef = { kind: 'MySql', plural: 'mysqls' };

export function condition(res: Resource | undefined, type: Condition['type']): Condition | undefined {
  return res?.status?.conditions?.find((c) => c.type === type);
}

export function isReady(res: Resource | undefined): boolean {
  return condition(res, 'Ready')?.status === 'True' && condition(res, 'Synced')?.status === 'True';
}

/** Write calls (anything but GET/HEAD) among the simulator's request log entries. */
export function writeCalls(requests: RequestLogEntry[]): RequestLogEntry[] {
  return requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
}

export const CREATE_ROUTE = 'POST /v2/organisations/{ownerId}/addons';

/** CRUD on the custom resources, Secrets and Events of one namespace. */
export function namespaceApi(kc: k8s.KubeConfig, namespace: string) {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const api = {
    namespace,
    async create(
      kind: KindRef,
      name: string,
      spec: Record<string, unknown>,
      annotations?: Record<string, string>,
    ): Promise<Resource> {
      return (await custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural: kind.plural,
        body: {
          apiVersion: `${GROUP}/v1`,
          kind: kind.kind,
          metadata: { name, ...(annotations ? { annotations } : {}) },
          spec,
        },
      })) as Resource;
    },
    async get(kind: KindRef, name: string): Promise<Resource | undefined> {
      return getObject<Resource>(kc, { apiVersion: `${GROUP}/v1`, kind: kind.kind, namespace, name });
    },
    /** JSON merge patch (null removes a key, e.g. an annotation). */
    async patch(kind: KindRef, name: string, body: Record<string, unknown>): Promise<Resource> {
      return (await custom.patchNamespacedCustomObject(
        { group: GROUP, version: 'v1', namespace, plural: kind.plural, name, body },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      )) as Resource;
    },
    async delete(kind: KindRef, name: string): Promise<void> {
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: kind.plural, name });
    },
    async waitGone(kind: KindRef, name: string, timeoutMs = 20_000): Promise<void> {
      await eventually(
        async () => ((await api.get(kind, name)) ? undefined : true),
        timeoutMs,
        `${kind.kind} ${name} gone`,
      );
    },
    /** Waits until `check` holds for the resource and returns it. */
    async waitFor(
      kind: KindRef,
      name: string,
      check: (r: Resource) => boolean,
      what: string,
      timeoutMs = 20_000,
    ): Promise<Resource> {
      let last: Resource | undefined;
      try {
        return await eventually(
          async () => {
            last = await api.get(kind, name);
            return last && check(last) ? last : undefined;
          },
          timeoutMs,
          `${kind.kind} ${name}: ${what}`,
        );
      } catch (err) {
        // Say what the resource looked like at the end: a timeout alone does not tell which step failed.
        const seen = JSON.stringify({ generation: last?.metadata?.generation, status: last?.status });
        throw new Error(`${(err as Error).message}; last seen: ${seen}`, { cause: err });
      }
    },
    waitReady(kind: KindRef, name: string, timeoutMs = 20_000): Promise<Resource> {
      return api.waitFor(
        kind,
        name,
        (r) => isReady(r) && r.status?.observedGeneration === r.metadata?.generation,
        'Ready',
        timeoutMs,
      );
    },
    /** Waits for Synced=False with this reason. */
    waitSyncedFalse(kind: KindRef, name: string, reason: string, timeoutMs = 20_000): Promise<Resource> {
      return api.waitFor(
        kind,
        name,
        (r) => condition(r, 'Synced')?.status === 'False' && condition(r, 'Synced')?.reason === reason,
        `Synced=False reason ${reason}`,
        timeoutMs,
      );
    },
    async secret(name: string): Promise<SecretObject | undefined> {
      return getObject<SecretObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    },
    /** The Secret's data, decoded; undefined when it does not exist. */
    async secretData(name: string): Promise<Record<string, string> | undefined> {
      const s = await api.secret(name);
      if (!s) return undefined;
      return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    },
    async createSecret(name: string, stringData: Record<string, string>, owner?: k8s.V1OwnerReference): Promise<void> {
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name, ...(owner ? { ownerReferences: [owner] } : {}) }, stringData },
      });
    },
    /** Creates a Secret from raw data values (already base64), to control the exact bytes stored. */
    async createRawSecret(name: string, data: Record<string, string>): Promise<void> {
      await core.createNamespacedSecret({ namespace, body: { metadata: { name }, data } });
    },
    async deleteSecret(name: string): Promise<void> {
      await core.deleteNamespacedSecret({ namespace, name });
    },
    async patchSecret(name: string, body: Record<string, unknown>): Promise<void> {
      await core.patchNamespacedSecret(
        { namespace, name, body },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    },
    /** Events whose involved object has this name (any kind). */
    async events(involvedName?: string): Promise<k8s.CoreV1Event[]> {
      const list = await core.listNamespacedEvent({ namespace });
      return list.items.filter((e) => involvedName === undefined || e.involvedObject.name === involvedName);
    },
    async eventsWithReason(involvedName: string, reason: string): Promise<k8s.CoreV1Event[]> {
      return (await api.events(involvedName)).filter((e) => e.reason === reason);
    },
    /** Waits for at least one Event with this reason on the object and returns those Events. */
    async waitEvent(involvedName: string, reason: string, timeoutMs = 20_000): Promise<k8s.CoreV1Event[]> {
      return eventually(
        async () => {
          const found = await api.eventsWithReason(involvedName, reason);
          return found.length > 0 ? found : undefined;
        },
        timeoutMs,
        `event ${reason} on ${involvedName}`,
      );
    },
  };
  return api;
}

export type NamespaceApi = ReturnType<typeof namespaceApi>;
