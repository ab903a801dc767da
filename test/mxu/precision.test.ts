/**
 * Precision modes (bf16x3, bf16x6) on the fast kernels: the same bits as the reference, and
 * an error against an f64 reference that shrinks from default to high to highest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRECISIONS, type Precision } from '../../src/mxu/config.ts';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import { caseOperands, firstBitDifference, matmulCase, randomOperand } from './kernel-operands.ts';

/** max |c - exact| / sum_k |a[m,k] b[k,n]| over outputs: the error relative to the dot's scale. */
function relativeError(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): number {
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let exact = 0;
      let scale = 0;
      for (let kk = 0; kk < k; kk++) {
        const p = a[i * k + kk]! * b[kk * n + j]!; // exact in f64: two 24-bit significands
        exact += p;
        scale += Math.abs(p);
      }
      worst = Math.max(worst, Math.abs(c[i * n + j]! - exact) / scale);
    }
  }
  return worst;
}

describe('precision modes', () => {
  it('high and highest: wasm == js == reference, bit for bit, special values included', () => {
    fc.assert(
      fc.property(matmulCase(10, 140), fc.constantFrom<Precision>('high', 'highest'), (c, precision) => {
        const { a, b } = caseOperands(c);
        const shape = { m: c.m, k: c.k, n: c.n };
        const config = { rows: c.rows, subnormals: c.subnormals };
        const ref = referenceMatmul(a, b, shape, { config, precision });
        expect(firstBitDifference(matmulFast(a, b, shape, { config, precision }), ref)).toBe(-1);
        expect(firstBitDifference(matmulFast(a, b, shape, { config, precision, backend: 'js' }), ref)).toBe(-1);
      }),
      { seed: 302, numRuns: 60 },
    );
  });

  it('the error against f64 shrinks default > high > highest', () => {
    const [m, k, n] = [16, 512, 16];
    const config = { rows: 128, subnormals: 'flush' as const };
    const a = randomOperand(m * k, 11, 0, 4);
    const b = randomOperand(k * n, 12, 0, 4);
    const err = Object.fromEntries(
      PRECISIONS.map((precision) => [precision, relativeError(a, b, matmulFast(a, b, { m, k, n }, { config, precision }), m, k, n)]),
    ) as Record<Precision, number>;
    // default: operands rounded to 8 significant bits, |error| <~ 2^-8 of the scale.
    expect(err.default).toBeLessThan(2 ** -8);
    expect(err.default).toBeGreaterThan(2 ** -14);
    // high: pieces keep ~16 bits; highest: ~24 bits, then only f32 accumulation error is left.
    expect(err.high).toBeLessThan(err.default / 64);
    expect(err.highest).toBeLessThan(err.high / 8);
    expect(err.highest).toBeLessThan(2 ** -20);
  });
});
