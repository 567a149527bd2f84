// The Kubernetes writer: every read and write of Kubernetes objects the reconciler makes, behind one small interface
// so a unit test can drive the reconciler without a control plane. The real one wraps src/kube and the backup helpers.
import { applyObject } from '../../kube/apply.ts';
import type { KubeClient } from '../../kube/client.ts';
import {
  deleteObject,
  ensureFinalizer,
  getObject,
  jsonPatch,
  mergePatch,
  removeFinalizer,
  type JsonPatchOp,
  type ObjectRef,
} from '../../kube/objects.ts';
import type { KubeObject } from '../../kube/types.ts';
import { deleteBackupObjects, type BackupOwner } from '../backup/index.ts';
import { FIELD_MANAGER } from '../names.ts';
import { rolloutRestart, type RolloutResult, type RolloutTarget } from '../rollout.ts';
import type { SecretObject } from '../secret.ts';
import type { AddonResource } from './types.ts';

export interface KubeWriter {
  ensureFinalizer(res: AddonResource, finalizer: string): Promise<AddonResource>;
  removeFinalizer(res: AddonResource, finalizer: string): Promise<void>;
  patch(ref: ObjectRef, ops: JsonPatchOp[]): Promise<AddonResource>;
  /** A merge patch of the status subresource; with `resourceVersion`, only onto that version (else a conflict). */
  patchStatus(ref: ObjectRef, status: Record<string, unknown>, resourceVersion?: string): Promise<AddonResource | void>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** A Secret: from the informer cache first when `cached`, else (or when not cached) from the API. */
  secret(namespace: string, name: string, options: { cached: boolean }): Promise<SecretObject | undefined>;
  applySecret(secret: SecretObject): Promise<void>;
  deleteSecret(namespace: string, name: string): Promise<void>;
  rolloutRestart(
    namespace: string,
    targets: readonly RolloutTarget[],
    annotation: string,
    hash: string,
  ): Promise<RolloutResult>;
  deleteBackups(owner: BackupOwner): Promise<void>;
}

const secretRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace,
  name,
});

export function kubeWriter(kube: KubeClient, secrets: { get(key: string): SecretObject | undefined }): KubeWriter {
  return {
    ensureFinalizer: (res, finalizer) => ensureFinalizer(kube, res, finalizer),
    async removeFinalizer(res, finalizer) {
      await removeFinalizer(kube, res, finalizer);
    },
    patch: (ref, ops) => jsonPatch<AddonResource>(kube, ref, ops),
    patchStatus: (ref, status, resourceVersion) =>
      mergePatch<AddonResource>(kube, ref, resourceVersion ? { metadata: { resourceVersion }, status } : { status }, {
        subresource: 'status',
        fieldManager: FIELD_MANAGER,
      }),
    get: (ref) => getObject(kube, ref),
    async secret(namespace, name, { cached }) {
      return (
        (cached ? secrets.get(`${namespace}/${name}`) : undefined) ??
        getObject<SecretObject>(kube, secretRef(namespace, name))
      );
    },
    async applySecret(secret) {
      await applyObject(kube, secret, FIELD_MANAGER, { force: true });
    },
    async deleteSecret(namespace, name) {
      await deleteObject(kube, secretRef(namespace, name));
    },
    rolloutRestart: (namespace, targets, annotation, hash) =>
      rolloutRestart(kube, namespace, targets, annotation, hash),
    deleteBackups: (owner) => deleteBackupObjects(kube, owner),
  };
}

/** A JSON pointer path segment (RFC 6901): annotation keys carry '/'. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
