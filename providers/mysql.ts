import type { z } from 'zod';
import { databaseConnection } from '../src/model/env.ts';
import { defineProvider } from '../src/model/provider.ts';
import { backupSpec, databaseOptions, databaseOptionsField, instanceField } from '../src/model/spec.ts';

const spec = backupSpec(
  { instance: instanceField('par'), options: databaseOptionsField() },
  'A MySQL database managed by Clever Cloud.',
);

export default defineProvider<z.output<typeof spec>>({
  kind: 'MySql',
  plural: 'mysqls',
  singular: 'mysql',
  shortNames: ['my'],
  crdVersion: 'v1',
  finalizer: 'api.clever-cloud.com/mysql',
  providerId: 'mysql-addon',
  description: 'A MySQL database on Clever Cloud, with its connection details in a Secret.',
  spec,
  defaultRegion: 'par',
  versions: { upstreamCodes: { 57: '5.7', 80: '8.0', 84: '8.4' } },
  plan: (s) => s.instance.plan,
  region: (s) => s.instance.region,
  requestedVersion: (s) => s.options.version,
  options: (s) => databaseOptions(s.options),
  readiness: { kind: 'databaseStatus' },
  envKeys: [
    'MYSQL_ADDON_HOST',
    'MYSQL_ADDON_PORT',
    'MYSQL_ADDON_DB',
    'MYSQL_ADDON_USER',
    'MYSQL_ADDON_PASSWORD',
    'MYSQL_ADDON_URI',
    'MYSQL_ADDON_VERSION',
  ],
  binding(env) {
    const { host, port, username, password, database, url } = databaseConnection(env, 'MYSQL_ADDON', 'mysql');
    return {
      serviceBinding: { type: 'mysql', host, port, username, password, database, uri: url },
      // The form Prisma, Sequelize, TypeORM and mysql2 accept; TLS is negotiated by the client's own settings.
      consumer: { DATABASE_URL: url },
    };
  },
  backup: {
    // MariaDB and MySQL client options only (the tools image ships mariadb-client); the password via MYSQL_PWD,
    // never on the command line.
    dump: [
      'MYSQL_PWD="${MYSQL_ADDON_PASSWORD:-$password}" mysqldump --host="${MYSQL_ADDON_HOST:-$host}" ' +
        '--port="${MYSQL_ADDON_PORT:-$port}" --user="${MYSQL_ADDON_USER:-$username}" --single-transaction --quick ' +
        '--routines --triggers --no-tablespaces "${MYSQL_ADDON_DB:-$database}"',
      'gzip -c',
    ],
    restore: [
      'gunzip -c',
      'MYSQL_PWD="${MYSQL_ADDON_PASSWORD:-$password}" mysql --host="${MYSQL_ADDON_HOST:-$host}" ' +
        '--port="${MYSQL_ADDON_PORT:-$port}" --user="${MYSQL_ADDON_USER:-$username}" "${MYSQL_ADDON_DB:-$database}"',
    ],
    extension: 'sql.gz',
  },
  printerColumns: [{ name: 'Version', type: 'string', jsonPath: '.status.version', priority: 1 }],
});
