// The README's first command, as a user runs it: `clever-addon-operator playground` in a child process, with its
// own control plane (not the shared test one), its own simulator and the operator in-process. Asserted from the
// outside: exit codes, the add-ons Ready in its API server (read with kubectl while it runs), and no etcd or
// kube-apiserver left behind after Ctrl-C.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';
import { eventually } from '../support/kube.ts';
import { kubectl } from '../support/kubectl.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const children: ChildProcess[] = [];

function playground(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['src/cli.ts', 'playground', '--provisioning-delay', '1500', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * etcd and kube-apiserver processes whose flags mention `text` (the plane's work dir). Their guardian shells are left
 * out: a stopped guardian's SIGKILL-escalation subshell sleeps a few seconds more, by design, then exits.
 */
async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((l) => l.includes(text) && !l.includes('guardian') && !l.includes('ps -eo'));
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('playground', () => {
  it('--exit-when-ready: every example Ready, Secrets written, exit 0', { timeout: 150_000 }, async () => {
    const p = playground(['--exit-when-ready', '--timeout', '120']);
    const code = await p.exited;
    expect(code, p.output()).toBe(0);
    const line = p
      .output()
      .split('\n')
      .find((l) => l.startsWith('PLAYGROUND_RESULT '));
    expect(line, p.output()).toBeDefined();
    const result = JSON.parse(line!.slice('PLAYGROUND_RESULT '.length)) as {
      ready: { kind: string; name: string; ready: string }[];
      applied: { kind: string; name: string }[];
      secrets: Record<string, string[]>;
    };
    expect(result.ready.map((r) => `${r.kind}/${r.name}=${r.ready}`).sort()).toEqual(
      expect.arrayContaining(['Cellar/files=True', 'PostgreSql/app-db=True', 'Redis/cache=True']),
    );
    expect(result.ready.every((r) => r.ready === 'True')).toBe(true);
    expect(result.secrets['clever-playground/app-db-secrets']).toContain('DATABASE_URL');
    expect(result.secrets['clever-playground/cache-secrets']).toContain('REDIS_URL');
    expect(result.secrets['clever-playground/files-secrets']).toContain('AWS_ACCESS_KEY_ID');
    // The Paperclip example, when present: its add-ons (a Cellar with buckets, on the local S3 server) Ready too,
    // and its Instance applied (no Paperclip operator runs here).
    if (existsSync(join(root, 'examples', 'paperclip'))) {
      expect(result.ready.map((r) => r.name)).toEqual(
        expect.arrayContaining(['paperclip-db', 'paperclip-files', 'paperclip-redis']),
      );
      expect(result.applied).toEqual([{ kind: 'Instance', name: 'paperclip' }]);
      expect(result.secrets['clever-playground/paperclip-db-secrets']).toContain('DATABASE_URL');
    }
    expect(p.output()).toMatch(/export KUBECONFIG=\S+/);
    expect(p.output()).toContain('sim-dev-token');
    const workDir = /work dir (\S+)\)/.exec(p.output())![1]!;
    expect(await processesMentioning(workDir)).toEqual([]);
  });

  it(
    'interactive: kubectl sees the add-ons Ready while it runs; Ctrl-C stops everything',
    { timeout: 150_000 },
    async () => {
      const p = playground([]);
      await eventually(
        () => (p.output().includes('press Ctrl-C') ? true : undefined),
        90_000,
        'the playground to be ready',
      );
      const kubeconfig = /export KUBECONFIG=(\S+)/.exec(p.output())![1]!;
      const workDir = /work dir (\S+)\)/.exec(p.output())![1]!;
      const { stdout } = await run(`${defaultBinDir()}/kubectl`, [
        '--kubeconfig',
        kubeconfig,
        'get',
        'clever',
        '-A',
        '-o',
        'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      expect(stdout.trim().split('\n').sort()).toEqual(
        expect.arrayContaining(['Cellar/files=True', 'PostgreSql/app-db=True', 'Redis/cache=True']),
      );
      expect((await processesMentioning(workDir)).length).toBeGreaterThanOrEqual(2); // etcd and kube-apiserver
      p.child.kill('SIGINT');
      expect(await p.exited, p.output()).toBe(0);
      expect(p.output()).toContain('[playground] stopped');
      expect(await processesMentioning(workDir)).toEqual([]);
    },
  );

  it(
    '--kubeconfig: uses that cluster, only its own namespace, and deletes what it applied on exit',
    { timeout: 150_000 },
    async () => {
      const namespace = `playground-${randomBytes(3).toString('hex')}`;
      const p = playground([
        '--kubeconfig',
        inject('kubeconfigPath'),
        '--namespace',
        namespace,
        '--exit-when-ready',
        '--timeout',
        '120',
      ]);
      const code = await p.exited;
      expect(code, p.output()).toBe(0);
      expect(p.output()).toContain('using the existing cluster');
      expect(p.output()).not.toContain('starting a local control plane');
      const line = p
        .output()
        .split('\n')
        .find((l) => l.startsWith('PLAYGROUND_RESULT '))!;
      const result = JSON.parse(line.slice('PLAYGROUND_RESULT '.length)) as {
        ready: { namespace: string; ready: string }[];
      };
      expect(result.ready.length).toBeGreaterThanOrEqual(3);
      expect(result.ready.every((r) => r.ready === 'True' && r.namespace === namespace)).toBe(true);
      // Deleted on exit, finalizers honoured by the operator before it stopped: nothing left behind.
      expect((await kubectl(['-n', namespace, 'get', 'clever', '-o', 'name'])).trim()).toBe('');
      expect(
        (
          await kubectl([
            '-n',
            namespace,
            'get',
            'secrets',
            '-l',
            'app.kubernetes.io/managed-by=clever-addon-operator',
            '-o',
            'name',
          ])
        ).trim(),
      ).toBe('');
    },
  );
});
