import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests with no external processes, and integration tests that share one real
// kube-apiserver + etcd started by the global setup (each test file works in its own namespace).
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          // The short chaos variant runs here too; the long runs have a project of their own.
          include: ['test/integration/**/*.test.ts', 'test/chaos/short*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: the control plane needs one of them.
          maxWorkers: 2,
        },
      },
      {
        // `npm run test:chaos`: long seeded chaos runs, each on a control plane of its own; one at a time.
        test: {
          name: 'chaos',
          include: ['test/chaos/chaos.test.ts'],
          environment: 'node',
          testTimeout: 1_800_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
