/**
 * @module xla/ops/elementwise
 * The elementwise ops: add, subtract, multiply, divide, maximum, minimum, negate, exp, log,
 * sqrt, rsqrt, tanh, compare, select, convert. One OpDef each (shape, evaluate, vjp, cost).
 *
 * Imports bfloat16 (bf16 rounding), vpu (the f32 functions and their per-vreg costs: the
 * reference interpreter computes exactly what the VPU computes), and ./types.
 * Numerics: every value is computed in f32 by the VPU's function for the op; a bf16 result
 * is then rounded to bf16 (round-to-nearest-even); s32 results are truncated toward zero;
 * pred results are 0 or 1. Operands of a binary op have equal shapes (the builder inserts
 * broadcasts; HLO never broadcasts implicitly).
 */
import { roundToBf16 } from '../../bfloat16/index.ts';
import { arrayCycles } from '../../vpu/array.ts';
import { BINARY_FNS, COMPARE_FNS, UNARY_FNS, type BinaryOp, type CompareOp, type UnaryOp } from '../../vpu/ops.ts';
import type { CompareDirection, DType, OpName, Shape } from '../hlo.ts';
import {
  ShapeRuleError,
  bilinear,
  costOf,
  elementwiseVjp,
  linear,
  nonDifferentiable,
  sameShapes,
  sizeOf,
  trafficOf,
  type OpDef,
} from './types.ts';

/** Rounds an f32 result to the element type of the result. */
export function toDType(dtype: DType, v: number): number {
  switch (dtype) {
    case 'f32':
      return v;
    case 'bf16':
      return roundToBf16(v);
    case 's32':
      return Number.isNaN(v) ? 0 : Math.trunc(v);
    case 'pred':
      return v !== 0 && !Number.isNaN(v) ? 1 : 0;
  }
}

function mapInto(out: Float32Array, dtype: DType, f: (i: number) => number): Float32Array {
  if (dtype === 'f32') for (let i = 0; i < out.length; i++) out[i] = f(i);
  else for (let i = 0; i < out.length; i++) out[i] = toDType(dtype, f(i));
  return out;
}

type BinaryName = 'add' | 'subtract' | 'multiply' | 'divide' | 'maximum' | 'minimum';
type UnaryName = 'negate' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh';

/** The VPU instruction each elementwise HLO op runs as. */
export const VPU_BINARY: { readonly [K in BinaryName]: BinaryOp } = {
  add: 'add',
  subtract: 'sub',
  multiply: 'mul',
  divide: 'div',
  maximum: 'max',
  minimum: 'min',
};

/** The VPU instruction of each unary HLO op. */
export const VPU_UNARY: { readonly [K in UnaryName]: UnaryOp } = {
  negate: 'neg',
  exp: 'exp',
  log: 'log',
  sqrt: 'sqrt',
  rsqrt: 'rsqrt',
  tanh: 'tanh',
};

/** The VPU comparison of each HLO direction. */
export const VPU_COMPARE: { readonly [K in CompareDirection]: CompareOp } = { EQ: 'eq', NE: 'ne', LT: 'lt', LE: 'le', GT: 'gt', GE: 'ge' };

function binary<K extends BinaryName>(name: K, vjp: OpDef<K>['vjp']): OpDef<K> {
  const f = BINARY_FNS[VPU_BINARY[name]];
  return {
    name,
    arity: 2,
    shape: (inputs) => sameShapes(inputs),
    evaluate: ([a, b], _attrs, shape) => {
      const x = a!.data;
      const y = b!.data;
      return mapInto(new Float32Array(x.length), shape.dtype, (i) => f(x[i]!, y[i]!));
    },
    vjp,
    cost: (inputs, shape, _attrs, config) =>
      costOf('vpu', arrayCycles(VPU_BINARY[name], sizeOf(shape.dims), config.vpu), trafficOf(inputs, shape), config),
  };
}

function unary<K extends UnaryName>(name: K, vjp: OpDef<K>['vjp']): OpDef<K> {
  const f = UNARY_FNS[VPU_UNARY[name]];
  return {
    name,
    arity: 1,
    shape: ([x]) => x!,
    evaluate: ([a], _attrs, shape) => {
      const x = a!.data;
      return mapInto(new Float32Array(x.length), shape.dtype, (i) => f(x[i]!));
    },
    vjp,
    cost: (inputs, shape, _attrs, config) =>
      costOf('vpu', arrayCycles(VPU_UNARY[name], sizeOf(shape.dims), config.vpu), trafficOf(inputs, shape), config),
  };
}

/**
 * Gradient of maximum/minimum: the cotangent goes to the operand that was picked (ties to
 * rhs, so relu'(0) = 0). The pick is read off the result: max(x, y) > y exactly when x > y
 * (NaNs and signed zeros included; min alike), so relu's gradient needs its output, not its
 * input, as TensorFlow's ReluGrad does: a conv, its bias and its relu fuse into one kernel
 * whose pre-activation is never stored.
 */
