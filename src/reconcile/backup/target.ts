// Backup targets: a Cellar resource or an S3 endpoint, resolved to a bucket and the Secret that holds its keys.
import { getObject, type KubeConfigOrClient } from '../../kube/objects.ts';
import type { KubeObject } from '../../kube/types.ts';
import { BackupSpecError } from './step.ts';
import type { BackupTarget, ResolvedTarget, S3Access, ValueSource } from './types.ts';

interface CellarObject extends KubeObject {
  spec?: { secret?: { name?: string; dialects?: string[] } };
  status?: { binding?: { name?: string } };
}

/** Resolves a target to a bucket and Secret references; undefined (with a reason) when it does not exist yet. */
export async function resolveTarget(
  kube: KubeConfigOrClient,
  namespace: string,
  target: BackupTarget,
  field: string,
): Promise<{ target: ResolvedTarget } | { missing: string }> {
  if (target.s3) {
    const s3 = target.s3;
    const secret = await getObject(kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name: s3.credentialsSecretRef.name,
    });
    if (!secret)
      return { missing: `${field}.s3.credentialsSecretRef: Secret ${s3.credentialsSecretRef.name} not found` };
    return {
      target: {
        bucket: s3.bucket,
        secretName: s3.credentialsSecretRef.name,
        endpoint: { value: s3.endpoint },
        region: { value: s3.region ?? 'us-east-1' },
      },
    };
  }
  const ref = target.cellarRef;
  if (!ref) throw new BackupSpecError(field, 'set exactly one of cellarRef or s3');
  const cellar = await getObject<CellarObject>(kube, {
    apiVersion: 'api.clever-cloud.com/v1',
    kind: 'Cellar',
    namespace,
    name: ref.name,
  });
  if (!cellar) return { missing: `${field}.cellarRef: Cellar ${ref.name} not found` };
  const dialects = cellar.spec?.secret?.dialects;
  if (dialects && !dialects.includes('consumer')) {
    throw new BackupSpecError(
      `${field}.cellarRef`,
      `Cellar ${ref.name} must keep the consumer dialect in its Secret (AWS_* keys) to be a backup target`,
    );
  }
  const secretName = cellar.status?.binding?.name;
  if (!secretName) return { missing: `${field}.cellarRef: Cellar ${ref.name} has no connection Secret yet` };
  return {
    target: {
      bucket: ref.bucket,
      secretName,
      endpoint: { secretKey: 'AWS_ENDPOINT_URL_S3' },
      region: { secretKey: 'AWS_REGION' },
    },
  };
}

/** The S3 connection from the target's Secret (the operator's own S3 calls: retention). */
export async function readConnection(
  kube: KubeConfigOrClient,
  namespace: string,
  target: ResolvedTarget,
): Promise<S3Access> {
  const secret = await getObject<KubeObject & { data?: Record<string, string> }>(kube, {
    apiVersion: 'v1',
    kind: 'Secret',
    namespace,
    name: target.secretName,
  });
  const value = (key: string) => {
    const v = secret?.data?.[key];
    if (v === undefined) throw new Error(`Secret ${target.secretName} has no key ${key}`);
    return Buffer.from(v, 'base64').toString('utf8');
  };
  const pick = (source: ValueSource) => ('value' in source ? source.value : value(source.secretKey));
  return {
    endpoint: pick(target.endpoint),
    region: pick(target.region),
    accessKeyId: value('AWS_ACCESS_KEY_ID'),
    secretAccessKey: value('AWS_SECRET_ACCESS_KEY'),
  };
}
