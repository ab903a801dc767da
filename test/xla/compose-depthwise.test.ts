/**
 * The depthwise conv composition against an independent naive loop written here from
 * TensorFlow's definition (DepthwiseConv2dNative: out[b, i, j, c*M + m] = sum over (di, dj) of
 * in[b, i*s + di*d - pad, j*s + dj*d - pad, c] * w[di, dj, c, m], with 'SAME' pads computed
 * as TF does: total = max((out - 1) * s + (k - 1) * d + 1 - in, 0), before = floor(total / 2)):
 * values in f64 ('highest'), bits at 'default' (bf16 operands, f32 sums in (kh, kw) order),
 * gradients in float64 against central differences of the naive loop, and the composition
 * lowered to the simulated TensorCore (forward and gradient) giving the interpreter's bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../../src/bfloat16/convert.ts';
import { gradModule } from '../../src/xla/autodiff.ts';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { compile } from '../../src/xla/compiler.ts';
import { depthwiseConv2d, type DepthwiseOptions } from '../../src/xla/compose-depthwise.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { HloModule } from '../../src/xla/hlo.ts';
import { lower } from '../../src/xla/lower.ts';
import { runLowered } from '../../src/xla/lowered-runner.ts';
import { evaluate64 } from './eval64.ts';
import { Rng } from './random-graph.ts';

interface Geometry {
  readonly x: readonly [number, number, number, number]; // [B, H, W, C]
  readonly w: readonly [number, number, number, number]; // [KH, KW, C, M]
  readonly strides: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: 'same' | 'valid';
}

/** TensorFlow's SAME/VALID output size and leading pad, written from its documentation. */
function tfPads(size: number, k: number, s: number, d: number, padding: 'same' | 'valid'): { out: number; before: number } {
  const span = (k - 1) * d + 1;
  if (padding === 'valid') return { out: Math.ceil((size - span + 1) / s), before: 0 };
  const out = Math.ceil(size / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + span - size, 0) / 2) };
}

/** The naive depthwise conv; `mul` and `add` set the arithmetic (f64, or f32 with rounding). */
function naive(g: Geometry, x: ArrayLike<number>, w: ArrayLike<number>, mul = (a: number, b: number) => a * b, add = (a: number, b: number) => a + b): { dims: number[]; data: Float64Array } {
  const [B, H, W, C] = g.x;
  const [KH, KW, , M] = g.w;
  const ph = tfPads(H, KH, g.strides[0], g.dilation[0], g.padding);
  const pw = tfPads(W, KW, g.strides[1], g.dilation[1], g.padding);
  const dims = [B, ph.out, pw.out, C * M];
  const out = new Float64Array(B * ph.out * pw.out * C * M);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < ph.out; i++) {
      for (let j = 0; j < pw.out; j++) {
        for (let c = 0; c < C; c++) {
          for (let m = 0; m < M; m++, o++) {
            let acc: number | undefined;
            for (let di = 0; di < KH; di++) {
              for (let dj = 0; dj < KW; dj++) {
                const h = i * g.strides[0] + di * g.dilation[0] - ph.before;
                const v = j * g.strides[1] + dj * g.dilation[1] - pw.before;
                const xv = h < 0 || h >= H || v < 0 || v >= W ? 0 : x[((b * H + h) * W + v) * C + c]!;
                const p = mul(xv, w[((di * KW + dj) * C + c) * M + m]!);
                acc = acc === undefined ? p : add(acc, p);
              }
            }
            out[o] = acc!;
          }
        }
      }
    }
  }
  return { dims, data: out };
}

/** The module y = depthwise(x, w) and, for gradients, L = sum(y * R). */
function moduleOf(g: Geometry, o: DepthwiseOptions, r?: Float64Array): HloModule {
  const b = new XlaBuilder('dw');
  const x = b.parameter(0, f32(g.x), 'x');
  const w = b.parameter(1, f32(g.w), 'w');
  const y = depthwiseConv2d(b, x, w, { strides: g.strides, dilation: g.dilation, padding: g.padding, ...o });
  if (!r) return b.build(y);
  return b.build(b.sum(b.multiply(y, b.constant(Array.from(r), y.shape))));
}

const count = (d: readonly number[]): number => d.reduce((a, v) => a * v, 1);
const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.slice().buffer));

const geometry = fc.record({
  x: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })),
  k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  padding: fc.constantFrom('same' as const, 'valid' as const),
}).map((r): Geometry => ({ x: r.x, w: [r.k[0], r.k[1], r.x[3], r.k[2]], strides: r.strides, dilation: r.dilation, padding: r.padding }))
  .filter((g) => g.padding === 'same' || (g.x[1] >= (g.w[0] - 1) * g.dilation[0] + 1 && g.x[2] >= (g.w[1] - 1) * g.dilation[1] + 1));

