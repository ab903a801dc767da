/** SCALE-Sim's report files: Python float formatting, headers, and access windows from the tile schedule. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runTable } from '../../src/sweep/layer-report.ts';
import { REPORT_HEADERS, accessWindows, computeReport, detailedAccessReport, pyFloat, scalesimReports } from '../../src/sweep/scalesim-reports.ts';
import { coreFor } from '../../src/sweep/sweep.ts';
import type { LayerSpec } from '../../src/sweep/topology.ts';

describe('pyFloat', () => {
  it("prints as Python's float repr", () => {
    const cases: [number, string][] = [[100, '100.0'], [0, '0.0'], [94.53125, '94.53125'], [91.68309650614964, '91.68309650614964'], [1.5e-5, '1.5e-05'], [0.0001, '0.0001'], [1e16, '1e+16'], [2.5e-10, '2.5e-10'], [-3, '-3.0']];
    for (const [x, s] of cases) expect(pyFloat(x), String(x)).toBe(s);
  });
});

const layer = (over: Partial<LayerSpec> = {}): LayerSpec => ({ name: 'L', ifmapHeight: 20, ifmapWidth: 20, filterHeight: 3, filterWidth: 3, channels: 40, filters: 50, strideHeight: 1, strideWidth: 1, ...over });

describe('the reports', () => {
  it("carry SCALE-Sim's headers and one row per layer, LayerID from 0", () => {
    const run = runTable([layer(), layer({ filters: 7 })], 1, coreFor({ rows: 16, cols: 16 }, false));
    const files = scalesimReports(run);
    expect(Object.keys(files)).toEqual(['COMPUTE_REPORT.csv', 'BANDWIDTH_REPORT.csv', 'DETAILED_ACCESS_REPORT.csv']);
    expect(files['COMPUTE_REPORT.csv']!.split('\n')[0]).toBe('LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,');
    expect(REPORT_HEADERS.detailed.split(', ')).toHaveLength(19);
    for (const text of Object.values(files)) {
      const lines = text.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[2]!.startsWith('1, ')).toBe(true);
      expect(lines.every((l) => l.endsWith(','))).toBe(true);
      expect(lines[1]!.split(', ')).toHaveLength(lines[0]!.split(', ').length);
    }
    expect(computeReport(run).split('\n')[1]).toBe(`0, ${run.layers[0]!.mxu.cycles}, 0, ${pyFloat(run.layers[0]!.mxu.overallUtilPercent)}, ${pyFloat(run.layers[0]!.mxu.mappingEfficiencyPercent)}, ${pyFloat(run.layers[0]!.mxu.computeUtilPercent)},`);
  });

  it('access windows lie inside the layer, weights first, the last result at the last cycle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 90 }), (R, C, ch, k) => {
        for (const overlap of [true, false]) {
          const r = runTable([layer({ channels: ch, filters: k })], 1, coreFor({ rows: R, cols: C }, overlap)).layers[0]!;
          const w = accessWindows(r);
          expect(w.filter[0]).toBe(0);
          expect(w.ifmap[0]).toBe(R);
          expect(w.ofmap[1]).toBe(r.mxu.cycles);
          for (const [a, b] of [w.filter, w.ifmap, w.ofmap]) expect(0 <= a && a <= b && b <= r.mxu.cycles).toBe(true);
        }
      }),
      { seed: 4, numRuns: 60 },
    );
    const run = runTable([layer()], 1, coreFor({ rows: 8, cols: 8 }, false));
    expect(detailedAccessReport(run).split('\n')[1]).toContain(`, 0.0, ${pyFloat(run.layers[0]!.mxu.cycles)}, `);
  });
});
