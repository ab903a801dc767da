/**
 * @module xla/ops/types
 * What an op is (house style A): the `OpDef` interface every entry of the registry
 * implements, the literal type the reference interpreter computes on, the cost record, and
 * the helpers that give most ops their gradient in one line (`linear`, `bilinear`,
 * `nonDifferentiable`, `elementwiseVjp`).
 *
 * Imports hlo types, tpu/config types, and the builder's type (vjp rules emit HLO through
 * it; a type-only import, so there is no cycle at run time).
 */
import type { TensorCoreConfig } from '../../tpu/config.ts';
import type { Op, XlaBuilder } from '../builder.ts';
import type { HloComputation, OpAttrs, OpName, Shape } from '../hlo.ts';

/** A value of the reference interpreter: a shape and its elements, row-major. */
export interface Literal {
  readonly shape: Shape;
  readonly data: Float32Array;
}

/** What `evaluate` may ask of the interpreter running it. */
export interface EvalContext {
  /** Runs a nested computation (a fusion's body) on literals. */
  readonly run: (computation: HloComputation, args: readonly Literal[]) => Literal[];
  /** The MXU the dots and convolutions run on (fold depth and subnormal mode). */
  readonly mxu: { readonly rows: number; readonly subnormals: 'flush' | 'keep' };
}

/** Which unit an op runs on. `none`: no work (a parameter, a reshape that is a bitcast). */
export type CostUnit = 'mxu' | 'vpu' | 'dma' | 'ici' | 'none';

/** Predicted cost of one op on one TensorCore. */
export interface OpCost {
  readonly unit: CostUnit;
  /** Cycles of the unit's own work (MXU formula, VPU per-vreg costs). */
  readonly computeCycles: number;
  /** Bytes read from and written to HBM (operands in, result out). */
  readonly hbmBytes: number;
  /** max(computeCycles, hbmBytes / bandwidth): units overlap with their DMA (roofline). */
  readonly cycles: number;
}

/** A shape-rule failure; the builder and verifier wrap it into a ShapeError naming op, source and shapes. */
export class ShapeRuleError extends Error {
  override readonly name = 'ShapeRuleError';
}

/**
 * A shape mismatch in a graph: names the op, where it came from (metadata source, e.g. the
 * layer) and the operand shapes. Printed as one line by the CLI.
 */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
  readonly userFacing = true;
}

/** Arguments of a gradient rule. */
export interface VjpArgs<K extends OpName> {
  readonly b: XlaBuilder;
  /** Cotangent of the output: same shape as `out`. */
  readonly g: Op;
  /** The primal operands. */
  readonly inputs: readonly Op[];
  /** The primal result. */
  readonly out: Op;
  readonly attrs: OpAttrs[K];
}

/** A gradient rule: one cotangent (or null: none / not differentiable) per operand. */
export type VjpRule<K extends OpName> = (args: VjpArgs<K>) => readonly (Op | null)[];

/** Everything about one op, in one place. */
export interface OpDef<K extends OpName> {
  readonly name: K;
  /** Number of operands, or 'variadic' (concatenate, fusion). */
  readonly arity: number | 'variadic';
  /** The result shape; throws ShapeRuleError saying what does not fit. */
  readonly shape: (inputs: readonly Shape[], attrs: OpAttrs[K]) => Shape;
  /** Host reference: the result's elements, row-major (the numerics contract, see ../evaluate.ts). */
  readonly evaluate: (inputs: readonly Literal[], attrs: OpAttrs[K], shape: Shape, ctx: EvalContext) => Float32Array;
  /** Reverse-mode rule in other HLO ops. */
  readonly vjp: VjpRule<K>;
  /** Predicted cost on one core. */
  readonly cost: (inputs: readonly Shape[], shape: Shape, attrs: OpAttrs[K], config: TensorCoreConfig) => OpCost;
}

