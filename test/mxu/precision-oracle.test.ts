/**
 * An independent oracle for the precision modes 'high' (bf16x3) and 'highest' (bf16x6), and
 * for the one-pass 'default':
 * DESIGN.md's numerics contract written a second time, in plain float64 arithmetic, with
 * NO import of the code it checks: not bfloat16's split/round helpers (no bit tricks here
 * either: bf16 rounding and truncation are done on the value, as a multiple of its ulp),
 * not mxu/reference's PASS_ORDER or combinePasses, not mxu/precision. The only f32 primitive
 * used is the language's `Math.fround`. Then the MXU's outputs (the reference, the fast
 * kernel on both backends, the stepped array, the interpreter's dot) must equal the oracle
 * bit for bit.
 *
 * The contract, as DESIGN.md states it (this file's spec):
 * - pieces: hi = trunc16(x); x3: lo = bf16(x - hi); x6: r = x - hi, mid = trunc16(r),
 *   lo = bf16(r - mid) (round to nearest even; all differences in f32);
 * - one pass per product term: products exact in f32, sums in f32 down each 128-row fold in
 *   k order from +0, then fold by fold into an accumulator from +0;
 * - x3: (lo.hi + hi.lo) then + hi.hi; x6: mid.mid, hi.lo, lo.hi, hi.mid, mid.hi in that
 *   order, then + hi.hi; a non-finite small sum is replaced by 0 before hi.hi is added;
 * - every NaN out is the quiet NaN 0x7FC00000.
 * Operands avoid the subnormal range (where the flush/keep setting would need modelling);
 * NaN, +-Inf, 0, -0, 1 and values whose products overflow are included.
 */
import { describe, expect, it } from 'vitest';
import { mxuConfig, type Precision } from '../../src/mxu/config.ts';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import { runStepped } from '../../src/mxu/stepped.ts';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';

// ---- the oracle: no project code below this line until the tests -------------------------

/** The exponent e of a finite nonzero x: 2^e <= |x| < 2^(e+1). */
function exponentOf(x: number): number {
  let e = Math.floor(Math.log2(Math.abs(x)));
  while (2 ** e > Math.abs(x)) e--;
  while (2 ** (e + 1) <= Math.abs(x)) e++;
  return e;
}

/** x (an f32 value) to 8 significant bits: `mode` 'trunc' toward zero, 'nearest' to even. */
function toBf16(x: number, mode: 'trunc' | 'nearest'): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const ulp = 2 ** (exponentOf(x) - 7); // bf16 keeps 8 significant bits
  const q = x / ulp; // exact: a power-of-two scale; |q| in [128, 256)
  let n = Math.trunc(q);
  if (mode === 'nearest') {
    const rest = Math.abs(q - n);
    if (rest > 0.5 || (rest === 0.5 && n % 2 !== 0)) n += Math.sign(q);
  }
  const v = n * ulp;
  return Math.abs(v) >= 2 ** 128 ? Math.sign(v) * Infinity : v; // bf16 max is (2 - 2^-7) 2^127
}

/** The bf16 pieces of x: [hi, lo] (x3) or [hi, mid, lo] (x6). */
function pieces(x: number, count: 2 | 3): number[] {
  const hi = toBf16(x, 'trunc');
  const r = Math.fround(x - hi);
  if (count === 2) return [hi, toBf16(r, 'nearest')];
  const mid = toBf16(r, 'trunc');
  return [hi, mid, toBf16(Math.fround(r - mid), 'nearest')];
}

/** One MXU pass on bf16 values: folds of `rows`, f32 sums. a: [M, K], b: [K, N]. */
function pass(a: number[], b: number[], m: number, k: number, n: number, rows: number): number[] {
  const c: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < k; t += rows) {
        let s = 0;
        for (let kk = t; kk < Math.min(k, t + rows); kk++) s = Math.fround(s + Math.fround(a[i * k + kk]! * b[kk * n + j]!));
        acc = Math.fround(acc + s);
      }
      c.push(acc);
    }
  }
  return c;
}

/** Small terms in the contract's order, then hi.hi; pieces 0 = hi, 1 = mid (x6) or lo (x3), 2 = lo. */
const TERMS: Record<'high' | 'highest', [number, number][]> = {
  high: [[1, 0], [0, 1]], // lo.hi, hi.lo
  highest: [[1, 1], [0, 2], [2, 0], [0, 1], [1, 0]], // mid.mid, hi.lo, lo.hi, hi.mid, mid.hi
};

