// The operator's own S3 client, for every S3-compatible store it talks to: Cellar add-ons (their buckets) and
// backup targets (retention). One set of settings, and the AWS SDK loaded on first use only: an operator serving no
// Cellar and no backup never loads it.
import type * as S3SdkModule from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Connection } from '../model/provider.ts';

export type S3Sdk = typeof S3SdkModule;

let sdk: Promise<S3Sdk> | undefined;

/** The AWS SDK's S3 module, imported once, at the first call (a failed import is tried again next time). */
export function loadS3Sdk(): Promise<S3Sdk> {
  sdk ??= import('@aws-sdk/client-s3').catch((err: unknown) => {
    sdk = undefined;
    throw err;
  });
  return sdk;
}

export interface S3ClientOptions {
  /** How long one request may take, in milliseconds (connecting has 5 s of its own). */
  requestTimeoutMs: number;
}

/**
 * The client settings. Path-style addressing: Cellar and local S3 servers serve buckets under the endpoint's path,
 * where virtual hosts would need DNS per bucket. Checksums only where S3 requires them: S3-compatible services
 * (Ceph-based Cellar included) do not all accept the CRC32 checksums the SDK sends by default. One retry.
 */
export function s3ClientConfig(connection: S3Connection, options: S3ClientOptions): S3ClientConfig {
  return {
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: options.requestTimeoutMs },
  };
}

/** An S3 client made at its first use. Holds credentials: never log it. */
export interface LazyS3Client {
  /** Runs `call` with the client (created, and the SDK loaded, on the first call) and the SDK's commands. */
  use<T>(call: (client: S3Client, sdk: S3Sdk) => Promise<T>): Promise<T>;
  /** Releases the client's connections; a closed client refuses further calls. */
  close(): void;
}

export function lazyS3Client(connection: S3Connection, options: S3ClientOptions): LazyS3Client {
  let client: S3Client | undefined;
  let closed = false;
  return {
    async use(call) {
      const loaded = await loadS3Sdk();
      if (closed) throw new Error('the S3 client is closed');
      client ??= new loaded.S3Client(s3ClientConfig(connection, options));
      return call(client, loaded);
    },
    close() {
      closed = true;
      client?.destroy();
    },
  };
}
