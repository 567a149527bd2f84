import type { z } from 'zod';
import { httpsEndpoint, need } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, emptyOptionsField, instanceField, objectStorageSpecShape } from '../src/model/spec.ts';

const spec = addonSpec(
  { instance: instanceField('par'), options: emptyOptionsField, ...objectStorageSpecShape },
  'A Cellar (S3-compatible object storage) add-on managed by Clever Cloud.',
);

/** Cellar ignores the S3 region, but AWS SDKs and Paperclip refuse an empty one. */
const S3_REGION = 'us-east-1';

export default defineProvider<z.output<typeof spec>>({
  kind: 'Cellar',
  plural: 'cellars',
  singular: 'cellar',
  finalizer: 'api.clever-cloud.com/cellar',
  providerId: 'cellar-addon',
  description: 'Cellar S3-compatible object storage on Clever Cloud, with its keys in a Secret.',
  spec,
  readiness: { kind: 'exists' },
  binding(env) {
    const host = need(env, 'CELLAR_ADDON_HOST');
    const keyId = need(env, 'CELLAR_ADDON_KEY_ID');
    const keySecret = need(env, 'CELLAR_ADDON_KEY_SECRET');
    const endpoint = httpsEndpoint(host);
    return {
      serviceBinding: {
        type: 's3',
        host,
        uri: endpoint,
        extra: { endpoint, 'access-key-id': keyId, 'secret-access-key': keySecret, region: S3_REGION },
      },
      consumer: {
        AWS_ACCESS_KEY_ID: keyId,
        AWS_SECRET_ACCESS_KEY: keySecret,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_REGION: S3_REGION,
      },
    };
  },
  objectStorage: {
    buckets: (s) => s.buckets ?? [],
    pruneBuckets: (s) => s.pruneBuckets,
    bucketDeletionPolicy: (s) => s.bucketDeletionPolicy,
    connection: (env) => ({
      endpoint: httpsEndpoint(need(env, 'CELLAR_ADDON_HOST')),
      region: S3_REGION,
      accessKeyId: need(env, 'CELLAR_ADDON_KEY_ID'),
      secretAccessKey: need(env, 'CELLAR_ADDON_KEY_SECRET'),
    }),
  },
  statusFields: (env): Record<string, string> =>
    env.CELLAR_ADDON_HOST ? { url: httpsEndpoint(env.CELLAR_ADDON_HOST) } : {},
});
