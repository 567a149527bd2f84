import type { z } from 'zod';
import { databaseConnection } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { backupSpec, databaseOptions, databaseOptionsField, instanceField } from '../src/model/spec.ts';

const spec = backupSpec(
  { instance: instanceField('par'), options: databaseOptionsField() },
  'A MongoDB database managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'MongoDb',
  plural: 'mongodbs',
  singular: 'mongodb',
  shortNames: ['mo'],
  crdVersion: 'v1',
  finalizer: 'api.clever-cloud.com/mongodb',
  providerId: 'mongodb-addon',
  description: 'A MongoDB database on Clever Cloud, with its connection details in a Secret.',
  spec,
  defaultRegion: 'par',
  versions: { upstreamCodes: { 403: '4.0.3' } },
  plan: (s) => s.instance.plan,
  region: (s) => s.instance.region,
  requestedVersion: (s) => s.options.version,
  options: (s) => databaseOptions(s.options),
  readiness: { kind: 'databaseStatus' },
  envKeys: [
    'MONGODB_ADDON_HOST',
    'MONGODB_ADDON_PORT',
    'MONGODB_ADDON_DB',
    'MONGODB_ADDON_USER',
    'MONGODB_ADDON_PASSWORD',
    'MONGODB_ADDON_URI',
    'MONGODB_ADDON_VERSION',
  ],
  binding(env) {
    const { host, port, username, password, database, url } = databaseConnection(env, 'MONGODB_ADDON', 'mongodb');
    return {
      serviceBinding: { type: 'mongodb', host, port, username, password, database, uri: url },
      consumer: { DATABASE_URL: url, MONGODB_URI: url },
    };
  },
  backup: {
    dump: ['mongodump --uri="${MONGODB_URI:-$MONGODB_ADDON_URI}" --archive --gzip'],
    restore: ['mongorestore --uri="${MONGODB_URI:-$MONGODB_ADDON_URI}" --archive --gzip --drop'],
    extension: 'archive.gz',
  },
  printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
});
