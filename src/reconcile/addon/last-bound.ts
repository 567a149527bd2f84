// A restart loses nothing the guarantees rely on (issue 13, guarantee 12). The Secret a resource was last bound with
// is what puts a deleted or edited connection Secret back while Clever Cloud cannot be asked. Memory alone is lost on
// a restart or a leader change, so a copy lives in the cluster: a second Secret `<name>-secrets-last`, owned (as
// controller) by the resource, holding the same data, and in annotations the connection Secret's name, its content
// hash and its labels and annotations. A Secret because it holds credentials (never a ConfigMap or status); owned by
// the resource so Kubernetes removes it with the resource. Pure: rendering and reading the copy.
import type { KubeObject } from '../../kube/types.ts';
import { boundedName } from '../backup/index.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../names.ts';
import { dataHash, isOurSecret, type SecretObject } from '../secret.ts';
import { DNS_SUBDOMAIN_MAX } from './decide-deliverable.ts';

export const LAST_BOUND_ANNOTATIONS = {
  /** The connection Secret this is a copy of. */
  of: 'clever-cloud.com/last-bound-of',
  /** status.secretHash of the content (a SHA-256 over the entries: reveals nothing). */
  hash: 'clever-cloud.com/last-bound-hash',
  /** The connection Secret's labels and annotations, as JSON (they come from spec.secret: no credentials). */
  labels: 'clever-cloud.com/last-bound-labels',
  annotations: 'clever-cloud.com/last-bound-annotations',
} as const;

/** The copy's name: derived from the resource's name only, so a renamed connection Secret keeps one copy. */
export function lastBoundName(resourceName: string): string {
  return boundedName(resourceName, DNS_SUBDOMAIN_MAX, '-secrets-last');
}

/** The copy of `secret` (as bind renders it) whose content hash is `hash`. */
export function renderLastBound(secret: SecretObject, hash: string, resourceName: string): SecretObject {
  const meta = secret.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: lastBoundName(resourceName),
      namespace: meta.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: {
        [LAST_BOUND_ANNOTATIONS.of]: meta.name ?? '',
        [LAST_BOUND_ANNOTATIONS.hash]: hash,
        [LAST_BOUND_ANNOTATIONS.labels]: JSON.stringify(meta.labels ?? {}),
        [LAST_BOUND_ANNOTATIONS.annotations]: JSON.stringify(meta.annotations ?? {}),
      },
      ownerReferences: meta.ownerReferences ?? [],
    },
    type: 'Opaque',
    data: { ...secret.data },
  };
}

export type CopyDecision = { action: 'write'; why: string } | { action: 'keep'; why: string };

/** Write the copy when it is missing or says something else; never over a Secret this resource does not own. */
export function decideCopy(input: {
  live: SecretObject | undefined;
  desired: SecretObject;
  uid: string;
  /** The connection Secret's name: spec.secret.name may be the very name of the copy. */
  secretName: string;
}): CopyDecision {
  const { live, desired } = input;
  if (desired.metadata?.name === input.secretName) {
    return { action: 'keep', why: 'the connection Secret itself has that name' };
  }
  if (!live) return { action: 'write', why: 'no copy yet' };
  if (!isOurSecret(live, input.uid)) return { action: 'keep', why: 'that name is held by a Secret we do not own' };
  const same =
    Object.entries(desired.metadata?.annotations ?? {}).every(([k, v]) => live.metadata?.annotations?.[k] === v) &&
    dataHash(live.data) === dataHash(desired.data) &&
    (live.metadata?.ownerReferences ?? []).some((o) => o.uid === input.uid && o.controller);
  return same ? { action: 'keep', why: 'the copy is up to date' } : { action: 'write', why: 'the copy differs' };
}

/**
 * The connection Secret a copy stands for, exactly as bind rendered it, with its hash; undefined when the copy is
 * not this resource's, is damaged (its data does not match its hash) or unreadable.
 */
export function readLastBound(
  copy: KubeObject & { data?: Record<string, string> },
  uid: string,
): { secret: SecretObject; hash: string } | undefined {
  if (!isOurSecret(copy, uid)) return undefined;
  const a = copy.metadata?.annotations ?? {};
  const name = a[LAST_BOUND_ANNOTATIONS.of];
  const hash = a[LAST_BOUND_ANNOTATIONS.hash];
  if (!name || !hash || dataHash(copy.data) !== hash) return undefined;
  let labels: Record<string, string>;
  let annotations: Record<string, string>;
  try {
    labels = JSON.parse(a[LAST_BOUND_ANNOTATIONS.labels] ?? '{}') as Record<string, string>;
    annotations = JSON.parse(a[LAST_BOUND_ANNOTATIONS.annotations] ?? '{}') as Record<string, string>;
  } catch {
    return undefined;
  }
  const owners = (copy.metadata?.ownerReferences ?? []).filter((o) => o.uid === uid);
  return {
    hash,
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: copy.metadata?.namespace,
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ownerReferences: owners.map((o) => ({ ...o, controller: true, blockOwnerDeletion: true })),
      },
      type: 'Opaque',
      data: { ...copy.data },
    },
  };
}
