/**
 * The multi-pass precisions on the WASM kernel (src/mxu/wasm-loader.ts `precisionPasses`):
 * the operands are split into their bf16 pieces while they are packed (dense, or A read
 * through a feed pattern) and the passes are summed in WASM. Checked piece by piece against
 * bfloat16's `splitArray`, and whole against the reference on the gathered A, bit for bit:
 * random shapes, fold depths, feed patterns and raw bit patterns (NaN payloads, +-Inf, -0,
 * subnormals, tiny normals whose remainders are subnormal), both subnormal modes, 'high' and
 * 'highest'.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitArray, type SubnormalMode } from '../../src/bfloat16/index.ts';
import { gatherFeed, type FeedDigit, type FeedPattern } from '../../src/mxu/feed.ts';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import { wasmKernel } from '../../src/mxu/wasm-loader.ts';
import { bits, firstBitDifference, randomBitsOperand, randomOperand, rng } from './kernel-operands.ts';

/**
 * `length` values: uniform ones times 2^[-scale, scale], a `rawRate` share replaced by raw bit
 * patterns (randomBitsOperand) and a `tinyRate` share by normals with exponent field 1..30,
 * whose remainder x - hi (and r - mid) is subnormal: the pieces' flush rule at work.
 */
function mixedOperand(length: number, seed: number, rawRate: number, tinyRate: number, scale: number): Float32Array {
  const out = randomOperand(length, seed, 0, scale);
  const raw = randomBitsOperand(length, seed ^ 0x68e31da4);
  const u = bits(out);
  const next = rng(seed ^ 0x1b873593);
  for (let i = 0; i < length; i++) {
    const pick = next();
    if (pick < rawRate) out[i] = raw[i]!;
    else if (pick < rawRate + tinyRate) u[i] = ((next() < 0.5 ? 0x80000000 : 0) | ((1 + Math.floor(next() * 30)) << 23) | Math.floor(next() * 2 ** 23)) >>> 0;
  }
  return out;
}

/** x [M, K] in the kernel's packed-A layout (blocks of 4 rows, k-major inside), no rounding. */
function layoutA(x: Float32Array, m: number, k: number): Float32Array {
  const out = new Float32Array(Math.ceil(m / 4) * 4 * k);
  for (let row = 0; row < m; row++) for (let kk = 0; kk < k; kk++) out[((row >> 2) * k + kk) * 4 + (row & 3)] = x[row * k + kk]!;
  return out;
}

/** x [K, N] in the kernel's packed-B layout (8-wide column panels, then one 4-wide), no rounding. */
function layoutB(x: Float32Array, k: number, n: number): Float32Array {
  const cols = Math.ceil(n / 4) * 4;
  const out = new Float32Array(k * cols);
  for (let col = 0; col < n; col++) {
    const panel = col >> 3;
    const width = panel * 8 + 8 <= cols ? 8 : 4;
    for (let kk = 0; kk < k; kk++) out[panel * 8 * k + kk * width + (col & 7)] = x[kk * n + col]!;
  }
  return out;
}

/**
 * Index of the first value whose bits differ, or -1; two NaNs count as equal. NOTE: the sign
 * of the NaN that x - hi makes for an infinite x is the machine's (JS and WASM may differ);
 * a NaN piece only ever makes a NaN term, so the MXU's result does not depend on it.
 */
function firstPieceDifference(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) return 0;
  const [bx, by] = [bits(x), bits(y)];
  for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return i;
  return -1;
}