/** C = A . B at 'high' or 'highest' by the contract, as f32 values (NaN canonical). */
function oracle(a: Float32Array, b: Float32Array, m: number, k: number, n: number, precision: 'high' | 'highest', rows: number): Float32Array {
  const count = precision === 'high' ? 2 : 3;
  const ap = Array.from(a, (x) => pieces(x, count));
  const bp = Array.from(b, (x) => pieces(x, count));
  const term = ([pa, pb]: [number, number]) => pass(ap.map((p) => p[pa]!), bp.map((p) => p[pb]!), m, k, n, rows);
  const small = TERMS[precision].map(term);
  const hihi = term([0, 0]);
  const out = new Float32Array(m * n);
  for (let e = 0; e < out.length; e++) {
    let t = small[0]![e]!;
    for (const s of small.slice(1)) t = Math.fround(t + s[e]!);
    if (!Number.isFinite(t)) t = 0;
    out[e] = Math.fround(t + hihi[e]!);
  }
  return out;
}

// ---- the tests ---------------------------------------------------------------------------

/** Seeded operand: mostly full-precision f32 values with exponents in [-12, 12]; a share of specials. */
function operand(length: number, seed: number, specials: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 3.3e38, -2.9e38, 1 + 2 ** -8];
  return Float32Array.from({ length }, () => {
    if (next() < specials) return SPECIAL[Math.floor(next() * SPECIAL.length)]!;
    return Math.fround((next() * 2 - 1) * 2 ** Math.round((next() * 2 - 1) * 12));
  });
}

/** Bit patterns, NaN required canonical (0x7FC00000) in `got`. */
const bitsOf = (x: Float32Array): number[] => Array.from(new Uint32Array(x.slice().buffer));

function expectBits(got: Float32Array, want: Float32Array, what: string): void {
  const g = bitsOf(got);
  const w = bitsOf(want).map((v, i) => (Number.isNaN(want[i]) ? 0x7fc00000 : v));
  const first = g.findIndex((v, i) => v !== w[i]);
  expect(first, `${what}: first difference at ${first}: got ${got[first]} (0x${g[first]?.toString(16)}), oracle ${want[first]} (0x${w[first]?.toString(16)})`).toBe(-1);
}

const PRECISIONS: ('high' | 'highest')[] = ['high', 'highest'];

