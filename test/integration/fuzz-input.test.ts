// Bad input, generated: a few hundred invalid or hostile resources from a seeded generator (wrong types, unknown
// plans/regions/versions/owners, huge strings, odd unicode, immutable-field edits, other namespaces' Secrets, missing
// or broken credentials, adoption of add-ons that do not exist). Each must be refused by the API server (schema or
// CEL, a 4xx with a message) or land in Synced=False with a message naming the field, without a single Clever API
// write call; and the operator must stay healthy: a valid resource created afterwards still becomes Ready.
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ORG_ID } from '../../src/simulator/index.ts';
import { Rng } from '../../src/simulator/rng.ts';
import { adminKubeConfig, createTestNamespace, statusMessage } from '../support/kube.ts';
import { startOperator, type OperatorHarness } from '../support/operator.ts';
import { GROUP, condition, namespaceApi, writeCalls, type NamespaceApi, type Resource } from '../support/resources.ts';

const SEED = 20_250_608;

interface Case {
  id: number;
  category: string;
  kind: string;
  plural: string;
  spec: Record<string, unknown>;
  annotations?: Record<string, string>;
  /** The field at fault, as the API server or the Synced message should name it. */
  field: string;
  /** A merge patch applied after creation (immutable-field edits); the create itself is valid and paused. */
  edit?: Record<string, unknown>;
  /** The resource's name when it matters (default fuzz-<id>). */
  name?: string;
  /** An object made before the resource, holding a name the resource would write (issue 13, guarantee 6). */
  squatter?: 'secret' | 'owned-secret' | 'cronjob';
}

const KINDS = {
  PostgreSql: 'postgresqls',
  Redis: 'redis',
  MySql: 'mysqls',
  MongoDb: 'mongodbs',
  ElasticSearch: 'elasticsearches',
  Cellar: 'cellars',
} as const;
type Kind = keyof typeof KINDS;

const ODD = [
  'xxs_sml\u200b',
  'ｘｘｓ＿ｓｍｌ',
  '💾💾',
  'xs\u202esml',
  'plan\u0000',
  'ǅǈǋ',
  '\ud83d\ude00'.repeat(30),
  'x\u0301\u0301\u0301',
  '<script>alert(1)</script>',
  "'; DROP TABLE addons; --",
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '%00%ff',
];

