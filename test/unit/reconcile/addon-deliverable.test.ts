// Spend nothing that cannot be delivered (issue 13, guarantee 6): the pre-create checks as tables. Each row a
// situation, the expected outcome and why. Pure: nothing is called.
import { describe, expect, it } from 'vitest';
import redis from '../../../providers/redis.ts';
import postgresql from '../../../providers/postgresql.ts';
import {
  checkDeliverable,
  decideNamesFree,
  labelValueProblem,
  qualifiedNameProblem,
  type DeliverableInput,
} from '../../../src/reconcile/addon/decide-deliverable.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const NOW = new Date('2026-01-01T12:00:00Z');

function input(over: Partial<DeliverableInput> = {}): DeliverableInput {
  return {
    resourceName: 'db',
    secret: undefined,
    backup: undefined,
    envKeys: redis.envKeys,
    binding: (env) => redis.binding(env),
    now: NOW,
    ...over,
  };
}

/** What checkDeliverable says, flattened for a table: undefined, or the field at fault. */
function outcome(i: DeliverableInput): string | undefined {
  const p = checkDeliverable(i);
  if (!p) return undefined;
  return p.kind === 'template' ? `spec.secret.template.${p.error.key}` : p.field;
}

describe('checkDeliverable', () => {
  it.each([
    { situation: 'defaults', over: {}, field: undefined, why: 'db-secrets fits and nothing else is asked' },
    {
      situation: 'name of 245 characters',
      over: { resourceName: 'a'.repeat(245) },
      field: undefined,
      why: '245 + "-secrets" is 253, the limit itself',
    },
    {
      situation: 'name of 246 characters',
      over: { resourceName: 'a'.repeat(246) },
      field: 'metadata.name',
      why: '<name>-secrets would be 254 characters',
    },
    {
      situation: 'name of 246 characters with a short spec.secret.name',
      over: { resourceName: 'a'.repeat(246), secret: { name: 'short' } },
      field: undefined,
      why: 'the Secret is not named after the resource',
    },
    {
      situation: 'valid labels, prefixed and empty values',
      over: { secret: { labels: { 'team.example.com/owner': 'ops', tier: '', 'a_b.c-d': 'v1.2_3' } } },
      field: undefined,
      why: 'all are Kubernetes qualified names and label values',
    },
    {
      situation: 'label key with a space',
      over: { secret: { labels: { 'has space': 'x' } } },
      field: 'spec.secret.labels[has space]',
      why: 'a qualified name has no spaces',
    },
    {
      situation: 'label key with two slashes',
      over: { secret: { labels: { 'a/b/c': 'x' } } },
      field: 'spec.secret.labels[a/b/c]',
      why: 'at most one prefix',
    },
    {
      situation: 'label key with an upper-case prefix',
      over: { secret: { labels: { 'Example.com/x': 'x' } } },
      field: 'spec.secret.labels[Example.com/x]',
      why: 'the prefix is a lowercase DNS subdomain',
    },
    {
      situation: 'label value of 64 characters',
      over: { secret: { labels: { ok: 'v'.repeat(64) } } },
      field: 'spec.secret.labels[ok]',
      why: 'label values are at most 63 characters',
    },
    {
      situation: 'label value ending in a dash',
      over: { secret: { labels: { ok: 'v-' } } },
      field: 'spec.secret.labels[ok]',
      why: 'label values end with an alphanumeric',
    },
    {
      situation: 'annotation key starting with a dot',
      over: { secret: { annotations: { '.hidden': 'x' } } },
      field: 'spec.secret.annotations[.hidden]',
      why: 'a qualified name starts with an alphanumeric',
    },
    {
      situation: 'annotation with any value',
      over: { secret: { annotations: { 'note.example.com/why': 'free text: {"a": 1} / with spaces' } } },
      field: undefined,
      why: 'annotation values are free',
    },
    {
      situation: 'annotations over 256 KiB',
      over: { secret: { annotations: { a: 'x'.repeat(200_000), b: 'y'.repeat(70_000) } } },
      field: 'spec.secret.annotations',
      why: 'Kubernetes caps the total size of an object’s annotations',
    },
    {
      situation: 'template naming Clever, servicebinding and consumer keys',
      over: { secret: { template: { A: '{{ REDIS_HOST }}:{{ port }}', B: '{{ REDIS_URL | base64 }}' } } },
      field: undefined,
      why: 'each name is a key of one of the three dialects',
    },
    {
      situation: 'template naming a key the provider does not carry',
      over: { secret: { template: { JDBC: '{{ POSTGRESQL_ADDON_HOST }}' } } },
      field: 'spec.secret.template.JDBC',
      why: 'a Redis has no POSTGRESQL_ADDON_HOST: the Secret could never render',
    },
    {
      situation: 'template with an unknown filter, provider without declared keys',
      over: { envKeys: undefined, secret: { template: { X: '{{ anything | shout }}' } } },
      field: 'spec.secret.template.X',
      why: 'filters are known whatever the provider',
    },
    {
      situation: 'template with an unknown name, provider without declared keys',
      over: { envKeys: undefined, secret: { template: { X: '{{ WHATEVER_KEY }}' } } },
      field: undefined,
      why: 'without declared keys a name is not refused: it may well exist',
    },
    {
      situation: 'template with an unclosed expression',
      over: { secret: { template: { X: 'redis://{{ host' } } },
      field: 'spec.secret.template.X',
      why: 'a syntax error never renders',
    },
    {
      situation: 'backup with a valid schedule and retention',
      over: { backup: { schedule: '17 3 * * *', retention: '7d' } },
      field: undefined,
      why: 'the CronJob can be written',
    },
    {
      situation: 'backup schedule that never fires',
      over: { backup: { schedule: '0 0 31 2 *', retention: '7d' } },
      field: 'spec.backup.schedule',
      why: 'February 31st never comes',
    },
    {
      situation: 'backup retention without a unit',
      over: { backup: { schedule: '17 3 * * *', retention: '7' } },
      field: 'spec.backup.retention',
      why: 'retention needs h, d or w',
    },
  ])('$situation: $field ($why)', ({ over, field }) => {
    expect(outcome(input(over as Partial<DeliverableInput>))).toBe(field);
  });

  it('checks a PostgreSQL template against its own keys and derived keys', () => {
    const pg = { envKeys: postgresql.envKeys, binding: postgresql.binding.bind(postgresql) };
    const ok = {
      template: { JDBC: 'jdbc:postgresql://{{ host }}:{{ port }}/{{ database }}', U: '{{ DATABASE_URL }}' },
    };
    expect(outcome(input({ ...pg, secret: ok }))).toBeUndefined();
    expect(outcome(input({ ...pg, secret: { template: { R: '{{ REDIS_URL }}' } } }))).toBe('spec.secret.template.R');
  });

  it('never puts template values in the message (the names only)', () => {
    const p = checkDeliverable(input({ secret: { template: { X: '{{ NOPE }}' } } }));
    expect(p?.kind).toBe('template');
    expect(p?.kind === 'template' ? p.error.message : '').not.toMatch(/: x,|=x/);
  });
});

