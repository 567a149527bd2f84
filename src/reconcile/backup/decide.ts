// Whether spec.restoreFrom may run, as one pure decision. A restore replaces the database's content
// (`pg_restore --clean`, `mongorestore --drop`), so it runs only into an add-on this resource created itself, before
// it was ever reported Ready, and once: a manifest re-applied with the adoption annotation (disaster recovery, a
// cluster migration) must never load an old dump over a live database. Every answer carries a `why`.
import type { AddonOrigin, RestoreStatus } from '../../model/status.ts';

export interface RestoreFacts {
  /** spec.restoreFrom is set. */
  requested: boolean;
  /** How this resource came to hold its add-on (status.origin); undefined when not recorded. */
  origin: AddonOrigin | undefined;
  /** The add-on was reported Ready at least once (status.firstReadyTime, or Ready=True now). */
  readyOnce: boolean;
  /** What status.restore recorded. */
  recorded: RestoreStatus | undefined;
  /** The Job this restoreFrom runs as. */
  jobName: string;
  /** That Job as it is now: absent, or its outcome. */
  job: 'absent' | 'active' | 'succeeded' | 'failed';
  /** The add-on answers (its readiness probe): the restore waits for it. */
  addonReady: boolean;
}

export type RestoreDecision =
  | { action: 'none'; why: string }
  | { action: 'done'; why: string }
  | { action: 'refuse'; why: string }
  | { action: 'skip'; why: string }
  | { action: 'wait'; why: string }
  | { action: 'start'; why: string }
  | { action: 'follow'; why: string }
  | { action: 'succeeded'; why: string }
  | { action: 'failed'; why: string }
  | { action: 'lost'; why: string };

export function decideRestore(f: RestoreFacts): RestoreDecision {
  if (!f.requested) return { action: 'none', why: 'spec.restoreFrom is not set' };
  if (f.recorded?.phase === 'Succeeded')
    return { action: 'done', why: 'the restore succeeded once; it never runs again' };
  if (f.recorded?.phase === 'Skipped')
    return { action: 'skip', why: 'the restore was skipped once the add-on had been Ready; that stays so' };
  // A Job of ours already exists for this restoreFrom: it was started when that was allowed; follow it to its end.
  // Without a recorded origin, only a restore this resource already recorded is followed (an older operator started
  // it); anything else is not known to be new.
  const followable = f.origin === 'Created' || (f.origin === undefined && f.recorded?.jobName === f.jobName);
  if (f.job !== 'absent' && followable) {
    if (f.job === 'succeeded') return { action: 'succeeded', why: 'the restore Job completed' };
    if (f.job === 'failed')
      return { action: 'failed', why: 'the restore Job failed: wait for the user to delete it or change the source' };
    return { action: 'follow', why: 'the restore Job is running' };
  }
  if (f.origin === 'Adopted')
    return { action: 'refuse', why: 'the add-on was adopted: it holds live data a restore would overwrite' };
  if (f.origin === 'Found')
    return { action: 'refuse', why: 'the add-on was found, not created by this resource: it may hold live data' };
  if (f.origin === undefined)
    return { action: 'refuse', why: 'this resource did not record creating the add-on: it is not known to be new' };
  if (f.readyOnce)
    return { action: 'skip', why: 'the add-on was Ready once: it may hold data written since; never restore over it' };
  if ((f.recorded?.phase === 'Running' || f.recorded?.phase === 'Lost') && f.recorded.jobName === f.jobName)
    return {
      action: 'lost',
      why: 'the restore Job vanished before its outcome was seen: running it again could restore twice',
    };
  if (!f.addonReady) return { action: 'wait', why: 'the add-on does not answer yet' };
  // No Job for this source: the first run, or a retry the user asked for by deleting a failed Job or changing
  // spec.restoreFrom. Either way the add-on was created by this resource and was never Ready.
  return { action: 'start', why: 'a new add-on of this resource, never Ready: restore into it' };
}
