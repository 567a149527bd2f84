// Fault injection: rules matched by route template, with a probability (drawn from the seeded RNG, so runs are
// reproducible) and an optional count after which the rule expires. Latency rules stack with one terminal fault.
import type { Rng } from './rng.ts';
import type { FaultRule } from './types.ts';

export type TerminalFault = Exclude<FaultRule, { kind: 'latency' }>;

export interface FaultDecision {
  latencyMs: number;
  terminal?: TerminalFault;
  /** Kinds applied, for the request log. */
  kinds: string[];
}

const KINDS = new Set(['error', 'rateLimit', 'latency', 'reset', 'commitThenFail']);

/** Checks rules coming from JSON (admin endpoint, --faults file); throws with the offending index. */
export function parseFaultRules(input: unknown): FaultRule[] {
  if (!Array.isArray(input)) throw new Error('fault rules must be a JSON array');
  return input.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) throw new Error(`fault rule ${i}: expected an object`);
    const r = raw as Record<string, unknown>;
    if (typeof r.kind !== 'string' || !KINDS.has(r.kind)) {
      throw new Error(`fault rule ${i}: kind must be one of ${[...KINDS].join(', ')}`);
    }
    if (r.route !== undefined && typeof r.route !== 'string')
      throw new Error(`fault rule ${i}: route must be a string`);
    if (r.probability !== undefined && (typeof r.probability !== 'number' || r.probability < 0 || r.probability > 1)) {
      throw new Error(`fault rule ${i}: probability must be a number in [0, 1]`);
    }
    if (r.count !== undefined && (typeof r.count !== 'number' || !Number.isInteger(r.count) || r.count < 0)) {
      throw new Error(`fault rule ${i}: count must be a non-negative integer`);
    }
    const need = (field: string) => {
      if (typeof r[field] !== 'number') throw new Error(`fault rule ${i}: ${field} must be a number`);
    };
    if (r.kind === 'error') need('status');
    if (r.kind === 'rateLimit') need('retryAfterSeconds');
    if (r.kind === 'latency') need('ms');
    if (r.kind === 'commitThenFail' && r.status !== undefined) need('status');
    return raw as FaultRule;
  });
}

/** Whether a rule's route selects a request; `template` is like 'POST /v2/organisations/{ownerId}/addons'. */
export function routeMatches(ruleRoute: string | undefined, template: string): boolean {
  if (ruleRoute === undefined || ruleRoute === '*') return true;
  if (ruleRoute === template) return true;
  // A rule without a method matches every method of that path.
  const space = template.indexOf(' ');
  return !ruleRoute.includes(' ') && ruleRoute === template.slice(space + 1);
}

export class FaultEngine {
  private rules: FaultRule[];
  private readonly rng: Rng;

  constructor(rules: FaultRule[], rng: Rng) {
    this.rules = rules.map((r) => ({ ...r }));
    this.rng = rng;
  }

  set(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decides the faults for one request, consuming counts of the rules that fire. */
  decide(template: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, kinds: [] };
    for (const rule of this.rules) {
      if (!routeMatches(rule.route, template)) continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      const p = rule.probability ?? 1;
      if (p < 1 && !(this.rng.next() < p)) continue;
      if (rule.count !== undefined) rule.count -= 1;
      decision.kinds.push(rule.kind);
      if (rule.kind === 'latency') {
        decision.latencyMs += rule.ms;
        continue;
      }
      decision.terminal = rule;
      break;
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.count > 0);
    return decision;
  }
}
