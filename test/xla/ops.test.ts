/**
 * The registry drives the op tests (house style K): one row per op — a graph that uses it,
 * and either a gradient check against finite differences or the reason there is none.
 * The table is a mapped type over OpName, so a new op without a row does not compile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32, type Op } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { OpName } from '../../src/xla/hlo.ts';
import { OP_NAMES } from '../../src/xla/ops/index.ts';
import { checkGrads, type GradCase } from './gradcheck.ts';

type Row = GradCase & { readonly noGrad?: string; readonly h?: number };
const one = (params: Row['params'], build: Row['build'], extra: Partial<Row> = {}): Row => ({ params, build, ...extra });
const hi = { precision: 'highest' } as const;

const ROWS: { readonly [K in OpName]: Row } = {
  parameter: one([f32([3])], (_b, [x]) => x!),
  constant: one([f32([3])], (b, [x]) => b.multiply(x!, b.constant([1, -2, 3], [3]))),
  iota: one([f32([2, 3])], (b, [x]) => b.multiply(x!, b.iota(f32([2, 3]), 1))),
  rng: one([f32([4])], (b, [x]) => b.multiply(x!, b.rng([4], 7))),
  add: one([f32([2, 3]), f32([2, 3])], (b, [x, y]) => b.add(x!, y!)),
  subtract: one([f32([2, 3]), f32([2, 3])], (b, [x, y]) => b.subtract(x!, y!)),
  multiply: one([f32([2, 3]), f32([2, 3])], (b, [x, y]) => b.multiply(x!, y!)),
  divide: one([f32([2, 3]), f32([2, 3])], (b, [x, y]) => b.divide(x!, y!), { domain: 'positive' }),
  maximum: one([f32([2, 3]), f32([2, 3])], (b, [x, y]) => b.maximum(x!, y!)),
  minimum: one([f32([2, 3]), f32([2, 3])], (b, [x, y]) => b.minimum(x!, y!)),
  negate: one([f32([4])], (b, [x]) => b.negate(x!)),
  exp: one([f32([4])], (b, [x]) => b.exp(x!)),
  log: one([f32([4])], (b, [x]) => b.log(x!), { domain: 'positive' }),
  sqrt: one([f32([4])], (b, [x]) => b.sqrt(x!), { domain: 'positive' }),
  rsqrt: one([f32([4])], (b, [x]) => b.rsqrt(x!), { domain: 'positive' }),
  tanh: one([f32([4])], (b, [x]) => b.tanh(x!)),
  // selects below are continuous (the branches agree where the predicate flips), so central differences apply
  compare: one([f32([5]), f32([5])], (b, [x, y]) => b.select(b.compare(x!, y!, 'GT'), x!, y!)),
  select: one([f32([5]), f32([5])], (b, [x, y]) => b.multiply(b.select(b.compare(x!, 0, 'LT'), b.exp(x!), b.add(x!, 1)), y!)),
  convert: one([f32([4])], (b, [x]) => b.convert(b.exp(x!), 'f32')),
  broadcast: one([f32([2, 3])], (b, [x]) => b.tanh(b.broadcast(x!, [3, 4, 2], [2, 0]))),
  reshape: one([f32([2, 6])], (b, [x]) => b.exp(b.reshape(x!, [3, 2, 2]))),
  transpose: one([f32([2, 3, 4])], (b, [x]) => b.tanh(b.transpose(x!, [2, 0, 1]))),
  reverse: one([f32([3, 4])], (b, [x]) => b.multiply(b.reverse(x!, [1]), x!)),
  slice: one([f32([5, 7])], (b, [x]) => b.exp(b.slice(x!, { start: [1, 0], limit: [5, 7], strides: [2, 3] }))),
  pad: one([f32([2, 3])], (b, [x]) => b.tanh(b.pad(x!, { low: [1, 0], high: [0, 2], interior: [1, 1], value: 0.5 }))),
  concatenate: one([f32([2, 3]), f32([2, 1])], (b, [x, y]) => b.exp(b.concatenate([x!, y!, x!], 1))),
  // a small step, so the random direction does not move which element is the maximum
  reduce: one([f32([3, 4, 5])], (b, [x]) => b.add(b.reduce(x!, [0, 2], 'sum'), b.reduce(x!, [2, 0], 'max')), { h: 1e-3 }),
  'reduce-window': one([f32([1, 5, 5, 2])], (b, [x]) =>
    b.add(
      b.reduceWindow(x!, { kind: 'sum', window: [1, 3, 2, 1], strides: [1, 2, 1, 1], padding: [[0, 0], [1, 1], [0, 1], [0, 0]] }),
      b.reduceWindow(x!, { kind: 'max', window: [1, 3, 2, 1], strides: [1, 2, 1, 1], padding: [[0, 0], [1, 1], [0, 1], [0, 0]] }),
    ),
  ),
  'select-and-scatter': one(
    [f32([1, 4, 4, 1]), f32([1, 2, 2, 1])],
    (b, [x, s]) => b.selectAndScatter(x!, s!, { window: [1, 2, 2, 1], strides: [1, 2, 2, 1] }),
    { noGrad: 'the max-pool gradient is not differentiated again (no second derivatives of pooling)' },
  ),
  dot: one([f32([2, 3, 4]), f32([4, 2, 5])], (b, [x, y]) => b.dot(x!, y!, { lhsBatch: [0], rhsBatch: [1], lhsContracting: [2], rhsContracting: [0], ...hi })),
  convolution: one([f32([2, 5, 5, 3]), f32([3, 2, 3, 4])], (b, [x, w]) =>
    b.add(
      b.convolution(x!, w!, { strides: [2, 1], padding: 'same', ...hi }),
      b.convolution(x!, w!, { strides: [2, 1], padding: [[1, 2], [1, 1]], rhsDilation: [1, 2], ...hi }),
    ),
  ),
  'all-reduce': one([f32([4])], (b, [x]) => b.allReduce(b.exp(x!), 1)),
  fusion: one([f32([2])], (_b, [x]) => x!, { noGrad: 'fusion is formed by a pass after autodiff, never differentiated' }),
};

describe('op registry', () => {
  it('has a row for every op', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...OP_NAMES].sort());
  });

  for (const name of OP_NAMES) {
    const row = ROWS[name];
    if (row.noGrad) it.skip(`${name}: gradient (${row.noGrad})`, () => {});
    else {
      it(`${name}: gradient matches central differences (highest precision)`, () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
            checkGrads(row, seed, row.h);
          }),
          { seed: 11, numRuns: 4 },
        );
      });
    }
  }

  it('input-dilated convolution (a transposed conv) has the right gradient too', () => {
    checkGrads({ params: [f32([1, 3, 3, 2]), f32([2, 2, 2, 3])], build: (b, [x, w]) => b.convolution(x!, w!, { lhsDilation: [2, 2], padding: [[1, 1], [1, 0]], strides: [1, 2], ...hi }) }, 3);
  });
});

describe('op references against naive loops', () => {
  const run = (build: (b: XlaBuilder, xs: Op[]) => Op, shapes: number[][], inputs: number[][]): Float32Array => {
    const b = new XlaBuilder('t');
    const xs = shapes.map((s, i) => b.parameter(i, f32(s)));
    return evaluate(b.build(build(b, xs)), inputs)[0]!.data;
  };

  it('convolution equals a direct loop (highest precision), with stride, padding and dilation', () => {
    const [B, H, W, C, KH, KW, K] = [1, 6, 5, 2, 3, 2, 3];
    const x = Array.from({ length: B * H * W * C }, (_, i) => Math.sin(i));
    const w = Array.from({ length: KH * KW * C * K }, (_, i) => Math.cos(i * 0.7));
    const [sh, sw, pt, pl, dh, dw] = [2, 1, 1, 0, 1, 2];
    const out = run((b, [a, f]) => b.convolution(a!, f!, { strides: [sh, sw], padding: [[pt, 1], [pl, 1]], rhsDilation: [dh, dw], ...hi }), [[B, H, W, C], [KH, KW, C, K]], [x, w]);
    const Ho = Math.floor((H + pt + 1 - ((KH - 1) * dh + 1)) / sh) + 1;
    const Wo = Math.floor((W + pl + 1 - ((KW - 1) * dw + 1)) / sw) + 1;
    expect(out.length).toBe(Ho * Wo * K);
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++)
        for (let k = 0; k < K; k++) {
          let s = 0;
          for (let i = 0; i < KH; i++)
            for (let j = 0; j < KW; j++)
              for (let c = 0; c < C; c++) {
                const h = oh * sh + i * dh - pt;
                const v = ow * sw + j * dw - pl;
                if (h >= 0 && h < H && v >= 0 && v < W) s += x[(h * W + v) * C + c]! * w[((i * KW + j) * C + c) * K + k]!;
              }
          expect(out[(oh * Wo + ow) * K + k]).toBeCloseTo(s, 5);
        }
  });

  it('data movement is exact', () => {
    expect(Array.from(run((b, [x]) => b.transpose(x!, [1, 0]), [[2, 3]], [[1, 2, 3, 4, 5, 6]]))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(run((b, [x]) => b.slice(x!, { start: [1], limit: [6], strides: [2] }), [[6]], [[0, 1, 2, 3, 4, 5]]))).toEqual([1, 3, 5]);
    expect(Array.from(run((b, [x]) => b.pad(x!, { low: [1], high: [2], interior: [1], value: 9 }), [[3]], [[1, 2, 3]]))).toEqual([9, 1, 9, 2, 9, 3, 9, 9]);
    expect(Array.from(run((b, [x]) => b.reverse(x!, [0]), [[3]], [[1, 2, 3]]))).toEqual([3, 2, 1]);
    expect(Array.from(run((b, [x, y]) => b.concatenate([x!, y!], 0), [[2], [1]], [[1, 2], [3]]))).toEqual([1, 2, 3]);
  });

  it('max pool and its select-and-scatter gradient pick the first maximum', () => {
    const x = [1, 5, 2, 2, 3, 5, 0, 9, 4, 4, 4, 4, 1, 1, 1, 1];
    expect(Array.from(run((b, [a]) => b.maxPool(a!, { size: [2, 2] }), [[1, 4, 4, 1]], [x]))).toEqual([5, 9, 4, 4]);
    const g = run((b, [a, s]) => b.selectAndScatter(a!, s!, { window: [1, 2, 2, 1], strides: [1, 2, 2, 1] }), [[1, 4, 4, 1], [1, 2, 2, 1]], [x, [10, 20, 30, 40]]);
    expect(Array.from(g)).toEqual([0, 10, 0, 0, 0, 0, 0, 20, 30, 0, 40, 0, 0, 0, 0, 0]);
  });

  it('reduce follows the VPU order and equals the f64 sum closely', () => {
    const x = Array.from({ length: 3 * 200 }, (_, i) => Math.sin(i * 1.3));
    const out = run((b, [a]) => b.reduce(a!, [1]), [[3, 200]], [x]);
    for (let r = 0; r < 3; r++) expect(out[r]).toBeCloseTo(x.slice(r * 200, r * 200 + 200).reduce((s, v) => s + v, 0), 4);
  });
});
