/**
 * @module xla/ops/linalg
 * The MXU ops: dot (contracting and batch dims) and convolution (NHWC input, HWIO filter,
 * strides, explicit pads, input and filter dilation).
 *
 * Imports mxu (matmulFast: the numerics; mxuCycles: the exact cycle formula) and ./types.
 *
 * ## Numerics (the contract ../evaluate.ts points to)
 * - dot: lhs is transposed to [batch, M, K] and rhs to [batch, K, N] (free dims in
 *   increasing order, contracting dims in the order the attrs list them), then one MXU
 *   matmul per batch element (`matmulFast`, bit-identical to the stepped array) at the
 *   op's precision. The result is [batch..., lhs free..., rhs free...].
 * - convolution is DEFINED as im2col followed by one MXU matmul: patches
 *   [B*Ho*Wo, KH*KW*C] with the contraction index ordered (kh, kw, c), times the filter
 *   reshaped to [KH*KW*C, K]. Padding and input-dilation holes are +0. So the
 *   conv -> im2col + dot pass (../passes/im2col.ts) is bit-exact against the reference.
 */
import { matmulFast } from '../../mxu/kernel.ts';
import { mxuCycles } from '../../mxu/cycles.ts';
import type { Precision } from '../../mxu/config.ts';
import type { Op, XlaBuilder } from '../builder.ts';
import type { ConvAttrs, OpAttrs, Shape } from '../hlo.ts';
import { inversePermutation, transposeData } from './shape.ts';
import { ShapeRuleError, bilinear, costOf, sizeOf, trafficOf, type EvalContext, type OpDef } from './types.ts';

/** One matmul (or zeros when a dimension is empty): a: [M, K], b: [K, N] -> [M, N]. */
export function mxuMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, precision: Precision, ctx: EvalContext): Float32Array {
  if (m === 0 || n === 0) return new Float32Array(m * n);
  if (k === 0) return new Float32Array(m * n);
  return matmulFast(a, b, { m, k, n }, { config: ctx.mxu, precision });
}

