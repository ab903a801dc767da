/**
 * The fast kernel on several threads (the caller + workers): same bits as the reference and
 * as one-thread `matmulFast` for any thread count, and
 * the worker file loads under vitest (and, through bin/tpusim.js, under tsx: see
 * test/cli/matmul.test.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { MatmulPool, rowSlices } from '../../src/mxu/parallel.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import { runPassJob } from '../../src/mxu/worker.ts';
import { caseOperands, firstBitDifference, matmulCase, randomOperand } from './kernel-operands.ts';

describe('MatmulPool', () => {
  const pools: MatmulPool[] = [];
  beforeAll(async () => {
    pools.push(...(await Promise.all([1, 2, 3].map((t) => MatmulPool.create(t, { minMacsPerWorker: 0 })))));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
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

  it('gives the bits of matmulFast on one thread, whatever the split (operands shared or not)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('flush' as const, 'keep' as const),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.boolean(),
        async (m, k, n, subnormals, seed, inSharedMemory) => {
          const share = (x: Float32Array) => {
            if (!inSharedMemory) return x;
            const y = new Float32Array(new SharedArrayBuffer(x.byteLength));
            y.set(x);
            return y;
          };
          const a = share(randomOperand(m * k, seed, 0.05, 30));
          const b = share(randomOperand(k * n, seed + 1, 0.05, 30));
          const shape = { m, k, n };
          const config = { rows: 128, subnormals };
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

describe('row slicing', () => {
  it('covers M exactly once, in blocks of 4 rows', () => {
    for (const [m, parts] of [[1024, 2], [5, 3], [1, 4], [9216, 3], [13, 2]] as const) {
      const slices = rowSlices(m, parts);
      expect(slices.length).toBeLessThanOrEqual(parts);
      expect(slices[0]![0]).toBe(0);
      expect(slices.at(-1)![1]).toBe(m);
      for (let i = 1; i < slices.length; i++) expect(slices[i]![0]).toBe(slices[i - 1]![1]);
      for (const [m0] of slices) expect(m0 % 4).toBe(0);
    }
  });

  it('runPassJob computes its rows in place (the worker body, without a thread)', () => {
    const [m, k, n] = [6, 3, 5];
    const a = new SharedArrayBuffer(m * k * 4);
    const b = new SharedArrayBuffer(k * n * 4);
    const c = new SharedArrayBuffer(m * n * 4);
    new Float32Array(a).forEach((_, i, arr) => (arr[i] = i - 7));
    new Float32Array(b).forEach((_, i, arr) => (arr[i] = 0.5 * i));
    runPassJob({ id: 0, a, aFirstRow: 0, b, c, m, k, n, m0: 4, m1: 6, rows: 2, subnormals: 'flush' });
    const ref = referenceMatmul(new Float32Array(a), new Float32Array(b), { m, k, n }, { config: { rows: 2, subnormals: 'flush' } });
    expect(firstBitDifference(new Float32Array(c).subarray(4 * n), ref.subarray(4 * n))).toBe(-1);
    expect(new Float32Array(c).subarray(0, 4 * n).every((x) => x === 0)).toBe(true);
  });
});
