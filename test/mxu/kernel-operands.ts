/**
 * Operand generators for the fast-kernel tests: seeded, with a controllable share of special
 * values (NaN, +-Inf, -0, subnormals, values near the f32 maximum, tiny values whose products
 * underflow, bf16 rounding ties). Shared by kernel, precision and parallel tests.
 */
import fc from 'fast-check';

/** f32 values that stress the numerics (as f32 bit patterns where it matters). */
export const SPECIAL_VALUES: readonly number[] = [
  NaN, Infinity, -Infinity, 0, -0,
  2 ** -149, -(2 ** -149), 2 ** -130, 1.5 * 2 ** -127, // subnormals (flushed or kept on entry)
  2 ** -126, -(2 ** -126), 2 ** -75, 1.5 * 2 ** -74, 2 ** -70, -(2 ** -66), // products underflow
  3.4e38, -3.3e38, 2 ** 127, 1.8e19, -(2 ** 64), // products and sums overflow
  1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 - 2 ** -9, // bf16 rounding ties
  1, -1, 0.5, 3,
];

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `length` f32 values: a `specialRate` share drawn from SPECIAL_VALUES, the rest uniform in
 * [-2, 2) times a random power of two in [2^-scale, 2^scale].
 */
export function randomOperand(length: number, seed: number, specialRate = 0, scale = 0): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    if (next() < specialRate) out[i] = SPECIAL_VALUES[Math.floor(next() * SPECIAL_VALUES.length)]!;
    else out[i] = (next() * 4 - 2) * 2 ** Math.round((next() * 2 - 1) * scale);
  }
  return out;
}

/**
 * f32 values from raw random bit patterns, with special values and exponent-0/255 patterns
 * mixed in (NaN payloads of both signs, subnormals, rounding ties).
 */
export function randomBitsOperand(length: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(length);
  const u = bits(out);
  for (let i = 0; i < length; i++) {
    const pick = next();
    if (pick < 0.2) out[i] = SPECIAL_VALUES[Math.floor(next() * SPECIAL_VALUES.length)]!;
    else if (pick < 0.35) u[i] = (Math.floor(next() * 2 ** 23) | (next() < 0.5 ? 0x80000000 : 0)) >>> 0; // subnormal or zero
    else if (pick < 0.5) u[i] = (0x7f800000 | Math.floor(next() * 2 ** 23) | (next() < 0.5 ? 0x80000000 : 0)) >>> 0; // NaN or Inf
    else if (pick < 0.6) u[i] = ((Math.floor(next() * 2 ** 24) << 8) | 0x8000) >>> 0; // a rounding tie
    else u[i] = Math.floor(next() * 2 ** 32) >>> 0;
  }
  return out;
}

/** Bit patterns of f32 values, for exact comparison (NaN == NaN of the same bits, -0 != +0). */
export function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** Index of the first differing bit pattern, or -1. */
export function firstBitDifference(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) return 0;
  const bx = bits(x);
  const by = bits(y);
  for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return i;
  return -1;
}

/** A random matmul case: shape, fold depth R, subnormal mode, operand seeds, special share. */
export interface MatmulCase {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly rows: number;
  readonly subnormals: 'flush' | 'keep';
  readonly seed: number;
  readonly specialRate: number;
  readonly scale: number;
}

/** fast-check arbitrary of matmul cases (dimensions up to `maxDim`, K up to `maxK`). */
export function matmulCase(maxDim = 24, maxK = 300): fc.Arbitrary<MatmulCase> {
  return fc.record({
    m: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxK }),
    n: fc.integer({ min: 1, max: maxDim }),
    rows: fc.oneof(fc.constantFrom(1, 2, 3, 5, 128), fc.integer({ min: 1, max: 200 })),
    subnormals: fc.constantFrom('flush' as const, 'keep' as const),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    specialRate: fc.constantFrom(0, 0.02, 0.2, 0.8),
    scale: fc.constantFrom(0, 20, 80),
  });
}

/** The operands of a case. */
export function caseOperands(c: MatmulCase): { a: Float32Array; b: Float32Array } {
  return {
    a: randomOperand(c.m * c.k, c.seed, c.specialRate, c.scale),
    b: randomOperand(c.k * c.n, c.seed ^ 0x5bd1e995, c.specialRate, c.scale),
  };
}
