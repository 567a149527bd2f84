// Conditions and phase. A condition's lastTransitionTime changes only when its status changes, so a resource
// reconciled every few minutes does not look freshly changed each time.
import type { AddonStatus, Condition, ConditionStatus, Phase } from '../model/status.ts';
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
  return [...(existing ?? []).filter((c) => c.type !== type), next].sort((a, b) => a.type.localeCompare(b.type));
}

function boundedMessage(message: string): string {
  return message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
}

export function getCondition(status: AddonStatus | undefined, type: Condition['type']): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Status equality ignoring nothing: used to skip writes that would change nothing. */
export function sameStatus(a: AddonStatus | undefined, b: AddonStatus): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export type { Phase };
