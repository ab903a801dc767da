/**
 * @module mxu/kernel-js
 * The MXU pass in plain JavaScript: the same bits as ./reference.ts and the WASM kernel, in
 * a cache-friendly loop order. The fallback when build/wasm is absent (`backend: 'js'`) and
 * a second, independent implementation for the tests.
 *
 * Imports bfloat16 and ./config, ./reference (canonicalizeNaNs).
 *
 * Order per output (m, n), as the reference's header states: for each fold of R values of
 * k, s = +0, then s = f32(s + f32(a*b)) in ascending k; acc = f32(acc + s) per fold. Here
 * B is transposed once so each fold sum reads two contiguous runs, and four columns' sums
 * run side by side in locals: each still sees its k in ascending order, only the
 * interleaving between columns changes, which cannot change any value.
 */
import { addF32, mulF32, roundToBf16Array } from '../bfloat16/index.ts';
import type { MatmulShape, MxuConfig } from './config.ts';
import { canonicalizeNaNs } from './reference.ts';

/**
 * One MXU pass in JS: operands rounded to bf16 on entry, folds of `config.rows`, NaNs
 * canonicalised. a: [M, K], b: [K, N]; writes c: [M, N] into `out` (fresh if omitted).
 * With `init`, the accumulators start at its values instead of +0 (./reference.ts, step 4).
 */
export function jsPass(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  config: Pick<MxuConfig, 'rows' | 'subnormals'>,
  out: Float32Array = new Float32Array(shape.m * shape.n),
  init?: Float32Array,
): Float32Array {
  const { m, k, n } = shape;
  const ar = roundToBf16Array(a, new Float32Array(m * k), config.subnormals);
  const bt = transpose(roundToBf16Array(b, new Float32Array(k * n), config.subnormals), k, n); // bt: [N, K]
  const acc = new Float32Array(n); // accumulators of one row of C
  for (let i = 0; i < m; i++) {
    if (init) acc.set(init.subarray(i * n, (i + 1) * n));
    else acc.fill(0);
    for (let k0 = 0; k0 < k; k0 += config.rows) {
      const end = Math.min(k, k0 + config.rows);
      let j = 0;
      for (; j + 4 <= n; j += 4) foldSums4(ar, bt, acc, { row: i * k, k, k0, end, j });
      for (; j < n; j++) acc[j] = addF32(acc[j]!, foldSum(ar, bt, i * k, j * k, k0, end));
    }
    out.set(acc, i * n);
  }
  return canonicalizeNaNs(out);
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c]!;
  return t;
}

/** One fold sum: s = +0, then s = f32(s + f32(a*b)) for k in [k0, end). */
function foldSum(ar: Float32Array, bt: Float32Array, aRow: number, bRow: number, k0: number, end: number): number {
  let s = 0;
  for (let kk = k0; kk < end; kk++) s = addF32(s, mulF32(ar[aRow + kk]!, bt[bRow + kk]!));
  return s;
}

/**
 * Four fold sums side by side (columns j..j+3), added into acc: four independent chains
 * keep the CPU busy while each waits on its own rounding.
 */
function foldSums4(ar: Float32Array, bt: Float32Array, acc: Float32Array, at: { row: number; k: number; k0: number; end: number; j: number }): void {
  const { row, k, k0, end, j } = at;
  const b0 = j * k;
  const b1 = b0 + k;
  const b2 = b1 + k;
  const b3 = b2 + k;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let kk = k0; kk < end; kk++) {
    const x = ar[row + kk]!;
    s0 = addF32(s0, mulF32(x, bt[b0 + kk]!));
    s1 = addF32(s1, mulF32(x, bt[b1 + kk]!));
    s2 = addF32(s2, mulF32(x, bt[b2 + kk]!));
    s3 = addF32(s3, mulF32(x, bt[b3 + kk]!));
  }
  acc[j] = addF32(acc[j]!, s0);
  acc[j + 1] = addF32(acc[j + 1]!, s1);
  acc[j + 2] = addF32(acc[j + 2]!, s2);
  acc[j + 3] = addF32(acc[j + 3]!, s3);
}
