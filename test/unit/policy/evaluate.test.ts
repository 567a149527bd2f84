// The policy decision as a table: each row a set of policies, namespace labels and a request, and the expected
// allow or deny (policy and rule).
import { describe, expect, it } from 'vitest';
import { evaluate, imageAllowed, selects } from '../../../src/policy/evaluate.ts';
import type { AddonPolicy, AddonPolicySpec, PolicyRequest } from '../../../src/policy/types.ts';

const policy = (name: string, spec: Partial<AddonPolicySpec>): AddonPolicy => ({
  metadata: { name },
  spec: { namespaceSelector: { matchLabels: { tenant: 'a' } }, ...spec },
});

const TEAM_A = { tenant: 'a' };
const base: PolicyRequest = {
  kind: 'PostgreSql',
  organisation: 'orga_a',
  credentials: 'namespace',
  plan: 'xs_sml',
  region: 'par',
  monthlyPrice: 20,
  currentPrice: 0,
  namespaceSpend: 0,
};

const rows: {
  name: string;
  policies: AddonPolicy[];
  labels?: Record<string, string>;
  request?: Partial<PolicyRequest>;
  mode?: 'open' | 'strict';
  deny?: [string, string];
}[] = [
  { name: 'open mode, no policy selects: allowed', policies: [], labels: {} },
  { name: 'strict mode, no policy selects: refused', policies: [], mode: 'strict', deny: ['(none)', 'strictMode'] },
  {
    name: 'strict mode, a policy of another tenant only: refused',
    policies: [policy('b', { namespaceSelector: { matchLabels: { tenant: 'b' } } })],
    mode: 'strict',
    deny: ['(none)', 'strictMode'],
  },
  { name: 'a selecting policy with no rules allows namespace credentials', policies: [policy('a', {})] },
  {
    name: 'organisation outside the list',
    policies: [policy('a', { organisations: ['orga_b'] })],
    deny: ['a', 'organisations'],
  },
  {
    name: 'global credentials refused by default',
    policies: [policy('a', {})],
    request: { credentials: 'global' },
    deny: ['a', 'credentials.allowGlobal'],
  },
  {
    name: 'global credentials when allowed',
    policies: [policy('a', { credentials: { allowGlobal: true } })],
    request: { credentials: 'global' },
  },
  {
    name: 'custom endpoint refused by default',
    policies: [policy('a', {})],
    request: { customEndpoint: true },
    deny: ['a', 'credentials.allowCustomEndpoints'],
  },
  { name: 'kind outside the list', policies: [policy('a', { kinds: ['Redis'] })], deny: ['a', 'kinds'] },
  { name: 'plan outside the list', policies: [policy('a', { plans: ['dev'] })], deny: ['a', 'plans'] },
  { name: 'plan in the list (case-insensitive)', policies: [policy('a', { plans: ['XS_SML'] })] },
  { name: 'region outside the list', policies: [policy('a', { regions: ['rbx'] })], deny: ['a', 'regions'] },
  { name: 'price above the maximum', policies: [policy('a', { maxMonthlyPrice: 10 })], deny: ['a', 'maxMonthlyPrice'] },
  {
    name: 'price above the maximum but not growing (already committed): allowed',
    policies: [policy('a', { maxMonthlyPrice: 10 })],
    request: { currentPrice: 20 },
  },
  {
    name: 'budget exceeded with what is committed',
    policies: [policy('a', { monthlyBudget: 50 })],
    request: { namespaceSpend: 40 },
    deny: ['a', 'monthlyBudget'],
  },
  { name: 'budget exactly met', policies: [policy('a', { monthlyBudget: 60 })], request: { namespaceSpend: 40 } },
  {
    name: 'budgets combine: the smallest',
    policies: [policy('a', { monthlyBudget: 100 }), policy('b', { monthlyBudget: 30 })],
    request: { namespaceSpend: 15 },
    deny: ['b', 'monthlyBudget'],
  },
  {
    name: 'adoption refused by default',
    policies: [policy('a', {})],
    request: { adoption: 'addon_x' },
    deny: ['a', 'adoption.allowed'],
  },
  {
    name: 'adoption allowed',
    policies: [policy('a', { adoption: { allowed: true } })],
    request: { adoption: 'addon_x' },
  },
  {
    name: 'backup image not listed',
    policies: [policy('a', { backupImages: ['registry.example/backup:*'] })],
    request: { backupImages: ['evil/image:1'] },
    deny: ['a', 'backupImages'],
  },
  {
    name: 'backup image matching a prefix',
    policies: [policy('a', { backupImages: ['registry.example/backup:*'] })],
    request: { backupImages: ['registry.example/backup:1.2'] },
  },
  {
    name: 'intersection: one of two policies refuses; the first by name is reported',
    policies: [policy('z', { plans: ['dev'] }), policy('m', { kinds: ['Redis'] })],
    deny: ['m', 'kinds'],
  },
];

describe('evaluate', () => {
  for (const row of rows) {
    it(row.name, () => {
      const d = evaluate(row.policies, row.labels ?? TEAM_A, { ...base, ...row.request }, { mode: row.mode ?? 'open' });
      if (!row.deny) {
        expect(d).toMatchObject({ allowed: true });
        return;
      }
      expect(d).toMatchObject({ allowed: false, policy: row.deny[0], rule: row.deny[1] });
      if (!d.allowed) expect(d.message).toContain(`rule ${row.deny[1]}`);
    });
  }

  it('an invalid policy refuses what it selects', () => {
    const d = evaluate([policy('a', {})], TEAM_A, base, { mode: 'open', invalid: new Map([['a', 'spec.x: bad']]) });
    expect(d).toMatchObject({ allowed: false, policy: 'a', rule: 'invalidPolicy' });
  });

  it('adopted add-ons are orphaned unless every selecting policy says Delete; budget is the smallest', () => {
    const one = evaluate([policy('a', { adoption: { allowed: true, deletionPolicy: 'Delete' } })], TEAM_A, base, {
      mode: 'open',
    });
    expect(one).toMatchObject({ allowed: true, adoptedDeletionPolicy: 'Delete', policies: ['a'] });
    const two = evaluate(
      [policy('a', { adoption: { deletionPolicy: 'Delete' }, monthlyBudget: 90 }), policy('b', { monthlyBudget: 70 })],
      TEAM_A,
      base,
      { mode: 'open' },
    );
    expect(two).toMatchObject({ allowed: true, adoptedDeletionPolicy: 'Orphan', budget: 70 });
  });
});

describe('selects', () => {
  it.each([
    [{}, {}, true],
    [{ matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
    [{ matchLabels: { a: '1' } }, { a: '2' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In' as const, values: ['1', '2'] }] }, { a: '2' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' as const, values: ['1'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' as const }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' as const }] }, {}, true],
  ])('%j on %j: %s', (selector, labels, expected) => {
    expect(selects(selector, labels)).toBe(expected);
  });

  it('images: exact or prefix*', () => {
    expect(imageAllowed('a/b:1', ['a/b:1'])).toBe(true);
    expect(imageAllowed('a/b:2', ['a/b:1'])).toBe(false);
    expect(imageAllowed('a/b:2', ['a/*'])).toBe(true);
    expect(imageAllowed('a/b:2', [])).toBe(false);
  });
});
