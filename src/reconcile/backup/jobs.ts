// The CronJob that runs backups and the Job that runs a restore. Pure builders: everything they need is resolved
// first, so tests assert the objects whole. Credentials only ever travel by reference (envFrom, secretKeyRef): no
// value is copied into a Job spec.
import type { OwnerReference } from '../../kube/types.ts';
import { BACKUP_OWNER_ANNOTATION, JOB_NAME_LABEL, backupCronJobName, backupLabels, restoreJobName } from './names.ts';
import { backupScript, restoreScript } from './scripts.ts';
import type { BackupOwner, CronJobObject, JobInput, JobObject, ValueSource } from './types.ts';

/** Non-root and fixed, so volumes and policies can rely on it (the distroless "nonroot" id). */
export const BACKUP_UID = 65532;

function fromTarget(name: string, source: ValueSource, secretName: string) {
  return 'value' in source
    ? { name, value: source.value }
    : { name, valueFrom: { secretKeyRef: { name: secretName, key: source.secretKey } } };
}

function ownerReference(owner: BackupOwner): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

const SECCOMP = { type: 'RuntimeDefault' };

/** A pod that can do nothing but run its script: non-root, read-only root, no capabilities, no API token. */
function podTemplate(
  input: JobInput,
  role: 'backup' | 'restore',
  script: string,
  env: { name: string; value: string }[],
) {
  const { target } = input;
  return {
    metadata: {
      labels: backupLabels(input.owner, role),
      annotations: { [BACKUP_OWNER_ANNOTATION]: input.owner.name },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: BACKUP_UID,
        runAsGroup: BACKUP_UID,
        fsGroup: BACKUP_UID,
        seccompProfile: SECCOMP,
      },
      containers: [
        {
          name: role,
          image: input.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['/bin/sh', '-c', script],
          // The database credentials: the whole connection Secret, by reference.
          envFrom: [{ secretRef: { name: input.connectionSecret } }],
          env: [
            { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_NAME_LABEL}']` } } },
            ...env,
            { name: 'BACKUP_BUCKET', value: target.bucket },
            { name: 'BACKUP_EXTENSION', value: input.tools.extension },
            fromTarget('AWS_ENDPOINT_URL_S3', target.endpoint, target.secretName),
            fromTarget('AWS_REGION', target.region, target.secretName),
            fromTarget('AWS_ACCESS_KEY_ID', { secretKey: 'AWS_ACCESS_KEY_ID' }, target.secretName),
            fromTarget('AWS_SECRET_ACCESS_KEY', { secretKey: 'AWS_SECRET_ACCESS_KEY' }, target.secretName),
            { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
            // Checksums only where S3 requires them, as the operator's own S3 client: S3-compatible stores (Cellar
            // among them) do not all accept the CRC trailers the aws CLI sends by default since 2025.
            { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
            { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
            // The root filesystem is read-only: tools that write to $HOME (aws CLI cache, psql history) use /tmp.
            { name: 'HOME', value: '/tmp' },
          ],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: BACKUP_UID,
            runAsGroup: BACKUP_UID,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            privileged: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: SECCOMP,
          },
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
    },
  };
}

export function buildBackupCronJob(
  input: JobInput & { schedule: string; prefix: string; suspend?: boolean | undefined },
): CronJobObject {
  const name = backupCronJobName(input.owner.name);
  const labels = backupLabels(input.owner, 'backup');
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name,
      namespace: input.owner.namespace,
      labels,
      annotations: { [BACKUP_OWNER_ANNOTATION]: input.owner.name },
      ownerReferences: [ownerReference(input.owner)],
    },
    spec: {
      schedule: input.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      suspend: input.suspend ?? false,
      // A run that could not start within an hour of its time is skipped rather than run late.
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels, annotations: { [BACKUP_OWNER_ANNOTATION]: input.owner.name } },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 6 * 3600,
          ttlSecondsAfterFinished: 7 * 86_400,
          template: podTemplate(input, 'backup', backupScript(input.tools.dump), [
            { name: 'BACKUP_PREFIX', value: input.prefix },
          ]),
        },
      },
    },
  };
}

export type RestoreSource = { key: string } | { latestPrefix: string };

/** The name of the Job restoring `source` into `owner`: known before anything is resolved. */
export function restoreJobNameFor(owner: BackupOwner, source: RestoreSource): string {
  return restoreJobName(owner.name, 'key' in source ? `key:${source.key}` : `latest:${source.latestPrefix}`);
}

export function buildRestoreJob(input: JobInput & { source: RestoreSource }): JobObject {
  const env =
    'key' in input.source
      ? [{ name: 'RESTORE_KEY', value: input.source.key }]
      : [{ name: 'RESTORE_PREFIX', value: input.source.latestPrefix }];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: restoreJobNameFor(input.owner, input.source),
      namespace: input.owner.namespace,
      labels: backupLabels(input.owner, 'restore'),
      annotations: { [BACKUP_OWNER_ANNOTATION]: input.owner.name },
      ownerReferences: [ownerReference(input.owner)],
    },
    spec: {
      // A restore replaces data: retried once for transient failures (network), not more.
      backoffLimit: 1,
      activeDeadlineSeconds: 6 * 3600,
      template: podTemplate(input, 'restore', restoreScript(input.tools.restore), env),
    },
  };
}
