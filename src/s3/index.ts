// S3 access shared by Cellar buckets (src/reconcile/buckets.ts) and backup retention (src/reconcile/backup/).
export {
  lazyS3Client,
  loadS3Sdk,
  s3ClientConfig,
  type LazyS3Client,
  type S3ClientOptions,
  type S3Sdk,
} from './client.ts';
export { describeS3Error, ObjectStorageError, s3ErrorCode } from './errors.ts';
