// Credentials Secrets are read at most once per namespace, name and CREDENTIALS_READ_TTL_MS: the passes that resolve
// credentials meanwhile share the read; a Secret created, changed or deleted is used once the read has expired; a
// failed read is never kept.
import { describe, expect, it } from 'vitest';
import { CREDENTIALS_READ_TTL_MS, CredentialsError, Sessions } from '../../../src/reconcile/sessions.ts';

const GLOBAL = { credentials: { kind: 'apiToken', apiToken: 'global-token' }, source: 'global' } as never;

function harness(options: { global?: boolean; ttlMs?: number } = {}) {
  let now = 1_000_000;
  const stored = new Map<string, Record<string, string>>();
  const reads: string[] = [];
  let failNext = false;
  const sessions = new Sessions({
    global: options.global === false ? undefined : GLOBAL,
    readSecret: async (namespace, name) => {
      reads.push(`${namespace}/${name}`);
      await Promise.resolve();
      if (failNext) {
        failNext = false;
        throw new Error('connection reset');
      }
      return stored.get(`${namespace}/${name}`);
    },
    ...(options.ttlMs !== undefined ? { credentialsReadTtlMs: options.ttlMs } : {}),
    now: () => now,
  });
  return {
    sessions,
    stored,
    reads,
    advance: (ms: number) => (now += ms),
    failOnce: () => (failNext = true),
  };
}

describe('credentials Secret reads', () => {
  it('shares one read of each namespace Secret between the passes resolving meanwhile, concurrent or not', async () => {
    const h = harness();
    const first = await Promise.all(Array.from({ length: 20 }, () => h.sessions.resolve('team-a', undefined)));
    h.advance(CREDENTIALS_READ_TTL_MS - 1);
    await h.sessions.resolve('team-a', undefined);
    expect(first.every((r) => r === GLOBAL)).toBe(true);
    expect(h.reads).toEqual(['team-a/clever-kubernetes-operator', 'team-a/clever-operator']);
  });

  it('reads each namespace for itself: a read of one namespace never answers for another', async () => {
    const h = harness();
    h.stored.set('team-a/clever-operator', { apiToken: 'team-a-token' });
    const a = await h.sessions.resolve('team-a', undefined);
    const b = await h.sessions.resolve('team-b', undefined);
    expect(a.source).toBe('Secret team-a/clever-operator');
    expect(b).toBe(GLOBAL);
  });

  it('uses a namespace Secret created after a read found none, once that read has expired', async () => {
    const h = harness({ global: false });
    await expect(h.sessions.resolve('team-a', undefined)).rejects.toBeInstanceOf(CredentialsError);
    h.stored.set('team-a/clever-kubernetes-operator', { apiToken: 'team-a-token' });
    h.advance(CREDENTIALS_READ_TTL_MS - 1);
    await expect(h.sessions.resolve('team-a', undefined)).rejects.toBeInstanceOf(CredentialsError);
    h.advance(1);
    expect((await h.sessions.resolve('team-a', undefined)).source).toBe('Secret team-a/clever-kubernetes-operator');
  });

  it('uses changed credentials and falls back to the global ones after a deletion, once the read has expired', async () => {
    const h = harness();
    h.stored.set('team-a/clever-operator', { apiToken: 'old-token' });
    const before = await h.sessions.forResource('team-a', undefined);
    h.stored.set('team-a/clever-operator', { apiToken: 'new-token' });
    h.advance(CREDENTIALS_READ_TTL_MS);
    const after = await h.sessions.forResource('team-a', undefined);
    expect(after).not.toBe(before);
    h.stored.delete('team-a/clever-operator');
    h.advance(CREDENTIALS_READ_TTL_MS);
    expect(await h.sessions.resolve('team-a', undefined)).toBe(GLOBAL);
  });

  it('a fresh resolution reads now even within the TTL (a credentials Secret just deleted is not used), and serves the passes after it', async () => {
    const h = harness({ global: false });
    h.stored.set('team-a/clever-operator', { apiToken: 'team-a-token' });
    await h.sessions.resolve('team-a', undefined);
    h.stored.delete('team-a/clever-operator');
    h.advance(1);
    expect((await h.sessions.resolve('team-a', undefined)).source).toBe('Secret team-a/clever-operator');
    await expect(h.sessions.resolve('team-a', undefined, { fresh: true })).rejects.toBeInstanceOf(CredentialsError);
    await expect(h.sessions.resolve('team-a', undefined)).rejects.toBeInstanceOf(CredentialsError);
    expect(h.reads).toHaveLength(4);
  });

  it('keeps no failed read: the next pass reads again at once', async () => {
    const h = harness();
    h.failOnce();
    await expect(h.sessions.resolve('team-a', undefined)).rejects.toThrow('connection reset');
    await h.sessions.resolve('team-a', undefined);
    expect(h.reads).toEqual([
      'team-a/clever-kubernetes-operator',
      'team-a/clever-kubernetes-operator',
      'team-a/clever-operator',
    ]);
  });

  it('reads spec.credentialsRef the same way, and a missing one is missing until it exists', async () => {
    const h = harness();
    await expect(h.sessions.resolve('team-a', { name: 'mine' })).rejects.toThrow('does not exist');
    h.stored.set('team-a/mine', { apiToken: 'mine-token' });
    await expect(h.sessions.resolve('team-a', { name: 'mine' })).rejects.toThrow('does not exist');
    h.advance(CREDENTIALS_READ_TTL_MS);
    expect((await h.sessions.resolve('team-a', { name: 'mine' })).source).toContain('team-a/mine');
  });

  it('reads every time with a TTL of 0', async () => {
    const h = harness({ ttlMs: 0 });
    await h.sessions.resolve('team-a', undefined);
    await h.sessions.resolve('team-a', undefined);
    expect(h.reads).toHaveLength(4);
  });

  it('forgets expired reads when many namespaces were read (the map does not grow without bound)', async () => {
    const h = harness();
    for (let i = 0; i < 600; i++) await h.sessions.resolve(`ns-${i}`, undefined);
    h.advance(CREDENTIALS_READ_TTL_MS);
    await h.sessions.resolve('late', undefined);
    const reads = (h.sessions as unknown as { reads: Map<string, unknown> }).reads;
    expect(reads.size).toBeLessThanOrEqual(2);
  });
});
