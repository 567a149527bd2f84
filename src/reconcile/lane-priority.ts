// Which Clever priority a reconcile runs at, by the work-queue lane its key came from: a key added by an event (a user
// change, a Secret touched) at `normal`, a key whose delay ended (drift check, poll, retry) at `background`. The worker
// loop (src/kube/controller.ts) knows lanes and nothing of Clever; the controllers that call Clever wrap their
// reconcile here. An add-on pass may raise its priority further (deletions are `urgent`: ./addon-reconciler.ts).
import { withCleverPriority, type CleverPriority } from '../clever/priority.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import type { WorkLane } from '../kube/workqueue.ts';

export const LANE_PRIORITY: Readonly<Record<WorkLane, CleverPriority>> = { event: 'normal', scheduled: 'background' };

/** The priority a reconcile started from `lane` runs at (outside a worker loop: as an event). */
export function lanePriority(lane: WorkLane | undefined): CleverPriority {
  return LANE_PRIORITY[lane ?? 'event'];
}

/** `reconcile`, with every Clever call it makes at the priority of its key's lane. */
export function atLanePriority<R>(
  reconcile: (key: string, ctx: ReconcileContext) => Promise<R>,
): (key: string, ctx: ReconcileContext) => Promise<R> {
  return (key, ctx) => withCleverPriority(lanePriority(ctx.lane), () => reconcile(key, ctx));
}
