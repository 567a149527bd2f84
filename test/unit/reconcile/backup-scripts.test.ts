// The backup and restore scripts, run: under dash (Debian's /bin/sh, as in a Debian-based tools image) and bash in
// POSIX mode, against a fake `aws` that keeps objects in a folder. What matters is what a shell does with them: a
// failure of any pipeline stage fails the run and leaves no partial dump behind; restore picks the newest dump.
// backup.tools.test.ts runs them with the real pg_dump, pg_restore, aws CLI and S3 server.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { backupKey, backupScript, restoreScript } from '../../../src/reconcile/backup/index.ts';

// s3 cp - s3://b/k (upload stdin), s3 cp s3://b/k - (download), s3 rm s3://b/k, s3api list-objects-v2 (text output).
const FAKE_AWS = `#!/bin/sh
set -eu
while [ "$1" != s3 ] && [ "$1" != s3api ]; do shift; done
cmd="$1 $2"; shift 2
path_of() { echo "$FAKE_S3/\${1#s3://}"; }
case "$cmd" in
  "s3 cp")
    [ "$1" = --only-show-errors ] && shift
    if [ "$1" = - ]; then
      [ "\${FAKE_UPLOAD_FAIL:-}" = yes ] && { cat > /dev/null; echo "upload failed" >&2; exit 2; }
      mkdir -p "$(dirname "$(path_of "$2")")"; cat > "$(path_of "$2")"
    else
      [ -f "$(path_of "$1")" ] || { echo "fatal error: Not Found" >&2; exit 1; }
      cat "$(path_of "$1")"
    fi ;;
  "s3 rm") [ "$1" = --only-show-errors ] && shift; rm -f "$(path_of "$1")" ;;
  "s3api list-objects-v2")
    bucket="$2"; prefix="$4"
    found="$(cd "$FAKE_S3/$bucket" 2>/dev/null && find . -type f | sed 's|^\\./||' | grep "^$prefix" || true)"
    if [ -z "$found" ]; then echo None; else echo "$found" | tr '\\n' '\\t' | sed 's/\\t$//'; echo; fi ;;
  *) echo "fake aws: unsupported $cmd" >&2; exit 64 ;;
esac
`;

const root = mkdtempSync(join(tmpdir(), 'backup-scripts-'));
const bin = join(root, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'aws'), FAKE_AWS);
chmodSync(join(bin, 'aws'), 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SHELLS: [string, string[]][] = [
  ['dash', ['dash', '-c']],
  // --norc: bash reads ~/.bashrc when its stdin is a socket (it takes that for sshd), as Node's pipes are.
  ['bash --posix', ['bash', '--norc', '--posix', '-c']],
];

let counter = 0;
function run(shell: string[], script: string, env: Record<string, string> = {}) {
  const store = join(root, `s3-${counter++}`);
  mkdirSync(join(store, 'bucket'), { recursive: true });
  const [command, ...args] = shell;
  const result = spawnSync(command!, [...args, script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      TMPDIR: root,
      FAKE_S3: store,
      AWS_ENDPOINT_URL_S3: 'http://s3.invalid',
      AWS_REGION: 'us-east-1',
      BACKUP_BUCKET: 'bucket',
      BACKUP_PREFIX: 'team/db/',
      BACKUP_EXTENSION: 'sql.gz',
      JOB_NAME: 'db-backup-29000000',
      ...env,
    },
  });
  return { ...result, store, output: `${result.stdout}${result.stderr}` };
}

// The run named db-backup-29000000 was scheduled at 29000000 unix minutes.
const KEY = backupKey('team/db/', new Date(29_000_000 * 60_000), 'sql.gz');

