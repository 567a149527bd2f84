// Reading the errors of S3 calls: the S3 code and HTTP status, and a one-line description that never carries a key.
import type { S3Connection } from '../model/provider.ts';

/** Raised for S3 failures worth retrying (network, 5xx, throttling, unexpected answers). Carries no secret. */
export class ObjectStorageError extends Error {
  readonly reason = 'ObjectStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectStorageError';
  }
}

interface S3ErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The S3 error code (NoSuchBucket, BucketNotEmpty, ECONNREFUSED, ...) and HTTP status of an SDK error. */
export function s3ErrorCode(err: unknown): { code: string; status: number | undefined } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as S3ErrorLike;
  const code = e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'UnknownError';
  return { code, status: e.$metadata?.httpStatusCode };
}

/**
 * A one-line description of a failed S3 call for conditions and events: the action, the bucket, the S3 code and
 * status, and the server's message with the connection's key id and secret removed (servers may echo them).
 */
export function describeS3Error(err: unknown, action: string, bucket: string, conn: S3Connection): string {
  const { code, status } = s3ErrorCode(err);
  let message = err instanceof Error ? err.message : '';
  for (const secret of [conn.secretAccessKey, conn.accessKeyId]) {
    if (secret) message = message.split(secret).join('***');
  }
  message = message.replace(/\s+/g, ' ').trim().slice(0, 200);
  const detail = message && message !== code ? `: ${message}` : '';
  return `S3 ${action} of bucket ${bucket} at ${conn.endpoint} failed with ${code}${status ? ` (HTTP ${status})` : ''}${detail}`;
}
