// Prints the plain "N passed, N failed" line from vitest's JSON report, for CI logs.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (r.numTotalTests === 0) process.exitCode = 1;
} catch (e) {
  console.log('0 passed, 1 failed');
  console.error(`no test report at ${file}: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
