// Step 6b: duplicates under the deterministic name (see decide-duplicates.ts for the rule). Runs only while the
// resource counts an unconfirmed create (the unconfirmed-creates annotation), so other resources make no extra
// call; while it runs, one list call per pass.
import { NotFoundError, type Addon } from '../../clever/index.ts';
import { ANNOTATIONS, addonName } from '../names.ts';
import { decideDuplicates, formatUnconfirmed, parseUnconfirmed } from './decide-duplicates.ts';
import type { ExternalClient } from './external.ts';
import { UNCONFIRMED_PATH } from './create.ts';
import type { Pass } from './pass.ts';
import type { StepContext } from './types.ts';

/** Removes the add-ons under this resource's name that only a lost create answer can explain. */
export async function repairDuplicates(c: StepContext, pass: Pass, ext: ExternalClient, held: Addon): Promise<void> {
  const unconfirmed = parseUnconfirmed(pass.annotation(ANNOTATIONS.unconfirmedCreates));
  if (!unconfirmed) return;
  const name = addonName(c.def.kind, pass.uid);
  const verdicts = decideDuplicates({
    name,
    held,
    recorded: pass.original?.addonId === held.id,
    adopting: pass.annotation(ANNOTATIONS.addonId) !== undefined,
    statusIds: [pass.original?.addonId, pass.original?.addon, pass.original?.realId],
    named: await ext.named(name),
    unconfirmed,
  });
  let removed = 0;
  for (const v of verdicts) {
    if (v.action !== 'remove') continue;
    try {
      await ext.delete(v.addon.id);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    removed++;
    pass.emit(
      'Warning',
      'DuplicateRemoved',
      `removed add-on ${v.addon.id}, a second add-on under this resource's name; kept ${held.id} (${v.why})`,
    );
  }
  if (removed === 0) return;
  // Counted down after the delete: a crash in between leaves the count high (one list call per pass more), never
  // low (which would leave a duplicate for good).
  const left = unconfirmed.count - removed;
  pass.res = await c.kube.patch(pass.ref(c.apiVersion, c.def.kind), [
    { op: 'test', path: '/metadata/resourceVersion', value: pass.res.metadata?.resourceVersion },
    left > 0
      ? { op: 'replace', path: UNCONFIRMED_PATH, value: formatUnconfirmed({ count: left, since: unconfirmed.since }) }
      : { op: 'remove', path: UNCONFIRMED_PATH },
  ]);
}