/** A random feed pattern over a source just big enough, or none (dense A), and a case around it. */
const pieceCase = fc.record({
  feed: fc.option(
    fc.record({
      rows: fc.array(fc.record({ count: fc.integer({ min: 1, max: 6 }), stride: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 3 }),
      cols: fc.array(fc.record({ count: fc.integer({ min: 1, max: 7 }), stride: fc.constantFrom(0, 1, 1, 2, 5, 13) }), { minLength: 1, maxLength: 3 }),
      offset: fc.integer({ min: 0, max: 5 }),
      startFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { nil: undefined },
  ),
  m: fc.integer({ min: 1, max: 23 }),
  k: fc.integer({ min: 1, max: 200 }),
  n: fc.integer({ min: 1, max: 21 }),
  rows: fc.oneof(fc.constantFrom(1, 3, 8, 128), fc.integer({ min: 1, max: 150 })),
  subnormals: fc.constantFrom<SubnormalMode>('flush', 'keep'),
  precision: fc.constantFrom('high' as const, 'highest' as const),
  rawRate: fc.constantFrom(0, 0.01, 0.1, 1),
  tinyRate: fc.constantFrom(0, 0.2),
  scale: fc.constantFrom(0, 30, 90),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

type PieceCase = typeof pieceCase extends fc.Arbitrary<infer T> ? T : never;

const span = (ds: readonly FeedDigit[]): number => ds.reduce((a, d) => a + (d.count - 1) * d.stride, 0);
const count = (ds: readonly FeedDigit[]): number => ds.reduce((a, d) => a * d.count, 1);

/** The operands of a case: A's source (dense [M, K], or the feed's), the pattern if any, B, the shape. */
function operands(c: PieceCase): { src: Float32Array; feed: FeedPattern | undefined; b: Float32Array; shape: { m: number; k: number; n: number } } {
  let feed: FeedPattern | undefined;
  let [m, k, srcValues] = [c.m, c.k, c.m * c.k];
  if (c.feed) {
    const [mAll, kAll] = [count(c.feed.rows), count(c.feed.cols)];
    const rowStart = Math.floor(c.feed.startFrac * (mAll - 1));
    const colStart = Math.floor(c.feed.startFrac * (kAll - 1));
    feed = { offset: c.feed.offset, rows: c.feed.rows, cols: c.feed.cols, rowStart, colStart };
    [m, k, srcValues] = [mAll - rowStart, kAll - colStart, c.feed.offset + span(c.feed.rows) + span(c.feed.cols) + 1 + (c.seed % 3)];
  }
  const src = mixedOperand(srcValues, c.seed, c.rawRate, c.tinyRate, c.scale);
  const b = mixedOperand(k * c.n, c.seed + 1, c.rawRate, c.tinyRate, c.scale);
  return { src, feed, b, shape: { m, k, n: c.n } };
}

describe('the WASM kernel\'s multi-pass precisions', () => {
  it('pack the pieces of splitArray (dense and fed A, B), both subnormal modes', () => {
    fc.assert(
      fc.property(pieceCase, (c) => {
        const { src, feed, b, shape } = operands(c);
        const pieces = c.precision === 'high' ? 2 : 3;
        const packed = wasmKernel().packPieces(src, b, shape, { subnormals: c.subnormals, pieces, ...(feed ? { feed } : {}) });
        const dense = feed ? gatherFeed(src, feed, shape) : src;
        const aWant = splitArray(dense, pieces, c.subnormals).map((x) => layoutA(x, shape.m, shape.k));
        const bWant = splitArray(b, pieces, c.subnormals).map((x) => layoutB(x, shape.k, shape.n));
        for (let p = 0; p < pieces; p++) {
          expect(firstPieceDifference(packed.a[p]!, aWant[p]!), `A piece ${p}`).toBe(-1);
          expect(firstPieceDifference(packed.b[p]!, bWant[p]!), `B piece ${p}`).toBe(-1);
        }
      }),
      { seed: 405, numRuns: 200 },
    );
  });

  it('equal the reference on the gathered A, bit for bit (feeds, folds, special values, both subnormal modes)', () => {
    fc.assert(
      fc.property(pieceCase, (c) => {
        const { src, feed, b, shape } = operands(c);
        const config = { rows: c.rows, subnormals: c.subnormals };
        const want = referenceMatmul(feed ? gatherFeed(src, feed, shape) : src, b, shape, { config, precision: c.precision });
        const got = matmulFast(src, b, shape, { config, precision: c.precision, ...(feed ? { feed } : {}) });
        expect(firstBitDifference(got, want)).toBe(-1);
      }),
      { seed: 406, numRuns: 250 },
    );
  });

  it('give the same bits on a conv-sized fed case with many row blocks, panels and folds', () => {
    // x [2, 12, 13, 9], 3 x 3 window, stride 1: M = 2 * 10 * 11 = 220 rows, K = 81, N = 37
    const [B, H, W, C] = [2, 12, 13, 9];
    const x = mixedOperand(B * H * W * C, 9, 0.002, 0.05, 20);
    const feed: FeedPattern = {
      offset: 0,
      rows: [{ count: B, stride: H * W * C }, { count: 10, stride: W * C }, { count: 11, stride: C }],
      cols: [{ count: 3, stride: W * C }, { count: 3, stride: C }, { count: C, stride: 1 }],
    };
    const shape = { m: 220, k: 81, n: 37 };
    const b = mixedOperand(shape.k * shape.n, 10, 0.002, 0.05, 20);
    for (const subnormals of ['flush', 'keep'] as const) {
      for (const precision of ['high', 'highest'] as const) {
        const config = { rows: 32, subnormals };
        const want = referenceMatmul(gatherFeed(x, feed, shape), b, shape, { config, precision });
        expect(firstBitDifference(matmulFast(x, b, shape, { config, precision, feed }), want), `${precision} ${subnormals}`).toBe(-1);
      }
    }
  });
});
