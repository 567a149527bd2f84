// A real PostgreSQL server on loopback for tests, from the machine's Debian packages (postgresql-15 or newer):
// initdb into a temporary folder, TLS on (the operator's DATABASE_URL says sslmode=require, as Clever's servers
// demand), password authentication over TCP, and a trusted Unix socket for the test's own superuser statements.
// As root it runs as the `postgres` system user (initdb refuses root). It dies with the test process.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/controlplane/local-plane.ts';
import { startSupervised, type Supervised } from '../../src/controlplane/supervised.ts';
import type { DatabaseCredentials } from '../../src/simulator/types.ts';

export interface LocalPostgres {
  host: string;
  port: number;
  /** The server's major version, e.g. '15'. */
  major: string;
  /** Creates the user and database of an add-on, as Clever provisions them (idempotent; a rotation sets the password). */
  provision(credentials: DatabaseCredentials): void;
  /** Runs SQL as superuser in a database; returns psql's unaligned, tuples-only output. */
  sql(database: string, statement: string): string;
  stop(): Promise<void>;
}

/** The folder with initdb and postgres, newest version first; undefined when no server is installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;
const quoteLiteral = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function startLocalPostgres(): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL server under /usr/lib/postgresql: install the Debian package postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'local-pg-'));
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: drop to the postgres system user, which owns the folder.
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const own = (path: string) => {
    if (uid !== undefined && gid !== undefined) chownSync(path, uid, gid);
  };
  const asServerUser = (command: string, args: string[]): [string, string[]] =>
    asRoot
      ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]]
      : [command, args];
  own(dir);

  const data = join(dir, 'data');
  const [initCmd, initArgs] = asServerUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });

  // A throwaway self-signed certificate: clients with sslmode=require encrypt but do not verify, as with Clever.
  const cert = join(data, 'server.crt');
  const key = join(data, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  own(cert);
  own(key);
  // Only TLS connections with a password over TCP; the socket (the test's superuser) is trusted.
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n', { mode: 0o600 });
  own(hba);

  const port = await freePort();
  const [cmd, args] = asServerUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `port=${port}`,
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    'ssl=on',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
  ]);
  const server: Supervised = startSupervised('postgres', cmd, args, join(tmpdir(), `${dir.split('/').pop()}.log`));

  const psql = (database: string, statement: string) =>
    execFileSync(
      join(bin, 'psql'),
      [
        '-X',
        '-q',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        database,
      ],
      { input: statement, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    );

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!server.isRunning()) throw new Error(`postgres exited during start-up:\n${server.tail()}`);
    try {
      psql('postgres', 'select 1');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`postgres not ready after 30 s:\n${server.tail()}`, { cause: err });
      await sleep(200);
    }
  }

  return {
    host: '127.0.0.1',
    port,
    major: bin.split('/').at(-2)!,
    provision(c) {
      const exists = psql('postgres', `select 1 from pg_roles where rolname = ${quoteLiteral(c.user)}`).trim();
      psql(
        'postgres',
        `${exists ? 'alter' : 'create'} role ${quoteIdent(c.user)} login password ${quoteLiteral(c.password)}`,
      );
      const hasDb = psql('postgres', `select 1 from pg_database where datname = ${quoteLiteral(c.database)}`).trim();
      if (!hasDb) psql('postgres', `create database ${quoteIdent(c.database)} owner ${quoteIdent(c.user)}`);
    },
    sql: psql,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(server.logFile, { force: true });
    },
  };
}
