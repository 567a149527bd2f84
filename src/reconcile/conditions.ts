// Conditions and phase. A condition's lastTransitionTime changes only when its status changes, so a resource
// reconciled every few minutes does not look freshly changed each time.
import type { AddonStatus, Condition, ConditionStatus } from '../model/status.ts';
import { redactText } from '../redact.ts';
import type { ConditionReason } from './addon/reasons.ts';

export interface ConditionInput {
  status: ConditionStatus;
  /** One of the enumerated reasons (src/reconcile/addon/reasons.ts). */
  reason: ConditionReason;
  message: string;
}

export function setCondition(
  existing: Condition[] | undefined,
  type: Condition['type'],
  input: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const previous = existing?.find((c) => c.type === type);
  const next: Condition = {
    type,
    status: input.status,
    reason: input.reason,
    // Status messages are shown by kubectl (and readable without access to Secrets): keep them bounded, and mask
    // anything that looks like a credential as a last line of defence.
    message: boundedMessage(redactText(input.message)),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : now.toISOString(),
  };
  return [...(existing ?? []).filter((c) => c.type !== type), next].sort((a, b) => byCodePoint(a.type, b.type));
}

function boundedMessage(message: string): string {
  return message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
}

export function getCondition(status: AddonStatus | undefined, type: Condition['type']): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Status equality, a key holding `undefined` counting as absent: used to skip writes that would change nothing. Called
 * on every pass, so it compares in place (no copy, no serialisation, no locale-aware ordering).
 */
export function sameStatus(a: AddonStatus | undefined, b: AddonStatus): boolean {
  return sameValue(a ?? {}, b);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((v, i) => sameValue(v, bs[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ra) {
    if (ra[k] === undefined) continue;
    defined++;
    if (!Object.hasOwn(rb, k) || !sameValue(ra[k], rb[k])) return false;
  }
  for (const k in rb) if (rb[k] !== undefined) defined--;
  return defined === 0;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
