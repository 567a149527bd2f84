// The short chaos variant that runs inside `npm test` (integration project, shared control plane, fixed seed): 20
// resources of mixed kinds, a minute of faults (SIGKILLs including the create -> status-write window and deletion,
// two replicas with leader changes, simulator faults, add-ons deleted and credentials rotated behind our back, cut
// connections), then every invariant must hold. The long runs (`npm run test:chaos`) add kube-apiserver restarts.
import { describe, expect, inject, it } from 'vitest';
import { runChaos } from './run.ts';

describe('chaos, short variant', () => {
  it('keeps every invariant through a minute of faults (seed 7, 20 resources)', async () => {
    const report = await runChaos({
      seed: Number(process.env.CHAOS_SHORT_SEED ?? 7),
      resources: 20,
      faultPhaseMs: 60_000,
      settleTimeoutMs: 120_000,
      kubeconfigPath: inject('kubeconfigPath'),
      replicas: 2,
      log: (line) => {
        if (process.env.CHAOS_VERBOSE || !line.startsWith('[chaos')) console.log(line);
      },
    });
    expect(
      report.invariants.filter((r) => r.count > 0),
      report.table,
    ).toEqual([]);
  }, 300_000);
});
