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
  f32BitsToBf16Bits,
  f32ToBits,
  type SubnormalMode,
} from './convert.ts';
import { roundToBf16Array } from './buffer.ts';

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
  return bitsToF32(truncateBits(f32ToBits(x), subnormals === 'flush'));
}

/** The f32 bits of `bits` truncated to bf16: the rule of `truncateToBf16`, on bit patterns. */
function truncateBits(bits: number, flush: boolean): number {
  const exponent = (bits >>> 23) & 0xff;
  if (exponent === 0xff && (bits & 0x7fffff) !== 0) return ((bits & 0x80000000) | 0x7fc00000) >>> 0;
  if (exponent === 0 && flush) return bits & 0x80000000;
  return bits & 0xffff0000;
}

/**
 * Splits `x` into hi + lo (bf16x3).
 * @example split3(1 / 3) // { hi: 0.33203125, lo: 0.0013020833... rounded to bf16 }
 */
export function split3(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): Split3 {
  const [hi, lo] = splitArray(Float32Array.of(x), 2, subnormals);
  return { hi: hi![0]!, lo: lo![0]! };
}

/**
 * Splits `x` into hi + mid + lo (bf16x6).
 * @example split6(1 / 3) // hi + mid + lo === Math.fround(1 / 3)
 */
export function split6(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): Split6 {
  const [hi, mid, lo] = splitArray(Float32Array.of(x), 3, subnormals);
  return { hi: hi![0]!, mid: mid![0]!, lo: lo![0]! };
}

/** Which pieces a precision split yields, in the order the pieces are named. */
export type SplitPiece = 'hi' | 'mid' | 'lo';

/**
 * Splits a whole array into bf16 pieces (as f32 arrays), for `pieces` = 1 (hi = bf16 of x,
 * rounded: the default one-pass mode), 2 (hi, lo) or 3 (hi, mid, lo). The one place the
 * split formulas of the module header are written; `split3`/`split6` call it.
 * NOTE: with one piece the value is rounded to nearest, not truncated: that is the
 * `default` precision, a single bf16 pass.
 */
export function splitArray(
  src: Float32Array,
  pieces: 1 | 2 | 3,
  subnormals: SubnormalMode = DEFAULT_SUBNORMALS,
): Float32Array[] {
  if (pieces === 1) return [roundToBf16Array(src, new Float32Array(src.length), subnormals)];
  const n = src.length;
  const flush = subnormals === 'flush';
  const hi = new Float32Array(n);
  const lo = new Float32Array(n);
  const mid = pieces === 3 ? new Float32Array(n) : undefined;
  // NOTE: the loop works on bit patterns through Int32Array views (house style E keeps bit
  // work in this module) and one f32 scratch for the exact subtractions, so no element
  // allocates and no scalar helper round-trips through a shared scratch buffer.
  const srcBits = new Int32Array(src.buffer, src.byteOffset, n);
  const hiBits = new Int32Array(hi.buffer);
  const loBits = new Int32Array(lo.buffer);
  const midBits = mid === undefined ? undefined : new Int32Array(mid.buffer);
  const scratch = new Float32Array(1);
  const scratchBits = new Int32Array(scratch.buffer);
  // NOTE: a local binding: under tsx an imported function is reached through a getter on
  // every call, which costs more than the rounding itself in this loop.
  const roundBits = f32BitsToBf16Bits;
  for (let i = 0; i < n; i++) {
    hiBits[i] = truncateBits(srcBits[i]!, flush);
    scratch[0] = src[i]! - hi[i]!; // r = x - hi, exact in f32
    if (midBits !== undefined) {
      midBits[i] = truncateBits(scratchBits[0]!, flush);
      scratch[0] = scratch[0]! - mid![i]!; // r - mid, exact in f32
    }
    loBits[i] = roundBits(scratchBits[0]! >>> 0, subnormals) << 16;
  }
  return mid === undefined ? [hi, lo] : [hi, mid, lo];
}
