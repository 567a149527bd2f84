// Runs the kubectl built with the control plane against the shared test cluster, as a user would.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';

const run = promisify(execFile);

export async function kubectl(args: string[], input?: string): Promise<string> {
  const bin = `${defaultBinDir()}/kubectl`;
  // A fresh discovery cache per call: test files install CRDs in parallel, and a cache filled before a CRD existed
  // makes kubectl answer "the server doesn't have a resource type" (e.g. for the `clever` category).
  const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
  const child = run(bin, ['--kubeconfig', inject('kubeconfigPath'), '--cache-dir', cacheDir, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout } = await child;
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Applies the generated CRDs in crds/ (server-side, like `kubectl apply --server-side -f crds/`) and waits. */
export async function installCrds(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', 'crds/']);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/']);
}
