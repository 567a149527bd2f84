// Prints one closing line in the plain "N passed, N failed, N skipped" form after vitest's own summary, so CI
// logs carry a machine-readable count for every run (unit and integration each print one). A file that failed to
// load, or a beforeAll/afterAll hook that failed (its tests are then reported as skipped), counts as one failure
// each and is named above the line: a suite that could not start is never a quiet "skipped".
import type { Reporter, TestModule } from 'vitest/node';

const firstLine = (s: string | undefined): string => (s ?? 'error').split('\n')[0] ?? 'error';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failedTests = 0;
    let skipped = 0;
    const problems: string[] = unhandledErrors.map(
      (e) => `unhandled error: ${firstLine(e instanceof Error ? e.message : String(e))}`,
    );
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      failedTests += failedHere;
      // Load errors sit on the module; hook errors on the module or suite whose hook failed.
      let errorsHere = 0;
      for (const entity of [mod, ...mod.children.allSuites()]) {
        for (const err of entity.errors()) {
          errorsHere++;
          const where = entity.type === 'suite' ? `${mod.relativeModuleId} > ${entity.fullName}` : mod.relativeModuleId;
          problems.push(`${where}: ${firstLine(err.message)}`);
        }
      }
      if (mod.state() === 'failed' && failedHere === 0 && errorsHere === 0) {
        problems.push(`${mod.relativeModuleId}: failed without a failing test`);
      }
    }
    if (problems.length > 0) {
      console.log(`\nsuites that failed to load or whose hooks failed (${problems.length}):`);
      for (const p of problems) console.log(`  - ${p}`);
    }
    console.log(`\nvitest: ${passed} passed, ${failedTests + problems.length} failed, ${skipped} skipped`);
  }
}
