// Off-platform backups: spec.backup becomes a CronJob that streams a dump to an S3 bucket, spec.restoreFrom a
// one-off Job that loads a dump into a new add-on before it is reported Ready. The commands come from the
// provider's data (ProviderDefinition.backup), so one feature serves every kind that declares them.
//
// Design points:
//  * The builders are pure: everything they need is resolved first, so tests can assert the objects whole.
//  * Credentials only ever travel by reference (envFrom / secretKeyRef): no value is copied into a Job spec.
//  * The object key is derivable from the Job object alone: a CronJob names its Jobs `<cronjob>-<scheduled time in
//    unix minutes>` and the pod reads that name through the downward API, so the operator reports the key of the
//    last successful backup without reading pods or listing the bucket.
//  * Applied with a field manager of our own, like rollout.ts: these objects are ours, nothing else's.
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { applyObject } from '../kube/apply.ts';
import { KubeClient } from '../kube/client.ts';
import { deleteObject, getObject, type KubeConfigOrClient } from '../kube/objects.ts';
import type { KubeObject, ObjectList, OwnerReference } from '../kube/types.ts';
import type { BackupTools } from '../model/provider.ts';
import type { AddonStatus, BackupStatus, PlatformBackupsStatus, RestoreStatus } from '../model/status.ts';
import { setCondition, type ConditionInput } from './conditions.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './names.ts';

export const BACKUP_FIELD_MANAGER = 'clever-addon-operator-backup';
/** Built from docker/backup-tools; overridable operator-wide (ManagerOptions.backupImage) and per resource. */
export const DEFAULT_BACKUP_IMAGE = 'ghcr.io/clever-addon-operator/backup-tools:0.1.0';

/** Labels select (values bounded to 63 characters); annotations carry the full owner name. */
export const BACKUP_LABELS = {
  of: 'clever-cloud.com/backup-of',
  kind: 'clever-cloud.com/backup-kind',
  role: 'clever-cloud.com/backup-role',
} as const;
export const BACKUP_OWNER_ANNOTATION = 'clever-cloud.com/backup-of';
/** Set by Kubernetes (1.27+) on the pods of a Job: how the pod learns its Job name, hence the scheduled time. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

export const BACKUP_EVENT_REASONS = [
  'BackupSucceeded',
  'BackupFailed',
  'BackupTargetMissing',
  'BackupsPruned',
  'RestoreStarted',
  'RestoreSucceeded',
  'RestoreFailed',
] as const;
export type BackupEventReason = (typeof BACKUP_EVENT_REASONS)[number];

const CRONJOB_NAME_MAX = 52;
const JOB_NAME_MAX = 63;
/** Non-root and fixed, so volumes and policies can rely on it (the distroless "nonroot" id). */
export const BACKUP_UID = 65532;

// ---- spec shapes (as parsed by src/model/spec.ts) ---------------------------------------------------------------

export interface BackupTarget {
  cellarRef?: { name: string; bucket: string } | undefined;
  s3?: { endpoint: string; bucket: string; region?: string | undefined; credentialsSecretRef: { name: string } };
}

export interface BackupSpec {
  schedule: string;
  retention: string;
  target: BackupTarget;
  prefix?: string | undefined;
  suspend?: boolean | undefined;
  image?: string | undefined;
}

export interface RestoreFromSpec {
  key?: string | undefined;
  latestOf?: { name: string; prefix?: string | undefined } | undefined;
  target?: BackupTarget | undefined;
  image?: string | undefined;
}

/** Where a value comes from: a literal, or a key of the target's credentials Secret. */
export type ValueSource = { value: string } | { secretKey: string };

/** A bucket and how a pod reaches it; resolved by the reconciler from a BackupTarget. */
export interface ResolvedTarget {
  bucket: string;
  /** The Secret holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  secretName: string;
  endpoint: ValueSource;
  region: ValueSource;
}

export interface BackupOwner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface JobInput {
  owner: BackupOwner;
  tools: BackupTools;
  image: string;
  /** Our connection Secret: the database credentials, as environment. */
  connectionSecret: string;
  target: ResolvedTarget;
}

// ---- names, labels and keys ---------------------------------------------------------------------------------------

const shortHash = (value: string, length = 8) => createHash('sha256').update(value).digest('hex').slice(0, length);

