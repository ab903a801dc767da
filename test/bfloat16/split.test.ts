import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsToF32, fromBf16Bits, split3, split6, splitArray, toBf16Bits, truncateToBf16 } from '../../src/bfloat16/index.ts';

/** A value is a bf16 value when rounding it to bf16 (keep mode) changes nothing. */
function isBf16Value(x: number): boolean {
  return Number.isNaN(x) || Object.is(fromBf16Bits(toBf16Bits(x, 'keep')), x);
}

/** Finite f32 values with exponents where every piece stays normal (|x| >= 2^-100). */
const normalF32 = fc
  .tuple(fc.boolean(), fc.integer({ min: 27, max: 254 }), fc.integer({ min: 0, max: 0x7fffff }))
  .map(([neg, exp, frac]) => bitsToF32(((neg ? 0x80000000 : 0) | (exp << 23) | frac) >>> 0));

const anyFiniteF32 = fc.integer({ min: 0, max: 0xffffffff }).map(bitsToF32).filter(Number.isFinite);

describe('precision splits', () => {
  it('hi is x truncated toward zero to its top 16 bits', () => {
    expect(truncateToBf16(1 / 3)).toBe(0.33203125);
    expect(truncateToBf16(-1 / 3)).toBe(-0.33203125);
    expect(truncateToBf16(bitsToF32(0x3f80ffff))).toBe(bitsToF32(0x3f800000));
  });

  it('bf16x6: hi + mid + lo reconstructs x exactly when the pieces stay normal', () => {
    fc.assert(
      fc.property(normalF32, (x) => {
        const { hi, mid, lo } = split6(x);
        for (const p of [hi, mid, lo]) expect(isBf16Value(p)).toBe(true);
        // Sum in f64: exact, since the pieces occupy disjoint bit ranges of x.
        expect(hi + mid + lo).toBe(x);
      }),
      { numRuns: 20_000, seed: 10 },
    );
  });

  it('bf16x3: |x - (hi + lo)| <= 2^-16 |x| for normal x', () => {
    fc.assert(
      fc.property(normalF32, (x) => {
        const { hi, lo } = split3(x);
        expect(isBf16Value(hi) && isBf16Value(lo)).toBe(true);
        expect(Math.abs(x - (hi + lo))).toBeLessThanOrEqual(2 ** -16 * Math.abs(x));
      }),
      { numRuns: 20_000, seed: 11 },
    );
  });

  it('the pieces never exceed x and shrink: |mid| < 2^-7 |hi| and |lo| <= 2^-7 |hi|', () => {
    fc.assert(
      fc.property(normalF32, (x) => {
        const { hi, mid, lo } = split6(x);
        expect(Math.abs(hi)).toBeLessThanOrEqual(Math.abs(x));
        expect(Math.abs(mid)).toBeLessThan(2 ** -7 * Math.abs(hi) + Number.MIN_VALUE);
        expect(Math.abs(lo)).toBeLessThanOrEqual(2 ** -7 * Math.abs(hi));
      }),
      { numRuns: 5_000, seed: 12 },
    );
  });

  it('every piece is a valid bf16 value for any finite f32, in both subnormal modes', () => {
    fc.assert(
      fc.property(anyFiniteF32, fc.constantFrom('flush' as const, 'keep' as const), (x, mode) => {
        const { hi, mid, lo } = split6(x, mode);
        for (const p of [hi, mid, lo]) expect(isBf16Value(p)).toBe(true);
      }),
      { numRuns: 5_000, seed: 13 },
    );
  });

  it('NaN splits into quiet NaNs; Inf keeps hi = Inf and NaN remainders', () => {
    const n = split3(NaN);
    expect(Number.isNaN(n.hi)).toBe(true);
    const inf = split3(Infinity);
    expect(inf.hi).toBe(Infinity);
    expect(Number.isNaN(inf.lo)).toBe(true);
  });

  it('splitArray matches the scalar splits, and one piece is round-to-nearest', () => {
    const xs = new Float32Array([1 / 3, -2.5e-3, 12345.678, 0]);
    const [hi1] = splitArray(xs, 1);
    expect(Array.from(hi1!)).toEqual(Array.from(xs, (x) => fromBf16Bits(toBf16Bits(x))));
    const [hi, mid, lo] = splitArray(xs, 3);
    xs.forEach((x, i) => expect([hi![i], mid![i], lo![i]]).toEqual(Object.values(split6(x))));
  });
});
