/**
 * @module mxu/reference
 * The MXU's numerics, written as the plainest possible loops: the living spec that the
 * stepped array (stepped.ts) and the fast kernel (kernel.ts) are both proven equal to, bit
 * for bit. Slow on purpose; never used on a hot path.
 *
 * Imports bfloat16 and ./config only.
 *
 * ## The accumulation order (DESIGN.md's numerics contract points here)
 *
 * For C[M, N] = A[M, K] . B[K, N] on an R x C array:
 * 1. A and B are rounded to bf16 on entry (`roundToBf16`, the config's subnormal mode).
 * 2. K is cut into row folds of R: fold t covers k in [t*R, min(K, (t+1)*R)).
 * 3. Inside a fold, the partial sum for (m, n) runs down array column n % C in k order:
 *      s = +0;  for k in fold:  s = f32(s + f32(a[m,k] * b[k,n]))
 *    (a bf16 x bf16 product is exact in f32 unless it under- or overflows; it is rounded
 *    to f32 all the same, so a fused multiply-add would NOT always agree.) PEs past the
 *    edge of a partial fold hold weight +0 and see activation +0, so they add +0, which
 *    changes nothing: s starts at +0 and a round-to-nearest-even sum is never -0 unless
 *    both addends are.
 * 4. The accumulator for (m, n) starts at +0 and adds each fold's s in fold order:
 *      acc = f32(acc + s_0);  acc = f32(acc + s_1); ...
 *    A matmul may instead continue from accumulators left by an earlier one (`acc`, the
 *    'default' precision only): acc starts at those values. Cutting a contraction at
 *    multiples of R into such matmuls gives the bits of the whole one, since the folds and
 *    their order are unchanged.
 * 5. On the way out, every NaN becomes the canonical quiet NaN 0x7FC00000 (the sign of a
 *    NaN made by Inf - Inf or 0 * Inf differs between x86 and Arm, and between JS and WASM;
 *    canonicalising keeps every implementation bit-identical). So the MXU never returns -0
 *    and never a NaN with a payload.
 *
 * ## Precision modes (XLA's bf16 splits; see bfloat16/split.ts)
 * Each term below is one full pass (steps 1-5 with the pieces as operands; the pieces are
 * already bf16, so step 1 changes nothing). `x.y` means dot(x piece of A, y piece of B).
 * - default: hi.hi with hi = bf16(x) rounded to nearest (one pass).
 * - high (bf16x3): t = lo.hi; t = f32(t + hi.lo); if t is not finite, t = 0;
 *   result = f32(t + hi.hi), with hi = trunc16(x), lo = bf16(x - hi).
 * - highest (bf16x6): t = mid.mid, then + hi.lo, + lo.hi, + hi.mid, + mid.hi (each f32);
 *   if t is not finite, t = 0; result = f32(t + hi.hi).
 * Then step 5 again on the combined result.
 */
import { addF32, mulF32, splitArray } from '../bfloat16/index.ts';
import { MxuConfigError, PIECES, checkShape, type MatmulShape, type MxuConfig, type Precision } from './config.ts';

/** The canonical quiet NaN every MXU output NaN is turned into. */
export const CANONICAL_NAN_BITS = 0x7fc00000;

/** Options of a reference matmul. */
export interface ReferenceOptions {
  /** The array size matters to numerics only through R, the fold depth. */
  readonly config: Pick<MxuConfig, 'rows' | 'subnormals'>;
  readonly precision?: Precision;
  /**
   * The accumulators' values before this matmul (default +0): C = acc + A . B, the folds
   * added onto them in order. 'default' precision only.
   */
  readonly acc?: Float32Array;
}

/** Replaces every NaN in place by the canonical quiet NaN. */
export function canonicalizeNaNs(c: Float32Array): Float32Array {
  const bits = new Uint32Array(c.buffer, c.byteOffset, c.length);
  for (let i = 0; i < c.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) bits[i] = CANONICAL_NAN_BITS;
  }
  return c;
}