/** `value` when it fits in `max` characters, else a prefix of it plus a hash of the whole (still unique). */
export function boundedName(value: string, max: number, suffix = ''): string {
  const whole = `${value}${suffix}`;
  if (whole.length <= max) return whole;
  const hash = shortHash(value);
  const head = value.slice(0, max - suffix.length - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}${suffix}`;
}

/** CronJob names are limited to 52 characters (its Jobs append `-<11 digits>` and must stay label values). */
export function backupCronJobName(resourceName: string): string {
  return boundedName(resourceName, CRONJOB_NAME_MAX, '-backup');
}

/** One Job per restore source: changing spec.restoreFrom after a failure runs a new Job. */
export function restoreJobName(resourceName: string, source: string): string {
  return boundedName(resourceName, JOB_NAME_MAX, `-restore-${shortHash(source, 6)}`);
}

export function labelValue(name: string): string {
  return boundedName(name, 63);
}

export function backupLabels(owner: Pick<BackupOwner, 'kind' | 'name'>, role: 'backup' | 'restore') {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [BACKUP_LABELS.of]: labelValue(owner.name),
    [BACKUP_LABELS.kind]: owner.kind,
    [BACKUP_LABELS.role]: role,
  };
}

export function defaultPrefix(namespace: string, name: string): string {
  return `${namespace}/${name}/`;
}

/** `20250131T031700Z`: sorts as time does, and is safe in any object store. */
export function formatStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function parseStamp(stamp: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function backupKey(prefix: string, scheduled: Date, extension: string): string {
  return `${prefix}${formatStamp(scheduled)}.${extension}`;
}

/** The time a backup Job was scheduled for, from its name (`<cronjob>-<unix minutes>`); undefined if not a run. */
export function scheduledTimeOf(jobName: string, cronJobName: string): Date | undefined {
  if (!jobName.startsWith(`${cronJobName}-`)) return undefined;
  const minutes = jobName.slice(cronJobName.length + 1);
  if (!/^\d{8,11}$/.test(minutes)) return undefined;
  return new Date(Number(minutes) * 60_000);
}

/** The Job name the CronJob controller gives the run scheduled at `time`. */
export function scheduledJobName(cronJobName: string, time: Date): string {
  return `${cronJobName}-${Math.floor(time.getTime() / 60_000)}`;
}

// ---- retention ----------------------------------------------------------------------------------------------------

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

export function parseRetention(retention: string): number {
  const m = /^([1-9]\d{0,4})([hdw])$/.exec(retention);
  if (!m) throw new Error(`invalid retention ${JSON.stringify(retention)}: expected a number and h, d or w`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * The keys to delete: dumps under `prefix` (named by us: `<prefix><stamp>.<extension>`) older than the retention.
 * Anything else under the prefix is never touched, and the newest dump is always kept, however old, so a stalled
 * schedule never leaves the bucket empty.
 */
export function selectExpired(
  keys: readonly string[],
  options: { prefix: string; extension: string; retention: string; now: Date },
): string[] {
  const cutoff = options.now.getTime() - parseRetention(options.retention);
  const ours = keys
    .map((key) => {
      if (!key.startsWith(options.prefix)) return undefined;
      const rest = key.slice(options.prefix.length);
      if (!rest.endsWith(`.${options.extension}`)) return undefined;
      const time = parseStamp(rest.slice(0, -options.extension.length - 1));
      return time ? { key, time: time.getTime() } : undefined;
    })
    .filter((k): k is { key: string; time: number } => k !== undefined)
    .sort((a, b) => b.time - a.time);
  return ours
    .slice(1)
    .filter((k) => k.time < cutoff)
    .map((k) => k.key)
    .sort();
}

// ---- cron (five fields, UTC) --------------------------------------------------------------------------------------

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day-of-month and day-of-week both restricted: a day matching either fires (classic cron). */
  dayOr: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function cronField(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names.indexOf(v.toUpperCase());
    const n = i >= 0 ? i + nameBase : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new Error(`${JSON.stringify(v)} is not in ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${JSON.stringify(part)}`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [value(a), value(b)];
      if (from > to) throw new Error(`empty range ${JSON.stringify(range)}`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** Parses a five-field cron expression; throws with a message naming the field at fault. */
export function parseCron(expression: string): Cron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected 5 fields, found ${fields.length}`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = fields;
  const field = (name: string, f: () => Set<number>) => {
    try {
      return f();
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  };
  const weekdays = field('day of week', () => cronField(dow, 0, 7, WEEKDAYS));
  if (weekdays.delete(7)) weekdays.add(0);
  const starred = (f: string) => f === '*' || f === '?';
  return {
    minutes: field('minute', () => cronField(m, 0, 59)),
    hours: field('hour', () => cronField(h, 0, 23)),
    days: field('day of month', () => cronField(dom, 1, 31)),
    months: field('month', () => cronField(mon, 1, 12, MONTHS, 1)),
    weekdays,
    dayOr: !starred(dom) && !starred(dow),
  };
}

/** The first time strictly after `after` the schedule fires; undefined if it never does within 5 years. */
export function nextRun(cron: Cron, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dom = cron.days.has(t.getUTCDate());
    const dow = cron.weekdays.has(t.getUTCDay());
    if (!(cron.dayOr ? dom || dow : dom && dow)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  return undefined;
}

// ---- Job and CronJob objects --------------------------------------------------------------------------------------

export interface JobCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface JobObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: JobCondition[];
  };
}

