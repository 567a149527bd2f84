// A real MariaDB server on loopback for tests, from the machine's Debian packages (mariadb-server): a fresh data
// folder, password authentication over TCP for the add-ons' users, and the test's own root over a Unix socket.
// As root it runs as the `mysql` system user. It dies with the test process. MySQL add-ons of the simulator point at
// it, so the mysqldump and mysql commands of the backup Jobs reach a real server.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/controlplane/local-plane.ts';
import { startSupervised } from '../../src/controlplane/supervised.ts';
import type { DatabaseCredentials } from '../../src/simulator/types.ts';

export interface LocalMariaDb {
  host: string;
  port: number;
  /** Creates the user and database of an add-on (idempotent; a rotation sets the password). */
  provision(credentials: DatabaseCredentials): void;
  /** Runs SQL as root in a database; returns the tab-separated rows without column names. */
  sql(database: string, statement: string): string;
  stop(): Promise<void>;
}

const SERVER = '/usr/sbin/mariadbd';
const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
const ident = (s: string) => `\`${s.replaceAll('`', '``')}\``;

export async function startLocalMariaDb(): Promise<LocalMariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'local-mariadb-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'mysql'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const user = asRoot ? ['--user=mysql'] : [];
  const data = join(dir, 'data');
  execFileSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { stdio: 'pipe' },
  );

  const port = await freePort();
  const socket = join(dir, 'mysqld.sock');
  const server = startSupervised(
    'mariadbd',
    SERVER,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--innodb-buffer-pool-size=16M',
      '--character-set-server=utf8mb4',
      ...user,
    ],
    join(tmpdir(), `${dir.split('/').pop()}.log`),
  );

  const sql = (database: string, statement: string) =>
    execFileSync('mysql', ['--no-defaults', '-S', socket, '-u', 'root', '--batch', '--skip-column-names', database], {
      input: statement,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!server.isRunning()) throw new Error(`mariadbd exited during start-up:\n${server.tail()}`);
    try {
      sql('mysql', 'select 1');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`mariadbd not ready after 30 s:\n${server.tail()}`, { cause: err });
      await sleep(200);
    }
  }

  return {
    host: '127.0.0.1',
    port,
    provision(c) {
      const account = `${quote(c.user)}@'%'`;
      sql(
        'mysql',
        `create user if not exists ${account} identified by ${quote(c.password)};
         alter user ${account} identified by ${quote(c.password)};
         create database if not exists ${ident(c.database)} character set utf8mb4;
         grant all on ${ident(c.database)}.* to ${account};`,
      );
    },
    sql,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(server.logFile, { force: true });
    },
  };
}
