/**
 * @module mxu/precision
 * XLA's precision modes on top of single MXU passes: `default` is one pass; `high` (bf16x3)
 * and `highest` (bf16x6) split each operand into bf16 pieces (bfloat16's `splitArray`) and
 * run one full pass per product term, in ./reference.ts's `PASS_ORDER`, then combine them
 * with its `combinePasses` (small terms first, a non-finite small sum replaced by 0, hi.hi
 * last) and canonicalise NaNs.
 *
 * Imports bfloat16, ./config, ./reference. The pass itself is a parameter. The JS kernel
 * builds its modes here; the WASM kernel runs the same steps inside WASM, without JS copies
 * (./wasm-loader.ts `precisionPasses`: pieces split while packing, the same PASS_ORDER and
 * combine order), proven equal bit for bit by test/mxu/kernel-pieces.test.ts.
 */
import { splitArray, type SubnormalMode } from '../bfloat16/index.ts';
import { PASSES, PIECES, type Precision } from './config.ts';
import { PASS_ORDER, canonicalizeNaNs, combinePasses } from './reference.ts';

/**
 * One MXU pass on two operands of a fixed shape (a: [M, K], b: [K, N] -> c: [M, N]),
 * rounding them to bf16 on entry and canonicalising NaNs.
 */
export type PassFn = (a: Float32Array, b: Float32Array) => Float32Array;


/**
 * The operand pairs of each pass at `precision`, in PASS_ORDER: [[a, b]] for default (a pass
 * rounds its operands to bf16 itself), else the bf16 pieces (splitArray) of each term.
 */
export function passOperands(
  a: Float32Array,
  b: Float32Array,
  precision: Precision,
  subnormals: SubnormalMode,
): [Float32Array, Float32Array][] {
  // The default mode's one piece is bf16(x), which is exactly what a pass does on entry.
  if (precision === 'default') return [[a, b]];
  const aPieces = splitArray(a, PIECES[precision], subnormals);
  const bPieces = splitArray(b, PIECES[precision], subnormals);
  const order = PASS_ORDER[precision];
  if (order.length !== PASSES[precision]) throw new Error(`PASS_ORDER.${precision} disagrees with PASSES`);
  return order.map(([pa, pb]) => [aPieces[pa]!, bPieces[pb]!]);
}

/** Combines the pass results (in `passOperands` order) into C, NaNs canonicalised. */
export function combinePassResults(results: readonly Float32Array[]): Float32Array {
  if (results.length === 1) return results[0]!; // a single pass is already canonical
  return canonicalizeNaNs(combinePasses(results));
}

/**
 * C = A . B at `precision`, built from passes of `pass`.
 * Equivalent, bit for bit, to `referenceMatmul` with the same precision, when `pass` is
 * equivalent to one reference pass (rounding + `referencePass` + canonicalising).
 * @example matmulWithPrecision(a, b, 'high', 'flush', (x, y) => matmulFast(x, y, shape, { config }))
 */
export function matmulWithPrecision(
  a: Float32Array,
  b: Float32Array,
  precision: Precision,
  subnormals: SubnormalMode,
  pass: PassFn,
): Float32Array {
  return combinePassResults(passOperands(a, b, precision, subnormals).map(([x, y]) => pass(x, y)));
}
