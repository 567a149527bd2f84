// One list per owner serves every resource: coalesced while in flight, reused while fresh enough, requested anew
// when a caller must see what happened after the newest one was requested.
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../../src/clever/index.ts';
import { OrgSnapshots } from '../../../src/reconcile/org-snapshot.ts';

const addon = (id: string, name: string, provider = 'postgresql-addon') =>
  ({ id, name, provider: { id: provider }, plan: { id: 'p' } }) as unknown as Addon;

function harness() {
  let clock = 1_000;
  const calls: { owner: string; resolve: (a: Addon[]) => void; reject: (e: Error) => void }[] = [];
  const snapshots = new OrgSnapshots(
    (owner) => new Promise<Addon[]>((resolve, reject) => calls.push({ owner, resolve, reject })),
    () => clock,
  );
  return {
    snapshots,
    calls,
    tick: (ms: number) => (clock += ms),
    now: () => clock,
  };
}

describe('OrgSnapshots', () => {
  it('callers that arrive while a list is in flight share it: one call for a burst', async () => {
    const h = harness();
    const burst = Array.from({ length: 50 }, () => h.snapshots.get('orga_1', { maxAgeMs: 60_000 }));
    expect(h.calls).toHaveLength(1);
    h.calls[0]!.resolve([addon('addon_1', 'a'), addon('addon_2', 'b', 'redis-addon')]);
    const all = await Promise.all(burst);
    expect(new Set(all).size).toBe(1);
    expect(all[0]!.byId('addon_2')?.name).toBe('b');
    expect(all[0]!.named('a', 'postgresql-addon').map((a) => a.id)).toEqual(['addon_1']);
    expect(all[0]!.named('b', 'postgresql-addon')).toEqual([]);
    // Fresh enough: served from memory.
    h.tick(10_000);
    await h.snapshots.get('orga_1', { maxAgeMs: 60_000 });
    expect(h.calls).toHaveLength(1);
    expect(h.snapshots.requests).toBe(1);
  });

  it('too old for the caller: a new list', async () => {
    const h = harness();
    const first = h.snapshots.get('orga_1', { maxAgeMs: 60_000 });
    h.calls[0]!.resolve([]);
    await first;
    h.tick(60_001);
    const second = h.snapshots.get('orga_1', { maxAgeMs: 60_000 });
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.resolve([addon('addon_9', 'z')]);
    expect((await second).byId('addon_9')).toBeDefined();
  });

  it('a caller that must see a later event waits for a list requested after it, not the one in flight', async () => {
    const h = harness();
    const early = h.snapshots.get('orga_1', { maxAgeMs: 60_000 });
    h.tick(500);
    const mustSee = h.now();
    const late = h.snapshots.get('orga_1', { maxAgeMs: 60_000, after: mustSee });
    // Only one list is in flight per owner: the second starts when the first ends.
    expect(h.calls).toHaveLength(1);
    h.calls[0]!.resolve([]);
    expect((await early).addons).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.resolve([addon('addon_1', 'made-at-500')]);
    const snap = await late;
    expect(snap.at).toBeGreaterThanOrEqual(mustSee);
    expect(snap.byId('addon_1')).toBeDefined();
  });

  it('owners do not share lists; a failed list fails its callers and the next caller asks again', async () => {
    const h = harness();
    const a = h.snapshots.get('orga_a', { maxAgeMs: 60_000 });
    const b = h.snapshots.get('orga_b', { maxAgeMs: 60_000 });
    expect(h.calls.map((c) => c.owner)).toEqual(['orga_a', 'orga_b']);
    h.calls[0]!.reject(new Error('503'));
    h.calls[1]!.resolve([]);
    await expect(a).rejects.toThrow('503');
    await b;
    const again = h.snapshots.get('orga_a', { maxAgeMs: 60_000 });
    expect(h.calls).toHaveLength(3);
    h.calls[2]!.resolve([]);
    await again;
  });

  it('an add-on we deleted leaves the newest snapshot at once', async () => {
    const h = harness();
    const first = h.snapshots.get('orga_1', { maxAgeMs: 60_000 });
    h.calls[0]!.resolve([addon('addon_1', 'a'), addon('addon_2', 'b')]);
    await first;
    h.snapshots.forget('orga_1', 'addon_1');
    const snap = await h.snapshots.get('orga_1', { maxAgeMs: 60_000 });
    expect(snap.byId('addon_1')).toBeUndefined();
    expect(snap.byId('addon_2')).toBeDefined();
    expect(h.calls).toHaveLength(1);
  });
});