/** Rule for ops without a gradient (compare, rng, iota, ...): every cotangent is null. */
export function nonDifferentiable<K extends OpName>(): VjpRule<K> {
  return ({ inputs }) => inputs.map(() => null);
}

/**
 * Rule for ops linear in all their operands: the cotangents depend only on g, the attrs and
 * the operand shapes (the transpose of the op), never on primal values.
 */
export function linear<K extends OpName>(
  transpose: (b: XlaBuilder, g: Op, attrs: OpAttrs[K], inputs: readonly Shape[]) => readonly (Op | null)[],
): VjpRule<K> {
  return ({ b, g, attrs, inputs }) => transpose(b, g, attrs, inputs.map((x) => x.shape));
}

/**
 * Rule for ops linear in each operand separately (multiply, dot, convolution):
 * d lhs = lhsT(g, rhs), d rhs = rhsT(g, lhs).
 */
export function bilinear<K extends OpName>(
  lhsT: (b: XlaBuilder, g: Op, rhs: Op, attrs: OpAttrs[K], lhs: Op) => Op,
  rhsT: (b: XlaBuilder, g: Op, lhs: Op, attrs: OpAttrs[K], rhs: Op) => Op,
): VjpRule<K> {
  return ({ b, g, inputs, attrs }) => {
    const [lhs, rhs] = inputs as [Op, Op];
    return [lhsT(b, g, rhs, attrs, lhs), rhsT(b, g, lhs, attrs, rhs)];
  };
}

/** Rule for a unary elementwise op: d x = g * f'(x), with f'(x) built from x and y = f(x). */
export function elementwiseVjp<K extends OpName>(derivative: (b: XlaBuilder, x: Op, y: Op) => Op): VjpRule<K> {
  return ({ b, g, inputs, out }) => [b.multiply(g, derivative(b, inputs[0]!, out))];
}

/** Number of elements of a shape. */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of dims. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** Bytes of one element of a dtype in HBM. */
export function bytesPerElement(dtype: Shape['dtype']): number {
  return dtype === 'bf16' ? 2 : dtype === 'pred' ? 1 : 4;
}

/** Bytes of an array of this shape. */
export function bytesOf(shape: Shape): number {
  return sizeOf(shape.dims) * bytesPerElement(shape.dtype);
}

/** Formats a shape as in HLO text: `f32[32,128]`. */
export function shapeText(shape: Shape): string {
  return `${shape.dtype}[${shape.dims.join(',')}]`;
}

/** Checks that all shapes are equal; throws ShapeRuleError otherwise. */
export function sameShapes(inputs: readonly Shape[], what = 'operands'): Shape {
  const first = inputs[0]!;
  for (const s of inputs) {
    if (s.dtype !== first.dtype || s.dims.length !== first.dims.length || s.dims.some((d, i) => d !== first.dims[i])) {
      throw new ShapeRuleError(`${what} must have equal shapes`);
    }
  }
  return first;
}

/** A whole-number dimension list check: throws naming the attribute. */
export function checkDims(dims: readonly number[], what: string): void {
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) throw new ShapeRuleError(`${what} must be non-negative integers, got [${dims.join(',')}]`);
}

/** A cost from compute cycles and the bytes moved (roofline: the larger of the two times). */
export function costOf(
  unit: CostUnit,
  computeCycles: number,
  bytes: number,
  config: TensorCoreConfig,
): OpCost {
  const bytesPerCycle = config.hbmBytesPerSecond / config.mxu.clockHz;
  const memoryCycles = Math.ceil(bytes / bytesPerCycle);
  return { unit, computeCycles, hbmBytes: bytes, cycles: Math.max(computeCycles, memoryCycles) };
}

/** Bytes read + written by an op: every operand once, the result once. */
export function trafficOf(inputs: readonly Shape[], shape: Shape): number {
  return inputs.reduce((acc, s) => acc + bytesOf(s), bytesOf(shape));
}
