// The closing line CI reads: a file that fails to load and a beforeAll that fails are failures, named, never a
// quiet "skipped".
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const vitest = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));
const config = fileURLToPath(new URL('../../fixtures/reporter/vitest.config.ts', import.meta.url));

it('counts load and hook failures as failed and names them', () => {
  const r = spawnSync(process.execPath, [vitest, 'run', '--config', config], { encoding: 'utf8', timeout: 60_000 });
  const out = r.stdout + r.stderr;
  expect(r.status).not.toBe(0);
  expect(out).toMatch(/^suites that failed to load or whose hooks failed \(2\):$/m);
  expect(out).toMatch(/^ {2}- hook\.fixture\.ts > outer: hook failed on purpose$/m);
  expect(out).toMatch(/^ {2}- load\.fixture\.ts: load failed on purpose$/m);
  // One passing test; the failing test plus the two suites; the two tests behind the failed hook.
  expect(out).toMatch(/^vitest: 1 passed, 3 failed, 2 skipped$/m);
});
