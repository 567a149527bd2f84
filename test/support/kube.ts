// Helpers for integration tests: a KubeConfig for the shared control plane and a fresh namespace per test file.
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(inject('kubeconfigPath'));
  return kc;
}

/** Creates a namespace with a unique name. The plane has no namespace controller, so it is never finalized. */
export async function createTestNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase();
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Polls `fn` until it returns a value other than undefined, or fails with the last error after `timeoutMs`. */
export async function eventually<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/** Awaits a request that the API server must refuse, and returns its ApiException. */
export async function apiError(request: Promise<unknown>): Promise<k8s.ApiException<unknown>> {
  try {
    await request;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err as k8s.ApiException<unknown>;
    throw err;
  }
  throw new Error('expected the API server to refuse the request, but it succeeded');
}

/** The human-readable message of a Kubernetes Status error body. */
export function statusMessage(err: k8s.ApiException<unknown>): string {
  try {
    return (JSON.parse(String(err.body)) as { message?: string }).message ?? String(err.body);
  } catch {
    return String(err.body);
  }
}
