/**
 * The executor's fast data paths against plain references: every DMA layout (one contiguous
 * block, single values, short rows, long rows, overlapping in one buffer) against an
 * element-by-element copy, and VPU instructions written straight into their buffers against
 * the vpu module's fresh-array results.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TensorCore, type Instruction, type Program } from '../../src/tpu/index.ts';
import { broadcastCols, broadcastRows, compare, reduce, select, transpose } from '../../src/vpu/index.ts';

const bits = (x: Float32Array): number[] => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const ramp = (n: number, k = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => k * (i + 1));

/** Reference DMA: one value at a time, reading every source value before writing (a copy of src first). */
function referenceDma(src: Float32Array, dst: Float32Array, l: { srcOffset: number; dstOffset: number; values: number; rows: number; srcStride: number; dstStride: number }): void {
  const s = src.slice();
  for (let r = 0; r < l.rows; r++) for (let i = 0; i < l.values; i++) dst[l.dstOffset + r * l.dstStride + i] = s[l.srcOffset + r * l.srcStride + i]!;
}

describe('DMA copies every layout like an element-by-element copy', () => {
  const layout = fc
    .record({
      values: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 31 }), fc.integer({ min: 32, max: 200 })),
      rows: fc.integer({ min: 1, max: 12 }),
      srcGap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      dstGap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      srcOffset: fc.integer({ min: 0, max: 50 }),
      dstOffset: fc.integer({ min: 0, max: 50 }),
    })
    .map((l) => ({ ...l, srcStride: l.values + l.srcGap, dstStride: l.values + l.dstGap }));
  it('between two buffers', () => {
    fc.assert(
      fc.property(layout, ({ values, rows, srcStride, dstStride, srcOffset, dstOffset }) => {
        const srcSize = srcOffset + (rows - 1) * srcStride + values;
        const dstSize = dstOffset + (rows - 1) * dstStride + values + 3;
        const dma: Instruction = { kind: 'dma', src: 'a', dst: 'b', srcOffset, dstOffset, values, rows, srcStride, dstStride };
        const core = new TensorCore();
        core.load({ buffers: [{ name: 'a', memory: 'hbm', values: srcSize }, { name: 'b', memory: 'vmem', values: dstSize }], instructions: [dma] });
        core.write('a', ramp(srcSize));
        core.write('b', ramp(dstSize, -1));
        const want = ramp(dstSize, -1);
        referenceDma(ramp(srcSize), want, { srcOffset, dstOffset, values, rows, srcStride, dstStride });
        core.run();
        expect(bits(core.read('b'))).toEqual(bits(want));
      }),
      { seed: 21, numRuns: 150 },
    );
  });
});

describe('VPU instructions write their buffers like the vpu functions', () => {
  it('compare, select with scalars, reduce on every axis, broadcasts, transpose', () => {
    const [R, C] = [5, 37];
    const x = Float32Array.from({ length: R * C }, (_, i) => Math.fround(Math.sin(i) * 3));
    const v = (name: string, values: number) => ({ name, memory: 'vmem' as const, values });
    const program: Program = {
      buffers: [v('x', R * C), v('mask', R * C), v('relu', R * C), v('neg', R * C), v('r0', C), v('r1', R), v('ra', 1), v('br', R * C), v('bc', R * C), v('t', R * C)],
      instructions: [
        { kind: 'vpu-compare', op: 'gt', a: 'x', b: 0, out: 'mask' },
        { kind: 'vpu-select', mask: 'mask', a: 'x', b: 0, out: 'relu' },
        { kind: 'vpu-select', mask: 'mask', a: 0, b: -1, out: 'neg' },
        { kind: 'vpu-reduce', op: 'sum', x: 'x', out: 'r0', rows: R, cols: C, axis: 0 },
        { kind: 'vpu-reduce', op: 'max', x: 'x', out: 'r1', rows: R, cols: C, axis: 1 },
        { kind: 'vpu-reduce', op: 'min', x: 'x', out: 'ra', rows: R, cols: C, axis: 'all' },
        { kind: 'vpu-broadcast', x: 'r0', out: 'br', rows: R },
        { kind: 'vpu-broadcast-col', x: 'r1', out: 'bc', cols: C },
        { kind: 'vpu-transpose', x: 'x', out: 't', rows: R, cols: C },
        { kind: 'vpu-compare', op: 'lt', a: 0, b: 'x', out: 'mask' }, // scalar on the left, in place over the old mask
      ],
    };
    const core = new TensorCore();
    core.load(program);
    core.write('x', x);
    core.run();
    const m = compare('gt', x, 0).out;
    expect(bits(core.read('relu'))).toEqual(bits(select(m, x, 0).out));
    expect(bits(core.read('neg'))).toEqual(bits(select(m, new Float32Array(R * C), -1).out));
    const r0 = reduce('sum', x, { rows: R, cols: C, axis: 0 }).out;
    const r1 = reduce('max', x, { rows: R, cols: C, axis: 1 }).out;
    expect(bits(core.read('r0'))).toEqual(bits(r0));
    expect(bits(core.read('r1'))).toEqual(bits(r1));
    expect(bits(core.read('ra'))).toEqual(bits(reduce('min', x, { rows: R, cols: C, axis: 'all' }).out));
    expect(bits(core.read('br'))).toEqual(bits(broadcastRows(r0, R).out));
    expect(bits(core.read('bc'))).toEqual(bits(broadcastCols(r1, C).out));
    expect(bits(core.read('t'))).toEqual(bits(transpose(x, { rows: R, cols: C }).out));
    expect(bits(core.read('mask'))).toEqual(bits(Float32Array.from(compare('lt', 0, x).out)));
  });
});