/** How a dot maps onto batched matmuls: permutations of both operands and M, K, N. */
export interface DotPlan {
  readonly lhsPerm: readonly number[];
  readonly rhsPerm: readonly number[];
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** Plans a dot: lhs -> [batch, M, K], rhs -> [batch, K, N]. */
export function dotPlan(lhs: readonly number[], rhs: readonly number[], a: OpAttrs['dot']): DotPlan {
  const lhsFree = lhs.map((_, i) => i).filter((i) => !a.lhsBatch.includes(i) && !a.lhsContracting.includes(i));
  const rhsFree = rhs.map((_, i) => i).filter((i) => !a.rhsBatch.includes(i) && !a.rhsContracting.includes(i));
  const prod = (dims: readonly number[], ids: readonly number[]): number => ids.reduce((acc, i) => acc * dims[i]!, 1);
  return {
    lhsPerm: [...a.lhsBatch, ...lhsFree, ...a.lhsContracting],
    rhsPerm: [...a.rhsBatch, ...a.rhsContracting, ...rhsFree],
    batch: prod(lhs, a.lhsBatch),
    m: prod(lhs, lhsFree),
    k: prod(lhs, a.lhsContracting),
    n: prod(rhs, rhsFree),
  };
}

function dotShape(lhs: Shape, rhs: Shape, a: OpAttrs['dot']): Shape {
  const check = (ids: readonly number[], rank: number, what: string): void => {
    if (new Set(ids).size !== ids.length || ids.some((i) => !Number.isInteger(i) || i < 0 || i >= rank)) throw new ShapeRuleError(`${what} {${ids.join(',')}} invalid for rank ${rank}`);
  };
  check([...a.lhsBatch, ...a.lhsContracting], lhs.dims.length, 'lhs batch+contracting dims');
  check([...a.rhsBatch, ...a.rhsContracting], rhs.dims.length, 'rhs batch+contracting dims');
  if (a.lhsBatch.length !== a.rhsBatch.length || a.lhsContracting.length !== a.rhsContracting.length) throw new ShapeRuleError('lhs and rhs need as many batch and contracting dims');
  a.lhsContracting.forEach((l, i) => {
    const r = a.rhsContracting[i]!;
    if (lhs.dims[l] !== rhs.dims[r]) throw new ShapeRuleError(`contracting dims differ: lhs dim ${l} is ${lhs.dims[l]}, rhs dim ${r} is ${rhs.dims[r]}`);
  });
  a.lhsBatch.forEach((l, i) => {
    const r = a.rhsBatch[i]!;
    if (lhs.dims[l] !== rhs.dims[r]) throw new ShapeRuleError(`batch dims differ: lhs dim ${l} is ${lhs.dims[l]}, rhs dim ${r} is ${rhs.dims[r]}`);
  });
  if (lhs.dtype !== rhs.dtype) throw new ShapeRuleError(`operand types differ (${lhs.dtype} vs ${rhs.dtype})`);
  const free = (s: Shape, skip: readonly number[]): number[] => s.dims.filter((_, i) => !skip.includes(i));
  return {
    dims: [...a.lhsBatch.map((i) => lhs.dims[i]!), ...free(lhs, [...a.lhsBatch, ...a.lhsContracting]), ...free(rhs, [...a.rhsBatch, ...a.rhsContracting])],
    dtype: lhs.dtype,
  };
}

const rankIn = (xs: readonly number[], v: number): number => [...xs].sort((p, q) => p - q).indexOf(v);

/** d lhs of a dot: dot(g, rhs) over rhs's free dims, then back into lhs's dim order. */
function dotLhsT(b: XlaBuilder, g: Op, rhs: Op, a: OpAttrs['dot'], lhs: Op): Op {
  const nb = a.lhsBatch.length;
  const lr = lhs.shape.dims.length;
  const lhsFree = lhs.shape.dims.map((_, i) => i).filter((i) => !a.lhsBatch.includes(i) && !a.lhsContracting.includes(i));
  const rhsFree = rhs.shape.dims.map((_, i) => i).filter((i) => !a.rhsBatch.includes(i) && !a.rhsContracting.includes(i));
  const gRhsFree = rhsFree.map((_, j) => nb + lhsFree.length + j);
  const res = b.dot(g, rhs, { lhsContracting: gRhsFree, rhsContracting: rhsFree, lhsBatch: a.lhsBatch.map((_, i) => i), rhsBatch: a.rhsBatch, precision: a.precision });
  const pos = new Array<number>(lr);
  a.lhsBatch.forEach((d, i) => (pos[d] = i));
  lhsFree.forEach((d, j) => (pos[d] = nb + j));
  a.lhsContracting.forEach((d, i) => (pos[d] = nb + lhsFree.length + rankIn(a.rhsContracting, a.rhsContracting[i]!)));
  return pos.every((p, i) => p === i) ? res : b.transpose(res, pos);
}

/** d rhs of a dot: dot(lhs, g) over lhs's free dims, then back into rhs's dim order. */
function dotRhsT(b: XlaBuilder, g: Op, lhs: Op, a: OpAttrs['dot'], rhs: Op): Op {
  const nb = a.lhsBatch.length;
  const rr = rhs.shape.dims.length;
  const lhsFree = lhs.shape.dims.map((_, i) => i).filter((i) => !a.lhsBatch.includes(i) && !a.lhsContracting.includes(i));
  const rhsFree = rhs.shape.dims.map((_, i) => i).filter((i) => !a.rhsBatch.includes(i) && !a.rhsContracting.includes(i));
  const gLhsFree = lhsFree.map((_, j) => nb + j);
  const res = b.dot(lhs, g, { lhsContracting: lhsFree, rhsContracting: gLhsFree, lhsBatch: a.lhsBatch, rhsBatch: a.lhsBatch.map((_, i) => i), precision: a.precision });
  const pos = new Array<number>(rr);
  a.rhsBatch.forEach((d, i) => (pos[d] = i));
  a.rhsContracting.forEach((d, i) => (pos[d] = nb + rankIn(a.lhsContracting, a.lhsContracting[i]!)));
  rhsFree.forEach((d, j) => (pos[d] = nb + a.lhsContracting.length + j));
  return pos.every((p, i) => p === i) ? res : b.transpose(res, pos);
}

/** Output spatial size of a conv along one dim (may be < 1 when the window does not fit). */
function convOut(size: number, k: number, i: 0 | 1, a: ConvAttrs): number {
  const dilated = (size - 1) * a.lhsDilation[i] + 1;
  const padded = dilated + a.padding[i][0] + a.padding[i][1];
  const window = (k - 1) * a.rhsDilation[i] + 1;
  return Math.floor((padded - window) / a.strides[i]) + 1;
}

function convShape(x: Shape, w: Shape, a: ConvAttrs): Shape {
  if (x.dims.length !== 4) throw new ShapeRuleError('input must be rank 4 [B, H, W, C]');
  if (w.dims.length !== 4) throw new ShapeRuleError('filter must be rank 4 [KH, KW, C, K]');
  if (x.dims[3] !== w.dims[2]) throw new ShapeRuleError(`input channels ${x.dims[3]} != filter input channels ${w.dims[2]}`);
  for (const v of [...a.strides, ...a.lhsDilation, ...a.rhsDilation]) if (!Number.isSafeInteger(v) || v < 1) throw new ShapeRuleError('strides and dilations must be positive integers');
  const ho = convOut(x.dims[1]!, w.dims[0]!, 0, a);
  const wo = convOut(x.dims[2]!, w.dims[1]!, 1, a);
  if (ho < 1 || wo < 1) throw new ShapeRuleError(`the ${w.dims[0]}x${w.dims[1]} window does not fit the padded ${x.dims[1]}x${x.dims[2]} input`);
  if (x.dtype !== w.dtype) throw new ShapeRuleError(`operand types differ (${x.dtype} vs ${w.dtype})`);
  return { dims: [x.dims[0]!, ho, wo, w.dims[3]!], dtype: x.dtype };
}

/**
 * The im2col patch matrix of a conv: [B*Ho*Wo, KH*KW*C], contraction ordered (kh, kw, c);
 * padding and dilation holes are +0.
 */
export function im2colData(x: Float32Array, xDims: readonly number[], kh: number, kw: number, outDims: readonly number[], a: ConvAttrs): Float32Array {
  const [B, H, W, C] = xDims as [number, number, number, number];
  const [, Ho, Wo] = outDims as [number, number, number];
  const K = kh * kw * C;
  const out = new Float32Array(B * Ho * Wo * K);
  let row = 0;
  for (let n = 0; n < B; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++, row++) {
        for (let i = 0; i < kh; i++) {
          const ph = oh * a.strides[0] + i * a.rhsDilation[0] - a.padding[0][0];
          const h = ph / a.lhsDilation[0];
          if (ph < 0 || !Number.isInteger(h) || h >= H) continue;
          for (let j = 0; j < kw; j++) {
            const pw = ow * a.strides[1] + j * a.rhsDilation[1] - a.padding[1][0];
            const w = pw / a.lhsDilation[1];
            if (pw < 0 || !Number.isInteger(w) || w >= W) continue;
            const src = ((n * H + h) * W + w) * C;
            out.set(x.subarray(src, src + C), row * K + (i * kw + j) * C);
          }
        }
      }
    }
  }
  return out;
}

