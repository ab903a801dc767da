/**
 * `--no-overlap` reproduces SCALE-Sim v2 (weight stationary): published figures, and an
 * independent fold-by-fold oracle of SCALE-Sim's bookkeeping for random layers and arrays.
 *
 * Published figures held here:
 * - scalesim-project/scale-sim-v2, test/golden_trace and test/general/golden_trace (the CI's
 *   golden run): topologies/conv_nets/alexnet_part.csv (Conv1: 224 x 224, 11 x 11, 3 -> 96,
 *   stride 4) on configs/scale.cfg switched to ws, a 32 x 32 array.
 * - scale-sim-v2, test/general/golden_trace_user_ws: GEMM M=256, N=128, K=256 on the same
 *   32 x 32 array with USER interface bandwidth: Total Cycles 52447 of which 41248 are stall
 *   cycles of its memory model, so 11199 compute cycles.
 * - yutation/SCALE-SIM_Validation, data_matmul5: SCALE-Sim v2 runs of GEMMs on a 128 x 128
 *   weight-stationary array (COMPUTE_REPORT.csv rows 0, 1, 7, 8, 16, 49, 98 of
 *   scale_sim_gemm_topology.csv).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runTable } from '../../src/sweep/layer-report.ts';
import { bandwidthReport, computeReport, detailedAccessReport } from '../../src/sweep/scalesim-reports.ts';
import { coreFor } from '../../src/sweep/sweep.ts';
import { parseTopology, type LayerSpec } from '../../src/sweep/topology.ts';

const CONV_HEAD = 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n';
const serial = (rows: number, cols: number) => coreFor({ rows, cols }, false);

describe("SCALE-Sim v2's published figures", () => {
  it('alexnet_part Conv1 on 32 x 32 (its CI golden run): every COMPUTE_REPORT field and the SRAM counts', () => {
    const layers = parseTopology(`${CONV_HEAD}Conv1,  224, 224,    11, 11,    3,      96,     4,`, 'alexnet_part.csv');
    const run = runTable(layers, 1, serial(32, 32));
    const m = run.layers[0]!.mxu;
    // COMPUTE_REPORT.csv: 0, 112283, 0, 91.68309650614964, 94.53125, 90.78000992063485,
    expect(m.cycles).toBe(112283);
    expect(m.stallCycles).toBe(0);
    expect(m.overallUtilPercent).toBeCloseTo(91.68309650614964, 10);
    expect(m.mappingEfficiencyPercent).toBe(94.53125);
    expect(m.computeUtilPercent).toBeCloseTo(90.78000992063485, 10); // SCALE-Sim averages per fold: last digits differ
    // DETAILED_ACCESS_REPORT.csv: SRAM IFMAP Reads 3294225, SRAM Filter Reads 34848, SRAM OFMAP Writes 3484800
    expect([m.sramIfmapReads, m.sramFilterReads, m.sramOfmapWrites]).toEqual([3294225, 34848, 3484800]);
    // BANDWIDTH_REPORT.csv: Avg IFMAP / FILTER / OFMAP SRAM BW
    expect(m.avgIfmapSramBw).toBeCloseTo(29.338590881967885, 12);
    expect(m.avgFilterSramBw).toBeCloseTo(0.31035864734643714, 14);
    expect(m.avgOfmapSramBw).toBeCloseTo(31.035864734643713, 12);
    // the report files carry the same values in SCALE-Sim's layout
    expect(computeReport(run).split('\n')[1]).toMatch(/^0, 112283, 0, 91\.6830965061496\d*, 94\.53125, 90\.780009920634\d*,$/);
    expect(bandwidthReport(run).split('\n')[1]).toMatch(/^0, 29\.33859088196788\d*, 0\.3103586473464371\d*, 31\.03586473464371\d*, /);
    expect(detailedAccessReport(run).split('\n')[1]).toMatch(/^0, [\d.]+, [\d.]+, 3294225, [\d.]+, [\d.]+, 34848, [\d.]+, 112283\.0, 3484800, /);
  });

  it('GEMM 256 x 128 x 256 on 32 x 32: the compute part (Total Cycles 52447 - Stall Cycles 41248) of its golden run', () => {
    const run = runTable(parseTopology('Layer Name, M, N, K,\nTest 1, 256, 128, 256,', 'test_mnk_input.csv'), 1, serial(32, 32));
    expect(run.totals.cycles).toBe(52447 - 41248);
    expect(run.layers[0]!.mxu.mappingEfficiencyPercent).toBe(100);
  });

  // [M, N, K, Total Cycles, Overall Util %, Mapping Efficiency %] on 128 x 128, ws
  const published: [number, number, number, number, number, number][] = [
    [128, 128, 128, 509, 25.147347740667975, 100.0],
    [128, 128, 192, 1019, 18.842001962708537, 75.0],
    [128, 192, 128, 1019, 18.842001962708537, 75.0],
    [128, 192, 192, 2039, 14.124570868072585, 56.25],
    [128, 256, 256, 2039, 25.110348209906817, 100.0],
    [192, 128, 128, 573, 33.50785340314136, 100.0],
    [256, 128, 128, 637, 40.1883830455259, 100.0],
  ];
  it.each(published)('GEMM M=%i N=%i K=%i on 128 x 128: %i cycles', (M, N, K, cycles, util, mapping) => {
    const run = runTable(parseTopology(`Layer, M, N, K,\ng, ${M}, ${N}, ${K},`, 'gemm.csv'), 1, serial(128, 128));
    const m = run.layers[0]!.mxu;
    expect(m.cycles).toBe(cycles);
    expect(m.overallUtilPercent).toBeCloseTo(util, 10);
    expect(m.mappingEfficiencyPercent).toBeCloseTo(mapping, 12);
  });
});

/**
 * SCALE-Sim v2's weight-stationary bookkeeping, fold by fold, written from its description
 * (not from tpusim's formulas): Sr = Fh*Fw*C rows, Sc = filters columns, T = ofmap pixels;
 * for each column fold and row fold, the filter demand holds R rows of (padded) weights, then
 * R + C + T - 2 rows while inputs stream and results drain; the trace's last cycle is the total.
 * Mapping efficiency and compute utilisation are means over folds; compute utilisation counts
 * each fold as (rows + cols - 1) cycles of its demand matrix.
 */
