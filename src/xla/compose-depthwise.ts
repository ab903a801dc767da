/**
 * @module xla/compose-depthwise
 * Depthwise 2-D convolution as a composition of primitives (house style principle 1):
 * every input channel is convolved with its own KH x KW filters, `depthMultiplier` (M) of
 * them, giving C*M output channels ordered (c, m), as TensorFlow's DepthwiseConv2dNative.
 *
 * Why not `convolution` with a feature group count: a depthwise conv contracts only KH*KW
 * (9) values per output, so on the 128-deep MXU it would use 9/128 of the array and one
 * column per channel; XLA's TPU emitter and every vector unit do it as multiply-adds over
 * the window instead. Here that is spelled in primitives the VPU runs:
 *   xp = pad(x)                                   // x: [B, H, W, C], TF 'same' or explicit
 *   xm = M > 1 ? reshape(broadcast(xp, [.., C, M]), [.., C*M]) : xp
 *   y  = sum over (kh, kw), in that order, of
 *          slice(xm, window offset, strides) * broadcast(w[kh, kw, :])    // [B, Ho, Wo, C*M]
 * so autodiff, fusion (the multiply-adds fuse into one VPU loop) and the lowering see only
 * slice, pad, broadcast, reshape, multiply and add, which all have VJP rules and lowerings.
 *
 * Numerics: at precision 'default' both operands are rounded to bf16 first (as the MXU
 * rounds conv operands); a product of two bf16 values is exact in f32, and the products
 * are summed in f32 in (kh, kw) order, so the result is what one MXU pass computes for a
 * KH*KW-deep contraction in that order. At 'high' and 'highest' the operands stay f32 and
 * each product is rounded to f32 (at least as accurate as the bf16x3 / bf16x6 splits).
 *
 * Imports ./builder (types), ./shapes (TF 'same' padding), ./hlo types, mxu/config types.
 */
import type { Precision } from '../mxu/config.ts';
import type { Op, XlaBuilder } from './builder.ts';
import type { PadPair } from './hlo.ts';
import { ShapeError } from './ops/index.ts';
import { samePadding } from './shapes.ts';

/** Options of a depthwise conv; padding 'same' / 'valid' follow TensorFlow. */
export interface DepthwiseOptions {
  /** Default [1, 1]. */
  readonly strides?: readonly [number, number];
  /** Default 'valid'. Explicit: [[top, bottom], [left, right]]. */
  readonly padding?: 'same' | 'valid' | readonly [PadPair, PadPair];
  /** Filter dilation (atrous). Default [1, 1]. */
  readonly dilation?: readonly [number, number];
  /** Default 'default' (bf16 operands). */
  readonly precision?: Precision;
}

/** Rounds to bf16 and back to f32 (the MXU's operand rounding), at 'default' precision only. */
function operand(b: XlaBuilder, x: Op, precision: Precision): Op {
  return precision === 'default' ? b.convert(b.convert(x, 'bf16'), 'f32') : x;
}

/**
 * Depthwise conv: x [B, H, W, C], w [KH, KW, C, M] -> [B, Ho, Wo, C*M].
 * @throws ShapeError naming both shapes when the ranks or channels do not fit
 * @example depthwiseConv2d(b, x, w, { strides: [2, 2], padding: 'same' })
 */
export function depthwiseConv2d(b: XlaBuilder, x: Op, w: Op, o: DepthwiseOptions = {}): Op {
  const [B, H, W, C] = x.shape.dims as [number, number, number, number];
  const [KH, KW, CW, M] = w.shape.dims as [number, number, number, number];
  const shapes = `input [${x.shape.dims.join(',')}], filter [${w.shape.dims.join(',')}]`;
  if (x.shape.dims.length !== 4 || w.shape.dims.length !== 4) throw new ShapeError(`depthwise conv: input must be [B, H, W, C] and filter [KH, KW, C, M]; got ${shapes}`);
  if (CW !== C) throw new ShapeError(`depthwise conv: filter channels ${CW} != input channels ${C} (${shapes})`);
  const [sh, sw] = o.strides ?? [1, 1];
  const [dh, dw] = o.dilation ?? [1, 1];
  const precision = o.precision ?? 'default';
  const pads: readonly [PadPair, PadPair] =
    o.padding === 'same' ? [samePadding(H, KH, sh, dh), samePadding(W, KW, sw, dw)] : o.padding === undefined || o.padding === 'valid' ? [[0, 0], [0, 0]] : o.padding;
  const [[pt, pb], [pl, pr]] = pads;
  const hp = H + pt + pb;
  const wp = W + pl + pr;
  const ho = Math.floor((hp - ((KH - 1) * dh + 1)) / sh) + 1;
  const wo = Math.floor((wp - ((KW - 1) * dw + 1)) / sw) + 1;
  if (ho < 1 || wo < 1) throw new ShapeError(`depthwise conv: the ${KH}x${KW} window does not fit the padded ${hp}x${wp} input (${shapes})`);
  const CM = C * M;
  let xp = pt || pb || pl || pr ? b.pad(x, { low: [0, pt, pl, 0], high: [0, pb, pr, 0] }) : x;
  if (M > 1) xp = b.reshape(b.broadcast(xp, [B, hp, wp, C, M], [0, 1, 2, 3]), [B, hp, wp, CM]);
  xp = operand(b, xp, precision);
  const wf = operand(b, b.reshape(w, [KH, KW, CM]), precision);
  let acc: Op | undefined;
  for (let i = 0; i < KH; i++) {
    for (let j = 0; j < KW; j++) {
      // window (i, j) of every output position: xp[:, i*dh + oh*sh, j*dw + ow*sw, :]
      const start = [0, i * dh, j * dw, 0];
      const limit = [B, i * dh + (ho - 1) * sh + 1, j * dw + (wo - 1) * sw + 1, CM];
      const patch = b.slice(xp, { start, limit, strides: [1, sh, sw, 1] }); // [B, Ho, Wo, C*M]
      const tap = b.reshape(b.slice(wf, { start: [i, j, 0], limit: [i + 1, j + 1, CM] }), [CM]);
      const term = b.multiply(patch, b.broadcast(tap, [B, ho, wo, CM], [3]));
      acc = acc === undefined ? term : b.add(acc, term);
    }
  }
  return acc!;
}