/** Padding of the input-gradient conv along dim i (JAX's conv_general_vjp_lhs_padding). */
function lhsGradPadding(x: number, k: number, out: number, i: 0 | 1, a: ConvAttrs): readonly [number, number] {
  const lhsD = (x - 1) * a.lhsDilation[i] + 1;
  const rhsD = (k - 1) * a.rhsDilation[i] + 1;
  const outD = (out - 1) * a.strides[i] + 1;
  const before = rhsD - a.padding[i][0] - 1;
  return [before, lhsD + rhsD - 1 - outD - before];
}

/** Padding of the filter-gradient conv along dim i (JAX's conv_general_vjp_rhs_padding). */
function rhsGradPadding(x: number, k: number, out: number, i: 0 | 1, a: ConvAttrs): readonly [number, number] {
  const lhsD = (x - 1) * a.lhsDilation[i] + 1;
  const rhsD = (k - 1) * a.rhsDilation[i] + 1;
  const outD = (out - 1) * a.strides[i] + 1;
  const lo = a.padding[i][0];
  return [lo, outD - lhsD + (rhsD - lo - 1)];
}

// d x = conv(g, flipped filter with C and K swapped), input dilated by the strides
function convLhsT(b: XlaBuilder, g: Op, w: Op, a: ConvAttrs, x: Op): Op {
  const [kh, kw] = w.shape.dims as [number, number];
  const wT = b.reverse(b.transpose(w, [0, 1, 3, 2]), [0, 1]);
  const padding = [0, 1].map((i) => lhsGradPadding(x.shape.dims[1 + i]!, [kh, kw][i]!, g.shape.dims[1 + i]!, i as 0 | 1, a)) as unknown as ConvAttrs['padding'];
  return b.convolution(g, wT, { strides: a.lhsDilation, padding, lhsDilation: a.strides, rhsDilation: a.rhsDilation, precision: a.precision });
}

