/**
 * Regenerates the golden cycle trace(s) compared in test/mxu/trace.test.ts:
 *   npx tsx test/golden/regenerate-systolic.ts
 * Run it only after a deliberate change to the array's timing or the trace format, and
 * review the diff: the golden file is the record of what the array did, cycle by cycle.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GOLDEN_TRACES, goldenTraceText } from './systolic-golden.ts';

for (const golden of GOLDEN_TRACES) {
  const path = fileURLToPath(new URL(golden.file, import.meta.url));
  writeFileSync(path, goldenTraceText(golden));
  process.stdout.write(`wrote ${path}\n`);
}
