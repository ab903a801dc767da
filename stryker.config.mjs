// Mutation testing (issue 16): `npm run test:mutation`. Not part of `npm test`: it runs the tests
// of vitest.mutation.config.ts once per mutant (only the tests that cover it: perTest) and takes
// a long time. Scope a run with `npm run test:mutation -- --mutate src/layers/losses.ts`
// (line ranges: `--mutate src/xla/ops/reduce.ts:376-384`).
// Results: reports/mutation/ (html, json); `npm run test:mutation:report` (bench/mutation-report.ts)
// writes the scores to bench/results/mutation.json.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/xla/ops/**/*.ts',
    'src/layers/step.ts',
    'src/layers/optimizers.ts',
    'src/layers/losses.ts',
    'src/mxu/reference.ts',
    'src/mxu/precision.ts',
    'src/tpu/collectives.ts',
  ],
  // Two cores: 2 test-runner processes. Run under `nice -n 19` on a shared machine.
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // The sandbox is a copy of the work tree: it needs build/wasm/ (the WASM kernels that
  // `prepare` builds; copied, not ignored) and not dist/, runs/ or caches.
  ignorePatterns: ['/dist', '/runs', '/.tpusim-cache', '/tmp', '/reports', '/bench/results'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // A re-run retests only mutants whose code or covering tests changed.
  incremental: true,
  // Static mutants (code run once at module load: the op registry's tables, PASS_ORDER, ...)
  // rerun every test for each mutant: ~10% of the mutants, ~40% of the time. Left out of the
  // default run (reported as ignored, not in the score); a scoped run can take them back
  // with a config that sets ignoreStatic: false.
  ignoreStatic: true,
  incrementalFile: 'reports/stryker-incremental.json',
  timeoutMS: 30000,
  // vitest transpiles without type checking: nothing to disable (and the AssemblyScript kernels
  // under src/*/wasm/ are not TypeScript that Babel parses).
  disableTypeChecks: false,
};
