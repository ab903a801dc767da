/**
 * Test helper: seeded uniform values (an LCG: deterministic, no test framework state), as
 * f32, for the layers tests' weights, inputs and gradients.
 */

/** `n` values in [lo, hi), rounded to f32. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

/** The same values as a plain array, for float64 references that grow or map them. */
export const uniformList = (n: number, seed: number, lo = -1, hi = 1): number[] => Array.from(uniform(n, seed, lo, hi));