describe('precision oracle (plain f64, no shared split/combine code)', () => {
  it('the oracle splits as the contract says: hi + mid + lo == x for normal x, |x - hi - lo| <= 2^-16 |x|', () => {
    for (const x of operand(2000, 1, 0)) {
      if (x === 0) continue;
      const [hi, mid, lo] = pieces(x, 3);
      expect(hi! + mid! + lo!).toBe(x);
      const [h3, l3] = pieces(x, 2);
      expect(Math.abs(x - h3! - l3!)).toBeLessThanOrEqual(2 ** -16 * Math.abs(x));
    }
    expect(pieces(1 / 3, 2)[0]).toBe(0.33203125); // trunc, where round-to-nearest gives 0.333984375
    expect(toBf16(1 + 2 ** -8, 'nearest')).toBe(1); // a tie to even
    expect(toBf16(1 + 3 * 2 ** -8, 'nearest')).toBe(1 + 2 ** -6);
  });

  for (const precision of PRECISIONS) {
    it(`${precision}: reference, fast kernel (wasm, js) and interpreter equal the oracle bit for bit, K across 3 folds`, () => {
      const [m, k, n] = [6, 300, 7];
      // specials: none; about one per dot (some outputs hit the non-finite rule); many (NaN everywhere)
      for (const [seed, specials] of [[11, 0], [12, 0.004], [13, 0.03]] as const) {
        const a = operand(m * k, seed, specials);
        const b = operand(k * n, seed + 100, specials);
        const want = oracle(a, b, m, k, n, precision, 128);
        const config = { rows: 128, subnormals: 'flush' as const };
        const shape = { m, k, n };
        expectBits(referenceMatmul(a, b, shape, { config, precision }), want, `reference seed ${seed}`);
        expectBits(matmulFast(a, b, shape, { config, precision }), want, `fast wasm seed ${seed}`);
        expectBits(matmulFast(a, b, shape, { config, precision, backend: 'js' }), want, `fast js seed ${seed}`);
        const bld = new XlaBuilder('dot');
        const x = bld.parameter(0, f32([m, k]));
        const y = bld.parameter(1, f32([k, n]));
        const got = evaluate(bld.build(bld.dot(x, y, { precision })), [a, b])[0]!.data;
        expectBits(got, want, `interpreter dot seed ${seed}`);
      }
    });

    it(`${precision}: the stepped array (8x8, K across 3 folds) equals the oracle bit for bit`, () => {
      const [m, k, n] = [3, 20, 10];
      const a = operand(m * k, 21, 0.05);
      const b = operand(k * n, 22, 0.05);
      const { c } = runStepped(a, b, { m, k, n }, { config: mxuConfig({ rows: 8, cols: 8 }), precision });
      expectBits(c, oracle(a, b, m, k, n, precision, 8), 'stepped');
    });
  }

  it('when hi.hi cancels to 0 the order of the small terms decides the bits, and the MXU follows the contract', () => {
    // A [m, K] rows (x1, x1', x2, x2', ...), B [K, n] columns (y1, -y1', y2, -y2', ...) with
    // hi(x') = hi(x), hi(y') = hi(y): the hi.hi pass is exactly 0 (each pair cancels in f32)
    // and the result is the small terms' f32 sum alone; the passes sum 8 products, so their
    // results carry bits far apart and the small terms' sum rounds (in another order, otherwise).
    let s = 77;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const twin = (x: number): number => {
      const hi = toBf16(x, 'trunc');
      return Math.fround(hi + Math.sign(hi) * next() * 0.999 * 2 ** (exponentOf(hi) - 7));
    };
    const [m, k, n] = [64, 8, 64];
    const xs = operand(m * k, 41, 0);
    const ys = operand(k * n, 42, 0);
    const a = xs.map((x, i) => (i % 2 === 0 ? x : twin(xs[i - 1]!)));
    const b = ys.map((y, i) => (Math.floor(i / n) % 2 === 0 ? y : -twin(ys[i - n]!)));
    for (const precision of PRECISIONS) {
      const want = oracle(a, b, m, k, n, precision, 128);
      // non-vacuous: the contract's order and a swapped one give different bits somewhere
      // (x6 only: x3's two small terms commute, so only "hi.hi last" matters, and it is 0 here)
      if (precision === 'highest') {
        const terms = TERMS[precision];
        TERMS[precision] = [terms[0]!, ...terms.slice(1).reverse()];
        const other = oracle(a, b, m, k, n, precision, 128);
        TERMS[precision] = terms;
        expect(bitsOf(other), 'a swapped order must change some bits').not.toEqual(bitsOf(want));
      }
      const config = { rows: 128, subnormals: 'flush' as const };
      expectBits(referenceMatmul(a, b, { m, k, n }, { config, precision }), want, `${precision} reference`);
      expectBits(matmulFast(a, b, { m, k, n }, { config, precision }), want, `${precision} fast wasm`);
      expectBits(matmulFast(a, b, { m, k, n }, { config, precision, backend: 'js' }), want, `${precision} fast js`);
    }
  });

  it('default (one pass on bf16(x), rounded to nearest even): every kernel equals the oracle too', () => {
    // The JS kernel reuses the reference's arithmetic helpers; this oracle shares nothing.
    const [m, k, n] = [5, 300, 9];
    // ties: a third of the values exactly halfway between two bf16 values (odd and even)
    const tied = (x: Float32Array, seed: number) => x.map((v, i) => ((i * 7 + seed) % 3 === 0 && v !== 0 ? (128 + (i % 128) + 0.5) * 2 ** (exponentOf(v) - 7) * Math.sign(v) : v));
    for (const [seed, specials] of [[51, 0], [52, 0.004]] as const) {
      const a = tied(operand(m * k, seed, specials), seed);
      const b = tied(operand(k * n, seed + 100, specials), seed + 1);
      const want = Float32Array.from(pass(Array.from(a, (x) => toBf16(x, 'nearest')), Array.from(b, (x) => toBf16(x, 'nearest')), m, k, n, 128));
      const config = { rows: 128, subnormals: 'flush' as const };
      expectBits(referenceMatmul(a, b, { m, k, n }, { config }), want, `reference seed ${seed}`);
      expectBits(matmulFast(a, b, { m, k, n }, { config }), want, `fast wasm seed ${seed}`);
      expectBits(matmulFast(a, b, { m, k, n }, { config, backend: 'js' }), want, `fast js seed ${seed}`);
      const small = { m: 3, k: 20, n: 10 };
      const sa = a.subarray(0, 60);
      const sb = b.subarray(0, 200);
      const sWant = Float32Array.from(pass(Array.from(sa, (x) => toBf16(x, 'nearest')), Array.from(sb, (x) => toBf16(x, 'nearest')), 3, 20, 10, 8));
      expectBits(runStepped(sa, sb, small, { config: mxuConfig({ rows: 8, cols: 8 }) }).c, sWant, `stepped seed ${seed}`);
    }
  });

  it('the modes differ from each other where they should (the oracle is not vacuous)', () => {
    const [m, k, n] = [4, 200, 4];
    const a = operand(m * k, 31, 0);
    const b = operand(k * n, 32, 0);
    const modes = (['default', 'high', 'highest'] as Precision[]).map((p) => bitsOf(matmulFast(a, b, { m, k, n }, { config: { rows: 128, subnormals: 'flush' }, precision: p })));
    expect(modes[1]).not.toEqual(modes[0]);
    expect(modes[2]).not.toEqual(modes[1]);
  });
});
