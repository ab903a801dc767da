/**
 * @module bfloat16/buffer
 * Bulk conversion between Float32Array and bf16 storage (Uint16Array), and the
 * "round to bf16, keep as f32" pass the MXU applies to whole operands.
 *
 * Imports only ./convert. The loops work on the raw f32 bit patterns through a Uint32Array
 * view, with the same rules as `f32BitsToBf16Bits` (tested equal on every input class).
 */
import { DEFAULT_SUBNORMALS, type SubnormalMode } from './convert.ts';

function bitsView(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * Rounds each f32 bit pattern in `src` to bf16 bits in `dst` (same length).
 * Writes 32-bit patterns with the low 16 bits zero when `widen` is set (the f32 value of the
 * bf16), else 16-bit patterns.
 */
function roundBits(
  src: Uint32Array,
  dst: Uint32Array | Uint16Array,
  subnormals: SubnormalMode,
  shift: 0 | 16,
): void {
  const flush = subnormals === 'flush';
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const bits = src[i]!;
    const exponent = bits & 0x7f800000;
    let out: number;
    if (exponent === 0x7f800000 && (bits & 0x7fffff) !== 0) {
      out = ((bits >>> 16) & 0x8000) | 0x7fc0;
    } else if (exponent === 0 && flush) {
      out = (bits >>> 16) & 0x8000;
    } else {
      out = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
    }
    dst[i] = shift === 0 ? out : out << 16;
  }
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
  roundBits(bitsView(src), dst, subnormals, 0);
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
  for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
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
  roundBits(bitsView(src), bitsView(dst), subnormals, 16);
  return dst;
}
