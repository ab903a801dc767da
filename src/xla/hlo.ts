/**
 * @module xla/hlo
 * HLO as plain data (house style B): types only, no behaviour. A module holds computations;
 * a computation is a list of instructions in topological order plus its outputs; an
 * instruction is a readonly record discriminated on `op`, naming its operands by numeric id.
 *
 * Imports nothing at run time (types from mxu/config only).
 * Invariants (checked by ./verify.ts): ids are unique inside a computation; every operand id
 * names an earlier instruction; every `shape` equals what the op's shape rule infers; the
 * entry computation is the last one; parameters have indices 0..n-1 without gaps.
 *
 * Shape legend (README): B batch, H/W height/width, C channels in, K channels out (and the
 * contraction depth of a dot), M/N matmul rows/columns.
 */
import type { Precision } from '../mxu/config.ts';

/** Element types. `bf16` values are held as f32 numbers exactly representable in bf16;
 * `s32` as integers (|v| <= 2^24, so an f32 holds them exactly); `pred` as 0 or 1. */
export type DType = 'f32' | 'bf16' | 's32' | 'pred';

/** All element types, for parsing and errors. */
export const DTYPES: readonly DType[] = ['f32', 'bf16', 's32', 'pred'];

/** An array shape: dimension sizes (row-major, `dims[0]` outermost) and element type. */
export interface Shape {
  readonly dims: readonly number[];
  readonly dtype: DType;
}

/** Where an instruction came from, for errors and profiles (e.g. the Keras layer). */
export interface Metadata {
  readonly source?: string;
}

/** Comparison directions of `compare` (XLA's names). */
export type CompareDirection = 'EQ' | 'NE' | 'LT' | 'LE' | 'GT' | 'GE';

/** [low, high] padding of one dimension. */
export type PadPair = readonly [number, number];

/** Attributes of a 2-D convolution, NHWC input, HWIO filter, NHWC output. */
export interface ConvAttrs {
  /** Window strides [sh, sw]. Default [1, 1]. */
  readonly strides: readonly [number, number];
  /** Explicit padding [[top, bottom], [left, right]] of the (dilated) input. */
  readonly padding: readonly [PadPair, PadPair];
  /** Input dilation [dh, dw] (a transposed conv; used by the input gradient). Default [1, 1]. */
  readonly lhsDilation: readonly [number, number];
  /** Filter dilation [dh, dw] (atrous; used by the filter gradient). Default [1, 1]. */
  readonly rhsDilation: readonly [number, number];
  /** MXU precision. Default 'default'. */
  readonly precision: Precision;
}

/** A window over every dimension of the operand (reduce-window, select-and-scatter). */
export interface WindowAttrs {
  readonly window: readonly number[];
  readonly strides: readonly number[];
  readonly padding: readonly PadPair[];
}

/** Attributes of every op (jax-js style: the registry is a mapped type over this map). */
export interface OpAttrs {
  parameter: { readonly index: number; readonly shape: Shape };
  /** `value` row-major; a single value fills the whole shape. */
  constant: { readonly value: readonly number[]; readonly shape: Shape };
  iota: { readonly dimension: number; readonly shape: Shape };
  /** Uniform [0, 1) from a counter-based generator keyed by `seed` (see ops/source.ts). */
  rng: { readonly seed: number; readonly shape: Shape };
  add: Record<string, never>;
  subtract: Record<string, never>;
  multiply: Record<string, never>;
  divide: Record<string, never>;
  maximum: Record<string, never>;
  minimum: Record<string, never>;
  negate: Record<string, never>;
  exp: Record<string, never>;
  log: Record<string, never>;
  sqrt: Record<string, never>;
  rsqrt: Record<string, never>;
  tanh: Record<string, never>;
  compare: { readonly direction: CompareDirection };
  select: Record<string, never>;
  convert: { readonly dtype: DType };
  broadcast: { readonly dims: readonly number[]; readonly dimensions: readonly number[] };
  reshape: { readonly dims: readonly number[] };
  transpose: { readonly permutation: readonly number[] };
  reverse: { readonly dimensions: readonly number[] };
  slice: { readonly start: readonly number[]; readonly limit: readonly number[]; readonly strides: readonly number[] };
  pad: { readonly low: readonly number[]; readonly high: readonly number[]; readonly interior: readonly number[]; readonly value: number };
  concatenate: { readonly dimension: number };
  reduce: { readonly dimensions: readonly number[]; readonly kind: 'sum' | 'max' };
  'reduce-window': WindowAttrs & { readonly kind: 'sum' | 'max' };
  'select-and-scatter': WindowAttrs;
  dot: {
    readonly lhsContracting: readonly number[];
    readonly rhsContracting: readonly number[];
    readonly lhsBatch: readonly number[];
    readonly rhsBatch: readonly number[];
    readonly precision: Precision;
  };
  convolution: ConvAttrs;
  'all-reduce': { readonly replicas: number };
  fusion: { readonly kind: 'loop' | 'output'; readonly computation: HloComputation };
}

/** Every op name (XLA's text names). */
export type OpName = keyof OpAttrs;

/** One instruction of op K. */
export interface Instruction<K extends OpName> {
  readonly id: number;
  readonly op: K;
  readonly operands: readonly number[];
  readonly shape: Shape;
  readonly attrs: OpAttrs[K];
  /** Display name; defaults to the id (`%4`). Parameters usually carry one (`%x`). */
  readonly name?: string;
  readonly metadata?: Metadata;
}

/** Any instruction: a discriminated union on `op`. */
export type HloInstruction = { [K in OpName]: Instruction<K> }[OpName];

/** A computation: instructions in topological order and the ids it returns. */
export interface HloComputation {
  readonly name: string;
  readonly instructions: readonly HloInstruction[];
  /** Ids of the results, in order (more than one prints as a ROOT tuple). */
  readonly outputs: readonly number[];
}

/**
 * Input/output aliasing (XLA's input_output_alias): output `output` is written into the
 * buffer of parameter `param`, so a value a step updates (a weight, an optimizer slot)
 * stays in the device's memory from one run to the next.
 */
export interface IoAlias {
  readonly output: number;
  readonly param: number;
}

/** A module: computations, the entry (the computation that runs) last. */
export interface HloModule {
  readonly name: string;
  readonly entry: HloComputation;
  /** Outputs written into parameters' buffers; printed in the header. */
  readonly aliases?: readonly IoAlias[];
  /** Tile of the vector layout chosen by the layout pass ([sublanes, lanes]); printed on every shape. */
  readonly tile?: readonly [number, number];
}