function generate(seed: number): Case[] {
  const rng = new Rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)]!;
  const word = (n: number) =>
    Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789_'[Math.floor(rng.next() * 37)]).join('');
  const uuid = () =>
    [8, 4, 4, 4, 12]
      .map((n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rng.next() * 16)]).join(''))
      .join('-');
  const cases: Omit<Case, 'id' | 'plural'>[] = [];
  const add = (c: Omit<Case, 'id' | 'plural'>) => cases.push(c);
  const planKinds: Kind[] = ['PostgreSql', 'Redis', 'MySql', 'MongoDb', 'ElasticSearch'];
  const versionKinds: Kind[] = ['PostgreSql', 'Redis', 'MySql', 'MongoDb', 'ElasticSearch'];
  const anyKind = () => pick(Object.keys(KINDS) as Kind[]);

  // Wrong types and values outside enums: the schema's job. Each field only on kinds that have it (an unknown
  // field is pruned, which makes the resource valid), and no null (null means "unset" to the API server).
  const optionKinds: Kind[] = ['PostgreSql', 'MySql', 'MongoDb', 'ElasticSearch'];
  const wrong: [string, Kind[], (v: unknown) => Record<string, unknown>, unknown[]][] = [
    ['spec.instance.plan', planKinds, (v) => ({ instance: { plan: v } }), [123, true, {}, []]],
    ['spec.instance.region', Object.keys(KINDS) as Kind[], (v) => ({ instance: { region: v } }), [1, {}, [], '']],
    ['spec.options.version', optionKinds, (v) => ({ options: { version: v } }), [true, {}, [1], 1.5, -3]],
    ['spec.options.encryption', optionKinds, (v) => ({ options: { encryption: v } }), ['yes', 3, {}]],
    [
      'spec.deletionPolicy',
      Object.keys(KINDS) as Kind[],
      (v) => ({ deletionPolicy: v }),
      ['Sometimes', 1, '', 'delete'],
    ],
    [
      'spec.secret.name',
      Object.keys(KINDS) as Kind[],
      (v) => ({ secret: { name: v } }),
      [42, 'UPPER', 'has space', 'a'.repeat(300), '-x-', 'a/b'],
    ],
    ['spec.secret.labels', Object.keys(KINDS) as Kind[], (v) => ({ secret: { labels: v } }), ['str', { k: 5 }, [1]]],
    [
      'spec.credentialsRef',
      Object.keys(KINDS) as Kind[],
      (v) => ({ credentialsRef: v }),
      ['str', { name: 5 }, {}, { name: 'Other/Ns' }],
    ],
    ['spec.organisation', Object.keys(KINDS) as Kind[], (v) => ({ organisation: v }), [5, 'x'.repeat(100), '', {}]],
    ['spec.instance', Object.keys(KINDS) as Kind[], () => ({ instance: 'flat' }), [0]],
  ];
  for (let round = 0; round < 4; round++) {
    for (const [field, kinds, build, values] of wrong) {
      for (const v of values) add({ category: 'wrong type', kind: pick(kinds), spec: build(v), field });
    }
  }
  // Unknown plans, regions, versions, owners: only the live catalogue can tell.
  for (let i = 0; i < 40; i++) {
    const plan = pick([
      `zz_${word(6)}`,
      `plan_${uuid()}`,
      word(3).toUpperCase(),
      `${pick(['xs', 's', 'm'])}_${word(4)}`,
    ]);
    add({ category: 'unknown plan', kind: pick(planKinds), spec: { instance: { plan } }, field: 'spec.instance.plan' });
  }
  for (let i = 0; i < 25; i++) {
    const region = pick(['mars', 'moon', `r${word(5)}`, 'PAR-1', 'eu-west-1', 'narnia']);
    add({ category: 'unknown region', kind: anyKind(), spec: { instance: { region } }, field: 'spec.instance.region' });
  }
  const badVersions: Record<string, unknown[]> = {
    PostgreSql: [99, 7, '9.6', '17.99', 'latest'],
    Redis: [100, 999, '6.0.0', 'seven'],
    MySql: [5, 99, '5.5', '12'],
    MongoDb: [2, 999, '2.0'],
    ElasticSearch: [3, 99, '1.0'],
  };
  for (let i = 0; i < 30; i++) {
    const kind = pick(versionKinds);
    add({
      category: 'unknown version',
      kind,
      spec: { options: { version: pick(badVersions[kind]!) } },
      field: 'spec.options.version',
    });
  }
  for (let i = 0; i < 8; i++) {
    add({
      category: 'foreign owner',
      kind: anyKind(),
      spec: { organisation: pick([`orga_${uuid()}`, `user_${uuid()}`, 'orga_00000000-0000-4000-8000-0000000000b2']) },
      field: 'spec.organisation',
    });
  }
  // Huge strings and odd unicode.
  for (let i = 0; i < 12; i++) {
    const n = pick([5_000, 20_000, 200_000]);
    const where = pick(['plan', 'region', 'version'] as const);
    const spec =
      where === 'version' ? { options: { version: 'v'.repeat(n) } } : { instance: { [where]: where[0]!.repeat(n) } };
    add({
      category: 'huge string',
      kind: pick(planKinds),
      spec,
      field: where === 'version' ? 'spec.options.version' : `spec.instance.${where}`,
    });
  }
  for (const odd of ODD) {
    add({
      category: 'odd unicode',
      kind: pick(planKinds),
      spec: { instance: { plan: odd } },
      field: 'spec.instance.plan',
    });
    add({
      category: 'odd unicode',
      kind: anyKind(),
      spec: { instance: { region: odd } },
      field: 'spec.instance.region',
    });
    add({ category: 'odd unicode', kind: anyKind(), spec: { secret: { name: odd } }, field: 'spec.secret.name' });
  }
  // Credentials: other namespaces' Secrets, missing Secrets, Secrets without usable keys.
  for (let i = 0; i < 10; i++) {
    add({
      category: 'other namespace Secret',
      kind: anyKind(),
      spec: { credentialsRef: pick([{ name: 'kube-system/creds' }, { name: 'default:creds' }]) },
      field: 'spec.credentialsRef',
    });
    // Unknown fields are pruned: the reference stays in the resource's own namespace, where it does not exist.
    add({
      category: 'other namespace Secret',
      kind: anyKind(),
      spec: { credentialsRef: { name: `creds-${word(4).replace(/_/g, 'x')}`, namespace: 'kube-system' } },
      field: 'spec.credentialsRef',
    });
    add({
      category: 'missing credentials',
      kind: anyKind(),
      spec: { credentialsRef: { name: pick(['broken-creds', 'partial-creds', 'empty-creds']) } },
      field: 'spec.credentialsRef',
    });
  }
  // Adoption of add-ons that do not exist (or are not add-on ids at all).
  for (let i = 0; i < 10; i++) {
    add({
      category: 'bad adoption',
      kind: anyKind(),
      spec: {},
      annotations: { 'clever-cloud.com/addon-id': pick([`addon_${uuid()}`, `postgresql_${uuid()}`, word(12)]) },
      field: 'metadata.annotations[clever-cloud.com/addon-id]',
    });
  }
  // Immutable fields edited after creation (the resource is paused, so it never reaches Clever).
  const immutable: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['spec.instance.region', { instance: { region: 'par' } }, { instance: { region: 'rbx' } }],
    ['spec.organisation', { organisation: DEV_ORG_ID }, { organisation: 'orga_00000000-0000-4000-8000-0000000000b2' }],
    ['spec.options.encryption', { options: { encryption: false } }, { options: { encryption: true } }],
  ];
  for (let i = 0; i < 15; i++) {
    const [field, spec, edit] = pick(immutable);
    add({
      category: 'immutable edit',
      kind: pick(['PostgreSql', 'MySql', 'MongoDb'] as Kind[]),
      spec,
      annotations: { 'clever-cloud.com/paused': 'true' },
      field,
      edit: { spec: edit },
    });
  }
  // Issue 13, guarantee 6: a resource whose Secret (or backup CronJob) could never be written. Valid to the API
  // server, so only the operator can tell, and it must tell before the create call: no add-on is bought for nothing.
  const backupSpec = (schedule = '17 3 * * *') => ({
    backup: {
      schedule,
      target: {
        s3: { endpoint: 'https://s3.example.com', bucket: 'dumps', credentialsSecretRef: { name: 'no-such' } },
      },
    },
  });
  const badKeys = ['has space', 'a/b/c', '-lead', 'Upper.Example.com/x', 'x'.repeat(64), '/empty-prefix', 'émoji'];
  for (let i = 0; i < 4; i++) {
    const n = 246 + Math.floor(rng.next() * 7);
    add({
      category: 'undeliverable: Secret name too long',
      kind: anyKind(),
      spec: {},
      name: `fuzz-long-${i}-${'a'.repeat(n - 12)}`.slice(0, n),
      field: 'metadata.name',
    });
  }
  for (const key of badKeys) {
    add({
      category: 'undeliverable: label key',
      kind: anyKind(),
      spec: { secret: { labels: { [key]: 'x' } } },
      field: `spec.secret.labels[${key}]`,
    });
    add({
      category: 'undeliverable: annotation key',
      kind: anyKind(),
      spec: { secret: { annotations: { [key]: 'any value' } } },
      field: `spec.secret.annotations[${key}]`,
    });
  }
  for (const value of ['v-', 'has space', 'v'.repeat(64)]) {
    add({
      category: 'undeliverable: label value',
      kind: anyKind(),
      spec: { secret: { labels: { ok: value } } },
      field: 'spec.secret.labels[ok]',
    });
  }
  const templates: [Kind, string][] = [
    ['Redis', '{{ POSTGRESQL_ADDON_HOST }}'],
    ['PostgreSql', '{{ REDIS_URL }}'],
    ['MySql', '{{ host | shout }}'],
    ['MongoDb', 'mongodb://{{ host'],
    ['Cellar', '{{ }}'],
    ['PostgreSql', '{{ DATABASE_URL | nope }}'],
  ];
  for (const [kind, text] of templates) {
    add({
      category: 'undeliverable: template',
      kind,
      spec: { secret: { template: { EXTRA: text } } },
      field: 'spec.secret.template.EXTRA',
    });
  }
  for (let i = 0; i < 3; i++) {
    add({
      category: 'undeliverable: foreign Secret',
      kind: anyKind(),
      spec: {},
      squatter: 'secret',
      field: 'spec.secret.name',
    });
    // Like a second kind of the same name in the namespace: the Secret is owned, by something else.
    add({
      category: 'undeliverable: foreign Secret',
      kind: anyKind(),
      spec: {},
      squatter: 'owned-secret',
      field: 'spec.secret.name',
    });
    add({
      category: 'undeliverable: foreign CronJob',
      kind: 'PostgreSql',
      spec: backupSpec(),
      squatter: 'cronjob',
      field: 'spec.backup',
    });
  }
  add({
    category: 'undeliverable: backup schedule',
    kind: 'PostgreSql',
    spec: backupSpec('0 0 31 2 *'),
    field: 'spec.backup.schedule',
  });
  return cases.map((c, id) => ({ ...c, id, plural: KINDS[c.kind as Kind] }));
}

