/**
 * A layer table on an array: one cycle model (the compiler's op cost and the MXU report agree),
 * HBM traffic, totals, what double buffering gains, and the table of a model preset being the
 * matmuls tpusim itself lowers for that model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, compilePredictStep, preset } from '../../src/layers/index.ts';
import { mxuCycles } from '../../src/mxu/cycles.ts';
import { modelLayers } from '../../src/sweep/from-model.ts';
import { layerOpCost, runTable } from '../../src/sweep/layer-report.ts';
import { dramWords } from '../../src/sweep/scalesim-reports.ts';
import { coreFor, sweep } from '../../src/sweep/sweep.ts';
import { layerMatmul, ofmapDims, type LayerSpec } from '../../src/sweep/topology.ts';

const layer: fc.Arbitrary<LayerSpec> = fc
  .record({ h: fc.integer({ min: 1, max: 60 }), w: fc.integer({ min: 1, max: 60 }), f: fc.integer({ min: 1, max: 7 }), c: fc.integer({ min: 1, max: 300 }), k: fc.integer({ min: 1, max: 300 }), s: fc.integer({ min: 1, max: 3 }) })
  .filter((r) => r.f <= r.h && r.f <= r.w)
  .map((r) => ({ name: 'L', ifmapHeight: r.h, ifmapWidth: r.w, filterHeight: r.f, filterWidth: r.f, channels: r.c, filters: r.k, strideHeight: r.s, strideWidth: r.s }));
const side = fc.constantFrom(1, 3, 8, 32, 100, 128, 256);

describe('runTable', () => {
  it("uses one cycle model: the compiler's convolution cost computes mxuCycles of the layer's matmul", () => {
    fc.assert(
      fc.property(layer, side, side, fc.boolean(), fc.integer({ min: 1, max: 4 }), (l, R, C, overlap, batch) => {
        const core = coreFor({ rows: R, cols: C }, overlap);
        const r = runTable([l], batch, core).layers[0]!;
        expect(layerOpCost(l, batch, core).computeCycles).toBe(r.mxu.cycles);
        expect(r.mxu.cycles).toBe(mxuCycles(layerMatmul(l, batch), { rows: R, cols: C, overlap }));
        // f32 operands moved once: the input rows read, the filter, the output
        const w = dramWords(r);
        expect(r.hbmBytes).toBe(4 * (w.ifmap + w.filter + w.ofmap));
        expect(r.seconds).toBeCloseTo(Math.max(r.mxu.cycles, r.hbmCycles) / core.mxu.clockHz, 15);
        expect(r.bound).toBe(r.hbmCycles > r.mxu.cycles ? 'hbm' : 'mxu');
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('totals: sums, utilisation over the summed cycles, mapping efficiency pooled over all tiles', () => {
    fc.assert(
      fc.property(fc.array(layer, { minLength: 1, maxLength: 5 }), side, side, (layers, R, C) => {
        const run = runTable(layers, 1, coreFor({ rows: R, cols: C }, true));
        const t = run.totals;
        const sum = (f: (i: number) => number) => layers.reduce((a, _, i) => a + f(i), 0);
        expect(t.cycles).toBe(sum((i) => run.layers[i]!.mxu.cycles));
        expect(t.macs).toBe(sum((i) => { const s = layerMatmul(layers[i]!); return s.m * s.k * s.n; }));
        expect(t.utilPercent).toBeCloseTo((100 * t.macs) / (t.cycles * R * C), 9);
        // every tile of every layer: used PEs / (R * C), averaged
        const used = sum((i) => { const s = layerMatmul(layers[i]!); return s.k * s.n; });
        const tiles = sum((i) => Math.ceil(layerMatmul(layers[i]!).k / R) * Math.ceil(layerMatmul(layers[i]!).n / C));
        expect(t.mappingEfficiencyPercent).toBeCloseTo((100 * used) / (tiles * R * C), 9);
        expect(t.utilPercent).toBeLessThanOrEqual(100);
      }),
      { seed: 8, numRuns: 150 },
    );
  });
});

describe('sweep', () => {
  it('double buffering never costs cycles, and gains nothing when every layer is one weight tile', () => {
    fc.assert(
      fc.property(fc.array(layer, { minLength: 1, maxLength: 4 }), side, side, fc.boolean(), (layers, R, C, overlap) => {
        const [p] = sweep(layers, [{ rows: R, cols: C }], { overlap });
        expect(p!.overlapGainCycles).toBeGreaterThanOrEqual(0);
        expect(p!.run.overlap).toBe(overlap);
        const oneTile = layers.every((l) => layerMatmul(l).k <= R && layerMatmul(l).n <= C);
        if (oneTile) expect(p!.overlapGainCycles).toBe(0);
      }),
      { seed: 9, numRuns: 150 },
    );
  });

  it('a long, many-tile layer: double buffering hides each later tile\'s load and fill (2R + C - 2 cycles)', () => {
    const l: LayerSpec = { name: 'big', ifmapHeight: 64, ifmapWidth: 64, filterHeight: 3, filterWidth: 3, channels: 64, filters: 256, strideHeight: 1, strideWidth: 1 };
    const [p] = sweep([l], [{ rows: 128, cols: 128 }], { overlap: true });
    const tiles = Math.ceil(576 / 128) * Math.ceil(256 / 128); // T = 62 * 62 = 3844 >= R + C - 1
    expect(p!.overlapGainCycles).toBe((tiles - 1) * (2 * 128 + 128 - 2));
    expect(p!.run.totals.utilPercent).toBeGreaterThan(75);
  });
});

describe('modelLayers', () => {
  it("every preset's table is the convolutions and dots tpusim lowers for it (M, K, N of each HLO op)", () => {
    for (const name of PRESET_NAMES) {
      const model = preset(name, { imageSize: 32 });
      const table = modelLayers(model).layers;
      const hlo = compilePredictStep({ model, precision: 'default', batch: 2 }).module;
      const ops = hlo.entry.instructions.filter((i) => i.op === 'convolution' || i.op === 'dot');
      const shapes = ops.map((i) => {
        const [lhs, rhs] = i.operands.map((id) => hlo.entry.instructions.find((j) => j.id === id)!.shape.dims);
        if (i.op === 'dot') return { m: lhs![0]!, k: lhs![1]!, n: rhs![1]! };
        const [kh, kw, c, k] = rhs!;
        return { m: i.shape.dims[0]! * i.shape.dims[1]! * i.shape.dims[2]!, k: kh! * kw! * c!, n: k! };
      });
      expect(table.map((l) => layerMatmul(l, 2)), name).toEqual(shapes);
    }
  });

  it("squeeze-fast at 192 px: a 'same' layer lists its padded input, so SCALE-Sim's rule gives Keras's output", () => {
    const { layers, skipped } = modelLayers(preset('squeeze-fast', { imageSize: 192 }));
    expect(skipped).toEqual([]);
    expect(layers.map((l) => l.name)).toEqual(['conv2d', 'conv2d_1', 'conv2d_2', 'conv2d_3', 'conv2d_4', 'conv2d_5', 'conv2d_6', 'conv2d_7']);
    expect(layers[0]).toEqual({ name: 'conv2d', ifmapHeight: 196, ifmapWidth: 196, filterHeight: 6, filterWidth: 6, channels: 3, filters: 42, strideHeight: 2, strideWidth: 2 });
    expect(ofmapDims(layers[0]!)).toEqual({ height: 96, width: 96 });
    // the fire module's 3 x 3 expand: 24 -> 30 channels at 48 px
    expect(layers[3]).toMatchObject({ ifmapHeight: 50, filterHeight: 3, channels: 24, filters: 30 });
  });

  it('a dense layer is a 1 x 1 convolution over its input features', () => {
    const { layers } = modelLayers(preset('dense', { imageSize: 8 }));
    expect(layers.map((l) => layerMatmul(l))).toEqual([{ m: 1, k: 192, n: 500 }, { m: 1, k: 500, n: 50 }, { m: 1, k: 50, n: 5 }]);
  });
});
