// Observation by organisation: one list of an owner's add-ons (`GET /v2/organisations/{owner}/addons`), shared by
// every resource of every kind that uses the same credentials and owner. It answers the pre-create name lookup,
// existence and plan/region drift for all of them, where each resource used to ask for its own add-on and list the
// organisation before each create (N creates read N lists: quadratic in bytes parsed).
//
// A caller says how fresh the answer must be: at most `maxAgeMs` old, and (for a lookup that must see the result of
// an earlier call) requested after `after`. Callers whose need the newest list meets share it; while a list is in
// flight, callers it would satisfy wait for it, and the others wait for the next one, which starts once it ends: at
// most one list per owner is in flight, so a burst of N passes costs one list, not N. A snapshot's time is when its
// request was sent: everything committed before that moment (and visible past the list's own lag) is in it.
//
// What a list does not show is never taken as proof that an add-on is gone: the list may lag behind a create, so the
// reconciler asks for the add-on by id before it concludes anything from an absence (decideHeldSource).
import type { Addon } from '../clever/index.ts';

export interface Snapshot {
  /** When the list was requested (epoch ms). */
  readonly at: number;
  readonly addons: readonly Addon[];
  byId(id: string): Addon | undefined;
  /** The add-ons of one provider under one name (several when duplicates exist). */
  named(name: string, providerId: string): Addon[];
}

export interface Freshness {
  /** The snapshot may be at most this old. */
  maxAgeMs: number;
  /** The snapshot must have been requested after this time (epoch ms): it then shows what happened before. */
  after?: number;
}

interface OwnerState {
  latest?: Snapshot;
  inflight?: { startedAt: number; promise: Promise<Snapshot> };
}

export class OrgSnapshots {
  private readonly owners = new Map<string, OwnerState>();
  private readonly list: (owner: string) => Promise<Addon[]>;
  private readonly now: () => number;
  /** Lists requested (for tests and metrics). */
  requests = 0;

  constructor(list: (owner: string) => Promise<Addon[]>, now: () => number = Date.now) {
    this.list = list;
    this.now = now;
  }

  /** A snapshot of `owner`'s add-ons that meets `need`, requesting a new list only when none does. */
  async get(owner: string, need: Freshness): Promise<Snapshot> {
    const state = this.state(owner);
    const after = need.after ?? -Infinity;
    for (;;) {
      const latest = state.latest;
      if (latest && latest.at >= after && this.now() - latest.at <= need.maxAgeMs) return latest;
      const inflight = state.inflight;
      if (inflight) {
        if (inflight.startedAt >= after) return inflight.promise;
        // Requested before what this caller must see: wait for it to end, then ask again.
        await inflight.promise.catch(() => undefined);
        continue;
      }
      return this.start(owner, state);
    }
  }

  /** The newest snapshot of `owner`, if any, without asking Clever. */
  peek(owner: string): Snapshot | undefined {
    return this.owners.get(owner)?.latest;
  }

  /** An add-on we deleted leaves the snapshots at once (a later list confirms it). */
  forget(owner: string, addonId: string): void {
    const state = this.owners.get(owner);
    if (!state?.latest?.byId(addonId)) return;
    state.latest = makeSnapshot(
      state.latest.at,
      state.latest.addons.filter((a) => a.id !== addonId),
    );
  }

  private start(owner: string, state: OwnerState): Promise<Snapshot> {
    const startedAt = this.now();
    this.requests++;
    const promise = this.list(owner).then((addons) => {
      const next = makeSnapshot(startedAt, addons);
      if (!state.latest || state.latest.at <= startedAt) state.latest = next;
      return next;
    });
    const inflight = { startedAt, promise };
    state.inflight = inflight;
    const done = () => {
      if (state.inflight === inflight) state.inflight = undefined;
    };
    promise.then(done, done);
    return promise;
  }

  private state(owner: string): OwnerState {
    let state = this.owners.get(owner);
    if (!state) this.owners.set(owner, (state = {}));
    return state;
  }
}

/** A snapshot of `addons` as listed at `at`. */
export function makeSnapshot(at: number, addons: readonly Addon[]): Snapshot {
  const ids = new Map<string, Addon>();
  const names = new Map<string, Addon[]>();
  for (const a of addons) {
    ids.set(a.id, a);
    const key = a.name ?? '';
    const same = names.get(key);
    if (same) same.push(a);
    else names.set(key, [a]);
  }
  return {
    at,
    addons,
    byId: (id) => ids.get(id),
    named: (name, providerId) => (names.get(name) ?? []).filter((a) => a.provider.id === providerId),
  };
}
