/**
 * @module vpu/transcendental
 * The VPU's f32 primitives that src/bfloat16 does not provide: divide, square root,
 * reciprocal square root, exp, log, tanh. The one place outside src/bfloat16 that rounds to
 * f32 (house style E: this is the VPU's own numerics module, and it rounds only with
 * `Math.fround`). Imports nothing of ours.
 *
 * ## What is computed, and the error bounds (tested in test/vpu/transcendental.test.ts)
 * - `divF32`, `sqrtF32`: the f64 result rounded to f32. Double rounding through f64 is
 *   innocuous for / and sqrt (53 >= 2 * 24 + 2 bits), so both are correctly rounded:
 *   IEEE-exact, error <= 0.5 ulp, bit-identical to a hardware f32 divide / sqrt.
 * - `expF32`, `logF32`, `tanhF32`: f64 `Math.exp` / `Math.log` / `Math.tanh` (V8's fdlibm
 *   ports, accurate to a couple of f64 ulps) rounded to f32. An f64 ulp is 2^-29 of an f32
 *   ulp, so this is correctly rounded in almost all cases (all but inputs whose exact result
 *   lies within a few 2^-29 f32 ulps of a rounding midpoint), and the error is <= 1 ulp in
 *   every case (0.5 ulp + a few 2^-29 ulp).
 * - `rsqrtF32`: f32(1 / sqrt(x)) computed in f64 (two f64 roundings, then one to f32):
 *   correctly rounded in almost all cases, error <= 1 ulp.
 * NOTE: the real v2 VPU approximates transcendentals on its EUP with a hardware seed plus
 * polynomial / Newton corrections, whose exact bits Google has not published; we compute the
 * (almost always) correctly rounded value instead, so our results are at least as accurate
 * as the hardware's and are the same on every host.
 * Special values follow IEEE / C99: exp(-Inf) = 0, log(0) = -Inf, log(x < 0) = NaN,
 * sqrt(-0) = -0, rsqrt(+0) = +Inf, rsqrt(x < 0) = NaN, tanh(+-Inf) = +-1. Subnormal inputs
 * and results are kept (no flush-to-zero).
 */

/** f32 x / y, correctly rounded. */
export function divF32(x: number, y: number): number {
  return Math.fround(x / y);
}

/** f32 sqrt(x), correctly rounded. */
export function sqrtF32(x: number): number {
  return Math.fround(Math.sqrt(x));
}

/** f32 1 / sqrt(x): correctly rounded in almost all cases, error <= 1 ulp. */
export function rsqrtF32(x: number): number {
  return Math.fround(1 / Math.sqrt(x));
}

/** f32 e^x: correctly rounded in almost all cases, error <= 1 ulp. */
export function expF32(x: number): number {
  return Math.fround(Math.exp(x));
}

/** f32 natural log: correctly rounded in almost all cases, error <= 1 ulp. */
export function logF32(x: number): number {
  return Math.fround(Math.log(x));
}

/** f32 tanh: correctly rounded in almost all cases, error <= 1 ulp. */
export function tanhF32(x: number): number {
  return Math.fround(Math.tanh(x));
}
