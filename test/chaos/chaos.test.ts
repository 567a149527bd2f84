// The long chaos runs (`npm run test:chaos`): each seed on a control plane of its own (so the kube-apiserver can be
// restarted without disturbing anything else), a few hundred resources, several minutes of faults. Seeds, size
// and duration come from the environment so a failing seed can be replayed alone:
//   CHAOS_SEEDS=101,202 CHAOS_RESOURCES=300 CHAOS_FAULT_SECONDS=240 npm run test:chaos
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalPlane, type LocalPlane } from '../../src/controlplane/local-plane.ts';
import { runChaos } from './run.ts';

const seeds = (process.env.CHAOS_SEEDS ?? '101,202,303').split(',').map((s) => Number(s.trim()));
const resources = Number(process.env.CHAOS_RESOURCES ?? 300);
const faultSeconds = Number(process.env.CHAOS_FAULT_SECONDS ?? 240);

describe('chaos, long runs', () => {
  let plane: LocalPlane | undefined;
  afterEach(async () => {
    await plane?.stop({ keepLogs: false });
    plane = undefined;
  });

  it.each(seeds)('seed %i keeps every invariant', async (seed) => {
    plane = await startLocalPlane();
    const report = await runChaos({
      seed,
      resources,
      faultPhaseMs: faultSeconds * 1_000,
      settleTimeoutMs: 300_000,
      kubeconfigPath: plane.kubeconfigPath,
      plane,
      replicas: 2,
      log: (line) => {
        if (process.env.CHAOS_VERBOSE || !line.startsWith('[chaos')) console.log(line);
      },
    });
    expect(
      report.invariants.filter((r) => r.count > 0),
      report.table,
    ).toEqual([]);
  });
});
