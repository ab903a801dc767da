/**
 * The fast kernel (WASM SIMD and plain JS) against the numerics spec (reference.ts), bit for
 * bit, on random shapes, fold depths and values, special values included.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mxuConfig } from '../../src/mxu/config.ts';
import { matmulFast, mxuMatmul } from '../../src/mxu/kernel.ts';
import { reportFromCounters } from '../../src/mxu/report.ts';
import { runStepped } from '../../src/mxu/stepped.ts';
import { CANONICAL_NAN_BITS, referenceMatmul } from '../../src/mxu/reference.ts';
import { WasmKernelError, loadKernelModule } from '../../src/mxu/wasm-module.ts';
import { bits, caseOperands, firstBitDifference, matmulCase, randomOperand } from './kernel-operands.ts';

const flush = { rows: 128, subnormals: 'flush' as const };

describe('matmulFast, default precision', () => {
  it('wasm == js == reference, bit for bit, on random shapes, folds and values', () => {
    fc.assert(
      fc.property(matmulCase(), (c) => {
        const { a, b } = caseOperands(c);
        const shape = { m: c.m, k: c.k, n: c.n };
        const config = { rows: c.rows, subnormals: c.subnormals };
        const ref = referenceMatmul(a, b, shape, { config });
        expect(firstBitDifference(matmulFast(a, b, shape, { config }), ref)).toBe(-1);
        expect(firstBitDifference(matmulFast(a, b, shape, { config, backend: 'js' }), ref)).toBe(-1);
      }),
      { seed: 301, numRuns: 150 },
    );
  });

  it('agrees on shapes past the cache blocking (many row blocks, folds and panels)', () => {
    for (const [m, k, n, rows] of [[133, 517, 70, 128], [260, 129, 9, 128], [7, 1000, 33, 100]] as const) {
      const a = randomOperand(m * k, m, 0.01, 10);
      const b = randomOperand(k * n, n, 0.01, 10);
      const config = { rows, subnormals: 'flush' as const };
      const ref = referenceMatmul(a, b, { m, k, n }, { config });
      expect(firstBitDifference(matmulFast(a, b, { m, k, n }, { config }), ref)).toBe(-1);
    }
  });

  it('rounds each product to f32 before adding it (a fused multiply-add would not)', () => {
    // p0 = 2^-149 exactly; p1 = 1.5 * 2^-149 rounds (tie to even) to 2^-148, so s = 3 * 2^-149.
    // An FMA would add the exact 1.5 * 2^-149 to 2^-149 and round the tie 2.5 to 2 * 2^-149.
    const a = new Float32Array([2 ** -74, 1.5 * 2 ** -74]);
    const b = new Float32Array([2 ** -75, 2 ** -75]);
    const shape = { m: 1, k: 2, n: 1 };
    expect(referenceMatmul(a, b, shape, { config: flush })[0]).toBe(3 * 2 ** -149);
    expect(matmulFast(a, b, shape, { config: flush })[0]).toBe(3 * 2 ** -149);
    expect(matmulFast(a, b, shape, { config: flush, backend: 'js' })[0]).toBe(3 * 2 ** -149);
  });

  it('returns +0 for -0 sums and the canonical NaN for every NaN', () => {
    // a: [3, 2], b: [2, 2] with columns [1, 1] and [0, 0]
    const a = new Float32Array([-0, -0, Infinity, -Infinity, -Infinity, 1]);
    const b = new Float32Array([1, 0, 1, 0]);
    const c = matmulFast(a, b, { m: 3, k: 2, n: 2 }, { config: flush });
    expect([...bits(c)]).toEqual([
      0, // -0 + -0 summed from s = +0: +0, never -0
      0,
      CANONICAL_NAN_BITS, // Inf - Inf
      CANONICAL_NAN_BITS, // Inf * 0 (a negative default NaN on x86)
      0xff800000, // -Inf + 1 = -Inf
      CANONICAL_NAN_BITS, // -Inf * 0
    ]);
  });

  it('writes C into `out` and returns it, at every precision and backend, `out` = `acc` included', () => {
    const shape = { m: 5, k: 7, n: 3 };
    const a = randomOperand(35, 5, 0.01, 10);
    const b = randomOperand(21, 3, 0.01, 10);
    for (const backend of ['wasm', 'js'] as const) {
      for (const precision of ['default', 'high', 'highest'] as const) {
        const out = new Float32Array(15).fill(7);
        expect(matmulFast(a, b, shape, { config: flush, backend, precision, out })).toBe(out);
        expect(firstBitDifference(out, referenceMatmul(a, b, shape, { config: flush, precision }))).toBe(-1);
      }
      const acc = randomOperand(15, 3, 0.01, 10);
      const expected = referenceMatmul(a, b, shape, { config: flush, acc });
      expect(matmulFast(a, b, shape, { config: flush, backend, acc, out: acc })).toBe(acc);
      expect(firstBitDifference(acc, expected)).toBe(-1);
    }
    expect(() => matmulFast(a, b, shape, { config: flush, out: new Float32Array(14) })).toThrow('out has 14 values; [m, n] = [5, 3] needs 15');
  });

  it('names the operand whose length does not fit the shape', () => {
    const shape = { m: 2, k: 3, n: 4 };
    expect(() => matmulFast(new Float32Array(5), new Float32Array(12), shape, { config: flush })).toThrow(/operand a has 5 values.*needs 6/);
    expect(() => matmulFast(new Float32Array(6), new Float32Array(11), shape, { config: flush })).toThrow(/operand b has 11 values.*needs 12/);
    expect(() => matmulFast(new Float32Array(0), new Float32Array(0), { m: 0, k: 3, n: 4 }, { config: flush })).toThrow(/matmul m must be a positive integer/);
    expect(() => matmulFast(new Float32Array(6), new Float32Array(12), shape, { config: { rows: 0, subnormals: 'flush' } })).toThrow(/mxu rows must be a positive integer, got 0/);
  });

  it('says how to rebuild a missing kernel file', () => {
    expect(() => loadKernelModule('/nonexistent/mxu-kernel.wasm')).toThrow(WasmKernelError);
    expect(() => loadKernelModule('/nonexistent/mxu-kernel.wasm')).toThrow(/npm run build:wasm/);
  });

  it('refuses a valid module that is not this kernel (e.g. built from older sources)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpusim-mxu-'));
    const file = join(dir, 'mxu-kernel.wasm');
    writeFileSync(file, new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])); // an empty module
    try {
      expect(() => loadKernelModule(file)).toThrow(/older sources.*npm run build:wasm/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mxuMatmul', () => {
  // NOTE: mxuMatmul is matmulFast plus mxuReport, so comparing it with those two (as this
  // test once did) could not fail. Its values are checked against the reference and the
  // stepped array, its report against the stepped array's own counters.
  it('returns the stepped array\'s values (and the reference\'s) with the stepped array\'s report', () => {
    const shape = { m: 9, k: 70, n: 40 }; // 2 row folds x 2 column folds on 64 x 32
    const config = mxuConfig({ rows: 64, cols: 32 });
    const a = randomOperand(shape.m * shape.k, 5);
    const b = randomOperand(shape.k * shape.n, 6);
    const { c, report } = mxuMatmul(a, b, shape, { config, precision: 'high' });
    const ground = runStepped(a, b, shape, { config, precision: 'high' });
    expect(firstBitDifference(c, ground.c)).toBe(-1);
    expect(firstBitDifference(c, referenceMatmul(a, b, shape, { config, precision: 'high' }))).toBe(-1);
    expect(report).toEqual(reportFromCounters(shape, config, 'high', ground.counters));
    expect(report.cycles).toBe(ground.cycles);
  });
});
