// The Secret cache keeps what the reconciler reads of a cached Secret (ownership, labels, annotations, type, data)
// and drops the rest: managedFields above all, which lists every data key once more.
import { describe, expect, it } from 'vitest';
import { LAST_APPLIED_ANNOTATION } from '../../../src/kube/informer.ts';
import { trimSecret } from '../../../src/operator/cache-filters.ts';
import type { SecretObject } from '../../../src/reconcile/secret.ts';

describe('trimSecret', () => {
  it('keeps identity, ownership, labels, annotations, type and data; drops managedFields and the rest', () => {
    const owner = {
      apiVersion: 'api.clever-cloud.com/v1',
      kind: 'PostgreSql',
      name: 'pg',
      uid: 'u1',
      controller: true,
    };
    const secret = {
      metadata: {
        name: 'pg-secrets',
        namespace: 'ns',
        uid: 's1',
        resourceVersion: '42',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { 'app.kubernetes.io/managed-by': 'clever-addon-operator' },
        annotations: { 'clever-cloud.com/last-bound-hash': 'abc', [LAST_APPLIED_ANNOTATION]: '{"data":{}}' },
        ownerReferences: [owner],
        managedFields: [{ manager: 'clever-addon-operator', operation: 'Apply' }],
      },
      type: 'servicebinding.io/postgresql',
      data: { password: 'c2VjcmV0' },
    } as unknown as SecretObject;
    expect(trimSecret(secret)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'pg-secrets',
        namespace: 'ns',
        uid: 's1',
        resourceVersion: '42',
        labels: { 'app.kubernetes.io/managed-by': 'clever-addon-operator' },
        annotations: { 'clever-cloud.com/last-bound-hash': 'abc' },
        ownerReferences: [owner],
      },
      type: 'servicebinding.io/postgresql',
      data: { password: 'c2VjcmV0' },
    });
  });

  it('a Secret being deleted stays recognisable as such; no data stays no data', () => {
    const trimmed = trimSecret({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'x', namespace: 'ns', deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
    expect(trimmed.metadata?.deletionTimestamp).toBe('2026-01-01T00:00:00Z');
    expect('data' in trimmed).toBe(false);
  });
});