// d w = conv(x as [C, H, W, B], g as filter [Ho, Wo, B, K]) -> [C, KH, KW, K] -> [KH, KW, C, K]
function convRhsT(b: XlaBuilder, g: Op, x: Op, a: ConvAttrs, w: Op): Op {
  const [kh, kw] = w.shape.dims as [number, number];
  const xT = b.transpose(x, [3, 1, 2, 0]);
  const gT = b.transpose(g, [1, 2, 0, 3]);
  const padding = [0, 1].map((i) => rhsGradPadding(x.shape.dims[1 + i]!, [kh, kw][i]!, g.shape.dims[1 + i]!, i as 0 | 1, a)) as unknown as ConvAttrs['padding'];
  const res = b.convolution(xT, gT, { strides: a.rhsDilation, padding, lhsDilation: a.lhsDilation, rhsDilation: a.strides, precision: a.precision });
  return b.transpose(res, [1, 2, 0, 3]);
}

/** The MXU family, keyed by op name. */
export const linalgOps: { readonly [K in 'dot' | 'convolution']: OpDef<K> } = {
  dot: {
    name: 'dot',
    arity: 2,
    shape: ([l, r], a) => dotShape(l!, r!, a),
    evaluate: ([l, r], a, shape, ctx) => {
      const p = dotPlan(l!.shape.dims, r!.shape.dims, a);
      const lt = transposeData(l!.data, l!.shape.dims, p.lhsPerm);
      const rt = transposeData(r!.data, r!.shape.dims, p.rhsPerm);
      const out = new Float32Array(sizeOf(shape.dims));
      const [mk, kn, mn] = [p.m * p.k, p.k * p.n, p.m * p.n];
      for (let i = 0; i < p.batch; i++) {
        out.set(mxuMatmul(lt.subarray(i * mk, (i + 1) * mk), rt.subarray(i * kn, (i + 1) * kn), p.m, p.k, p.n, a.precision, ctx), i * mn);
      }
      return out;
    },
    vjp: bilinear(dotLhsT, dotRhsT),
    cost: ([l, r], shape, a, config) => {
      const p = dotPlan(l!.dims, r!.dims, a);
      const cycles = p.m * p.k * p.n === 0 ? 0 : p.batch * mxuCycles({ m: p.m, k: p.k, n: p.n }, config.mxu, a.precision);
      return costOf('mxu', cycles, trafficOf([l!, r!], shape), config);
    },
  },
  convolution: {
    name: 'convolution',
    arity: 2,
    shape: ([x, w], a) => convShape(x!, w!, a),
    evaluate: ([x, w], a, shape, ctx) => {
      const [kh, kw, c, k] = w!.shape.dims as [number, number, number, number];
      const patches = im2colData(x!.data, x!.shape.dims, kh, kw, shape.dims, a);
      const m = shape.dims[0]! * shape.dims[1]! * shape.dims[2]!;
      return mxuMatmul(patches, w!.data, m, kh * kw * c, k, a.precision, ctx);
    },
    vjp: bilinear(convLhsT, convRhsT),
    cost: ([x, w], shape, a, config) => {
      const [kh, kw, c, k] = w!.dims as [number, number, number, number];
      const m = shape.dims[0]! * shape.dims[1]! * shape.dims[2]!;
      return costOf('mxu', mxuCycles({ m, k: kh * kw * c, n: k }, config.mxu, a.precision), trafficOf([x!, w!], shape), config);
    },
  },
};

/** Re-exported for the passes: inverse of a permutation. */
export { inversePermutation };
