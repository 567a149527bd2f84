import type { z } from 'zod';
import { need } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { addonSpec, emptyOptionsField, instanceField } from '../src/model/spec.ts';

const spec = addonSpec(
  { instance: instanceField('par'), options: emptyOptionsField },
  'An FS Bucket (persistent file system over FTP/NFS) managed by Clever Cloud.',
);

// Not served by the upstream operator: a kind of our own, in the same API group.
export default defineProvider<z.output<typeof spec>>({
  kind: 'FSBucket',
  plural: 'fsbuckets',
  singular: 'fsbucket',
  shortNames: ['fsb'],
  finalizer: 'api.clever-cloud.com/fs-bucket',
  providerId: 'fs-bucket',
  description: 'A Clever Cloud FS Bucket, with its FTP credentials in a Secret.',
  spec,
  readiness: { kind: 'exists' },
  binding(env) {
    const host = need(env, 'BUCKET_HOST');
    return {
      serviceBinding: {
        type: 'ftp',
        host,
        username: need(env, 'BUCKET_FTP_USERNAME'),
        password: need(env, 'BUCKET_FTP_PASSWORD'),
      },
      consumer: {},
    };
  },
});
