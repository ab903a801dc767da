import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divF32, expF32, logF32, rsqrtF32, sqrtF32, tanhF32 } from '../../src/vpu/index.ts';
import { ulpError, ulpF32 } from './f32-oracle.ts';

const f32 = (min: number, max: number) =>
  fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });

// Independent f64 oracles (a different formula than the one under test, each within a few f64
// ulps, i.e. ~2^-27 f32 ulp): the bound below is 0.5 ulp (correct rounding) plus 2^-20 ulp of
// slack for the oracle, which is far inside the documented 1 ulp.
const ORACLES: [string, (x: number) => number, (x: number) => number, fc.Arbitrary<number>][] = [
  ['exp', expF32, (x) => Math.exp(x / 2) ** 2, f32(-103, 88.7)],
  ['log', logF32, (x) => Math.log2(x) * Math.LN2, f32(1e-38, 3e38)],
  ['tanh', tanhF32, (x) => (Math.abs(x) > 20 ? Math.sign(x) : Math.expm1(2 * x) / (Math.expm1(2 * x) + 2)), f32(-20, 20)],
  ['rsqrt', rsqrtF32, (x) => Math.sqrt(1 / x), f32(1e-30, 3e30)],
];

describe('f32 transcendentals: correctly rounded on every sample (so within the documented 1 ulp)', () => {
  for (const [name, fn, oracle, arb] of ORACLES) {
    it(`${name}`, () => {
      fc.assert(
        fc.property(arb, (x) => {
          const got = fn(x);
          expect(Math.fround(got)).toBe(got); // an f32 value
          expect(ulpError(got, oracle(x))).toBeLessThanOrEqual(0.5 + 2 ** -20);
        }),
        { seed: 41, numRuns: 3000 },
      );
    });
  }

  it('special values follow IEEE', () => {
    expect(expF32(-Infinity)).toBe(0);
    expect(expF32(100)).toBe(Infinity);
    expect(logF32(0)).toBe(-Infinity);
    expect(logF32(-1)).toBeNaN();
    expect(rsqrtF32(0)).toBe(Infinity);
    expect(rsqrtF32(-1)).toBeNaN();
    expect(tanhF32(-Infinity)).toBe(-1);
    expect(Object.is(sqrtF32(-0), -0)).toBe(true);
  });
});

describe('divide and sqrt are correctly rounded (independent exact check)', () => {
  it('div: |r*b - a| <= ulp(r)/2 * |b|, computed exactly in f64', () => {
    fc.assert(
      fc.property(f32(-1e18, 1e18), f32(-1e18, 1e18), (a, b) => {
        fc.pre(b !== 0 && Math.abs(a / b) > 1e-30 && Math.abs(a / b) < 1e30);
        const r = divF32(a, b);
        // r*b is exact (two 24-bit significands), and so is the difference with a.
        expect(Math.abs(r * b - a)).toBeLessThanOrEqual((ulpF32(r) / 2) * Math.abs(b));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('sqrt: (r - h)^2 <= x <= (r + h)^2 with h = ulp(r)/2, squares exact in f64', () => {
    fc.assert(
      fc.property(f32(1e-30, 1e30), (x) => {
        const r = sqrtF32(x);
        const h = ulpF32(r) / 2;
        expect((r - h) ** 2).toBeLessThanOrEqual(x);
        expect((r + h) ** 2).toBeGreaterThanOrEqual(x);
      }),
      { seed: 43, numRuns: 3000 },
    );
  });
});
