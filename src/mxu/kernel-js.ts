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
 * the loops run (row m, fold, k, column n) so that a whole row of fold sums `s[n]` advances
 * one k at a time: each s[n] still sees its k in ascending order, only the interleaving
 * between columns changes, which cannot change any value.
 */
import { addF32, mulF32, roundToBf16Array } from '../bfloat16/index.ts';
import type { MatmulShape, MxuConfig } from './config.ts';
import { canonicalizeNaNs } from './reference.ts';

/**
 * One MXU pass in JS: operands rounded to bf16 on entry, folds of `config.rows`, NaNs
 * canonicalised. a: [M, K], b: [K, N]; writes c: [M, N] into `out` (fresh if omitted).
 */
export function jsPass(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  config: Pick<MxuConfig, 'rows' | 'subnormals'>,
  out: Float32Array = new Float32Array(shape.m * shape.n),
): Float32Array {
  const { m, k, n } = shape;
  const ar = roundToBf16Array(a, new Float32Array(m * k), config.subnormals);
  const br = roundToBf16Array(b, new Float32Array(k * n), config.subnormals);
  const rows = config.rows;
  const s = new Float32Array(n); // fold sums of one row of C
  const acc = new Float32Array(n); // accumulators of one row of C
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let k0 = 0; k0 < k; k0 += rows) {
      const end = Math.min(k, k0 + rows);
      s.fill(0);
      for (let kk = k0; kk < end; kk++) addScaledRow(s, ar[i * k + kk]!, br, kk * n, n);
      for (let j = 0; j < n; j++) acc[j] = addF32(acc[j]!, s[j]!);
    }
    out.set(acc, i * n);
  }
  return canonicalizeNaNs(out);
}

/** s[j] = f32(s[j] + f32(x * b[offset + j])) for j < n: one k step of a row of fold sums. */
function addScaledRow(s: Float32Array, x: number, b: Float32Array, offset: number, n: number): void {
  for (let j = 0; j < n; j++) s[j] = addF32(s[j]!, mulF32(x, b[offset + j]!));
}
