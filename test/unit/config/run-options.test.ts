// `run`'s install-sensitive defaults: where the leader-election Lease lives, decided before anything starts.
import { describe, expect, it } from 'vitest';
import { leaseNamespace, usesInClusterConfig } from '../../../src/commands/run.ts';

describe('leaseNamespace', () => {
  it('outside a cluster, without an explicit namespace: an error naming the flag (no guessed "default")', () => {
    expect(() => leaseNamespace(undefined, false, () => 'from-pod-namespace-env')).toThrow(
      '--leader-election-namespace',
    );
  });
  it('outside a cluster, given: that namespace', () => {
    expect(leaseNamespace('operators', false)).toBe('operators');
  });
  it("in a cluster: the flag, else the pod's namespace", () => {
    expect(leaseNamespace(undefined, true, () => 'clever-system')).toBe('clever-system');
    expect(leaseNamespace('other', true, () => 'clever-system')).toBe('other');
    expect(() => leaseNamespace(undefined, true, () => undefined)).toThrow('--leader-election-namespace');
  });
});

describe('usesInClusterConfig', () => {
  it('only without --kubeconfig and $KUBECONFIG, inside a pod', () => {
    expect(usesInClusterConfig(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toBe(true);
    expect(usesInClusterConfig('/k', { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toBe(false);
    expect(usesInClusterConfig(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBECONFIG: '/k' })).toBe(false);
    expect(usesInClusterConfig(undefined, {})).toBe(false);
  });
});