export interface CronJobObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { lastScheduleTime?: string; lastSuccessfulTime?: string; active?: unknown[] };
}

// The scripts are POSIX sh: the image's /bin/sh may be dash (Debian-based images) or busybox ash (Alpine), so no
// pipefail. A pipeline's status is its last command's; each stage writes its own status to a file instead.
const SCRIPT_PRELUDE = [
  'set -eu',
  's3() { aws --endpoint-url "$AWS_ENDPOINT_URL_S3" --region "$AWS_REGION" "$@"; }',
  'status_dir="$(mktemp -d)"',
];

/**
 * The stages as one pipeline whose every exit status is kept (pipefail by hand): afterwards `pipeline_status` holds
 * them in order, e.g. `0 0 `, and `pipeline_ok` is `yes` when all are 0. A stage killed before it could write its
 * status counts as failed (1).
 */
function checkedPipeline(stages: readonly string[]): string[] {
  const file = (i: number) => `"$status_dir/${i}"`;
  const wrapped = stages.map(
    (stage, i) => `{ if ${stage} ; then echo 0 > ${file(i)}; else echo "$?" > ${file(i)}; fi; }`,
  );
  return [
    ...stages.map((_, i) => `echo 1 > ${file(i)}`),
    wrapped.join(' | '),
    `pipeline_status="$(cat ${stages.map((_, i) => file(i)).join(' ')} | tr '\\n' ' ')"`,
    `if [ "$pipeline_status" = "${stages.map(() => '0 ').join('')}" ]; then pipeline_ok=yes; else pipeline_ok=no; fi`,
  ];
}

/** The backup shell: the key comes from the Job name, the dump streams to the bucket, a failed dump is removed. */
export function backupScript(dump: readonly string[]): string {
  return [
    ...SCRIPT_PRELUDE,
    // CronJob runs are named <cronjob>-<scheduled unix minutes>; a manual run (kubectl create job --from) is not.
    'minutes="${JOB_NAME##*-}"',
    'case "$minutes" in',
    '  \'\'|*[!0-9]*) seconds="$(date -u +%s)" ;;',
    '  *) if [ "${#minutes}" -ge 8 ]; then seconds=$((minutes * 60)); else seconds="$(date -u +%s)"; fi ;;',
    'esac',
    'key="${BACKUP_PREFIX}$(date -u -d "@${seconds}" +%Y%m%dT%H%M%SZ).${BACKUP_EXTENSION}"',
    'url="s3://${BACKUP_BUCKET}/${key}"',
    'echo "dumping to ${url}"',
    ...checkedPipeline([...dump, 's3 s3 cp --only-show-errors - "$url"']),
    'if [ "$pipeline_ok" != yes ]; then',
    // A failed dump still ends its stream cleanly, so the upload of the partial output completes: remove it.
    '  echo "backup failed (exit statuses of dump | upload: ${pipeline_status}); removing ${url}" >&2',
    '  s3 s3 rm --only-show-errors "$url" || true',
    '  exit 1',
    'fi',
    'echo "uploaded ${url}"',
  ].join('\n');
}

