/**
 * Runs every bench/*.bench.ts in sequence, each in its own Node process (so one bench's JIT
 * state, heap and worker threads never colour the next one's numbers).
 *
 *   npm run bench            every benchmark
 *   npm run bench -- mxu     only files whose name contains "mxu"
 *
 * Each bench prints its own table and writes bench/results/<name>.json. Exit code 1 if any
 * bench failed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`bench: no bench/*.bench.ts matches '${filter}'`);
  process.exit(1);
}
const failed: string[] = [];
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, file)], { stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) failed.push(file);
  console.log(`=== ${file}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds} s ===`);
}
if (failed.length > 0) {
  console.error(`bench: ${failed.length} failed: ${failed.join(', ')}`);
  process.exit(1);
}
