/**
 * @module bfloat16/split
 * Precision splits of an f32 into bf16 pieces, for the MXU's `high` (bf16x3) and `highest`
 * (bf16x6) modes, as XLA's open-source rewriter defines them.
 *
 * Imports only ./convert. For an f32 x (all arithmetic below in f32):
 *   hi  = x truncated to its top 16 bits (round toward zero)
 *   x3: lo  = bf16(x - hi)                      x ~= hi + lo, |x - hi - lo| <= 2^-16 |x|
 *   x6: r = x - hi; mid = trunc(r); lo = bf16(r - mid)
 *                                               x == hi + mid + lo exactly for normal x whose
 *                                               pieces stay normal (|x| >= 2^-110)
 * `x - hi` and `r - mid` are exact in f32 (they drop leading bits only). A NaN x gives quiet
 * NaN pieces; an infinite x gives hi = x and NaN remainders, which the MXU's rule (a
 * non-finite sum of small terms is replaced by 0) makes harmless. Pieces pass through the
 * subnormal setting like any bf16 value.
 */
import {
  DEFAULT_SUBNORMALS,
  bitsToF32,
  f32ToBits,
  fromBf16Bits,
  toBf16Bits,
  type SubnormalMode,
} from './convert.ts';

/** An f32 split into two bf16 values (held as numbers). */
export interface Split3 {
  readonly hi: number;
  readonly lo: number;
}

/** An f32 split into three bf16 values (held as numbers). */
export interface Split6 {
  readonly hi: number;
  readonly mid: number;
  readonly lo: number;
}

/**
 * `x` truncated toward zero to a bf16 value (its top 16 bits); NaN stays a quiet NaN.
 * @example truncateToBf16(1 / 3) // 0.33203125
 */
export function truncateToBf16(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): number {
  const bits = f32ToBits(x);
  const exponent = (bits >>> 23) & 0xff;
  if (exponent === 0xff && (bits & 0x7fffff) !== 0) return fromBf16Bits(((bits >>> 16) & 0x8000) | 0x7fc0);
  if (exponent === 0 && subnormals === 'flush') return bitsToF32(bits & 0x80000000);
  return bitsToF32(bits & 0xffff0000);
}

/**
 * Splits `x` into hi + lo (bf16x3).
 * @example split3(1 / 3) // { hi: 0.33203125, lo: 0.0013020833... rounded to bf16 }
 */
export function split3(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): Split3 {
  const xf = Math.fround(x);
  const hi = truncateToBf16(xf, subnormals);
  const lo = fromBf16Bits(toBf16Bits(Math.fround(xf - hi), subnormals));
  return { hi, lo };
}

/**
 * Splits `x` into hi + mid + lo (bf16x6).
 * @example split6(1 / 3) // hi + mid + lo === Math.fround(1 / 3)
 */
export function split6(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): Split6 {
  const xf = Math.fround(x);
  const hi = truncateToBf16(xf, subnormals);
  const r = Math.fround(xf - hi);
  const mid = truncateToBf16(r, subnormals);
  const lo = fromBf16Bits(toBf16Bits(Math.fround(r - mid), subnormals));
  return { hi, mid, lo };
}

/** Which pieces a precision split yields, in the order the pieces are named. */
export type SplitPiece = 'hi' | 'mid' | 'lo';

/**
 * Splits a whole array into bf16 pieces (as f32 arrays), for `pieces` = 1 (hi = bf16 of x,
 * rounded: the default one-pass mode), 2 (hi, lo) or 3 (hi, mid, lo).
 * NOTE: with one piece the value is rounded to nearest, not truncated: that is the
 * `default` precision, a single bf16 pass.
 */
export function splitArray(
  src: Float32Array,
  pieces: 1 | 2 | 3,
  subnormals: SubnormalMode = DEFAULT_SUBNORMALS,
): Float32Array[] {
  const n = src.length;
  if (pieces === 1) {
    const hi = new Float32Array(n);
    for (let i = 0; i < n; i++) hi[i] = fromBf16Bits(toBf16Bits(src[i]!, subnormals));
    return [hi];
  }
  if (pieces === 2) {
    const hi = new Float32Array(n);
    const lo = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = split3(src[i]!, subnormals);
      hi[i] = s.hi;
      lo[i] = s.lo;
    }
    return [hi, lo];
  }
  const hi = new Float32Array(n);
  const mid = new Float32Array(n);
  const lo = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = split6(src[i]!, subnormals);
    hi[i] = s.hi;
    mid[i] = s.mid;
    lo[i] = s.lo;
  }
  return [hi, mid, lo];
}