describe('depthwiseConv2d (composition) against the naive TensorFlow definition', () => {
  it('TF SAME: stride 2 on an even size pads 0 before and 1 after (6 -> 3 with a 3x3 window)', () => {
    const g: Geometry = { x: [1, 6, 6, 1], w: [3, 3, 1, 1], strides: [2, 2], dilation: [1, 1], padding: 'same' };
    const m = moduleOf(g, { precision: 'highest' });
    const pad = m.entry.instructions.find((i) => i.op === 'pad');
    expect(pad?.op === 'pad' ? [pad.attrs.low, pad.attrs.high] : null).toEqual([[0, 0, 0, 0], [0, 1, 1, 0]]);
    const x = Float32Array.from({ length: 36 }, (_, i) => i + 1);
    const w = Float32Array.from({ length: 9 }, (_, i) => 2 ** i);
    expect(Array.from(evaluate(m, [x, w])[0]!.data)).toEqual(Array.from(naive(g, x, w).data));
  });

  it("values at 'highest' equal the f64 loop within f32 rounding (random shapes, strides, dilations, M)", () => {
    fc.assert(
      fc.property(geometry, fc.integer({ min: 1, max: 1000 }), (g, seed) => {
        const r = new Rng(seed);
        const x = r.array(count(g.x));
        const w = r.array(count(g.w));
        const want = naive(g, x, w);
        const got = evaluate(moduleOf(g, { precision: 'highest' }), [x, w])[0]!;
        expect(got.shape.dims).toEqual(want.dims);
        got.data.forEach((v, i) => expect(Math.abs(v - want.data[i]!)).toBeLessThanOrEqual(1e-6 * 9 * 9));
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it("bits at 'default': bf16 operands, f32 products and sums in (kh, kw) order", () => {
    fc.assert(
      fc.property(geometry, fc.integer({ min: 1, max: 1000 }), (g, seed) => {
        const r = new Rng(seed);
        const x = r.array(count(g.x), 3);
        const w = r.array(count(g.w), 3);
        const want = naive(g, Float32Array.from(x, (v) => roundToBf16(v)), Float32Array.from(w, (v) => roundToBf16(v)), (a, b) => Math.fround(a * b), (a, b) => Math.fround(a + b));
        const got = evaluate(moduleOf(g, {}), [x, w])[0]!;
        expect(bits(got.data)).toEqual(bits(Float32Array.from(want.data)));
      }),
      { numRuns: 40, seed: 15 },
    );
  });

  it('refuses a filter whose channels are not the input channels, naming both shapes', () => {
    const b = new XlaBuilder('bad');
    expect(() => depthwiseConv2d(b, b.parameter(0, f32([1, 4, 4, 3])), b.parameter(1, f32([3, 3, 2, 1])))).toThrow(/filter channels 2 != input channels 3 \(input \[1,4,4,3\], filter \[3,3,2,1\]\)/);
  });
});

describe('depthwiseConv2d gradients', () => {
  const CASES: [string, Geometry][] = [
    ['3x3 same, stride 1, M = 1', { x: [2, 5, 5, 3], w: [3, 3, 3, 1], strides: [1, 1], dilation: [1, 1], padding: 'same' }],
    ['3x3 same, stride 2 on an even size (MobileNet)', { x: [1, 6, 6, 4], w: [3, 3, 4, 1], strides: [2, 2], dilation: [1, 1], padding: 'same' }],
    ['2x3 valid, strides [1, 2], dilation [2, 1], M = 2', { x: [1, 7, 6, 2], w: [2, 3, 2, 2], strides: [1, 2], dilation: [2, 1], padding: 'valid' }],
  ];
  const H = 1e-5;
  for (const [name, g] of CASES) {
    it(`${name}: float64 VJP == central differences of the naive loop (1e-6 relative)`, () => {
      const r = new Rng(7);
      const x = f64(r.array(count(g.x)));
      const w = f64(r.array(count(g.w)));
      const outDims = naive(g, x, w).dims;
      const R = f64(r.array(count(outDims)));
      const [, gx, gw] = evaluate64(gradModule(moduleOf(g, { precision: 'highest' }, R)), [x, w]);
      const loss = (xs: Float64Array, ws: Float64Array): number => naive(g, xs, ws).data.reduce((a, v, i) => a + v * R[i]!, 0);
      for (let d = 0; d < 3; d++) {
        const vx = f64(r.array(x.length));
        const vw = f64(r.array(w.length));
        const at = (t: number): number => loss(x.map((u, i) => u + t * vx[i]!), w.map((u, i) => u + t * vw[i]!));
        const fd = (at(H) - at(-H)) / (2 * H);
        const ad = gx!.reduce((a, u, i) => a + u * vx[i]!, 0) + gw!.reduce((a, u, i) => a + u * vw[i]!, 0);
        // the loss is bilinear, so central differences are exact up to rounding (~1e-10 here)
        expect(Math.abs(ad - fd), `direction ${d}: ${ad} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-9);
      }
    });
  }
});

describe('depthwiseConv2d on the simulated TensorCore', () => {
  const g: Geometry = { x: [2, 8, 8, 8], w: [3, 3, 8, 1], strides: [2, 2], dilation: [1, 1], padding: 'same' };
  const args = (): Float32Array[] => {
    const r = new Rng(11);
    return [r.array(count(g.x)), r.array(count(g.w))];
  };
  for (const precision of ['default', 'highest'] as const) {
    it(`forward and gradient at '${precision}' give the interpreter's bits`, () => {
      const R = f64(new Rng(12).array(count([2, 4, 4, 8])));
      for (const m of [moduleOf(g, { precision }), gradModule(moduleOf(g, { precision }, R))]) {
        const want = evaluate(m, args()).map((l) => bits(l.data));
        const { outputs } = runLowered(lower(compile(m).module), args());
        expect(outputs.map(bits)).toEqual(want);
      }
    });
  }
});