/** The restore shell: the given key, or the newest dump under RESTORE_PREFIX, streamed into the restore command. */
export function restoreScript(restore: readonly string[]): string {
  return [
    ...SCRIPT_PRELUDE,
    'key="${RESTORE_KEY:-}"',
    'if [ -z "$key" ]; then',
    '  keys="$(s3 s3api list-objects-v2 --bucket "$BACKUP_BUCKET" --prefix "$RESTORE_PREFIX" --query "Contents[].Key" --output text)"',
    '  for k in $keys; do',
    '    case "${k#"$RESTORE_PREFIX"}" in',
    '      [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z."$BACKUP_EXTENSION")',
    '        key="$(printf \'%s\\n%s\\n\' "$key" "$k" | sort | tail -n 1)" ;;',
    '    esac',
    '  done',
    '  [ -n "$key" ] || { echo "no backup found under s3://${BACKUP_BUCKET}/${RESTORE_PREFIX}" >&2; exit 1; }',
    'fi',
    'echo "restoring s3://${BACKUP_BUCKET}/${key}"',
    ...checkedPipeline(['s3 s3 cp --only-show-errors "s3://${BACKUP_BUCKET}/${key}" -', ...restore]),
    'if [ "$pipeline_ok" != yes ]; then',
    '  echo "restore failed (exit statuses of download | restore: ${pipeline_status})" >&2',
    '  exit 1',
    'fi',
    'echo "restored s3://${BACKUP_BUCKET}/${key}"',
  ].join('\n');
}

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

