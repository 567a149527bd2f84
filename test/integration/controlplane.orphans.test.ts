// The control plane must never outlive the process that started it, even when that process is SIGKILLed
// (a crashed test run, a killed playground): no etcd or kube-apiserver may be left behind.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/kube.ts';

const starter = `
import { startLocalPlane } from './src/controlplane/local-plane.ts';
import { execFileSync } from 'node:child_process';
const plane = await startLocalPlane();
const pids = execFileSync('pgrep', ['-f', plane.workDir], { encoding: 'utf8' }).trim().split('\\n').map(Number);
console.log(JSON.stringify({ pids, workDir: plane.workDir }));
setInterval(() => {}, 1000);
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local control plane process hygiene', () => {
  it('leaves no etcd or kube-apiserver behind when its owner is SIGKILLed', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', starter], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`starter exited with ${code}`)));
    });
    const { pids } = JSON.parse(line) as { pids: number[] };
    // The guardians and the two binaries all carry the work dir in their command lines.
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(pids.every(alive)).toBe(true);

    child.kill('SIGKILL');
    await eventually(() => (pids.some(alive) ? undefined : true), 20_000, 'control plane processes to exit');
  });
});
