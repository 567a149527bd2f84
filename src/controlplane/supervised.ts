// Child processes that cannot outlive us. Each binary runs under a tiny bash guardian that polls our pid: if this
// Node process dies, even by SIGKILL, the guardian terminates the child, so no etcd or kube-apiserver is ever
// orphaned on a developer machine or in CI.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

const GUARDIAN = `
parent=$1; shift
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; ( sleep 8; kill -KILL $child 2>/dev/null ) & wait $child; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
if kill -0 "$child" 2>/dev/null; then kill -TERM $child; sleep 5; kill -KILL $child 2>/dev/null; fi
wait $child
`;

export interface Supervised {
  name: string;
  logFile: string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  isRunning(): boolean;
  /** SIGTERM; the guardian escalates to SIGKILL on the child after 8 s, and we do on the guardian after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string;
}

export function startSupervised(name: string, command: string, args: string[], logFile: string): Supervised {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('bash', ['-c', GUARDIAN, 'guardian', String(process.pid), command, ...args], {
      stdio: ['ignore', fd, fd],
      detached: false,
    });
  } finally {
    closeSync(fd);
  }
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    });
    child.once('error', () => {
      running = false;
      resolve(null);
    });
  });
  return {
    name,
    logFile,
    exited,
    isRunning: () => running,
    async stop(graceMs = 15_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    tail(lines = 30) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}