describe('qualifiedNameProblem and labelValueProblem', () => {
  it.each([
    ['app', undefined],
    ['app.kubernetes.io/name', undefined],
    ['a'.repeat(63), undefined],
    ['a'.repeat(64), 'the name is over 63 characters'],
    ['/x', 'the prefix before "/" is empty'],
    ['x/', 'the name is empty'],
    ['-x', 'the name must be alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric'],
    [`${'p'.repeat(254)}/x`, 'the prefix is over 253 characters'],
  ])('key %j: %s', (key, problem) => {
    expect(qualifiedNameProblem(key)).toBe(problem);
  });

  it.each([
    ['', undefined],
    ['v1', undefined],
    ['a'.repeat(63), undefined],
    ['a'.repeat(64), 'over 63 characters'],
    ['a b', 'must be alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric'],
  ])('value %j: %s', (value, problem) => {
    expect(labelValueProblem(value)).toBe(problem);
  });
});

describe('decideNamesFree', () => {
  const uid = 'uid-1';
  const owned = (ownerUid: string, controller = true): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db-secrets',
      ownerReferences: [{ apiVersion: 'x/v1', kind: 'Redis', name: 'db', uid: ownerUid, controller }],
    },
  });
  const bare: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-secrets' } };
  it.each([
    { situation: 'nothing holds the names', secret: undefined, cron: undefined, action: 'free', kind: undefined },
    {
      situation: 'our Secret from an earlier pass',
      secret: owned(uid),
      cron: undefined,
      action: 'free',
      kind: undefined,
    },
    {
      situation: 'upstream-style reference without controller',
      secret: owned(uid, false),
      cron: undefined,
      action: 'free',
      kind: undefined,
    },
    { situation: 'a hand-made Secret', secret: bare, cron: undefined, action: 'taken', kind: 'Secret' },
    {
      situation: 'another kind of the same name holds <name>-secrets',
      secret: owned('uid-of-the-postgresql'),
      cron: undefined,
      action: 'taken',
      kind: 'Secret',
    },
    {
      situation: 'a foreign CronJob under our backup name',
      secret: undefined,
      cron: bare,
      action: 'taken',
      kind: 'CronJob',
    },
    { situation: 'our own CronJob', secret: undefined, cron: owned(uid), action: 'free', kind: undefined },
  ])('$situation: $action', ({ secret, cron, action, kind }) => {
    const d = decideNamesFree({
      uid,
      kind: 'Redis',
      secret: { name: 'db-secrets', field: 'spec.secret.name', live: secret },
      cronJob: { name: 'db-backup', live: cron },
    });
    expect(d.action).toBe(action);
    if (d.action === 'taken') {
      expect(d.kind).toBe(kind);
      expect(d.message).toMatch(/^spec\.(secret\.name|backup): /);
      expect(d.message).toContain('no add-on was created');
    }
  });
});
