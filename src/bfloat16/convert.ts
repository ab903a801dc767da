/**
 * @module bfloat16/convert
 * f32 <-> bfloat16 conversion: the one place in tpusim that rounds to bf16.
 *
 * Imports nothing of ours. Every other module that needs bf16 values calls these named
 * functions (house style E): `toBf16Bits`, `fromBf16Bits`, `roundToBf16`, and the bulk forms.
 *
 * Rules (DESIGN.md, numerics contract):
 * - round-to-nearest-even on the f32 bit pattern: add 0x7FFF plus the lowest kept bit, keep the
 *   high 16 bits. A carry out of the mantissa bumps the exponent, so values past the largest
 *   bf16 (0x7F7F = 3.3895e38) round to +-Inf exactly as IEEE says.
 * - +-0 and +-Inf are kept; a NaN becomes the quiet NaN 0x7FC0 or 0xFFC0 with its sign.
 * - subnormals are a setting: `flush` (default; what Cloud TPU documents) turns every input
 *   whose f32 exponent field is 0 into a zero of the same sign, so no result is subnormal;
 *   `keep` (Eigen, ml_dtypes) rounds them like any other value.
 * - bf16 -> f32 is exact: the 16 bits become the high half of the f32 pattern.
 */

/** How subnormal inputs are treated when rounding to bf16. */
export type SubnormalMode = 'flush' | 'keep';

/** The subnormal mode used when none is given. */
export const DEFAULT_SUBNORMALS: SubnormalMode = 'flush';

/** bf16 bit patterns worth naming. */
export const BF16 = {
  /** +0 */
  zero: 0x0000,
  /** 1.0 */
  one: 0x3f80,
  /** largest finite value, 3.3895314e38 */
  max: 0x7f7f,
  /** smallest positive normal, 2^-126 */
  minNormal: 0x0080,
  /** smallest positive subnormal, 2^-133 */
  minSubnormal: 0x0001,
  /** +Infinity */
  inf: 0x7f80,
  /** -Infinity */
  negInf: 0xff80,
  /** canonical quiet NaN (positive) */
  nan: 0x7fc0,
  /** distance from 1 to the next bf16, 2^-7 */
  epsilon: 0x3c00,
} as const;

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The IEEE single-precision bit pattern of `x` (after rounding `x` to f32). */
export function f32ToBits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0]!;
}

/** The f32 value whose bit pattern is `bits` (taken modulo 2^32). */
export function bitsToF32(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0]!;
}

/**
 * Rounds an f32 bit pattern to a bf16 bit pattern.
 * @example f32BitsToBf16Bits(0x3f808000) // 0x3f80 (a tie, rounded to the even pattern)
 */
export function f32BitsToBf16Bits(bits: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): number {
  const exponent = (bits >>> 23) & 0xff;
  if (exponent === 0xff && (bits & 0x7fffff) !== 0) {
    // NaN: keep the sign, set the quiet bit, drop the payload.
    return ((bits >>> 16) & 0x8000) | 0x7fc0;
  }
  if (exponent === 0 && subnormals === 'flush') return (bits >>> 16) & 0x8000;
  const lsb = (bits >>> 16) & 1;
  // NOTE: >>> keeps the sum unsigned; a carry out of 0x7FFFFFFF lands in the sign-free high
  // bits correctly because the sign bit is preserved by the 16-bit shift below.
  return (((bits >>> 0) + 0x7fff + lsb) >>> 16) & 0xffff;
}

/**
 * Rounds a number to f32 and then to bf16; returns the 16-bit pattern.
 * @example toBf16Bits(1 / 3) // 0x3eab
 */
export function toBf16Bits(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): number {
  return f32BitsToBf16Bits(f32ToBits(x), subnormals);
}

/**
 * The exact f32 value of a bf16 bit pattern.
 * @example fromBf16Bits(0x3f80) // 1
 */
export function fromBf16Bits(bits: number): number {
  return bitsToF32((bits & 0xffff) << 16);
}

/**
 * Rounds `x` to the nearest bf16 and returns it as a number (exactly representable in f32).
 * This is what the MXU does to each operand on entry.
 * @example roundToBf16(70000) // 70144
 */
export function roundToBf16(x: number, subnormals: SubnormalMode = DEFAULT_SUBNORMALS): number {
  return fromBf16Bits(toBf16Bits(x, subnormals));
}

/** Whether a bf16 bit pattern is a NaN. */
export function isBf16NaN(bits: number): boolean {
  return (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0;
}

/** f32 addition, rounded to nearest even (double rounding via f64 is innocuous for + - * /). */
export function addF32(a: number, b: number): number {
  return Math.fround(a + b);
}

/** f32 multiplication, rounded to nearest even. */
export function mulF32(a: number, b: number): number {
  return Math.fround(a * b);
}
