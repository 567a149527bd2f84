// The policy decision, pure: which policies select a namespace, and whether a request passes all of them.
// Combination (docs/policy.md): every selecting policy must allow (intersection), so adding a policy can only
// restrict. Policies are checked in name order and, within one, in the order of RULE_ORDER; the first refusal is
// the one reported, so the same inputs always name the same policy and rule. Budgets are checked per policy, which
// amounts to the smallest budget; an adopted add-on is orphaned on deletion unless every selecting policy says
// Delete. No selecting policy: allowed in open mode, refused (rule strictMode) in strict mode.
import type {
  AddonPolicy,
  AddonPolicySpec,
  LabelSelector,
  PolicyDecision,
  PolicyMode,
  PolicyRequest,
  PolicyRule,
} from './types.ts';

/** Does `selector` match these labels? (Kubernetes label selector semantics; an empty selector matches all.) */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has && values.includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !values.includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

const policyName = (p: AddonPolicy) => p.metadata?.name ?? '';

/** The policies that select a namespace with these labels, in name order. */
export function selecting(policies: readonly AddonPolicy[], labels: Record<string, string>): AddonPolicy[] {
  return policies
    .filter((p) => p.spec && selects(p.spec.namespaceSelector, labels))
    .sort((a, b) => policyName(a).localeCompare(policyName(b)));
}

/** `image` matches an entry exactly, or an entry ending in `*` as a prefix. */
export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => (a.endsWith('*') ? image.startsWith(a.slice(0, -1)) : image === a));
}

const money = (n: number) => (Math.round(n * 100) / 100).toString();
const list = (xs: readonly string[]) => (xs.length === 0 ? '(none)' : xs.join(', '));

type Check = (spec: AddonPolicySpec, req: PolicyRequest) => string | undefined;

/** One check per rule, in the order they are reported; each returns why it refuses, or undefined. */
const RULES: readonly [PolicyRule, Check][] = [
  [
    'credentials.allowCustomEndpoints',
    (s, r) =>
      r.customEndpoint && !s.credentials?.allowCustomEndpoints
        ? `${r.credentials === 'spec' ? 'spec.credentialsRef' : 'namespace'} credentials may not set a custom API endpoint`
        : undefined,
  ],
  [
    'credentials.allowGlobal',
    (s, r) =>
      r.credentials === 'global' && !s.credentials?.allowGlobal
        ? "the operator's global credentials may not be used here: set spec.credentialsRef or a namespace Secret"
        : undefined,
  ],
  [
    'organisations',
    (s, r) =>
      r.organisation !== undefined && s.organisations && !s.organisations.includes(r.organisation)
        ? `organisation ${r.organisation} is not allowed; allowed: ${list(s.organisations)}`
        : undefined,
  ],
  [
    'kinds',
    (s, r) =>
      r.kind !== undefined && s.kinds && !s.kinds.includes(r.kind)
        ? `kind ${r.kind} is not allowed; allowed: ${list(s.kinds)}`
        : undefined,
  ],
  [
    'plans',
    (s, r) =>
      r.plan !== undefined && s.plans && !s.plans.some((p) => p.toLowerCase() === r.plan!.toLowerCase())
        ? `plan ${r.plan} is not allowed; allowed: ${list(s.plans)}`
        : undefined,
  ],
  [
    'regions',
    (s, r) =>
      r.region !== undefined && s.regions && !s.regions.includes(r.region)
        ? `region ${r.region} is not allowed; allowed: ${list(s.regions)}`
        : undefined,
  ],
  [
    'maxMonthlyPrice',
    (s, r) =>
      s.maxMonthlyPrice !== undefined && grows(r) && r.monthlyPrice! > s.maxMonthlyPrice
        ? `plan ${r.plan ?? ''} costs ${money(r.monthlyPrice!)} a month, above the maximum of ${money(s.maxMonthlyPrice)}`
        : undefined,
  ],
  [
    'monthlyBudget',
    (s, r) => {
      if (s.monthlyBudget === undefined || !grows(r)) return undefined;
      const total = (r.namespaceSpend ?? 0) + r.monthlyPrice!;
      return total > s.monthlyBudget
        ? `plan ${r.plan ?? ''} (${money(r.monthlyPrice!)} a month) would bring the namespace to ${money(total)}, ` +
            `over its monthly budget of ${money(s.monthlyBudget)} (committed: ${money(r.namespaceSpend ?? 0)})`
        : undefined;
    },
  ],
  [
    'adoption.allowed',
    (s, r) =>
      r.adoption !== undefined && !s.adoption?.allowed
        ? `adopting an existing add-on (${r.adoption}) is not allowed here`
        : undefined,
  ],
  [
    'backupImages',
    (s, r) => {
      const refused = (r.backupImages ?? []).filter((i) => !imageAllowed(i, s.backupImages ?? []));
      return refused.length > 0
        ? `backup image ${refused.join(', ')} is not allowed; allowed: ${list(s.backupImages ?? [])}`
        : undefined;
    },
  ],
];

/** Price rules apply when the resource's spend would grow: a create, or a move to a dearer plan. */
function grows(r: PolicyRequest): boolean {
  return r.monthlyPrice !== undefined && r.monthlyPrice > (r.currentPrice ?? 0);
}

/**
 * The decision for `request` in a namespace with `labels`. Policies whose spec failed validation (`invalid`
 * names them) refuse everything they select: a typo must not silently open a namespace.
 */
export function evaluate(
  policies: readonly AddonPolicy[],
  labels: Record<string, string>,
  request: PolicyRequest,
  options: { mode: PolicyMode; invalid?: ReadonlyMap<string, string> },
): PolicyDecision {
  const selected = selecting(policies, labels);
  if (selected.length === 0) {
    if (options.mode === 'open') return { allowed: true, policies: [] };
    return {
      allowed: false,
      policy: '(none)',
      rule: 'strictMode',
      message: 'no AddonPolicy selects this namespace (rule strictMode: the operator runs in strict mode)',
    };
  }
  for (const p of selected) {
    const name = policyName(p);
    const invalid = options.invalid?.get(name);
    if (invalid)
      return { allowed: false, policy: name, rule: 'invalidPolicy', message: deny(name, 'invalidPolicy', invalid) };
    for (const [rule, check] of RULES) {
      const why = check(p.spec!, request);
      if (why) return { allowed: false, policy: name, rule, message: deny(name, rule, why) };
    }
  }
  const budgets = selected.map((p) => p.spec!.monthlyBudget).filter((b): b is number => b !== undefined);
  return {
    allowed: true,
    policies: selected.map(policyName),
    adoptedDeletionPolicy: selected.every((p) => p.spec!.adoption?.deletionPolicy === 'Delete') ? 'Delete' : 'Orphan',
    ...(budgets.length > 0 ? { budget: Math.min(...budgets) } : {}),
  };
}

function deny(policy: string, rule: PolicyRule, why: string): string {
  return `AddonPolicy ${policy} (rule ${rule}): ${why}`;
}

/** The smallest budget among the policies that select a namespace, if any sets one. */
export function budgetOf(policies: readonly AddonPolicy[], labels: Record<string, string>): number | undefined {
  const budgets = selecting(policies, labels)
    .map((p) => p.spec?.monthlyBudget)
    .filter((b): b is number => b !== undefined);
  return budgets.length > 0 ? Math.min(...budgets) : undefined;
}
