// tools/install-test-tools.sh on a machine where it cannot install: it names what is missing and how to get it,
// and exits 1 before trying anything. The machine is simulated with a PATH holding only the basic commands and an
// `id` that reports an ordinary user.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../tools/install-test-tools.sh', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function machine(commands: string[]): string {
  const bin = mkdtempSync(join(tmpdir(), 'tools-path-'));
  dirs.push(bin);
  for (const c of ['ls', 'sort', 'tail', 'true', ...commands]) symlinkSync(`/usr/bin/${c}`, join(bin, c));
  writeFileSync(join(bin, 'id'), '#!/bin/sh\necho 1000\n');
  chmodSync(join(bin, 'id'), 0o755);
  return bin;
}

const run = (bin: string) =>
  spawnSync('/bin/bash', [script], { encoding: 'utf8', env: { PATH: bin, HOME: tmpdir() }, timeout: 20_000 });

it('without root: names each missing tool and the command to run, exit 1', () => {
  const r = run(machine(['apt-get']));
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('the backup integration tests need tools this machine lacks:');
  expect(r.stdout).toMatch(/- MariaDB server and client tools \(Debian: mariadb-server mariadb-client\)/);
  expect(r.stdout).toMatch(/- the aws CLI \(pip install awscli, or Debian: awscli\)/);
  expect(r.stdout).toMatch(/- PostgreSQL server and client tools \(Debian: postgresql\)/);
  expect(r.stdout).toContain('installing them needs root: run `sudo bash tools/install-test-tools.sh` once');
  expect(r.stdout).not.toContain('installing MariaDB');
});

it('without apt-get: says to use the machine’s package manager, exit 1', () => {
  const r = run(machine([]));
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('this script installs them with apt-get (Debian/Ubuntu), which is not here');
});
