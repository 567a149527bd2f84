// Runs the kubectl built with the control plane against the shared test cluster, as a user would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { defaultBinDir } from '../../src/controlplane/local-plane.ts';

const run = promisify(execFile);

export async function kubectl(args: string[], input?: string): Promise<string> {
  const bin = `${defaultBinDir()}/kubectl`;
  const child = run(bin, ['--kubeconfig', inject('kubeconfigPath'), ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout } = await child;
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** Applies the generated CRDs in crds/ (server-side, like `kubectl apply --server-side -f crds/`) and waits. */
export async function installCrds(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', 'crds/']);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/']);
}
