/**
 * The fast kernel on several threads (the caller + helper threads sharing its kernel's
 * memory): same bits as the reference and as one-thread `matmulFast` for any thread count,
 * whether the helpers are already up or still starting.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { MatmulPool } from '../../src/mxu/parallel.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import { caseOperands, firstBitDifference, matmulCase, randomOperand } from './kernel-operands.ts';

describe('matmulFast with threads', () => {
  it('gives the one-thread bits even while its helper threads are still starting', () => {
    // The first threaded call of this test file's thread: the helpers are started now and
    // cannot be up yet (the pass blocks this thread), so this thread claims every chunk.
    const [m, k, n] = [300, 260, 70];
    const a = randomOperand(m * k, 11, 0.05, 30);
    const b = randomOperand(k * n, 12, 0.05, 30);
    const config = { rows: 128, subnormals: 'keep' as const };
    const single = matmulFast(a, b, { m, k, n }, { config });
    expect(firstBitDifference(matmulFast(a, b, { m, k, n }, { config, threads: 3, minParallelMacs: 0 }), single)).toBe(-1);
  });

  it('rejects a thread count that is not a positive integer', () => {
    const x = new Float32Array(4);
    expect(() => matmulFast(x, x, { m: 2, k: 2, n: 2 }, { config: { rows: 128, subnormals: 'flush' }, threads: 0 })).toThrow(/threads must be a positive integer, got 0/);
  });
});

describe('MatmulPool', () => {
  const pools: MatmulPool[] = [];
  beforeAll(async () => {
    pools.push(...(await Promise.all([1, 2, 3].map((t) => MatmulPool.create(t, { minParallelMacs: 0 })))));
  }, 30_000);
  afterAll(async () => {
    await pools[0]!.close(); // the pools share this thread's helpers
  });

  it('gives the reference bits whatever the thread count (all precisions)', async () => {
    await fc.assert(
      fc.asyncProperty(matmulCase(30, 200), fc.constantFrom('default' as const, 'high' as const, 'highest' as const), async (c, precision) => {
        const { a, b } = caseOperands(c);
        const shape = { m: c.m, k: c.k, n: c.n };
        const config = { rows: c.rows, subnormals: c.subnormals };
        const ref = referenceMatmul(a, b, shape, { config, precision });
        for (const pool of pools) expect(firstBitDifference(await pool.matmul(a, b, shape, { config, precision }), ref)).toBe(-1);
      }),
      { seed: 303, numRuns: 40 },
    );
  });

  it('gives the bits of matmulFast on one thread, whatever the chunking (many rows, folds, odd N)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('flush' as const, 'keep' as const),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (m, k, n, subnormals, seed) => {
          const a = randomOperand(m * k, seed, 0.05, 30);
          const b = randomOperand(k * n, seed + 1, 0.05, 30);
          const shape = { m, k, n };
          const config = { rows: 100, subnormals };
          const single = matmulFast(a, b, shape, { config });
          for (const pool of pools) expect(firstBitDifference(await pool.matmul(a, b, shape, { config }), single)).toBe(-1);
        },
      ),
      { seed: 304, numRuns: 30 },
    );
  });

  it('counts the calling thread among its threads', () => {
    expect(pools.map((p) => p.threads)).toEqual([1, 2, 3]);
  });

  it('reports a bad operand', async () => {
    await expect(pools[0]!.matmul(new Float32Array(3), new Float32Array(4), { m: 2, k: 2, n: 2 }, { config: { rows: 128, subnormals: 'flush' } })).rejects.toThrow(/operand a/);
  });
});
