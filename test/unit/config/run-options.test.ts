// `run`'s install-sensitive defaults: where the leader-election Lease lives, decided before anything starts.
import { describe, expect, it } from 'vitest';
import { loadGlobalConfig } from '../../../src/config/global.ts';
import { leaseNamespace, usesInClusterConfig, watchNamespaces } from '../../../src/commands/run.ts';

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

describe('watchNamespaces', () => {
  // What the OLM bundle's Deployment passes: the pod's olm.targetNamespaces annotation, through the downward API.
  const fromEnv = (value: string) =>
    watchNamespaces(
      undefined,
      loadGlobalConfig({ env: { CLEVER_OPERATOR_OPERATOR_WATCH_NAMESPACES: value }, home: '/nonexistent' }).settings[
        'operator.watch-namespaces'
      ],
    );
  it('OLM target namespaces: one (OwnNamespace, SingleNamespace), several (MultiNamespace), none (AllNamespaces)', () => {
    expect(fromEnv('team-a')).toEqual(['team-a']);
    expect(fromEnv('team-a,team-b')).toEqual(['team-a', 'team-b']);
    expect(fromEnv('')).toEqual([]);
  });
  it('--namespace wins over the setting; repeated or comma-separated, blanks dropped', () => {
    expect(watchNamespaces(['a', 'b, c', ''], 'other')).toEqual(['a', 'b', 'c']);
    expect(watchNamespaces(undefined, ' a ,, b ')).toEqual(['a', 'b']);
    expect(watchNamespaces(undefined, undefined)).toEqual([]);
  });
});