export function buildRestoreJob(input: JobInput & { source: { key: string } | { latestPrefix: string } }): JobObject {
  const sourceId = 'key' in input.source ? `key:${input.source.key}` : `latest:${input.source.latestPrefix}`;
  const env =
    'key' in input.source
      ? [{ name: 'RESTORE_KEY', value: input.source.key }]
      : [{ name: 'RESTORE_PREFIX', value: input.source.latestPrefix }];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: restoreJobName(input.owner.name, sourceId),
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

// ---- observing Jobs -----------------------------------------------------------------------------------------------

export type JobOutcome = { state: 'active' } | { state: 'succeeded'; time: Date } | { state: 'failed'; time: Date };

export function jobOutcome(job: JobObject): JobOutcome {
  const status = job.status ?? {};
  const cond = (type: string) => status.conditions?.find((c) => c.type === type && c.status === 'True');
  const at = (t: string | undefined) => new Date(t ?? job.metadata?.creationTimestamp ?? 0);
  const complete = cond('Complete');
  if (complete) return { state: 'succeeded', time: at(status.completionTime ?? complete.lastTransitionTime) };
  const failed = cond('Failed');
  if (failed) return { state: 'failed', time: at(failed.lastTransitionTime) };
  return { state: 'active' };
}

export interface BackupRun {
  name: string;
  /** Scheduled time from the name, else the Job's creation. */
  time: Date;
  key: string | undefined;
  outcome: JobOutcome;
}

export function backupRuns(jobs: readonly JobObject[], cronJobName: string, prefix: string, extension: string) {
  return jobs
    .map((job): BackupRun => {
      const name = job.metadata?.name ?? '';
      const scheduled = scheduledTimeOf(name, cronJobName);
      return {
        name,
        time: scheduled ?? new Date(job.metadata?.creationTimestamp ?? 0),
        key: scheduled ? backupKey(prefix, scheduled, extension) : undefined,
        outcome: jobOutcome(job),
      };
    })
    .sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** What status.backup reports, from the CronJob's status and our Jobs (the newest wins over older status). */
export function summarizeBackups(
  previous: BackupStatus | undefined,
  cronJob: CronJobObject | undefined,
  runs: readonly BackupRun[],
): BackupStatus {
  const latest = (...times: (string | undefined)[]) =>
    times.filter((t): t is string => !!t).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  const succeeded = runs.filter((r) => r.outcome.state === 'succeeded');
  const failed = runs.filter((r) => r.outcome.state === 'failed');
  const lastOk = succeeded[succeeded.length - 1];
  const lastFailed = failed[failed.length - 1];
  const okTime = lastOk?.outcome.state === 'succeeded' ? lastOk.outcome.time.toISOString() : undefined;
  const failedTime = lastFailed?.outcome.state === 'failed' ? lastFailed.outcome.time.toISOString() : undefined;
  const newestRun = runs[runs.length - 1]?.time.toISOString();
  const status: BackupStatus = { ...previous };
  const set = <K extends keyof BackupStatus>(k: K, v: BackupStatus[K] | undefined) => {
    if (v !== undefined) status[k] = v;
  };
  set('cronJobName', cronJob?.metadata?.name);
  set('lastScheduleTime', latest(previous?.lastScheduleTime, cronJob?.status?.lastScheduleTime, newestRun));
  const successful = latest(previous?.lastSuccessfulTime, okTime);
  set('lastSuccessfulTime', successful);
  if (lastOk?.key && successful === okTime) status.lastSuccessfulKey = lastOk.key;
  set('lastFailedTime', latest(previous?.lastFailedTime, failedTime));
  return status;
}

/**
 * BackupHealthy: False when the newest finished run failed, or when nothing succeeded within two schedule
 * periods (plus half a period for the run to finish) of the last success or, before any, of the schedule's start.
 */
export function backupHealth(input: {
  cron: Cron;
  runs: readonly BackupRun[];
  since: Date;
  now: Date;
  suspended: boolean;
  lastSuccessfulTime?: string | undefined;
  lastSuccessfulKey?: string | undefined;
}): ConditionInput {
  if (input.suspended) return { status: 'Unknown', reason: 'Suspended', message: 'backups are suspended' };
  const finished = input.runs.filter((r) => r.outcome.state !== 'active');
  const last = finished[finished.length - 1];
  if (last?.outcome.state === 'failed') {
    return {
      status: 'False',
      reason: 'BackupFailed',
      message: `backup Job ${last.name} failed at ${last.outcome.time.toISOString()}`,
    };
  }
  const success = input.lastSuccessfulTime ? new Date(input.lastSuccessfulTime) : undefined;
  const reference = success ?? input.since;
  const first = nextRun(input.cron, reference);
  const second = first && nextRun(input.cron, first);
  const deadline = first && second ? second.getTime() + (second.getTime() - first.getTime()) / 2 : Infinity;
  if (input.now.getTime() > deadline) {
    return {
      status: 'False',
      reason: 'NoRecentBackup',
      message: success
        ? `no backup succeeded since ${success.toISOString()} (two schedule periods)`
        : `no backup succeeded since backups started at ${input.since.toISOString()} (two schedule periods)`,
    };
  }
  if (!success) return { status: 'Unknown', reason: 'NoBackupYet', message: 'waiting for the first backup' };
  return {
    status: 'True',
    reason: 'BackupSucceeded',
    message: `last backup ${input.lastSuccessfulKey ?? ''} at ${success.toISOString()}`.replace('  ', ' '),
  };
}

// ---- object store (retention) -------------------------------------------------------------------------------------

/** What the retention sweep needs from an S3 bucket. */
export interface ObjectStore {
  list(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
  close(): void;
}

/** How the operator reaches a bucket (the same shape as the Cellar bucket code's connection). Never log it. */
export interface S3Access {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type ObjectStoreFactory = (connection: S3Access, bucket: string) => ObjectStore;

/** The AWS SDK's S3 client, configured as src/reconcile/buckets.ts does for Cellar (path style, lenient checksums). */
export function s3ObjectStore(connection: S3Access, bucket: string): ObjectStore {
  const client = new S3Client({
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
  return {
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const out = await client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        if (out.Errors && out.Errors.length > 0) {
          throw new Error(`could not delete ${out.Errors.length} of ${batch.length} expired backups in ${bucket}`);
        }
      }
    },
    close() {
      client.destroy();
    },
  };
}

// ---- the reconcile step -------------------------------------------------------------------------------------------

export class BackupSpecError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'BackupSpecError';
    this.field = field;
  }
}

export interface PlatformBackup {
  backup_id: string;
  status: string;
  creation_date: string | number;
}

export interface BackupStepInput {
  kube: KubeConfigOrClient;
  owner: BackupOwner;
  tools: BackupTools;
  /** Operator-wide default image (the provider's own image, then this, then DEFAULT_BACKUP_IMAGE). */
  defaultImage?: string | undefined;
  connectionSecret: string;
  backup: BackupSpec | undefined;
  restoreFrom: RestoreFromSpec | undefined;
  /** Mutated: backup, restore, platformBackups and the BackupHealthy condition. */
  status: AddonStatus;
  generation: number | undefined;
  /** The add-on is usable: a restore waits for it. */
  ready: boolean;
  now: Date;
  /** The add-on's Clever-side backups; called at most every `platformIntervalMs`. */
  platformBackups?: () => Promise<PlatformBackup[]>;
  platformIntervalMs: number;
  /** When absent, expired dumps are not swept (the CronJob still runs). */
  objectStore?: ObjectStoreFactory | undefined;
  emit(type: 'Normal' | 'Warning', reason: BackupEventReason, message: string): void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface BackupStepResult {
  /** A restore is pending or running: Ready must stay False with this reason and message. */
  restoring?: ConditionInput;
  /** The restore failed: Ready and Synced False, no retry until the Job is deleted or restoreFrom changes. */
  restoreFailed?: ConditionInput;
  requeueAfterMs?: number;
}

const POLL_MS = 3_000;
const TARGET_RECHECK_MS = 30_000;

export async function reconcileBackups(input: BackupStepInput): Promise<BackupStepResult> {
  const result: BackupStepResult = {};
  await reconcileSchedule(input, result);
  await reconcileRestore(input, result);
  await refreshPlatformBackups(input);
  return result;
}

function condition(input: BackupStepInput, value: ConditionInput | undefined): void {
  const status = input.status;
  if (!value) {
    if (status.conditions?.some((c) => c.type === 'BackupHealthy'))
      status.conditions = status.conditions.filter((c) => c.type !== 'BackupHealthy');
    return;
  }
  status.conditions = setCondition(status.conditions, 'BackupHealthy', value, input.generation, input.now);
}

const requeue = (result: BackupStepResult, ms: number) => {
  result.requeueAfterMs = Math.min(result.requeueAfterMs ?? ms, ms);
};

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

function imageFor(input: BackupStepInput, specImage: string | undefined): string {
  return specImage ?? input.tools.image ?? input.defaultImage ?? DEFAULT_BACKUP_IMAGE;
}

async function listOurJobs(input: BackupStepInput, role: 'backup' | 'restore'): Promise<JobObject[]> {
  const client = KubeClient.for(input.kube);
  const { owner } = input;
  const selector = [
    `${BACKUP_LABELS.of}=${labelValue(owner.name)}`,
    `${BACKUP_LABELS.kind}=${owner.kind}`,
    `${BACKUP_LABELS.role}=${role}`,
  ].join(',');
  const list = await client.request<ObjectList<JobObject>>(
    'GET',
    `/apis/batch/v1/namespaces/${encodeURIComponent(owner.namespace)}/jobs`,
    { query: { labelSelector: selector } },
  );
  // Labels are bounded; the annotation holds the full name (two long names may share a label value).
  return list.items.filter((j) => (j.metadata?.annotations?.[BACKUP_OWNER_ANNOTATION] ?? owner.name) === owner.name);
}

async function reconcileSchedule(input: BackupStepInput, result: BackupStepResult): Promise<void> {
  const { owner, status } = input;
  const name = backupCronJobName(owner.name);
  const ref = { apiVersion: 'batch/v1', kind: 'CronJob', namespace: owner.namespace, name };
  const backup = input.backup;
  if (!backup) {
    if (status.backup) {
      const live = await getObject<CronJobObject>(input.kube, ref);
      if (live?.metadata?.ownerReferences?.some((o) => o.uid === owner.uid)) {
        await deleteObject(input.kube, ref, { uid: live.metadata.uid!, propagationPolicy: 'Background' });
      }
      delete status.backup;
    }
    condition(input, undefined);
    return;
  }
  let cron: Cron;
  try {
    cron = parseCron(backup.schedule);
  } catch (err) {
    throw new BackupSpecError('spec.backup.schedule', (err as Error).message);
  }
  if (!nextRun(cron, input.now)) throw new BackupSpecError('spec.backup.schedule', 'the schedule never fires');
  try {
    parseRetention(backup.retention);
  } catch (err) {
    throw new BackupSpecError('spec.backup.retention', (err as Error).message);
  }
  const resolved = await resolveTarget(input.kube, owner.namespace, backup.target, 'spec.backup.target');
  if ('missing' in resolved) {
    condition(input, { status: 'False', reason: 'BackupTargetNotFound', message: resolved.missing });
    if (status.backup?.targetProblem !== resolved.missing)
      input.emit('Warning', 'BackupTargetMissing', resolved.missing);
    status.backup = { ...status.backup, targetProblem: resolved.missing };
    requeue(result, TARGET_RECHECK_MS);
    return;
  }
  const prefix = backup.prefix ?? defaultPrefix(owner.namespace, owner.name);
  const desired = buildBackupCronJob({
    owner,
    tools: input.tools,
    image: imageFor(input, backup.image),
    connectionSecret: input.connectionSecret,
    target: resolved.target,
    schedule: backup.schedule,
    prefix,
    suspend: backup.suspend,
  });
  const applied = await applyObject(input.kube, desired, BACKUP_FIELD_MANAGER, { force: true });
  const runs = backupRuns(await listOurJobs(input, 'backup'), name, prefix, input.tools.extension);
  const previous = status.backup;
  const { targetProblem: _gone, ...kept } = previous ?? {};
  const summary = summarizeBackups(kept, applied, runs);
  if (summary.lastSuccessfulTime && summary.lastSuccessfulTime !== previous?.lastSuccessfulTime) {
    input.emit('Normal', 'BackupSucceeded', `backup ${summary.lastSuccessfulKey ?? ''} uploaded`.replace('  ', ' '));
  }
  if (summary.lastFailedTime && summary.lastFailedTime !== previous?.lastFailedTime) {
    input.emit('Warning', 'BackupFailed', `a backup Job failed at ${summary.lastFailedTime}; see its pod logs`);
  }
  status.backup = summary;
  condition(
    input,
    backupHealth({
      cron,
      runs,
      since: new Date(applied.metadata?.creationTimestamp ?? input.now),
      now: input.now,
      suspended: backup.suspend ?? false,
      lastSuccessfulTime: summary.lastSuccessfulTime,
      lastSuccessfulKey: summary.lastSuccessfulKey,
    }),
  );
  await sweepExpired(input, backup, resolved.target, prefix);
}

/** After a new successful backup, deletes dumps beyond retention (never the newest); failures are only logged. */
async function sweepExpired(
  input: BackupStepInput,
  backup: BackupSpec,
  target: ResolvedTarget,
  prefix: string,
): Promise<void> {
  const status = input.status.backup!;
  if (!input.objectStore || !status.lastSuccessfulTime) return;
  if (status.lastRetentionSweepTime && status.lastRetentionSweepTime >= status.lastSuccessfulTime) return;
  try {
    const connection = await readConnection(input.kube, input.owner.namespace, target);
    const store = input.objectStore(connection, target.bucket);
    try {
      const expired = selectExpired(await store.list(prefix), {
        prefix,
        extension: input.tools.extension,
        retention: backup.retention,
        now: input.now,
      });
      if (expired.length > 0) {
        await store.delete(expired);
        input.emit('Normal', 'BackupsPruned', `deleted ${expired.length} backups older than ${backup.retention}`);
      }
    } finally {
      store.close();
    }
    status.lastRetentionSweepTime = input.now.toISOString();
  } catch (err) {
    input.log?.('retention sweep failed; retried after the next backup', { err: (err as Error).message });
  }
}

/** The S3 connection from the target's Secret (the operator's own S3 calls: retention). */
async function readConnection(kube: KubeConfigOrClient, namespace: string, target: ResolvedTarget): Promise<S3Access> {
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

async function reconcileRestore(input: BackupStepInput, result: BackupStepResult): Promise<void> {
  const { owner, status } = input;
  const spec = input.restoreFrom;
  if (!spec || status.restore?.phase === 'Succeeded') return;
  const key = spec.key;
  const source: { key: string } | { latestPrefix: string } = key
    ? { key }
    : { latestPrefix: spec.latestOf?.prefix ?? defaultPrefix(owner.namespace, spec.latestOf?.name ?? '') };
  const sourceText = 'key' in source ? source.key : `latest under ${source.latestPrefix}`;
  if (!input.ready) {
    result.restoring = {
      status: 'False',
      reason: 'Restoring',
      message: `waiting for the add-on before restoring ${sourceText}`,
    };
    requeue(result, POLL_MS);
    return;
  }
  const targetSpec = spec.target ?? input.backup?.target;
  if (!targetSpec) throw new BackupSpecError('spec.restoreFrom.target', 'needed when spec.backup is not set');
  const resolved = await resolveTarget(input.kube, owner.namespace, targetSpec, 'spec.restoreFrom.target');
  if ('missing' in resolved) {
    result.restoring = { status: 'False', reason: 'Restoring', message: `cannot restore yet: ${resolved.missing}` };
    requeue(result, TARGET_RECHECK_MS);
    return;
  }
  const desired = buildRestoreJob({
    owner,
    tools: input.tools,
    image: imageFor(input, spec.image ?? input.backup?.image),
    connectionSecret: input.connectionSecret,
    target: resolved.target,
    source,
  });
  const jobName = desired.metadata!.name!;
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: owner.namespace, name: jobName };
  let job = await getObject<JobObject>(input.kube, ref);
  if (!job) {
    // A Job's pod template is immutable: created once, never re-applied.
    job = await applyObject(input.kube, desired, BACKUP_FIELD_MANAGER, { force: true });
    input.emit('Normal', 'RestoreStarted', `restoring ${sourceText} with Job ${jobName}`);
  }
  const outcome = jobOutcome(job);
  const startTime = job.status?.startTime;
  const restore: RestoreStatus = {
    source: sourceText,
    jobName,
    phase: outcome.state === 'succeeded' ? 'Succeeded' : outcome.state === 'failed' ? 'Failed' : 'Running',
    ...(startTime ? { startTime } : {}),
    ...(outcome.state !== 'active' ? { completionTime: outcome.time.toISOString() } : {}),
  };
  const before = status.restore;
  status.restore = restore;
  if (outcome.state === 'succeeded') {
    if (before?.phase !== 'Succeeded') input.emit('Normal', 'RestoreSucceeded', `restored ${sourceText}`);
    return;
  }
  if (outcome.state === 'failed') {
    const message = `restore Job ${jobName} failed: see its pod logs; delete the Job or change spec.restoreFrom to retry`;
    if (before?.phase !== 'Failed' || before.jobName !== jobName) input.emit('Warning', 'RestoreFailed', message);
    result.restoreFailed = { status: 'False', reason: 'RestoreFailed', message };
    return;
  }
  result.restoring = { status: 'False', reason: 'Restoring', message: `restoring ${sourceText} (Job ${jobName})` };
  requeue(result, POLL_MS);
}

export function summarizePlatformBackups(backups: readonly PlatformBackup[], now: Date): PlatformBackupsStatus {
  const time = (b: PlatformBackup) =>
    typeof b.creation_date === 'number' ? b.creation_date : Date.parse(b.creation_date);
  const sorted = [...backups].filter((b) => !Number.isNaN(time(b))).sort((a, b) => time(b) - time(a));
  const latest = sorted[0];
  return {
    count: backups.length,
    ...(latest
      ? { latest: { id: latest.backup_id, status: latest.status, createdAt: new Date(time(latest)).toISOString() } }
      : {}),
    checkedAt: now.toISOString(),
  };
}

async function refreshPlatformBackups(input: BackupStepInput): Promise<void> {
  if (!input.platformBackups) return;
  const checked = input.status.platformBackups?.checkedAt;
  if (checked && input.now.getTime() - Date.parse(checked) < input.platformIntervalMs) return;
  try {
    input.status.platformBackups = summarizePlatformBackups(await input.platformBackups(), input.now);
  } catch (err) {
    // A view only: a failure here never fails the reconcile; it is tried again next time.
    input.log?.('could not list the platform backups', { err: (err as Error).message });
  }
}

/** Removes our CronJob and restore Jobs (deletion of the resource; garbage collection would do it too). */
export async function deleteBackupObjects(kube: KubeConfigOrClient, owner: BackupOwner): Promise<void> {
  const ref = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    namespace: owner.namespace,
    name: backupCronJobName(owner.name),
  };
  const live = await getObject<CronJobObject>(kube, ref);
  if (live?.metadata?.ownerReferences?.some((o) => o.uid === owner.uid)) {
    await deleteObject(kube, ref, { uid: live.metadata.uid!, propagationPolicy: 'Background' });
  }
}
