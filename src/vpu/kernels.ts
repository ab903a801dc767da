/**
 * @module vpu/kernels
 * Fast loops for the whole-array ops: one loop per op, so every call site in a loop sees a
 * single function and V8 inlines it (a shared loop calling `BINARY_FNS[op]` is megamorphic
 * and measured ~5x slower). Each loop computes exactly `UNARY_FNS[op]` / `BINARY_FNS[op]`
 * of ./ops.ts, the spec; test/vpu/ops.test.ts checks the bits against the register-level
 * unit, which uses the spec functions.
 *
 * Comparisons and select write f32 masks (1 / 0), the form masks take in vector memory, so
 * the TensorCore's executor runs them with no conversion pass and no temporary array; each
 * loop computes exactly `COMPARE_FNS[op]` of ./ops.ts (test/vpu/kernels.test.ts).
 *
 * Imports bfloat16 and ./transcendental. NOTE: imported functions are bound to local
 * constants once: tsx and vitest compile imports to getter calls on a module object, and a
 * getter per element is ~20x slower.
 */
import { addF32, mulF32, roundToBf16Array } from '../bfloat16/index.ts';
import type { BinaryOp, CompareOp, UnaryOp } from './ops.ts';
import { divF32, expF32, logF32, rsqrtF32, sqrtF32, tanhF32 } from './transcendental.ts';

const add = addF32;
const mul = mulF32;
const div = divF32;
const exp = expF32;
const log = logF32;
const sqrt = sqrtF32;
const rsqrt = rsqrtF32;
const tanh = tanhF32;

/** out[i] = op(x[i]); `out` has x's length. */
export const UNARY_KERNELS: { readonly [K in UnaryOp]: (x: Float32Array, out: Float32Array) => void } = {
  neg: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = -x[i]!;
  },
  abs: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]!);
  },
  exp: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = exp(x[i]!);
  },
  log: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = log(x[i]!);
  },
  sqrt: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = sqrt(x[i]!);
  },
  rsqrt: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = rsqrt(x[i]!);
  },
  tanh: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = tanh(x[i]!);
  },
  'round-bf16': (x, out) => {
    roundToBf16Array(x, out);
  },
};

/** out[i] = op(a[i], b[i]); all three have the same length. */
export const BINARY_KERNELS: { readonly [K in BinaryOp]: (a: Float32Array, b: Float32Array, out: Float32Array) => void } = {
  add: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = add(a[i]!, b[i]!);
  },
  sub: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = add(a[i]!, -b[i]!);
  },
  mul: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = mul(a[i]!, b[i]!);
  },
  div: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = div(a[i]!, b[i]!);
  },
  max: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.max(a[i]!, b[i]!);
  },
  min: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.min(a[i]!, b[i]!);
  },
};

/** out[i] = a[i] op b[i] ? 1 : 0 (an f32 mask). */
export const COMPARE_KERNELS: { readonly [K in CompareOp]: (a: Float32Array, b: Float32Array, out: Float32Array) => void } = {
  eq: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! === b[i]! ? 1 : 0;
  },
  ne: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! !== b[i]! ? 1 : 0;
  },
  lt: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! < b[i]! ? 1 : 0;
  },
  le: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! <= b[i]! ? 1 : 0;
  },
  gt: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! > b[i]! ? 1 : 0;
  },
  ge: (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! >= b[i]! ? 1 : 0;
  },
};

/** out[i] = a[i] op s ? 1 : 0, `s` an f32 scalar (relu's x > 0). */
export const COMPARE_SCALAR_KERNELS: { readonly [K in CompareOp]: (a: Float32Array, s: number, out: Float32Array) => void } = {
  eq: (a, s, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! === s ? 1 : 0;
  },
  ne: (a, s, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! !== s ? 1 : 0;
  },
  lt: (a, s, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! < s ? 1 : 0;
  },
  le: (a, s, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! <= s ? 1 : 0;
  },
  gt: (a, s, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! > s ? 1 : 0;
  },
  ge: (a, s, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! >= s ? 1 : 0;
  },
};

/** `s op x` == `x flip(op) s` for every f32 pair, NaN included (both sides are false). */
export const FLIPPED: { readonly [K in CompareOp]: CompareOp } = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

/**
 * out[i] = mask[i] !== 0 ? a[i] : b[i] (an f32 mask), where a scalar operand stands for every element; all
 * four array / scalar combinations get their own loop (no per-element type test).
 */
export function selectKernel(mask: Float32Array, a: Float32Array | number, b: Float32Array | number, out: Float32Array): void {
  const n = out.length;
  if (typeof a === 'number') {
    if (typeof b === 'number') for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? a : b;
    else for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? a : b[i]!;
  } else if (typeof b === 'number') {
    for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? a[i]! : b;
  } else {
    for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? a[i]! : b[i]!;
  }
}
