import { databaseBinding, databaseEnvKeys, databaseProvider } from './database.ts';

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

export default databaseProvider({
  kind: 'PostgreSql',
  plural: 'postgresqls',
  singular: 'postgresql',
  shortNames: ['pg'],
  finalizer: 'api.clever-cloud.com/postgresql',
  providerId: 'postgresql-addon',
  description: 'A PostgreSQL database on Clever Cloud, with its connection details in a Secret.',
  specDescription: 'A PostgreSQL database managed by Clever Cloud.',
  upstreamCodes: { 11: '11', 12: '12', 13: '13', 14: '14', 15: '15', 16: '16', 17: '17', 18: '18' },
  // libpq form with TLS required: Paperclip (postgres.js) and pg_dump both read it.
  envKeys: databaseEnvKeys('POSTGRESQL_ADDON'),
  binding: (env) =>
    databaseBinding(env, 'POSTGRESQL_ADDON', 'postgresql', (url) => ({ DATABASE_URL: `${url}?sslmode=require` })),
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
});