function scaleSimOracle(l: LayerSpec, R: number, C: number) {
  const oh = Math.ceil((l.ifmapHeight - l.filterHeight + l.strideHeight) / l.strideHeight);
  const ow = Math.ceil((l.ifmapWidth - l.filterWidth + l.strideWidth) / l.strideWidth);
  const [Sr, Sc, T] = [l.filterHeight * l.filterWidth * l.channels, l.filters, oh * ow];
  let demandRows = 0;
  const mapping: number[] = [];
  const computeUtil: number[] = [];
  let [ifmapReads, filterReads, ofmapWrites] = [0, 0, 0];
  for (let fc = 0; fc * C < Sc; fc++) {
    for (let fr = 0; fr * R < Sr; fr++) {
      const rowsUsed = Math.min(R, Sr - fr * R);
      const colsUsed = Math.min(C, Sc - fc * C);
      const foldRows = R + (R + C + T - 2);
      demandRows += foldRows;
      mapping.push((rowsUsed * colsUsed) / (R * C));
      computeUtil.push((rowsUsed * colsUsed * T) / (R * C * (foldRows + C - 1)));
      ifmapReads += T * rowsUsed;
      filterReads += rowsUsed * colsUsed;
      ofmapWrites += T * colsUsed;
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return { cycles: demandRows - 1, mapping: 100 * mean(mapping), computeUtil: 100 * mean(computeUtil), ifmapReads, filterReads, ofmapWrites, macs: T * Sr * Sc };
}

describe('--no-overlap equals the SCALE-Sim oracle', () => {
  const layer: fc.Arbitrary<LayerSpec> = fc
    .record({ h: fc.integer({ min: 1, max: 40 }), w: fc.integer({ min: 1, max: 40 }), fh: fc.integer({ min: 1, max: 5 }), fw: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 1, max: 70 }), k: fc.integer({ min: 1, max: 90 }), s: fc.integer({ min: 1, max: 3 }) })
    .filter((r) => r.fh <= r.h && r.fw <= r.w)
    .map((r) => ({ name: 'L', ifmapHeight: r.h, ifmapWidth: r.w, filterHeight: r.fh, filterWidth: r.fw, channels: r.c, filters: r.k, strideHeight: r.s, strideWidth: r.s }));
  const side = fc.integer({ min: 1, max: 48 });

  it('cycles, mapping efficiency, compute utilisation and SRAM counts for random layers and arrays', () => {
    fc.assert(
      fc.property(fc.array(layer, { minLength: 1, maxLength: 4 }), side, side, (layers, R, C) => {
        const run = runTable(layers, 1, serial(R, C));
        let total = 0;
        run.layers.forEach((r, i) => {
          const o = scaleSimOracle(layers[i]!, R, C);
          expect(r.mxu.cycles).toBe(o.cycles);
          expect(r.mxu.mappingEfficiencyPercent).toBeCloseTo(o.mapping, 9);
          expect(r.mxu.computeUtilPercent).toBeCloseTo(o.computeUtil, 9);
          expect([r.mxu.sramIfmapReads, r.mxu.sramFilterReads, r.mxu.sramOfmapWrites]).toEqual([o.ifmapReads, o.filterReads, o.ofmapWrites]);
          expect(r.mxu.overallUtilPercent).toBeCloseTo((100 * o.macs) / (o.cycles * R * C), 9);
          total += o.cycles;
        });
        expect(run.totals.cycles).toBe(total);
      }),
      { seed: 2026, numRuns: 300 },
    );
  });

  it('the full alexnet table on 128 x 128, layer by layer', () => {
    const layers = parseTopology(
      `${CONV_HEAD}Conv1,224,224,11,11,3,96,4,\nConv2,27,27,5,5,96,256,1,\nConv3,13,13,3,3,256,384,1,\nConv4,13,13,3,3,384,384,1,\nConv5,13,13,3,3,384,256,1,\n`,
      'alexnet.csv',
    );
    const run = runTable(layers, 1, serial(128, 128));
    // per fold 2R + C + T - 2 = 382 + T; folds = ceil(K / 128) * ceil(N / 128)
    expect(run.layers.map((r) => r.mxu.cycles)).toEqual([3 * 1 * (382 + 3025) - 1, 19 * 2 * (382 + 529) - 1, 18 * 3 * (382 + 121) - 1, 27 * 3 * (382 + 121) - 1, 27 * 2 * (382 + 121) - 1]);
    expect(run.layers.map((r) => r.mxu.cycles)).toEqual(layers.map((l) => scaleSimOracle(l, 128, 128).cycles));
  });
});
