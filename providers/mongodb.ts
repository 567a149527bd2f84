import { databaseBinding, databaseEnvKeys, databaseProvider } from './database.ts';

export default databaseProvider({
  kind: 'MongoDb',
  plural: 'mongodbs',
  singular: 'mongodb',
  shortNames: ['mo'],
  finalizer: 'api.clever-cloud.com/mongodb',
  providerId: 'mongodb-addon',
  description: 'A MongoDB database on Clever Cloud, with its connection details in a Secret.',
  specDescription: 'A MongoDB database managed by Clever Cloud.',
  upstreamCodes: { 403: '4.0.3' },
  envKeys: databaseEnvKeys('MONGODB_ADDON'),
  binding: (env) =>
    databaseBinding(env, 'MONGODB_ADDON', 'mongodb', (url) => ({ DATABASE_URL: url, MONGODB_URI: url })),
  backup: {
    dump: ['mongodump --uri="${MONGODB_URI:-$MONGODB_ADDON_URI}" --archive --gzip'],
    restore: ['mongorestore --uri="${MONGODB_URI:-$MONGODB_ADDON_URI}" --archive --gzip --drop'],
    extension: 'archive.gz',
  },
});
