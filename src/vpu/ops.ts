/**
 * @module vpu/ops
 * The VPU's elementwise instruction set: one entry per op with its f32 function and its
 * cycle cost per vector register (see ./config.ts for the reasoning behind every cost).
 * The tables are typed as mapped types over the op-name unions, so an op without a function
 * or a cost does not compile (house style A).
 *
 * Imports bfloat16 (add, mul, bf16 rounding) and ./transcendental (div, sqrt, exp, ...).
 * Invariant: every function takes and returns f32 values (numbers exactly representable in
 * f32) and rounds exactly once, through a named numerics function.
 *
 * NaN rules: max/min propagate NaN (XLA's semantics; not IEEE maxNum); every comparison with
 * a NaN is false except `ne`. max(-0, +0) = +0 and min(-0, +0) = -0. NaN payloads and signs
 * are unspecified.
 */
import { addF32, mulF32, roundToBf16 } from '../bfloat16/index.ts';
import type { VpuConfig } from './config.ts';
import { divF32, expF32, logF32, rsqrtF32, sqrtF32, tanhF32 } from './transcendental.ts';

/** Ops of one operand. `round-bf16` is the f32 -> bf16 -> f32 convert round trip. */
export type UnaryOp = 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'round-bf16';
/** Ops of two operands. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';
/** Comparisons: two operands -> a mask (1 where true, 0 where false). */
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** Every VPU instruction that has a per-vreg cost. */
export type VpuOp =
  | UnaryOp
  | BinaryOp
  | CompareOp
  | 'select'
  | 'to-bf16'
  | 'from-bf16'
  | 'broadcast'
  | 'reduce-sublanes'
  | 'reduce-lanes';

/** All unary op names. */
export const UNARY_OPS: readonly UnaryOp[] = ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'round-bf16'];
/** All binary op names. */
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min'];
/** All comparison names. */
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** f32 function of each unary op. */
export const UNARY_FNS: { readonly [K in UnaryOp]: (x: number) => number } = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  exp: expF32,
  log: logF32,
  sqrt: sqrtF32,
  rsqrt: rsqrtF32,
  tanh: tanhF32,
  'round-bf16': (x) => roundToBf16(x),
};

/** f32 function of each binary op. */
export const BINARY_FNS: { readonly [K in BinaryOp]: (a: number, b: number) => number } = {
  add: addF32,
  // a - b == a + (-b) exactly in IEEE arithmetic (negation is exact).
  sub: (a, b) => addF32(a, -b),
  mul: mulF32,
  div: divF32,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

/** Predicate of each comparison. */
export const COMPARE_FNS: { readonly [K in CompareOp]: (a: number, b: number) => boolean } = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};

const alu = (c: VpuConfig): number => c.aluCycles;

/** Cycles per vreg of every op (throughput; see ./config.ts for the sources and reasoning). */
export const OP_CYCLES: { readonly [K in VpuOp]: (c: VpuConfig) => number } = {
  add: alu,
  sub: alu,
  mul: alu,
  max: alu,
  min: alu,
  neg: alu, // a subtract from zero
  abs: alu, // a bitwise and that clears the sign
  eq: alu,
  ne: alu,
  lt: alu,
  le: alu,
  gt: alu,
  ge: alu,
  select: alu,
  'round-bf16': alu,
  'to-bf16': alu,
  'from-bf16': alu,
  broadcast: alu, // a sublane broadcast of one row
  div: (c) => c.eupCycles + 3 * c.aluCycles, // reciprocal push, Newton step, multiply
  exp: (c) => c.eupCycles + 4 * c.aluCycles, // x*log2(e), split, 2^f push, scale
  log: (c) => c.eupCycles + 3 * c.aluCycles, // log2 push, * ln 2, fix-ups
  tanh: (c) => c.eupCycles + 4 * c.aluCycles, // push plus range handling
  rsqrt: (c) => c.eupCycles + 2 * c.aluCycles, // push plus one Newton step
  sqrt: (c) => c.eupCycles + 3 * c.aluCycles, // rsqrt then x * rsqrt(x)
  'reduce-sublanes': (c) => Math.log2(c.sublanes) * 2 * c.aluCycles,
  'reduce-lanes': (c) => Math.log2(c.lanes) * (c.laneRotateCycles + c.aluCycles),
};

/** Cycles of one op on one vreg under `config`. */
export function opCycles(op: VpuOp, config: VpuConfig): number {
  return OP_CYCLES[op](config);
}
