/**
 * @module bfloat16
 * Public surface of tpusim's numerics: f32 <-> bf16 rounding, bulk buffers, precision splits.
 * Imports nothing outside this folder.
 */
export {
  BF16,
  DEFAULT_SUBNORMALS,
  addF32,
  bitsToF32,
  f32BitsToBf16Bits,
  f32ToBits,
  fromBf16Bits,
  isBf16NaN,
  mulF32,
  roundToBf16,
  toBf16Bits,
  type SubnormalMode,
} from './convert.ts';
export { bf16ToF32Array, f32ToBf16Array, roundToBf16Array } from './buffer.ts';
export { split3, split6, splitArray, truncateToBf16, type Split3, type Split6, type SplitPiece } from './split.ts';
export { formatTable, numericsReport, type FormatFacts, type NumericsReport, type ValueFate } from './formats.ts';
