/**
 * The MXU's feed address pattern and accumulating matmuls: the pattern reads a convolution's
 * im2col patches (checked against a patch matrix built here by plain index arithmetic), the
 * fast kernel's gathering pack equals gather-then-multiply bit for bit, and a contraction cut
 * at multiples of R into matmuls that continue from the accumulators gives the whole one's bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFeed, feedAddress, gatherFeed, type FeedDigit, type FeedPattern } from '../../src/mxu/feed.ts';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import { firstBitDifference, randomOperand, rng } from './kernel-operands.ts';

/** im2col of x [B, H, W, C] (no padding) for a KH x KW window with strides s: rows (b, oh, ow), columns (kh, kw, c). */
function patches(x: Float32Array, [B, H, W, C]: [number, number, number, number], kh: number, kw: number, [sh, sw]: [number, number]): { data: Float32Array; m: number; k: number } {
  const ho = Math.floor((H - kh) / sh) + 1;
  const wo = Math.floor((W - kw) / sw) + 1;
  const k = kh * kw * C;
  const data = new Float32Array(B * ho * wo * k);
  let i = 0;
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < ho; oh++)
      for (let ow = 0; ow < wo; ow++)
        for (let r = 0; r < kh; r++)
          for (let s = 0; s < kw; s++)
            for (let c = 0; c < C; c++) data[i++] = x[((b * H + oh * sh + r) * W + ow * sw + s) * C + c]!;
  return { data, m: B * ho * wo, k };
}

/** A random pattern and a source buffer just big enough for it. */
const patternCase = fc.record({
  rows: fc.array(fc.record({ count: fc.integer({ min: 1, max: 5 }), stride: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 3 }),
  cols: fc.array(fc.record({ count: fc.integer({ min: 1, max: 6 }), stride: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 3 }),
  offset: fc.integer({ min: 0, max: 5 }),
  n: fc.integer({ min: 1, max: 19 }),
  rows128: fc.constantFrom(2, 3, 128),
  seed: fc.integer({ min: 1, max: 1e9 }),
  startFrac: fc.double({ min: 0, max: 1, noNaN: true }),
});

const span = (ds: readonly FeedDigit[]): number => ds.reduce((a, d) => a + (d.count - 1) * d.stride, 0);
const count = (ds: readonly FeedDigit[]): number => ds.reduce((a, d) => a * d.count, 1);

describe('feed patterns', () => {
  it('read a convolution window: the pattern of a strided window equals its im2col patches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = rng(seed);
        const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
        const [B, C, kh, kw, sh, sw] = [int(1, 3), int(1, 5), int(1, 3), int(1, 3), int(1, 2), int(1, 2)];
        const [H, W] = [kh + int(0, 5), kw + int(0, 5)];
        const x = randomOperand(B * H * W * C, seed, 0, 2);
        const ref = patches(x, [B, H, W, C], kh, kw, [sh, sw]);
        const [ho, wo] = [Math.floor((H - kh) / sh) + 1, Math.floor((W - kw) / sw) + 1];
        const p: FeedPattern = {
          offset: 0,
          rows: [{ count: B, stride: H * W * C }, { count: ho, stride: sh * W * C }, { count: wo, stride: sw * C }],
          cols: [{ count: kh, stride: W * C }, { count: kw, stride: C }, { count: C, stride: 1 }],
        };
        expect(checkFeed(p, ref, x.length)).toBeNull();
        expect(gatherFeed(x, p, ref)).toEqual(ref.data);
      }),
      { seed: 41, numRuns: 60 },
    );
  });

  it('address indices in mixed radix, outermost digit first', () => {
    const ds = [{ count: 2, stride: 100 }, { count: 3, stride: 10 }, { count: 4, stride: 1 }];
    expect(feedAddress(ds, 0)).toBe(0);
    expect(feedAddress(ds, 5)).toBe(11); // (0, 1, 1)
    expect(feedAddress(ds, 23)).toBe(123); // (1, 2, 3)
  });

  it('are refused when they leave the source or the digit space, naming the field', () => {
    const p: FeedPattern = { offset: 0, rows: [{ count: 4, stride: 3 }], cols: [{ count: 3, stride: 1 }] };
    expect(checkFeed(p, { m: 4, k: 3 }, 12)).toBeNull();
    expect(checkFeed(p, { m: 4, k: 3 }, 11)).toMatch(/reads up to value 11 of a 11-value buffer/);
    expect(checkFeed({ ...p, rowStart: 1 }, { m: 4, k: 3 }, 12)).toMatch(/feed rows: rowStart 1 \+ m 4 exceeds the 4 rows/);
    expect(checkFeed({ ...p, cols: [{ count: 0, stride: 1 }] }, { m: 4, k: 1 }, 12)).toMatch(/feed cols: counts must be/);
    expect(() => matmulFast(new Float32Array(11), new Float32Array(6), { m: 4, k: 3, n: 2 }, { config: { rows: 128, subnormals: 'flush' }, feed: p })).toThrow(/operand a: feed reads/);
  });
});