/**
 * One MXU pass on operands that are already bf16 values (steps 2-4; no NaN canonicalising).
 * a: [M, K], b: [K, N], row-major. Returns c: [M, N].
 */
export function referencePass(a: Float32Array, b: Float32Array, shape: MatmulShape, rows: number, init?: Float32Array): Float32Array {
  const { m, k, n } = shape;
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = init ? init[i * n + j]! : 0;
      for (let fold = 0; fold * rows < k; fold++) {
        let s = 0;
        const end = Math.min(k, (fold + 1) * rows);
        for (let kk = fold * rows; kk < end; kk++) s = addF32(s, mulF32(a[i * k + kk]!, b[kk * n + j]!));
        acc = addF32(acc, s);
      }
      c[i * n + j] = acc;
    }
  }
  return c;
}

/** Checks the accumulators a matmul continues from (MxuConfigError naming what is wrong). */
export function checkAccumulators(acc: Float32Array, shape: MatmulShape, precision: Precision): void {
  if (precision !== 'default') throw new MxuConfigError(`a matmul continues from its accumulators in 'default' precision only, not '${precision}' (its passes combine whole contractions)`);
  if (acc.length !== shape.m * shape.n) throw new MxuConfigError(`accumulators hold ${acc.length} values; [m, n] = [${shape.m}, ${shape.n}] needs ${shape.m * shape.n}`);
}

/** Which pieces of A and B each pass multiplies, smallest terms first, hi.hi last. */
export const PASS_ORDER: { readonly [P in Precision]: readonly (readonly [number, number])[] } = {
  default: [[0, 0]],
  // pieces: 0 = hi, 1 = lo
  high: [[1, 0], [0, 1], [0, 0]],
  // pieces: 0 = hi, 1 = mid, 2 = lo
  highest: [[1, 1], [0, 2], [2, 0], [0, 1], [1, 0], [0, 0]],
};

/**
 * Combines per-pass results in PASS_ORDER: the small terms summed in order, a non-finite
 * small sum replaced by 0, then hi.hi added last. `passes[i]` is the result of PASS_ORDER[i].
 */
export function combinePasses(passes: readonly Float32Array[]): Float32Array {
  const last = passes[passes.length - 1]!;
  if (passes.length === 1) return last;
  const out = new Float32Array(last.length);
  for (let e = 0; e < out.length; e++) {
    let t = passes[0]![e]!;
    for (let p = 1; p < passes.length - 1; p++) t = addF32(t, passes[p]![e]!);
    if (!Number.isFinite(t)) t = 0;
    out[e] = addF32(t, last[e]!);
  }
  return out;
}

/**
 * C = A . B with the MXU's exact numerics, by plain loops.
 * a: [M, K], b: [K, N], row-major f32. Returns c: [M, N].
 * @example referenceMatmul(new Float32Array([1, 2]), new Float32Array([3, 4]), { m: 1, k: 2, n: 1 }, { config: { rows: 128, subnormals: 'flush' } }) // [11]
 */
export function referenceMatmul(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  options: ReferenceOptions,
): Float32Array {
  checkShape(shape);
  const { rows, subnormals } = options.config;
  const precision = options.precision ?? 'default';
  if (options.acc) {
    checkAccumulators(options.acc, shape, precision);
    return canonicalizeNaNs(referencePass(splitArray(a, 1, subnormals)[0]!, splitArray(b, 1, subnormals)[0]!, shape, rows, options.acc));
  }
  const aPieces = splitArray(a, PIECES[precision], subnormals);
  const bPieces = splitArray(b, PIECES[precision], subnormals);
  const passes = PASS_ORDER[precision].map(([pa, pb]) => referencePass(aPieces[pa]!, bPieces[pb]!, shape, rows));
  return canonicalizeNaNs(combinePasses(passes));
}