function pickVjp<K extends 'maximum' | 'minimum'>(direction: 'GT' | 'LT'): OpDef<K>['vjp'] {
  return ({ b, g, inputs, out }) => {
    const [, y] = inputs as [typeof g, typeof g];
    const lhsWins = b.compare(out, y, direction);
    const zero = b.zerosLike(g);
    return [b.select(lhsWins, g, zero), b.select(lhsWins, zero, g)];
  };
}

/** The elementwise family, keyed by op name. */
export const elementwiseOps: { readonly [K in BinaryName | UnaryName | 'compare' | 'select' | 'convert']: OpDef<K> } = {
  add: binary('add', linear((_b, g) => [g, g])),
  subtract: binary('subtract', linear((b, g) => [g, b.negate(g)])),
  multiply: binary(
    'multiply',
    bilinear(
      (b, g, rhs) => b.multiply(g, rhs),
      (b, g, lhs) => b.multiply(lhs, g),
    ),
  ),
  divide: binary('divide', ({ b, g, inputs, out }) => {
    const y = inputs[1]!;
    const gx = b.divide(g, y);
    return [gx, b.negate(b.multiply(gx, out))];
  }),
  maximum: binary('maximum', pickVjp('GT')),
  minimum: binary('minimum', pickVjp('LT')),
  negate: unary('negate', linear((b, g) => [b.negate(g)])),
  exp: unary('exp', elementwiseVjp((_b, _x, y) => y)),
  log: unary('log', ({ b, g, inputs }) => [b.divide(g, inputs[0]!)]),
  // d sqrt(x) = 1 / (2 sqrt(x))
  sqrt: unary('sqrt', ({ b, g, out }) => [b.divide(g, b.multiply(out, 2))]),
  // d x^(-1/2) = -1/2 x^(-3/2) = -0.5 * y / x
  rsqrt: unary('rsqrt', ({ b, g, inputs, out }) => [b.multiply(g, b.multiply(b.divide(out, inputs[0]!), -0.5))]),
  // d tanh = 1 - y^2
  tanh: unary('tanh', elementwiseVjp((b, _x, y) => b.subtract(1, b.multiply(y, y)))),
  compare: {
    name: 'compare',
    arity: 2,
    shape: (inputs) => ({ dims: sameShapes(inputs).dims, dtype: 'pred' }),
    evaluate: ([a, b], attrs) => {
      const f = COMPARE_FNS[VPU_COMPARE[attrs.direction]];
      const x = a!.data;
      const y = b!.data;
      return mapInto(new Float32Array(x.length), 'f32', (i) => (f(x[i]!, y[i]!) ? 1 : 0));
    },
    vjp: nonDifferentiable(),
    cost: (inputs, shape, attrs, config) =>
      costOf('vpu', arrayCycles(VPU_COMPARE[attrs.direction], sizeOf(shape.dims), config.vpu), trafficOf(inputs, shape), config),
  },
  select: {
    name: 'select',
    arity: 3,
    shape: ([p, a, b]) => {
      const s = sameShapes([a!, b!], 'on-true and on-false');
      if (p!.dtype !== 'pred') throw new ShapeRuleError(`predicate must be pred, got ${p!.dtype}`);
      if (p!.dims.length !== s.dims.length || p!.dims.some((d, i) => d !== s.dims[i])) throw new ShapeRuleError('predicate and values must have equal dims');
      return s;
    },
    evaluate: ([p, a, b]) => {
      const m = p!.data;
      const x = a!.data;
      const y = b!.data;
      return mapInto(new Float32Array(x.length), 'f32', (i) => (m[i] !== 0 ? x[i]! : y[i]!));
    },
    vjp: ({ b, g, inputs }) => {
      const zero = b.zerosLike(g);
      return [null, b.select(inputs[0]!, g, zero), b.select(inputs[0]!, zero, g)];
    },
    cost: (inputs, shape, _attrs, config) => costOf('vpu', arrayCycles('select', sizeOf(shape.dims), config.vpu), trafficOf(inputs, shape), config),
  },
  convert: {
    name: 'convert',
    arity: 1,
    shape: ([x], attrs) => ({ dims: x!.dims, dtype: attrs.dtype }),
    evaluate: ([a], attrs) => mapInto(new Float32Array(a!.data.length), attrs.dtype, (i) => a!.data[i]!),
    vjp: ({ b, g, inputs }) => {
      const from = inputs[0]!.shape.dtype;
      return [from === 'f32' || from === 'bf16' ? b.convert(g, from) : null];
    },
    cost: (inputs, shape, attrs, config) =>
      costOf('vpu', arrayCycles(attrs.dtype === 'bf16' ? 'to-bf16' : 'from-bf16', sizeOf(shape.dims), config.vpu), trafficOf(inputs, shape), config),
  },
};

/** Ops that are elementwise (the loop-fusion pass fuses chains of these). */
export const ELEMENTWISE: ReadonlySet<OpName> = new Set<OpName>(Object.keys(elementwiseOps) as OpName[]);

/** Whether two shapes are equal (dims and dtype). */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.dtype === b.dtype && a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
}
