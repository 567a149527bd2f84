// A refusal by an AddonPolicy: the resource gets Synced=False reason PolicyDenied, a Warning event, and no Clever
// write call is made.
import type { PolicyRule } from './types.ts';

export class PolicyDeniedError extends Error {
  readonly policy: string;
  readonly rule: PolicyRule;
  constructor(policy: string, rule: PolicyRule, message: string) {
    super(message);
    this.name = 'PolicyDeniedError';
    this.policy = policy;
    this.rule = rule;
  }
}
