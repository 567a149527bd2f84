// Helpers for the fault and HA tests: the custom resources of one namespace, the simulator add-ons that belong to a
// resource (by the deterministic name), and child operator processes that are always reaped.
import * as k8s from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { KubeClient } from '../../src/kube/client.ts';
import { getObject } from '../../src/kube/objects.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import type { AddonStatus, Condition } from '../../src/model/status.ts';
import { ANNOTATIONS } from '../../src/reconcile/names.ts';
import type { RequestLogEntry, SimulatedAddon } from '../../src/simulator/index.ts';
import { eventually } from './kube.ts';

export const GROUP = 'api.clever-cloud.com';
export const CREATE_ADDON = 'POST /v2/organisations/{ownerId}/addons';
export const DELETE_ADDON = 'DELETE /v2/organisations/{ownerId}/addons/{addonId}';

export interface Kind {
  kind: string;
  plural: string;
  spec: Record<string, unknown>;
}

export const REDIS_KIND: Kind = { kind: 'Redis', plural: 'redis', spec: { instance: { plan: 's_mono' } } };
export const PG_KIND: Kind = {
  kind: 'PostgreSql',
  plural: 'postgresqls',
  spec: { instance: { plan: 'xxs_sml' }, options: { version: 17 } },
};

export interface AddonResource extends KubeObject {
  spec: Record<string, unknown>;
  status?: AddonStatus;
}

export function conditionOf(res: AddonResource | undefined, type: Condition['type']): Condition | undefined {
  return res?.status?.conditions?.find((c) => c.type === type);
}

/**
 * The create-pending annotation while the create it announces is pending: undefined once status records that
 * create's outcome (status.createdFromIntent holds the annotation's value) or when there is none.
 */
export function pendingCreate(res: AddonResource | undefined): string | undefined {
  const value = res?.metadata?.annotations?.[ANNOTATIONS.createPending];
  return value !== undefined && value !== res?.status?.createdFromIntent ? value : undefined;
}

/** Ready and Synced, for the current generation, with no create pending. */
export function settled(res: AddonResource | undefined): boolean {
  return (
    conditionOf(res, 'Ready')?.status === 'True' &&
    conditionOf(res, 'Synced')?.status === 'True' &&
    res?.status?.observedGeneration === res?.metadata?.generation &&
    pendingCreate(res) === undefined
  );
}

/** The live simulator add-ons carrying this resource's deterministic name. */
export function addonsOf(sim: { addons(): SimulatedAddon[] }, res: AddonResource): SimulatedAddon[] {
  const name = `kubernetes::${res.kind}::${res.metadata?.uid}`;
  return sim.addons().filter((a) => a.name === name);
}

/** The create-add-on calls among simulator request log entries (the log has no bodies: not per resource). */
export function createCalls(requests: RequestLogEntry[]): RequestLogEntry[] {
  return requests.filter((r) => r.route === CREATE_ADDON);
}

export function resources(kc: k8s.KubeConfig, namespace: string) {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const api = {
    async create(kind: Kind, name: string, extra: Record<string, unknown> = {}): Promise<AddonResource> {
      return (await custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural: kind.plural,
        body: { apiVersion: `${GROUP}/v1`, kind: kind.kind, metadata: { name }, spec: { ...kind.spec, ...extra } },
      })) as AddonResource;
    },
    get(kind: Kind, name: string): Promise<AddonResource | undefined> {
      return getObject<AddonResource>(kc, { apiVersion: `${GROUP}/v1`, kind: kind.kind, namespace, name });
    },
    secret(name: string): Promise<KubeObject | undefined> {
      return getObject<KubeObject>(kc, { apiVersion: 'v1', kind: 'Secret', namespace, name });
    },
    async delete(kind: Kind, name: string): Promise<void> {
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace, plural: kind.plural, name });
    },
    waitFor(
      kind: Kind,
      name: string,
      check: (r: AddonResource) => boolean,
      what: string,
      timeoutMs = 30_000,
    ): Promise<AddonResource> {
      return eventually(
        async () => {
          const r = await api.get(kind, name);
          return r && check(r) ? r : undefined;
        },
        timeoutMs,
        `${kind.kind} ${name}: ${what}`,
      );
    },
    waitSettled(kind: Kind, name: string, timeoutMs = 30_000): Promise<AddonResource> {
      return api.waitFor(kind, name, settled, 'Ready, Synced, no create-pending', timeoutMs);
    },
    waitGone(kind: Kind, name: string, timeoutMs = 30_000): Promise<true> {
      return eventually(async () => ((await api.get(kind, name)) ? undefined : true), timeoutMs, `${name} gone`);
    },
  };
  return api;
}

/** Sends a signal and waits for the process to exit (SIGKILL after `graceMs` if it does not). */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Records every status the API server reports for one resource, through a watch: a short-lived state (a Synced=False
 * that lasts one retry) is seen however loaded the machine is, where polling could miss it.
 */
export function recordStatuses(kc: k8s.KubeConfig, namespace: string, kind: Kind, name: string) {
  const seen: AddonResource[] = [];
  const abort = new AbortController();
  const path = `/apis/${GROUP}/v1/namespaces/${namespace}/${kind.plural}`;
  const watching = KubeClient.for(kc)
    .watch(
      path,
      { fieldSelector: `metadata.name=${name}` },
      (event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') seen.push(event.object as AddonResource);
      },
      abort.signal,
    )
    .catch(() => undefined);
  return {
    /** Whether any status seen so far had this condition. */
    saw(type: Condition['type'], status: Condition['status'], reason?: string): AddonResource | undefined {
      return seen.find((r) => {
        const c = conditionOf(r, type);
        return c?.status === status && (reason === undefined || c.reason === reason);
      });
    },
    async stop(): Promise<void> {
      abort.abort();
      await watching;
    },
  };
}
