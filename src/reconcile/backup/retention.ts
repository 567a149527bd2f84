// Retention: which dumps are expired, and the sweep that deletes them with the operator's own S3 client.
import { lazyS3Client } from '../../s3/index.ts';
import { parseStamp } from './names.ts';
import type { BackupStepInput } from './step.ts';
import { readConnection } from './target.ts';
import type { BackupSpec, ObjectStore, ResolvedTarget, S3Access } from './types.ts';

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

/** The operator's S3 client (src/s3) on the target's bucket; the SDK is loaded at the first call. */
export function s3ObjectStore(connection: S3Access, bucket: string): ObjectStore {
  const s3 = lazyS3Client(connection, { requestTimeoutMs: 30_000 });
  return {
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.use((client, sdk) =>
          client.send(
            new sdk.ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const out = await s3.use((client, sdk) =>
          client.send(
            new sdk.DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
        if (out.Errors && out.Errors.length > 0) {
          throw new Error(`could not delete ${out.Errors.length} of ${batch.length} expired backups in ${bucket}`);
        }
      }
    },
    close() {
      s3.close();
    },
  };
}

/** After a new successful backup, deletes dumps beyond retention (never the newest); failures are only logged. */
export async function sweepExpired(
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
