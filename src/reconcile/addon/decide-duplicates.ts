// Duplicates: two add-ons under one resource's deterministic name. They come from a create whose answer was lost
// (or whose process stopped before writing status) and that did not show in Clever's list within the create grace,
// so a second create followed. The intent guard (decideCreate) keeps that rare; this bounds what it leaves behind:
// the extra add-on is found by name and removed. Pure decisions only, time and facts passed in.
//
// The rule, written down:
//   - The add-on status.addonId names (the held one) is always kept: it is the only one a Secret was ever bound to
//     from this resource's own create calls (bind only ever renders the held add-on).
//   - Nothing is removed until the held add-on is recorded in the status as the pass found it (not only in memory),
//     and it carries the deterministic name (an adopted add-on means an add-on under our name may be the one this
//     resource was bound to before the adoption).
//   - Only an add-on the resource can account for is removed: one made by a create call it counted as unconfirmed
//     (the unconfirmed-creates annotation, incremented before every create that follows an unanswered one), created
//     no earlier than that first unconfirmed call could have made it, and never recorded in status.
//   - When more add-ons carry the name than unconfirmed creates can explain, none is removed: something else made
//     one, and there is no telling which.
import type { Addon } from '../../clever/index.ts';

/** How long before its recorded time an unconfirmed create call may have committed (call timeout, retries, skew). */
export const MAX_CREATE_CALL_MS = 10 * 60_000;

/** The unconfirmed-creates annotation: how many creates went unrecorded, and when the first of them was. */
export interface Unconfirmed {
  count: number;
  since: string;
}

export function parseUnconfirmed(value: string | undefined): Unconfirmed | undefined {
  if (!value) return undefined;
  const [count, since] = value.split(';');
  const n = Number(count);
  if (!Number.isInteger(n) || n <= 0 || !since || Number.isNaN(Date.parse(since))) return undefined;
  return { count: n, since };
}

export function formatUnconfirmed(u: Unconfirmed): string {
  return `${u.count};${u.since}`;
}

/** One more unconfirmed create, counted before the create that follows it. */
export function addUnconfirmed(current: string | undefined, at: string): string {
  const u = parseUnconfirmed(current);
  return formatUnconfirmed(u ? { count: u.count + 1, since: u.since } : { count: 1, since: at });
}

/** Which of several add-ons under the deterministic name a resource without a status id takes: the oldest. */
export function pickNamed(named: readonly Addon[]): Addon | undefined {
  return [...named].sort((a, b) => a.creationDate - b.creationDate || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

export interface DuplicatesInput {
  /** The deterministic name. */
  name: string;
  /** The held add-on, as observed this pass. */
  held: Addon;
  /** The held add-on's id was in status.addonId when the pass began (written, not only decided). */
  recorded: boolean;
  /** The adoption annotation is set. */
  adopting: boolean;
  /** status.addonId, status.addon and status.realId. */
  statusIds: readonly (string | undefined)[];
  /** Add-ons of this provider listed under the name (the held one may or may not be among them: list lag). */
  named: readonly Addon[];
  /** The unconfirmed-creates annotation, parsed. */
  unconfirmed: Unconfirmed | undefined;
}

export interface DuplicateVerdict {
  addon: Addon;
  action: 'keep' | 'remove';
  why: string;
}

/** A verdict for each listed add-on other than the held one. */
export function decideDuplicates(input: DuplicatesInput): DuplicateVerdict[] {
  const { held, unconfirmed } = input;
  const others = input.named.filter((a) => a.id !== held.id && a.realId !== held.realId);
  const keep = (why: string) => others.map((addon) => ({ addon, action: 'keep' as const, why }));
  if (others.length === 0) return [];
  if (!input.recorded) return keep('the held add-on is not recorded in status yet');
  if (input.adopting || held.name !== input.name) {
    return keep('the held add-on was adopted: one under our name may be the one bound before');
  }
  if (!unconfirmed) return keep('no create of this resource went unconfirmed: it cannot account for this one');
  if (others.length > unconfirmed.count) {
    return keep(`${others.length} add-ons under the name, ${unconfirmed.count} unconfirmed create(s): none removed`);
  }
  const earliest = Date.parse(unconfirmed.since) - MAX_CREATE_CALL_MS;
  return others.map((addon) => {
    if (input.statusIds.some((id) => id !== undefined && (id === addon.id || id === addon.realId))) {
      return { addon, action: 'keep', why: 'recorded in status' };
    }
    if (addon.name !== input.name || addon.provider.id !== held.provider.id) {
      return { addon, action: 'keep', why: 'another name or provider' };
    }
    if (addon.creationDate < earliest) {
      return { addon, action: 'keep', why: 'created before any unconfirmed create call could have made it' };
    }
    return {
      addon,
      action: 'remove',
      why: 'made by a create whose answer was lost; never recorded in status, so never bound to a Secret',
    };
  });
}
