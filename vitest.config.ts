import { defineConfig } from 'vitest/config';

// 'tpusim-source': the package's self-imports ('tpusim', 'tpusim/tf') resolve to src/*.ts in
// tests (package.json exports; the built dist/ is what an installed package runs).
export default defineConfig({
  resolve: { conditions: ['tpusim-source'] },
  ssr: { resolve: { conditions: ['tpusim-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'threads',
    testTimeout: 60_000,
    // Tests must be quiet: console output from a test is a failure (see test/setup.ts).
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
