/**
 * @module xla/shapes
 * Small shape helpers and option types of the builder: shape constructors
 * (`f32([32, 784])`), NumPy's broadcast of two dim lists, TensorFlow's 'same' padding, and
 * the options of dot, convolution and windowed ops. Imports ./hlo types and
 * ./ops (ShapeError).
 */
import type { Precision } from '../mxu/config.ts';
import type { ConvAttrs, PadPair, Shape } from './hlo.ts';
import { ShapeError } from './ops/index.ts';

/** f32 shape. @example f32([32, 784]) */
export const f32 = (dims: readonly number[]): Shape => ({ dims, dtype: 'f32' });
/** bf16 shape. */
export const bf16 = (dims: readonly number[]): Shape => ({ dims, dtype: 'bf16' });
/** s32 shape. */
export const s32 = (dims: readonly number[]): Shape => ({ dims, dtype: 's32' });
/** pred shape. */
export const pred = (dims: readonly number[]): Shape => ({ dims, dtype: 'pred' });

/** 'same' padding of one spatial dim (TensorFlow: the extra pixel goes after). */
export function samePadding(size: number, k: number, stride: number, dilation = 1): PadPair {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + (k - 1) * dilation + 1 - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** NumPy's broadcast of two dim lists; throws a ShapeError when they do not agree. */
export function broadcastDims(a: readonly number[], b: readonly number[], where: () => string = () => ''): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(`broadcast${where()}: [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Options of `dot` (all default to a plain matmul: lhs last dim x rhs first dim). */
export interface DotOptions {
  readonly lhsContracting?: readonly number[];
  readonly rhsContracting?: readonly number[];
  readonly lhsBatch?: readonly number[];
  readonly rhsBatch?: readonly number[];
  readonly precision?: Precision;
}

/** Options of `convolution`; padding may be 'same' / 'valid' (TensorFlow's rules). */
export interface ConvOptions {
  readonly strides?: readonly [number, number];
  readonly padding?: 'same' | 'valid' | ConvAttrs['padding'];
  readonly lhsDilation?: readonly [number, number];
  readonly rhsDilation?: readonly [number, number];
  readonly precision?: Precision;
}

/** A window over every dim; strides default to 1 and padding to none. */
export interface WindowOptions {
  readonly window: readonly number[];
  readonly strides?: readonly number[];
  readonly padding?: readonly PadPair[];
}
