import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceMatmul } from '../../src/mxu/reference.ts';
import {
  OutOfMemoryError,
  ProgramError,
  TensorCore,
  dmaCycles,
  coreConfig,
  fastEngine,
  referenceEngine,
  renderProfile,
  type Program,
} from '../../src/tpu/index.ts';
import { mxuCycles } from '../../src/mxu/cycles.ts';
import { binary, broadcastRows, compare, reduce, select } from '../../src/vpu/index.ts';
import { randomF32 } from '../vpu/f32-oracle.ts';

const config = coreConfig();
const shape = { m: 256, k: 256, n: 128 };

/** DMA x (hbm -> vmem) and a matmul on a, b; optionally the matmul depends on the DMA. */
function overlapProgram(dependent: boolean): Program {
  return {
    buffers: [
      { name: 'x_hbm', memory: 'hbm', values: 1 << 20 },
      { name: 'x', memory: 'vmem', values: 1 << 20 },
      { name: 'a', memory: 'vmem', values: shape.m * shape.k },
      { name: 'b', memory: 'vmem', values: shape.k * shape.n },
      { name: 'c', memory: 'vmem', values: shape.m * shape.n },
    ],
    instructions: [
      { kind: 'dma', src: 'x_hbm', dst: 'x', label: 'load x' },
      { kind: 'matmul', a: 'a', b: 'b', out: 'c', shape, ...(dependent ? { deps: [0] } : {}) },
    ],
  };
}

describe('scheduling: units overlap unless a dependency says otherwise', () => {
  const dma = dmaCycles(1 << 20, config);
  const mm = mxuCycles(shape, config.mxu);

  it('a DMA and an independent matmul run side by side', () => {
    const core = new TensorCore();
    core.load(overlapProgram(false));
    const p = core.run({ execute: false });
    expect(p.ops[0]!.startCycle).toBe(0);
    expect(p.ops[1]!.startCycle).toBe(0);
    expect(p.totalCycles).toBe(Math.max(dma, mm));
  });

  it('with a dependency the matmul starts when the DMA ends', () => {
    const core = new TensorCore();
    core.load(overlapProgram(true));
    const p = core.run({ execute: false });
    expect(p.ops[1]!.startCycle).toBe(dma);
    expect(p.totalCycles).toBe(dma + mm);
  });

  it('instructions on one unit run in order; DMA cost = latency + bytes / (350 GB/s / 700 MHz)', () => {
    expect(dmaCycles(1 << 20, config)).toBe(100 + Math.ceil((4 << 20) / 500));
    const core = new TensorCore();
    core.load({
      buffers: [
        { name: 'h', memory: 'hbm', values: 1000 },
        { name: 'v1', memory: 'vmem', values: 1000 },
        { name: 'v2', memory: 'vmem', values: 1000 },
      ],
      instructions: [
        { kind: 'dma', src: 'h', dst: 'v1' },
        { kind: 'dma', src: 'h', dst: 'v2' },
      ],
    });
    const p = core.run();
    expect(p.ops[1]!.startCycle).toBe(p.ops[0]!.endCycle);
    expect(p.bound).toBe('memory');
  });
});

/** y = sum over columns of relu(x . w + bias), computed on the core. */
const layerProgram = (m: number, k: number, n: number): Program => ({
  buffers: [
    { name: 'x_hbm', memory: 'hbm', values: m * k },
    { name: 'w_hbm', memory: 'hbm', values: k * n },
    { name: 'x', memory: 'vmem', values: m * k },
    { name: 'w', memory: 'vmem', values: k * n },
    { name: 'bias', memory: 'vmem', values: n },
    { name: 'bias_b', memory: 'vmem', values: m * n },
    { name: 'z', memory: 'vmem', values: m * n },
    { name: 'mask', memory: 'vmem', values: m * n },
    { name: 'h', memory: 'vmem', values: m * n },
    { name: 'y', memory: 'vmem', values: m },
  ],
  instructions: [
    { kind: 'dma', src: 'x_hbm', dst: 'x' },
    { kind: 'dma', src: 'w_hbm', dst: 'w' },
    { kind: 'vpu-broadcast', x: 'bias', out: 'bias_b', rows: m },
    { kind: 'matmul', a: 'x', b: 'w', out: 'z', shape: { m, k, n }, deps: [0, 1], label: 'fc' },
    { kind: 'vpu-binary', op: 'add', a: 'z', b: 'bias_b', out: 'z', deps: [2, 3] },
    { kind: 'vpu-compare', op: 'gt', a: 'z', b: 0, out: 'mask', deps: [4] },
    { kind: 'vpu-select', mask: 'mask', a: 'z', b: 0, out: 'h', deps: [5] },
    { kind: 'vpu-reduce', op: 'sum', x: 'h', out: 'y', rows: m, cols: n, axis: 1, deps: [6] },
  ],
});

