/**
 * Test helpers: f32 ulp and error measures, computed in f64 independently of src/ (the oracle
 * side of the VPU tests).
 */

/** The f32 unit in the last place at |y| (y finite): spacing of f32 values around y. */
export function ulpF32(y: number): number {
  const a = Math.abs(y);
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

/** |got - want| in f32 ulps of `got`'s neighbourhood (the smaller of the two ulps, strict). */
export function ulpError(got: number, want: number): number {
  if (Number.isNaN(got) || Number.isNaN(want)) return Number.isNaN(got) && Number.isNaN(want) ? 0 : Infinity;
  if (!Number.isFinite(got) || !Number.isFinite(want)) return got === want ? 0 : Infinity;
  const ulp = Math.min(ulpF32(got), ulpF32(Math.fround(want)));
  return Math.abs(got - want) / ulp;
}

/** A deterministic Float32Array of `n` values in [-scale, scale) (LCG). */
export function randomF32(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}