describe.each(SHELLS)('backup script under %s', (_name, shell) => {
  it('uploads the output of every stage to the key of the scheduled minute', () => {
    const r = run(shell, backupScript(["printf 'row 1\\nrow 2\\n'", 'gzip -c']));
    expect(r.output).toContain(`uploaded s3://bucket/${KEY}`);
    expect(r.status).toBe(0);
    expect(gunzipSync(readFileSync(join(r.store, 'bucket', KEY))).toString()).toBe('row 1\nrow 2\n');
  });

  it.each([
    ['the dump', ["sh -c 'printf partial; exit 3'", 'gzip -c'], '3 0 0'],
    ['a middle stage', ["printf 'row 1\\n'", "sh -c 'cat >/dev/null; exit 4'"], '0 4 0'],
  ])('fails and removes the partial object when %s fails', (_what, stages, statuses) => {
    const r = run(shell, backupScript(stages));
    expect(r.status).toBe(1);
    expect(r.output).toContain(`exit statuses of dump | upload: ${statuses} )`);
    expect(r.output).not.toContain('uploaded');
    expect(existsSync(join(r.store, 'bucket', KEY))).toBe(false);
  });

  it('fails when the upload fails, even though the dump succeeded', () => {
    const r = run(shell, backupScript(["printf 'row\\n'"]), { FAKE_UPLOAD_FAIL: 'yes' });
    expect(r.status).toBe(1);
    expect(r.output).toContain('upload failed');
  });

  it('names a manual run (kubectl create job --from) by the current time', () => {
    const r = run(shell, backupScript(['printf x']), { JOB_NAME: 'db-backup-manual-x7k2p' });
    expect(r.status).toBe(0);
    const uploaded = /uploaded s3:\/\/bucket\/(team\/db\/(\d{8}T\d{6}Z)\.sql\.gz)/.exec(r.output);
    expect(uploaded).not.toBeNull();
    const stamp = uploaded![2]!;
    const at = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(9, 11));
    expect(Math.abs(at - Date.now())).toBeLessThan(2 * 3_600_000);
  });
});

describe.each(SHELLS)('restore script under %s', (_name, shell) => {
  const put = (store: string, key: string, body: string) => {
    mkdirSync(join(store, 'bucket', key, '..'), { recursive: true });
    writeFileSync(join(store, 'bucket', key), body);
  };
  function restoreRun(setup: (store: string) => void, env: Record<string, string>, stages?: string[]) {
    const out = join(root, `restored-${counter}`);
    const store = join(root, `s3-${counter}`);
    mkdirSync(join(store, 'bucket'), { recursive: true });
    setup(store);
    const r = run(shell, restoreScript(stages ?? [`cat > ${out}`]), { BACKUP_EXTENSION: 'dump', ...env });
    return { ...r, restored: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
  }

  it('loads the newest dump under the prefix, ignoring other objects', () => {
    const r = restoreRun(
      (s) => {
        put(s, 'team/old/20250101T000000Z.dump', 'january');
        put(s, 'team/old/20250301T000000Z.dump', 'march');
        put(s, 'team/old/20250201T000000Z.dump', 'february');
        put(s, 'team/old/README.txt', 'not a dump');
        put(s, 'team/older/20991231T000000Z.dump', 'another prefix');
      },
      { RESTORE_PREFIX: 'team/old/' },
    );
    expect(r.output).toContain('restored s3://bucket/team/old/20250301T000000Z.dump');
    expect(r.status).toBe(0);
    expect(r.restored).toBe('march');
  });

  it('loads the given key', () => {
    const r = restoreRun(
      (s) => {
        put(s, 'team/old/20250101T000000Z.dump', 'january');
        put(s, 'team/old/20250301T000000Z.dump', 'march');
      },
      { RESTORE_KEY: 'team/old/20250101T000000Z.dump' },
    );
    expect(r.status).toBe(0);
    expect(r.restored).toBe('january');
  });

  it('fails when the download fails, even though the restore command read an empty stream happily', () => {
    const r = restoreRun(() => undefined, { RESTORE_KEY: 'team/old/20250101T000000Z.dump' });
    expect(r.status).toBe(1);
    expect(r.output).toContain('exit statuses of download | restore: 1 0 )');
  });

  it('fails when a restore stage fails', () => {
    const r = restoreRun((s) => put(s, 'team/old/20250101T000000Z.dump', 'x'), { RESTORE_PREFIX: 'team/old/' }, [
      "sh -c 'cat >/dev/null; exit 5'",
    ]);
    expect(r.status).toBe(1);
    expect(r.output).toContain('download | restore: 0 5 )');
  });

  it('says so when there is no dump under the prefix', () => {
    const r = restoreRun((s) => put(s, 'team/old/notes.txt', 'x'), { RESTORE_PREFIX: 'team/old/' });
    expect(r.status).toBe(1);
    expect(r.output).toContain('no backup found under s3://bucket/team/old/');
  });
});