describe('strided DMA', () => {
  it('copies a column block of x[R, C] into a padded y[R, W + 2] (slice + pad in one DMA)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 1e6 }), (rows, cols, pick) => {
        const c0 = pick % cols;
        const w = 1 + (pick % (cols - c0));
        const x = Float32Array.from({ length: rows * cols }, (_, i) => i + 1);
        const core = new TensorCore();
        core.load({
          buffers: [
            { name: 'x', memory: 'hbm', values: rows * cols },
            { name: 'y', memory: 'vmem', values: rows * (w + 2) },
          ],
          instructions: [{ kind: 'dma', src: 'x', dst: 'y', srcOffset: c0, dstOffset: 1, values: w, rows, srcStride: cols, dstStride: w + 2 }],
        });
        core.write('x', x);
        const p = core.run();
        const y = core.read('y');
        for (let r = 0; r < rows; r++) {
          expect(y[r * (w + 2)]).toBe(0);
          expect(Array.from(y.subarray(r * (w + 2) + 1, r * (w + 2) + 1 + w))).toEqual(Array.from(x.subarray(r * cols + c0, r * cols + c0 + w)));
        }
        expect(p.totalCycles).toBe(dmaCycles(rows * w, config));
      }),
      { seed: 33, numRuns: 40 },
    );
  });

  it('rejects a run past the end, naming both buffers and sizes', () => {
    const core = new TensorCore();
    const program: Program = {
      buffers: [
        { name: 'x', memory: 'hbm', values: 100 },
        { name: 'y', memory: 'vmem', values: 40 },
      ],
      instructions: [{ kind: 'dma', src: 'x', dst: 'y', values: 10, rows: 5, srcStride: 20 }],
    };
    expect(() => core.load(program)).toThrow("#0 dma: copies 5 x 10 values from 'x' (up to 90 of 100) to 'y' (up to 50 of 40): out of bounds");
  });
});

describe('functional execution gives the bits of the host composition', () => {
  it('dense layer + relu + row sums, fast and reference engines agree bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 1, max: 140 }), fc.integer(), (m, k, n, seed) => {
        const [x, w, bias] = [randomF32(m * k, seed), randomF32(k * n, seed + 1), randomF32(n, seed + 2)];
        const outs = [fastEngine(config.mxu), referenceEngine(config.mxu)].map((engine) => {
          const core = new TensorCore({ engine });
          core.load(layerProgram(m, k, n));
          core.write('x_hbm', x);
          core.write('w_hbm', w);
          core.write('bias', bias);
          core.run();
          return core.read('y');
        });
        const z = binary('add', referenceMatmul(x, w, { m, k, n }, { config: config.mxu }), broadcastRows(bias, m).out).out;
        const h = select(compare('gt', z, 0).out, z, 0).out;
        const want = reduce('sum', h, { rows: m, cols: n, axis: 1 }).out;
        expect(outs[0]).toEqual(want);
        expect(outs[1]).toEqual(want);
      }),
      { seed: 31, numRuns: 15 },
    );
  });

  it('timing-only runs count the same cycles; the profile reports MXU utilisation and the bound', () => {
    const [m, k, n] = [512, 512, 512];
    const core = new TensorCore();
    core.load(layerProgram(m, k, n));
    const timed = core.run({ execute: false });
    const full = core.run();
    expect(full.totalCycles).toBe(timed.totalCycles);
    expect(full.flops).toBe(2 * m * k * n);
    expect(full.mxuUtilisation).toBeCloseTo((2 * m * k * n) / (128 * 128 * 2 * full.totalCycles), 12);
    expect(full.units.mxu.busyCycles).toBe(mxuCycles({ m, k, n }, config.mxu));
    expect(full.bound).toBe('compute');
    const text = renderProfile(full);
    expect(text).toMatch(/^total \d+ cycles = [\d.]+ us at 700 MHz; compute-bound$/m);
    expect(text).toMatch(/^MXU utilisation [\d.]+% \([\d.]+ TFLOP\/s achieved\)$/m);
    expect(text).toMatch(/#3 matmul 'fc'\s+mxu/);
  });
});

