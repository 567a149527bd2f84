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
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: the control plane needs one of them.
          maxWorkers: 2,
        },
      },
    ],
  },
});
