/**
 * @module bfloat16/buffer
 * Bulk conversion between Float32Array and bf16 storage (Uint16Array), and the
 * "round to bf16, keep as f32" pass the MXU applies to whole operands.
 *
 * Imports only ./convert. The loops work on the raw f32 bit patterns through a Uint32Array
 * view, with the same rules as `f32BitsToBf16Bits` (tested equal on every input class).
 */
import { DEFAULT_SUBNORMALS, type SubnormalMode } from './convert.ts';

// NOTE: Int32Array, not Uint32Array: patterns >= 2^31 read from a Uint32Array are not small
// integers to V8 and force double arithmetic, halving the loops' speed.
function bitsView(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * The rounding rule of `f32BitsToBf16Bits`, inlined for the bulk loops: NaN -> quiet NaN of
 * its sign, exponent 0 -> signed zero when flushing, else round to nearest even.
 * NOTE: the two loops below are kept separate (not one loop with a flag or a union-typed
 * destination) so that each stays monomorphic and V8 compiles it tight.
 */
function roundOne(bits: number, flush: boolean): number {
  const exponent = bits & 0x7f800000;
  if (exponent === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  if (exponent === 0 && flush) return (bits >>> 16) & 0x8000;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

function roundBitsTo16(src: Int32Array, dst: Uint16Array, flush: boolean): void {
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = roundOne(src[i]!, flush);
}

function roundBitsTo32(src: Int32Array, dst: Int32Array, flush: boolean): void {
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = roundOne(src[i]!, flush) << 16;
}

/**
 * Converts f32 values to bf16 bit patterns.
 * @example f32ToBf16Array(new Float32Array([1, 70000])) // Uint16Array [0x3f80, 0x4789]
 */
export function f32ToBf16Array(
  src: Float32Array,
  dst: Uint16Array = new Uint16Array(src.length),
  subnormals: SubnormalMode = DEFAULT_SUBNORMALS,
): Uint16Array {
  if (dst.length !== src.length) {
    throw new RangeError(`f32ToBf16Array: dst has ${dst.length} elements, src has ${src.length}`);
  }
  roundBitsTo16(bitsView(src), dst, subnormals === 'flush');
  return dst;
}

/**
 * Widens bf16 bit patterns to their exact f32 values.
 * @example bf16ToF32Array(new Uint16Array([0x3f80])) // Float32Array [1]
 */
export function bf16ToF32Array(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  if (dst.length !== src.length) {
    throw new RangeError(`bf16ToF32Array: dst has ${dst.length} elements, src has ${src.length}`);
  }
  const out = bitsView(dst);
  const n = src.length;
  for (let i = 0; i < n; i++) out[i] = src[i]! << 16;
  return dst;
}

/**
 * Rounds every value to the nearest bf16 and keeps it as f32 (`dst` may be `src`).
 * @example roundToBf16Array(new Float32Array([1 / 3])) // Float32Array [0.333984375]
 */
export function roundToBf16Array(
  src: Float32Array,
  dst: Float32Array = new Float32Array(src.length),
  subnormals: SubnormalMode = DEFAULT_SUBNORMALS,
): Float32Array {
  if (dst.length !== src.length) {
    throw new RangeError(`roundToBf16Array: dst has ${dst.length} elements, src has ${src.length}`);
  }
  roundBitsTo32(bitsView(src), bitsView(dst), subnormals === 'flush');
  return dst;
}