describe('matmulFast with a feed', () => {
  it('gathers A while packing: wasm and js give the bits of the reference on the gathered A, every precision', () => {
    fc.assert(
      fc.property(patternCase, (c) => {
        const [mAll, kAll] = [count(c.rows), count(c.cols)];
        const rowStart = Math.floor(c.startFrac * (mAll - 1));
        const colStart = Math.floor(c.startFrac * (kAll - 1));
        const shape = { m: mAll - rowStart, k: kAll - colStart, n: c.n };
        const src = randomOperand(c.offset + span(c.rows) + span(c.cols) + 1 + (c.seed % 3), c.seed, 0.05, 4);
        const b = randomOperand(shape.k * shape.n, c.seed + 1, 0.05, 4);
        const feed: FeedPattern = { offset: c.offset, rows: c.rows, cols: c.cols, rowStart, colStart };
        const config = { rows: c.rows128, subnormals: 'flush' as const };
        const dense = gatherFeed(src, feed, shape);
        for (const precision of ['default', 'high'] as const) {
          const ref = referenceMatmul(dense, b, shape, { config, precision });
          expect(firstBitDifference(matmulFast(src, b, shape, { config, precision, feed }), ref)).toBe(-1);
          expect(firstBitDifference(matmulFast(src, b, shape, { config, precision, feed, backend: 'js' }), ref)).toBe(-1);
        }
      }),
      { seed: 77, numRuns: 120 },
    );
  });

  it('reads contiguous column runs (the 4 x 4 transposes) and scattered ones alike on a conv-sized case', () => {
    // x [2, 9, 11, 6], 3 x 3 window, stride 1: runs of 6 channels, rows 4 at a time across ow
    const [B, H, W, C] = [2, 9, 11, 6];
    const x = randomOperand(B * H * W * C, 5, 0.02, 4);
    const ref = patches(x, [B, H, W, C], 3, 3, [1, 1]);
    const feed: FeedPattern = {
      offset: 0,
      rows: [{ count: B, stride: H * W * C }, { count: 7, stride: W * C }, { count: 9, stride: C }],
      cols: [{ count: 3, stride: W * C }, { count: 3, stride: C }, { count: C, stride: 1 }],
    };
    const b = randomOperand(ref.k * 13, 6, 0.02, 4);
    const config = { rows: 128, subnormals: 'keep' as const };
    const expected = referenceMatmul(ref.data, b, { m: ref.m, k: ref.k, n: 13 }, { config });
    expect(firstBitDifference(matmulFast(x, b, { m: ref.m, k: ref.k, n: 13 }, { config, feed }), expected)).toBe(-1);
  });
});

describe('matmuls that continue from the accumulators', () => {
  it('cut at multiples of R, give the whole contraction bit for bit (wasm, js, reference)', () => {
    fc.assert(
      fc.property(
        fc.record({ m: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 11 }), rows: fc.constantFrom(1, 2, 4, 8), folds: fc.integer({ min: 2, max: 6 }), tail: fc.integer({ min: 0, max: 7 }), seed: fc.integer({ min: 1, max: 1e9 }) }),
        ({ m, n, rows, folds, tail, seed }) => {
          const k = rows * folds + (tail % rows);
          const a = randomOperand(m * k, seed, 0.1, 6);
          const b = randomOperand(k * n, seed + 7, 0.1, 6);
          const config = { rows, subnormals: 'flush' as const };
          const whole = referenceMatmul(a, b, { m, k, n }, { config });
          const cut = rows * (1 + (seed % (folds - 1)));
          const left = (x: Float32Array, cols: number, from: number, to: number): Float32Array => {
            const out = new Float32Array(m * (to - from));
            for (let i = 0; i < m; i++) out.set(x.subarray(i * cols + from, i * cols + to), i * (to - from));
            return out;
          };
          const [a0, a1] = [left(a, k, 0, cut), left(a, k, cut, k)];
          const [b0, b1] = [b.subarray(0, cut * n), b.subarray(cut * n)];
          for (const backend of ['wasm', 'js'] as const) {
            const first = matmulFast(a0, b0, { m, k: cut, n }, { config, backend });
            const second = matmulFast(a1, b1, { m, k: k - cut, n }, { config, backend, acc: first });
            expect(firstBitDifference(second, whole)).toBe(-1);
          }
          const refFirst = referenceMatmul(a0, b0, { m, k: cut, n }, { config });
          expect(firstBitDifference(referenceMatmul(a1, b1, { m, k: k - cut, n }, { config, acc: refFirst }), whole)).toBe(-1);
        },
      ),
      { seed: 88, numRuns: 120 },
    );
  });

  it('are refused in the multi-pass precisions, whose passes combine whole contractions', () => {
    const config = { rows: 128, subnormals: 'flush' as const };
    expect(() => matmulFast(new Float32Array(4), new Float32Array(4), { m: 2, k: 2, n: 2 }, { config, precision: 'high', acc: new Float32Array(4) })).toThrow(/'default' precision only, not 'high'/);
    expect(() => matmulFast(new Float32Array(4), new Float32Array(4), { m: 2, k: 2, n: 2 }, { config, acc: new Float32Array(3) })).toThrow('accumulators hold 3 values; [m, n] = [2, 2] needs 4');
  });
});
