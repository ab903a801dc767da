/**
 * @module xla/compose
 * Compositions of primitives (house style principle 1: a small primitive set, everything
 * else composed): relu, sigmoid, softmax, log-softmax, softmax cross-entropy, pooling,
 * dense and conv layers' math, dropout. Each is a few builder calls, so autodiff, the
 * passes and the lowering see only primitives.
 *
 * Imports ./builder (types only; functions receive the builder) and ./hlo types.
 */
import type { ConvOptions, Op, XlaBuilder } from './builder.ts';
import type { PadPair } from './hlo.ts';

/** Axis index, negative counting from the end. */
function axisOf(x: Op, axis: number): number {
  const rank = x.shape.dims.length;
  const a = axis < 0 ? rank + axis : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** A reduction over `axis` broadcast back to x's dims. */
function back(b: XlaBuilder, r: Op, x: Op, axis: number): Op {
  return b.broadcast(r, x.shape.dims, x.shape.dims.map((_, i) => i).filter((i) => i !== axis));
}

/** max(x, 0) */
export function relu(b: XlaBuilder, x: Op): Op {
  return b.maximum(x, 0);
}

/** 1 / (1 + e^-x) */
export function sigmoid(b: XlaBuilder, x: Op): Op {
  return b.divide(1, b.add(b.exp(b.negate(x)), 1));
}

/** x - max(x) along `axis`, kept broadcastable: the stable shift of softmax. */
function shifted(b: XlaBuilder, x: Op, axis: number): Op {
  return b.subtract(x, back(b, b.reduce(x, [axis], 'max'), x, axis));
}

/** e^x / sum e^x along `axis` (default last), computed stably. */
export function softmax(b: XlaBuilder, x: Op, axis = -1): Op {
  const a = axisOf(x, axis);
  const e = b.exp(shifted(b, x, a));
  return b.divide(e, back(b, b.sum(e, [a]), x, a));
}

/** x - log sum e^x along `axis` (default last), computed stably. */
export function logSoftmax(b: XlaBuilder, x: Op, axis = -1): Op {
  const a = axisOf(x, axis);
  const s = shifted(b, x, a);
  return b.subtract(s, back(b, b.log(b.sum(b.exp(s), [a])), x, a));
}

/**
 * Mean over the batch of -sum(labels * log softmax(logits)): a scalar.
 * logits: [B, N], labels: [B, N] (one-hot or probabilities).
 */
export function softmaxCrossEntropy(b: XlaBuilder, logits: Op, labels: Op): Op {
  const perExample = b.negate(b.sum(b.multiply(labels, logSoftmax(b, logits, -1)), [1]));
  return b.mean(perExample);
}

/** Options of 2-D pooling over NHWC input. */
export interface PoolOptions {
  /** Window [h, w]. */
  readonly size: readonly [number, number];
  /** Default: the window size. */
  readonly strides?: readonly [number, number];
  /** Default 'valid'. */
  readonly padding?: 'valid' | 'same';
}

function poolPadding(x: Op, o: PoolOptions, strides: readonly [number, number]): PadPair[] {
  if (o.padding !== 'same') return [[0, 0], [0, 0], [0, 0], [0, 0]];
  const same = (size: number, k: number, s: number): PadPair => {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + k - size);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  return [[0, 0], same(x.shape.dims[1]!, o.size[0], strides[0]), same(x.shape.dims[2]!, o.size[1], strides[1]), [0, 0]];
}

/** Max pooling of x [B, H, W, C]. */
export function maxPool(b: XlaBuilder, x: Op, o: PoolOptions): Op {
  const strides = o.strides ?? o.size;
  return b.reduceWindow(x, { kind: 'max', window: [1, ...o.size, 1], strides: [1, ...strides, 1], padding: poolPadding(x, o, strides) });
}

/** Average pooling of x [B, H, W, C]; with 'same' padding, divides by the in-bounds count (as Keras). */
export function avgPool(b: XlaBuilder, x: Op, o: PoolOptions): Op {
  const strides = o.strides ?? o.size;
  const window = { window: [1, ...o.size, 1], strides: [1, ...strides, 1], padding: poolPadding(x, o, strides) };
  const sum = b.reduceWindow(x, { kind: 'sum', ...window });
  if (o.padding !== 'same') return b.multiply(sum, 1 / (o.size[0] * o.size[1]));
  const counts = b.reduceWindow(b.onesLike(x), { kind: 'sum', ...window });
  return b.divide(sum, counts);
}

/** Mean over H and W of x [B, H, W, C] -> [B, C]. */
export function globalAvgPool(b: XlaBuilder, x: Op): Op {
  return b.mean(x, [1, 2]);
}

/** x . w (+ bias): x [B, I], w [I, O], bias [O]. */
export function dense(b: XlaBuilder, x: Op, w: Op, bias?: Op): Op {
  const y = b.dot(x, w);
  return bias ? b.add(y, bias) : y;
}

/** conv(x, w) (+ bias): x [B, H, W, C], w [KH, KW, C, K], bias [K]. */
export function conv2d(b: XlaBuilder, x: Op, w: Op, bias?: Op, o: ConvOptions = {}): Op {
  const y = b.convolution(x, w, o);
  return bias ? b.add(y, bias) : y;
}

/** Inverted dropout: keeps each value with probability 1 - rate, scaled by 1 / (1 - rate). */
export function dropout(b: XlaBuilder, x: Op, rate: number, seed: number): Op {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  const keep = b.compare(b.rng(x.shape.dims, seed), rate, 'GE');
  return b.select(keep, b.multiply(x, 1 / (1 - rate)), 0);
}