describe('softmax on the VPU', () => {
  /** softmax over rows of x[R, C]: exp(x - rowmax) / rowsum. */
  const softmax = (rows: number, cols: number): Program => {
    const v = (name: string, values: number) => ({ name, memory: 'vmem' as const, values });
    return {
      buffers: [v('x', rows * cols), v('mx', rows), v('mxb', rows * cols), v('e', rows * cols), v('s', rows), v('sb', rows * cols), v('y', rows * cols)],
      instructions: [
        { kind: 'vpu-reduce', op: 'max', x: 'x', out: 'mx', rows, cols, axis: 1 },
        { kind: 'vpu-broadcast-col', x: 'mx', out: 'mxb', cols, deps: [0] },
        { kind: 'vpu-binary', op: 'sub', a: 'x', b: 'mxb', out: 'e', deps: [1] },
        { kind: 'vpu-unary', op: 'exp', x: 'e', out: 'e', deps: [2] },
        { kind: 'vpu-reduce', op: 'sum', x: 'e', out: 's', rows, cols, axis: 1, deps: [3] },
        { kind: 'vpu-broadcast-col', x: 's', out: 'sb', cols, deps: [4] },
        { kind: 'vpu-binary', op: 'div', a: 'e', b: 'sb', out: 'y', deps: [5] },
      ],
    };
  };

  it('is within (cols + |x - max| + 4) u relative error of the f64 softmax', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }), fc.integer(), (rows, cols, seed) => {
        const x = randomF32(rows * cols, seed, 8);
        const core = new TensorCore();
        core.load(softmax(rows, cols));
        core.write('x', x);
        const p = core.run();
        const y = core.read('y');
        for (let r = 0; r < rows; r++) {
          const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
          const m = Math.max(...row);
          const e = row.map((v) => Math.exp(v - m));
          const s = e.reduce((a, b) => a + b, 0);
          // error sources: x - max rounded (relative error amplified by |x - max| in exp), exp (1 ulp),
          // the row sum (cols - 1 adds), the divide (0.5 ulp)
          e.forEach((v, c) => {
            const bound = (cols + Math.abs(row[c]! - m) + 4) * 2 ** -24 * (v / s) + 1e-45;
            expect(Math.abs(y[r * cols + c]! - v / s)).toBeLessThanOrEqual(bound);
          });
        }
        expect(p.units.vpu.busyCycles).toBe(p.totalCycles); // a VPU-only program: one unit, back to back
      }),
      { seed: 32, numRuns: 30 },
    );
  });
});

describe('errors name what is wrong', () => {
  it('running out of vector memory or HBM names the buffer and both sizes', () => {
    const core = new TensorCore();
    const big = (memory: 'hbm' | 'vmem', values: number): Program => ({
      buffers: [
        { name: 'small', memory, values: 1024 },
        { name: 'huge', memory, values },
      ],
      instructions: [],
    });
    expect(() => core.load(big('vmem', 4 * 2 ** 20))).toThrow(OutOfMemoryError);
    expect(() => core.load(big('vmem', 4 * 2 ** 20))).toThrow(
      "core 0 vmem: buffer 'huge' needs 16777216 bytes (16.00 MiB) but only 16773120 bytes (16.00 MiB) of 16777216 bytes (16.00 MiB) are free",
    );
    expect(() => core.load(big('hbm', 2 ** 31))).toThrow(/core 0 hbm: buffer 'huge' needs 8589934592 bytes \(8.00 GiB\) but only/);
    expect(core.hbm.usedBytes + core.vmem.usedBytes).toBe(0); // a failed load frees what it took
    expect(() => core.run()).toThrow(/no program loaded/);
  });

  it('the verifier rejects races, operands outside vector memory and size mismatches', () => {
    const core = new TensorCore();
    const race = overlapProgram(false);
    const racy: Program = { ...race, instructions: [race.instructions[0]!, { kind: 'vpu-unary', op: 'exp', x: 'x', out: 'x' }] };
    expect(() => core.load(racy)).toThrow(ProgramError);
    expect(() => core.load(racy)).toThrow(/#1 vpu-unary reads 'x' used by #0 dma 'load x' without a dependency/);
    const inHbm: Program = { ...race, instructions: [{ kind: 'vpu-unary', op: 'exp', x: 'x_hbm', out: 'x' }] };
    expect(() => core.load(inHbm)).toThrow(/operand 'x_hbm' is in hbm; the VPU reads and writes vector memory only/);
    const bad: Program = { ...race, instructions: [{ kind: 'matmul', a: 'a', b: 'b', out: 'c', shape: { m: 1, k: 2, n: 3 } }] };
    expect(() => core.load(bad)).toThrow(/#0 matmul: a 'a' has 65536 values, expected 2/);
    const fwd: Program = { ...race, instructions: [{ kind: 'dma', src: 'x_hbm', dst: 'x', deps: [0] }] };
    expect(() => core.load(fwd)).toThrow(/dependency 0 must be an earlier instruction/);
  });
});

describe('long programs', () => {
  // the verifier's memo keeps this linear; without it every read of x would walk the chain back
  it('verifies and runs a 20000-instruction chain reading a DMA result', () => {
    const n = 20000;
    const instructions: Program['instructions'] = [
      { kind: 'dma', src: 'h', dst: 'x' },
      ...Array.from({ length: n - 1 }, (_, i) => ({ kind: 'vpu-binary' as const, op: 'add' as const, a: 'x', b: i % 2 ? 'y' : 'z', out: i % 2 ? 'z' : 'y', deps: [i] })),
    ];
    const core = new TensorCore();
    core.load({
      buffers: [
        { name: 'h', memory: 'hbm', values: 8 },
        { name: 'x', memory: 'vmem', values: 8 },
        { name: 'y', memory: 'vmem', values: 8 },
        { name: 'z', memory: 'vmem', values: 8 },
      ],
      instructions,
    });
    expect(core.run({ execute: false }).ops).toHaveLength(n);
  });
});
