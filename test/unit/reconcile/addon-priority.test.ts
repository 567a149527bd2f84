// The Clever priority of an add-on pass (src/reconcile/addon-reconciler.ts): deletions are urgent whatever lane the
// key came from; creates and unobserved spec changes are not left at background; the rest keeps its lane's priority.
import { describe, expect, it } from 'vitest';
import { passPriority } from '../../../src/reconcile/addon-reconciler.ts';
import type { AddonResource } from '../../../src/reconcile/addon/types.ts';

const bound: AddonResource = {
  apiVersion: 'api.clever-cloud.com/v1',
  kind: 'PostgreSql',
  metadata: { name: 'pg', namespace: 'ns', generation: 2, uid: 'u1' },
  spec: {},
  status: { addonId: 'addon_1', observedGeneration: 2 },
};

describe('passPriority', () => {
  it('a resource being deleted is urgent, from either lane', () => {
    const deleting = { ...bound, metadata: { ...bound.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(passPriority(deleting as AddonResource, 'background')).toBe('urgent');
    expect(passPriority(deleting as AddonResource, 'normal')).toBe('urgent');
  });

  it('a drift check of a settled resource stays background; an event pass stays normal', () => {
    expect(passPriority(bound, 'background')).toBe('background');
    expect(passPriority(bound, 'normal')).toBe('normal');
  });

  it('a scheduled pass that creates or applies a spec change runs at normal', () => {
    const unbound = { ...bound, status: {} } as AddonResource;
    const changed = { ...bound, metadata: { ...bound.metadata, generation: 3 } } as AddonResource;
    expect(passPriority(unbound, 'background')).toBe('normal');
    expect(passPriority(changed, 'background')).toBe('normal');
  });

  it('a resource gone from the cache keeps the lane priority', () => {
    expect(passPriority(undefined, 'background')).toBe('background');
  });
});
