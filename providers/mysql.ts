import { databaseBinding, databaseEnvKeys, databaseProvider } from './database.ts';

export default databaseProvider({
  kind: 'MySql',
  plural: 'mysqls',
  singular: 'mysql',
  shortNames: ['my'],
  finalizer: 'api.clever-cloud.com/mysql',
  providerId: 'mysql-addon',
  description: 'A MySQL database on Clever Cloud, with its connection details in a Secret.',
  specDescription: 'A MySQL database managed by Clever Cloud.',
  upstreamCodes: { 57: '5.7', 80: '8.0', 84: '8.4' },
  // The form Prisma, Sequelize, TypeORM and mysql2 accept; TLS is negotiated by the client's own settings.
  envKeys: databaseEnvKeys('MYSQL_ADDON'),
  binding: (env) => databaseBinding(env, 'MYSQL_ADDON', 'mysql', (url) => ({ DATABASE_URL: url })),
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
});
