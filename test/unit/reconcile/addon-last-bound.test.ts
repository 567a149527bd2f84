// The last-bound copy (issue 13, guarantee 12) as tables: when it is written, when it may stand in for the
// connection Secret after a restart. Pure: nothing is called.
import { describe, expect, it } from 'vitest';
import { decideCopy, lastBoundName, readLastBound, renderLastBound } from '../../../src/reconcile/addon/last-bound.ts';
import { entriesHash, renderSecret, type SecretObject } from '../../../src/reconcile/secret.ts';

const UID = 'uid-1';
const entries = { REDIS_HOST: 'redis.example.internal', REDIS_PASSWORD: 'p@ss:/%-s3cr3t' };
const HASH = entriesHash(entries);
const bound = renderSecret({
  name: 'cache-secrets',
  namespace: 'ns',
  owner: { apiVersion: 'api.clever-cloud.com/v1', kind: 'Redis', name: 'cache', uid: UID },
  entries,
  labels: { team: 'ops' },
  annotations: { 'note.example.com/why': 'kept' },
});
const copy = renderLastBound(bound, HASH, 'cache');
const edit = (s: SecretObject, f: (s: SecretObject) => void): SecretObject => {
  const c = structuredClone(s);
  f(c);
  return c;
};

describe('lastBoundName', () => {
  it.each([
    ['cache', 'cache-secrets-last'],
    ['a'.repeat(240), `${'a'.repeat(240)}-secrets-last`],
  ])('%s -> %s', (name, expected) => expect(lastBoundName(name)).toBe(expected));
  it('stays within 253 characters for the longest resource names', () => {
    expect(lastBoundName('a'.repeat(253)).length).toBeLessThanOrEqual(253);
  });
});

describe('decideCopy', () => {
  it.each([
    { situation: 'no copy yet', live: undefined, secretName: 'cache-secrets', action: 'write' },
    { situation: 'the copy is up to date', live: copy, secretName: 'cache-secrets', action: 'keep' },
    {
      situation: 'the copy names older content',
      live: edit(copy, (c) => (c.data = { ...c.data, REDIS_PASSWORD: 'b2xk' })),
      secretName: 'cache-secrets',
      action: 'write',
    },
    {
      situation: 'the copy names another connection Secret (renamed)',
      live: edit(copy, (c) => (c.metadata!.annotations!['clever-cloud.com/last-bound-of'] = 'old-name')),
      secretName: 'cache-secrets',
      action: 'write',
    },
    {
      situation: 'a Secret of that name we do not own',
      live: edit(copy, (c) => (c.metadata!.ownerReferences = [])),
      secretName: 'cache-secrets',
      action: 'keep',
    },
    {
      situation: 'spec.secret.name is the copy name itself',
      live: undefined,
      secretName: 'cache-secrets-last',
      action: 'keep',
    },
  ])('$situation: $action', ({ live, secretName, action }) => {
    expect(decideCopy({ live, desired: copy, uid: UID, secretName }).action).toBe(action);
  });
});

describe('readLastBound', () => {
  it('gives back the connection Secret exactly as bind rendered it, with its hash', () => {
    expect(readLastBound(copy, UID)).toEqual({ secret: bound, hash: HASH });
  });
  it.each([
    { situation: 'another resource’s copy', copy: copy, uid: 'uid-other' },
    {
      situation: 'data that does not match the recorded hash',
      copy: edit(copy, (c) => (c.data = { ...c.data, REDIS_PASSWORD: 'dGFtcGVyZWQ=' })),
      uid: UID,
    },
    {
      situation: 'no recorded name',
      copy: edit(copy, (c) => delete c.metadata!.annotations!['clever-cloud.com/last-bound-of']),
      uid: UID,
    },
    {
      situation: 'unreadable labels',
      copy: edit(copy, (c) => (c.metadata!.annotations!['clever-cloud.com/last-bound-labels'] = '{nope')),
      uid: UID,
    },
  ])('refuses $situation', ({ copy: c, uid }) => {
    expect(readLastBound(c, uid)).toBeUndefined();
  });
  it('never carries credentials in its annotations', () => {
    const annotations = JSON.stringify(copy.metadata?.annotations);
    for (const value of Object.values(entries)) expect(annotations).not.toContain(value);
  });
});