type Outcome =
  { case: Case; result: 'rejected'; code: number; message: string } | { case: Case; result: 'accepted'; name: string };

describe('bad input (seeded fuzzing)', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = '';
  let api: NamespaceApi;
  let op: OperatorHarness;
  const cases = generate(SEED);

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'fuzz');
    api = namespaceApi(kc, namespace);
    op = await startOperator({ namespaces: [namespace], simulator: { seed: SEED, provisioningDelayMs: 200 } });
    await api.createSecret('broken-creds', { foo: 'bar' });
    await api.createSecret('partial-creds', { token: 'only-a-token' });
    await api.createSecret('empty-creds', { apiToken: '' });
  });
  afterAll(async () => {
    await op?.stop();
  });

  /** Someone else's object under a name the resource `name` would write. */
  async function squat(what: NonNullable<Case['squatter']>, name: string): Promise<void> {
    if (what === 'secret') return api.createSecret(`${name}-secrets`, { note: 'hand-made' });
    if (what === 'owned-secret') {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `${name}-owner` } } });
      return api.createSecret(
        `${name}-secrets`,
        { note: 'owned by another object' },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: owner.metadata!.name!,
          uid: owner.metadata!.uid!,
        },
      );
    }
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: `${name}-backup` },
        spec: {
          schedule: '0 0 * * *',
          suspend: true,
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
            },
          },
        },
      },
    });
  }

  it(`refuses or reports each of ${cases.length} bad resources, with no Clever write call`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const outcomes: Outcome[] = [];
    const submit = async (c: Case): Promise<Outcome> => {
      const name = c.name ?? `fuzz-${c.id}`;
      if (c.squatter) await squat(c.squatter, name);
      try {
        await custom.createNamespacedCustomObject({
          group: GROUP,
          version: 'v1',
          namespace,
          plural: c.plural,
          body: {
            apiVersion: `${GROUP}/v1`,
            kind: c.kind,
            metadata: { name, ...(c.annotations ? { annotations: c.annotations } : {}) },
            spec: c.spec,
          },
        });
        if (c.edit) {
          // Region and owner are immutable once an add-on exists (before, a typo may be corrected): record one, as
          // the operator would, so that the API server has something to protect.
          await custom.patchNamespacedCustomObjectStatus(
            {
              group: GROUP,
              version: 'v1',
              namespace,
              plural: c.plural,
              name,
              body: { status: { addonId: `addon_fuzz-${c.id}`, organisation: 'orga_fuzz' } },
            },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
          );
          await api.patch({ kind: c.kind, plural: c.plural }, name, c.edit);
        }
        return { case: c, result: 'accepted', name };
      } catch (err) {
        if (!(err instanceof k8s.ApiException)) throw err;
        return {
          case: c,
          result: 'rejected',
          code: err.code,
          message: statusMessage(err as k8s.ApiException<unknown>),
        };
      }
    };
    for (let i = 0; i < cases.length; i += 16)
      outcomes.push(...(await Promise.all(cases.slice(i, i + 16).map(submit))));

    // Refusals: a client error with a message that names the field.
    const lastSegment = (field: string) =>
      field
        .replace(/\[.*\]$/, '')
        .split('.')
        .pop()!;
    const badRefusals = outcomes.filter(
      (o) =>
        o.result === 'rejected' && (o.code < 400 || o.code >= 500 || !o.message.includes(lastSegment(o.case.field))),
    );
    expect(badRefusals.map((o) => ({ ...o.case, spec: JSON.stringify(o.case.spec).slice(0, 200), o }))).toEqual([]);

    // Accepted ones: Synced=False naming the field. The immutable edits were refused, their paused resource stays.
    const accepted = outcomes.filter((o): o is Extract<Outcome, { result: 'accepted' }> => o.result === 'accepted');
    const unreportedNow = async () => {
      const pending: string[] = [];
      for (const o of accepted) {
        const r: Resource | undefined = await api.get({ kind: o.case.kind, plural: o.case.plural }, o.name);
        const synced = condition(r, 'Synced');
        if (synced?.status !== 'False' || !synced.message.includes(o.case.field))
          pending.push(
            `${o.case.category} ${o.case.kind} ${o.name} (${o.case.field}): ${synced?.reason} ${synced?.message?.slice(0, 200)}`,
          );
      }
      return pending;
    };
    // Poll until every one is reported; on timeout, the assertion below lists the ones that never were.
    const deadline = Date.now() + 45_000;
    let unreported = await unreportedNow();
    while (unreported.length > 0 && Date.now() < deadline) {
      await sleep(500);
      unreported = await unreportedNow();
    }
    expect(unreported).toEqual([]);

    const byCategory: Record<string, { rejected: number; reported: number }> = {};
    for (const o of outcomes) {
      const entry = (byCategory[o.case.category] ??= { rejected: 0, reported: 0 });
      if (o.result === 'rejected') entry.rejected++;
      else entry.reported++;
    }
    console.log(`fuzz seed ${SEED}: ${cases.length} bad resources`);
    console.table(byCategory);

    // The resources whose Secret could never be written (issue 13, guarantee 6) each got a Warning event too.
    const warned = new Set(
      (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({ namespace })).items
        .filter((e) => e.type === 'Warning')
        .map((e) => e.involvedObject.name),
    );
    const unwarned = accepted.filter((o) => o.case.category.startsWith('undeliverable') && !warned.has(o.name));
    expect(unwarned.map((o) => `${o.case.category} ${o.name.slice(0, 40)}`)).toEqual([]);

    // Not one Clever write call was spent on any of it.
    expect(writeCalls(op.sim.requests())).toEqual([]);
    expect(op.sim.addons()).toEqual([]);
  }, 120_000);

  // Regression (found by this fuzzing): a 403 on an owner named by the spec was reported as a bare credentials
  // problem; it must name spec.organisation.
  it('names spec.organisation when the credentials cannot reach the organisation it names', async () => {
    const other = 'orga_00000000-0000-4000-8000-0000000000b2';
    await api.create({ kind: 'Redis', plural: 'redis' }, 'foreign-owner', { organisation: other });
    const r = await api.waitSyncedFalse({ kind: 'Redis', plural: 'redis' }, 'foreign-owner', 'Unauthorized');
    expect(condition(r, 'Synced')?.message).toMatch(new RegExp(`^spec\\.organisation: .* no access to ${other}`));
    expect(writeCalls(op.sim.requests())).toEqual([]);
  });

  it('stays healthy: probes ready, nothing stuck, and a valid resource still becomes Ready', async () => {
    expect(op.manager.ready()).toBe(true);
    expect(op.manager.oldestInFlightMs()).toBeLessThan(30_000);
    await api.create({ kind: 'Redis', plural: 'redis' }, 'valid-after-fuzz', { instance: { plan: 's_mono' } });
    const ready = await api.waitReady({ kind: 'Redis', plural: 'redis' }, 'valid-after-fuzz', 30_000);
    expect(ready.status?.addonId).toMatch(/^addon_/);
    expect(writeCalls(op.sim.requests()).map((r) => r.route)).toEqual(['POST /v2/organisations/{ownerId}/addons']);
  });
});
