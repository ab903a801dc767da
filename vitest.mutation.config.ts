import { defineConfig } from 'vitest/config';

// The tests that `npm run test:mutation` (stryker.config.mjs) runs against each mutant: those of the
// mutated folders (xla, layers, mxu, tpu), less the ones that run code outside the test's own
// thread (child processes, worker threads: a mutant is instrumented only in the test's thread, so
// those tests could not see it and would only cost time). Same resolution and setup as
// vitest.config.ts (written out, not merged: mergeConfig would concatenate the include lists).
export default defineConfig({
  resolve: { conditions: ['tpusim-source'] },
  ssr: { resolve: { conditions: ['tpusim-source'] } },
  test: {
    include: ['test/xla/**/*.test.ts', 'test/layers/**/*.test.ts', 'test/mxu/**/*.test.ts', 'test/tpu/**/*.test.ts'],
    exclude: [
      '**/node_modules/**',
      'test/**/cli.test.ts', // spawns the CLI
      'test/layers/save.test.ts', // spawns a child process
      'test/layers/threads.test.ts', // worker threads
      'test/mxu/helpers.test.ts', // spawns a child process
      'test/mxu/parallel.test.ts', // worker threads
      'test/tpu/parallel-board.test.ts', // worker threads
    ],
    pool: 'threads',
    testTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
  },
});
