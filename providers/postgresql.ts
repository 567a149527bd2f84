import type { z } from 'zod';
import { databaseConnection } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { backupSpec, databaseOptions, databaseOptionsField, instanceField } from '../src/model/spec.ts';

const spec = backupSpec(
  { instance: instanceField('par'), options: databaseOptionsField() },
  'A PostgreSQL database managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'PostgreSql',
  plural: 'postgresqls',
  singular: 'postgresql',
  shortNames: ['pg'],
  crdVersion: 'v1',
  finalizer: 'api.clever-cloud.com/postgresql',
  providerId: 'postgresql-addon',
  description: 'A PostgreSQL database on Clever Cloud, with its connection details in a Secret.',
  spec,
  defaultRegion: 'par',
  versions: { upstreamCodes: { 11: '11', 12: '12', 13: '13', 14: '14', 15: '15', 16: '16', 17: '17', 18: '18' } },
  plan: (s) => s.instance.plan,
  region: (s) => s.instance.region,
  requestedVersion: (s) => s.options.version,
  options: (s) => databaseOptions(s.options),
  readiness: { kind: 'databaseStatus' },
  binding(env) {
    const { host, port, username, password, database, url } = databaseConnection(env, 'POSTGRESQL_ADDON', 'postgresql');
    return {
      serviceBinding: { type: 'postgresql', host, port, username, password, database, uri: url },
      // libpq form with TLS required: Paperclip (postgres.js) and pg_dump both read it.
      consumer: { DATABASE_URL: `${url}?sslmode=require` },
    };
  },
  backup: {
    // Custom format: compressed, and pg_restore can --clean what it restores. One transaction: all or nothing.
    dump: ['pg_dump --format=custom --no-owner --no-privileges --dbname="${DATABASE_URL:-$POSTGRESQL_ADDON_URI}"'],
    restore: [
      'pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction ' +
        '--dbname="${DATABASE_URL:-$POSTGRESQL_ADDON_URI}"',
    ],
    extension: 'dump',
  },
  printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
});
