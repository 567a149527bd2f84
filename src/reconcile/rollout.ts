// Rotation reaches the pods: workloads listed in spec.secret.rolloutRestart get the Secret's content hash as a
// pod-template annotation, so a credential change rolls them. A Paperclip Instance copies spec.podAnnotations into
// its pods (its operator does not watch referenced Secrets), so that is where its hash goes. Applied with a field
// manager of its own: we own that one annotation and nothing else of the workload.
import { createHash } from 'node:crypto';
import { applyObject } from '../kube/apply.ts';
import type { KubeClient } from '../kube/client.ts';
import { getObject } from '../kube/objects.ts';
import type { KubeObject } from '../kube/types.ts';

/**
 * One annotation per resource (`clever-cloud.com/secret-hash.postgresql.app-db`), so two resources that both list a
 * workload (its database and its bucket) do not overwrite each other's hash and restart it on every pass.
 */
export function secretHashAnnotation(kind: string, name: string): string {
  const key = `secret-hash.${kind.toLowerCase()}.${name}`;
  // The name part of an annotation key is at most 63 characters.
  const short =
    key.length <= 63 ? key : `${key.slice(0, 54)}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  return `clever-cloud.com/${short}`;
}
export const ROLLOUT_FIELD_MANAGER = 'clever-addon-operator-rollout';

export interface RolloutTarget {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Instance';
  name: string;
}

interface Workload extends KubeObject {
  spec?: {
    template?: { metadata?: { annotations?: Record<string, string> } };
    podAnnotations?: Record<string, string>;
  };
}

const apiVersionOf = (kind: RolloutTarget['kind']) => (kind === 'Instance' ? 'paperclip.inc/v1alpha1' : 'apps/v1');

/** The server-side apply body that sets the hash annotation on one workload (pure). */
export function rolloutPatch(target: RolloutTarget, namespace: string, annotation: string, hash: string): Workload {
  const annotations = { [annotation]: hash };
  return {
    apiVersion: apiVersionOf(target.kind),
    kind: target.kind,
    metadata: { name: target.name, namespace },
    spec: target.kind === 'Instance' ? { podAnnotations: annotations } : { template: { metadata: { annotations } } },
  };
}

export function currentHash(workload: Workload, kind: RolloutTarget['kind'], annotation: string): string | undefined {
  const annotations =
    kind === 'Instance' ? workload.spec?.podAnnotations : workload.spec?.template?.metadata?.annotations;
  return annotations?.[annotation];
}

export interface RolloutResult {
  /** Workloads whose annotation changed (their pods roll). */
  bumped: string[];
  /** Listed workloads that do not exist (or whose kind is not installed). */
  missing: string[];
}

export async function rolloutRestart(
  kube: KubeClient,
  namespace: string,
  targets: readonly RolloutTarget[],
  annotation: string,
  hash: string,
): Promise<RolloutResult> {
  const result: RolloutResult = { bumped: [], missing: [] };
  for (const target of targets) {
    const label = `${target.kind}/${target.name}`;
    let live: Workload | undefined;
    try {
      live = await getObject<Workload>(kube, {
        apiVersion: apiVersionOf(target.kind),
        kind: target.kind,
        namespace,
        name: target.name,
      });
    } catch (err) {
      // Discovery fails when the kind is not installed (no Paperclip CRD): the same to the user as a missing target.
      if (target.kind !== 'Instance') throw err;
    }
    if (!live) {
      result.missing.push(label);
      continue;
    }
    if (currentHash(live, target.kind, annotation) === hash) continue;
    await applyObject(kube, rolloutPatch(target, namespace, annotation, hash), ROLLOUT_FIELD_MANAGER, { force: true });
    result.bumped.push(label);
  }
  return result;
}
