// The configuration file a test operator process runs with: the simulator's dev account and endpoints. Shared by
// the vitest harness (test/support/operator.ts) and the chaos/benchmark scripts (test/chaos/procs.ts), which run
// without vitest.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_OAUTH_SECRET, DEV_OAUTH_TOKEN, DEV_ORG_ID } from '../../src/simulator/index.ts';

/** The operator's own Clever credentials in every config written here: they must never show up outside it. */
export const OPERATOR_CREDENTIALS: readonly string[] = [DEV_OAUTH_TOKEN, DEV_OAUTH_SECRET];

/** Writes a config.toml for the dev account against the simulator at these URLs; returns its path. */
export function writeDevOperatorConfig(simUrl: string, bridgeUrl: string, prefix = 'operator-'): string {
  const config = join(mkdtempSync(join(tmpdir(), prefix)), 'config.toml');
  writeFileSync(
    config,
    [
      '[api]',
      `token = "${DEV_OAUTH_TOKEN}"`,
      `secret = "${DEV_OAUTH_SECRET}"`,
      `organisation = "${DEV_ORG_ID}"`,
      `endpoint = "${simUrl}"`,
      `bridge-endpoint = "${bridgeUrl}"`,
      '',
    ].join('\n'),
  );
  return config;
}
