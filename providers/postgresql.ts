import type { z } from 'zod';
import { databaseConnection } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { backupSpec, databaseOptions, databaseOptionsField, instanceField } from '../src/model/spec.ts';

/**
 * A PostgreSQL client tool of the add-on's own major version when the image has it (Alpine's postgresqlNN-client in
 * /usr/libexec/postgresqlNN, Debian's in /usr/lib/postgresql/NN/bin), else the one on PATH: pg_dump refuses servers
 * newer than itself, and a newer pg_dump's output may not load into an older server (pg_dump 17 writes
 * `SET transaction_timeout`, which 16 and older reject). Says which one it picked on stderr.
 */
function pgTool(tool: string): string {
  return (
    `"$(v="\${POSTGRESQL_ADDON_VERSION:-}"; v="\${v%%.*}"; picked=${tool}; ` +
    `for d in "/usr/libexec/postgresql$v" "/usr/lib/postgresql/$v/bin"; do ` +
    `if [ -n "$v" ] && [ -x "$d/${tool}" ]; then picked="$d/${tool}"; break; fi; done; ` +
    `echo "using $picked" >&2; echo "$picked")"`
  );
}

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
  envKeys: [
    'POSTGRESQL_ADDON_HOST',
    'POSTGRESQL_ADDON_PORT',
    'POSTGRESQL_ADDON_DB',
    'POSTGRESQL_ADDON_USER',
    'POSTGRESQL_ADDON_PASSWORD',
    'POSTGRESQL_ADDON_URI',
    'POSTGRESQL_ADDON_VERSION',
  ],
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
    dump: [
      `${pgTool('pg_dump')} --format=custom --no-owner --no-privileges --dbname="\${DATABASE_URL:-$POSTGRESQL_ADDON_URI}"`,
    ],
    restore: [
      `${pgTool('pg_restore')} --clean --if-exists --no-owner --no-privileges --single-transaction ` +
        '--dbname="${DATABASE_URL:-$POSTGRESQL_ADDON_URI}"',
    ],
    extension: 'dump',
  },
  printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
});
