/**
 * @module xla/passes/im2col
 * Convolution -> im2col + one dot, so every conv (the forward conv and both of its
 * gradients, which autodiff emits as convolutions with dilations) runs on the MXU.
 * Bit-exact against the reference: ops/linalg.ts DEFINES a convolution as exactly this
 * patch matrix (contraction ordered (kh, kw, c), holes +0) times the filter reshaped to
 * [KH*KW*C, K], and row order never changes a dot's per-element arithmetic.
 *
 * Pre: a verified module. Post: no `convolution` remains.
 * Two ways to build the patch matrix, whichever needs fewer slices:
 * - by window position (KH*KW slices, the usual im2col; forward and input-gradient convs):
 *     xp = pad(x, conv padding, interior = lhs dilation - 1)
 *     per (kh, kw): slice xp [B, Ho, Wo, C] at (kh*dh, kw*dw) with the conv strides
 *     concatenate on C -> [B, Ho, Wo, KH*KW*C] -> reshape [B*Ho*Wo, KH*KW*C]
 * - by output position (Ho*Wo slices; the filter gradient, whose "filter" is the whole
 *   output gradient and whose output is only KH x KW):
 *     per (oh, ow): slice xp [B, KH, KW, C] -> reshape [B, KH*KW*C];
 *     concatenate on rows -> [Ho*Wo*B, KH*KW*C]; after the dot, transpose rows back.
 * Example (3x3 'same' conv):
 *   before: %2 = f32[8,32,32,16] convolution(%x.0, %w.1), window={size=3x3 pad=1_1x1_1}, dim_labels=b01f_01io->b01f
 *   after:  %3 = f32[8,34,34,3] pad(%x.0), padding=0_0x1_1x1_1x0_0
 *           %4..%12 = f32[8,32,32,3] slice(%3), slice={[0:8], [kh:kh+32], [kw:kw+32], [0:3]}
 *           %13 = f32[8,32,32,27] concatenate(%4, ..., %12), dimensions={3}
 *           %14 = f32[8192,27] reshape(%13)    %15 = f32[27,16] reshape(%w.1)
 *           %16 = f32[8192,16] dot(%14, %15)   %17 = f32[8,32,32,16] reshape(%16)
 */
import type { Op, XlaBuilder } from '../builder.ts';
import type { ConvAttrs, HloModule } from '../hlo.ts';
import type { Pass } from '../pipeline.ts';
import { expand, withEntry } from './rewrite.ts';

/** The input padded and dilated so the conv becomes plain strided windows (negative pads crop). */
function padded(b: XlaBuilder, x: Op, a: ConvAttrs): Op {
  const [[pt, pb], [pl, pr]] = a.padding;
  const pads = [0, pt, pl, 0, 0, pb, pr, 0];
  const interior = [0, a.lhsDilation[0] - 1, a.lhsDilation[1] - 1, 0];
  let y = x;
  if (pads.some((p) => p > 0) || interior.some((v) => v > 0)) {
    y = b.pad(x, { low: pads.slice(0, 4).map((p) => Math.max(0, p)), high: pads.slice(4).map((p) => Math.max(0, p)), interior });
  }
  if (pads.some((p) => p < 0)) {
    const cut = pads.map((p) => Math.max(0, -p));
    y = b.slice(y, { start: cut.slice(0, 4), limit: y.shape.dims.map((d, i) => d - cut[4 + i]!) });
  }
  return y;
}

/** The conv of x [B, H, W, C] with w [KH, KW, C, K] as im2col + dot; returns [B, Ho, Wo, K]. */
export function convAsDot(b: XlaBuilder, x: Op, w: Op, a: ConvAttrs, out: readonly number[]): Op {
  const [B, Ho, Wo, K] = out as [number, number, number, number];
  const [KH, KW, C] = w.shape.dims as [number, number, number];
  const xp = padded(b, x, a);
  const [sh, sw] = a.strides;
  const [dh, dw] = a.rhsDilation;
  const wr = b.reshape(w, [KH * KW * C, K]);
  if (KH * KW <= Ho * Wo) {
    const cols: Op[] = [];
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++) {
        const start = [0, i * dh, j * dw, 0];
        const limit = [B, i * dh + (Ho - 1) * sh + 1, j * dw + (Wo - 1) * sw + 1, C];
        cols.push(b.slice(xp, { start, limit, strides: [1, sh, sw, 1] }));
      }
    }
    const patches = b.reshape(cols.length === 1 ? cols[0]! : b.concatenate(cols, 3), [B * Ho * Wo, KH * KW * C]);
    return b.reshape(b.dot(patches, wr, { precision: a.precision }), out);
  }
  const rows: Op[] = [];
  for (let oh = 0; oh < Ho; oh++) {
    for (let ow = 0; ow < Wo; ow++) {
      const start = [0, oh * sh, ow * sw, 0];
      const limit = [B, oh * sh + (KH - 1) * dh + 1, ow * sw + (KW - 1) * dw + 1, C];
      rows.push(b.reshape(b.slice(xp, { start, limit, strides: [1, dh, dw, 1] }), [B, KH * KW * C]));
    }
  }
  const patches = rows.length === 1 ? rows[0]! : b.concatenate(rows, 0); // [Ho*Wo*B, KH*KW*C]
  const y = b.reshape(b.dot(patches, wr, { precision: a.precision }), [Ho, Wo, B, K]);
  return b.transpose(y, [2, 0, 1, 3]);
}

/** The conv -> im2col + dot pass. */
export const im2col: Pass = {
  name: 'im2col',
  run: (m: HloModule) =>
    withEntry(
      m,
      expand(m.entry, (instr, b, get) => {
        if (instr.op !== 'convolution') return null;
        const [x, w] = instr.operands.map((id) => ({ id, shape: get(id).shape }));
        return convAsDot(b, x!, w!, instr.attrs, instr.shape.dims);
      }),
    ),
};
