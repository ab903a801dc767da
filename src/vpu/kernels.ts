/**
 * @module vpu/kernels
 * Fast loops for the whole-array ops: one loop per op, so every call site in a loop sees a
 * single function and V8 inlines it (a shared loop calling `BINARY_FNS[op]` is megamorphic
 * and measured ~5x slower). Each loop computes exactly `UNARY_FNS[op]` / `BINARY_FNS[op]`
 * of ./ops.ts, the spec; test/vpu/ops.test.ts checks the bits against the register-level
 * unit, which uses the spec functions.
 *
 * Imports bfloat16 and ./transcendental. NOTE: imported functions are bound to local
 * constants once: tsx and vitest compile imports to getter calls on a module object, and a
 * getter per element is ~20x slower.
 */
import { addF32, mulF32, roundToBf16Array } from '../bfloat16/index.ts';
import type { BinaryOp, UnaryOp } from './ops.ts';
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
