// The shell scripts of backup and restore pods.
//
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
