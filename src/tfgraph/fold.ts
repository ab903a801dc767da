/**
 * @module tfgraph/fold
 * Folding per-channel affine ops into the convolution before them, at import. A frozen
 * graph computes an inference batch norm after a convolution, fused or not:
 *
 *   FusedBatchNorm(V2/V3)(y, gamma, beta, mean, var), epsilon e, is_training false
 *   unfused (TF-Slim):  s = gamma * rsqrt(var + e)             (constant nodes only)
 *                       y * s  +  (beta - mean * s)            (Mul, then Add)
 *
 * With y = conv(x, W) + b and a per-output-channel s and t, y * s + t is again a convolution:
 *   conv(x, W') + b'   where W'[.., k] = W[.., k] * s[k],  b' = b * s + t
 * (for a depthwise kernel [KH, KW, C, M] the output channel is k = c * M + m). So BiasAdd,
 * Add, Sub and Mul by a constant, and a batch norm, change the pending convolution's kernel
 * and bias instead of becoming layers; a batch norm is s = gamma / sqrt(var + e),
 * t = beta - mean * s. The arithmetic is float64 on the graph's f32 constants, rounded to
 * f32 once when the layer's weights are set (TensorFlow's own graph rounds after every op,
 * so the two differ by a few f32 ulps). This is weight preparation, not model computation:
 * the folded model runs every FLOP of its forward pass on the simulated TPU.
 *
 * A fold is only sound when the convolution's output has no other consumer (the converter
 * checks the consumer counts of ./cut.ts before folding) and no activation yet.
 *
 * Imports ./constants (types), ./attrs, ./graph-def (types), layers (activation names).
 * Invariant: kernel.length = product(kernelDims); bias, when set, has `channels` values.
 */
import type { ActivationName, SymbolicTensor } from '../layers/index.ts';
import { nodeError } from './attrs.ts';
import type { ConstValue } from './constants.ts';
import type { TfNode } from './graph-def.ts';

/** A convolution whose kernel and bias still take folds; it becomes a layer when used otherwise. */
export interface PendingConv {
  readonly kind: 'pending';
  readonly op: 'conv' | 'depthwise';
  /** The layer's name. */
  readonly name: string;
  /** What it convolves: x [B, H, W, C]. */
  readonly input: SymbolicTensor;
  /** [KH, KW, C, K] (conv) or [KH, KW, C, M] (depthwise), TensorFlow's layouts. */
  readonly kernelDims: readonly [number, number, number, number];
  readonly kernel: Float64Array;
  /** Per output channel; null while nothing added a bias. */
  bias: Float64Array | null;
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  readonly dilation: [number, number];
  activation: ActivationName;
  /** Output channels: K, or C * M. */
  readonly channels: number;
}

/**
 * A constant as `channels` per-channel values: a scalar (broadcast), or dims [..., channels]
 * with every other dim 1. Anything else (a spatial constant) is an error naming the node.
 */
export function perChannel(node: TfNode, c: ConstValue, channels: number): Float64Array {
  const last = c.dims.length === 0 ? 1 : c.dims[c.dims.length - 1]!;
  const onesBefore = c.dims.slice(0, -1).every((d) => d === 1);
  if (c.data.length === 1) return new Float64Array(channels).fill(c.data[0]!);
  if (onesBefore && last === channels) return Float64Array.from(c.data);
  throw nodeError(node, `a constant of shape [${c.dims.join(', ')}] is not per channel for ${channels} channels (only [${channels}] or a scalar can be folded)`);
}

/** Output channel k's kernel entries are multiplied by s[k]: the kernel's last dim is K (conv), or M with k = c * M + m (depthwise). */
function scaleKernel(p: PendingConv, s: Float64Array): void {
  const [, , c, last] = p.kernelDims;
  const perPixel = c * last; // kernel entries per (kh, kw), output channel order k = c * last + m for both layouts
  for (let i = 0; i < p.kernel.length; i++) {
    const inPixel = i % perPixel;
    const k = p.op === 'conv' ? inPixel % last : inPixel;
    p.kernel[i] = p.kernel[i]! * s[k]!;
  }
}

/** y * s: the kernel and bias scaled per output channel. */
export function foldScale(p: PendingConv, s: Float64Array): void {
  scaleKernel(p, s);
  if (p.bias) p.bias = p.bias.map((b, k) => b * s[k]!);
}

/** y + t per output channel. */
export function foldShift(p: PendingConv, t: Float64Array): void {
  const b = p.bias ?? new Float64Array(p.channels);
  p.bias = b.map((v, k) => v + t[k]!);
}

/** Inference batch norm: s = gamma / sqrt(var + eps), t = beta - mean * s, then y * s + t. */
export function foldBatchNorm(p: PendingConv, n: { gamma: Float64Array; beta: Float64Array; mean: Float64Array; variance: Float64Array; epsilon: number }): void {
  const s = n.gamma.map((g, k) => g / Math.sqrt(n.variance[k]! + n.epsilon));
  foldScale(p, s);
  foldShift(p, n.beta.map((b, k) => b - n.mean[k]! * s[k]!));
}

