/**
 * @module sweep/scalesim-reports
 * A table's run as SCALE-Sim v2's three report files, with its header lines and number
 * formats (Python's float repr: `100.0`, `94.53125`), so a SCALE-Sim user can diff them:
 * COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv.
 *
 * Imports mxu (the tile schedule) and ./layer-report, ./topology.
 *
 * Where the numbers come from:
 * - cycles, utilisation, mapping efficiency, compute utilisation, SRAM reads and writes and
 *   SRAM bandwidths: the MXU report (mxu/report.ts), field for field SCALE-Sim's
 *   definitions; with --no-overlap on the same array they equal SCALE-Sim's figures.
 *   "Stall Cycles" is 0: SCALE-Sim's stalls come from its SRAM/DRAM buffer model, which
 *   tpusim does not have (memory time is the core's HBM roofline, see layer-report.ts).
 * - SRAM start and stop cycles: tpusim's tile schedule (mxu/cycles.ts `tileSchedule`): the
 *   first weight load to the last; the first activation in to the last (skewed) one; the
 *   first result out to the last. SCALE-Sim's own are offset by its trace bookkeeping.
 * - DRAM columns: tpusim's HBM traffic, each operand read once and the result written once
 *   (words), over the layer's cycles. SCALE-Sim's DRAM figures instead refetch whatever its
 *   SRAM sizes cannot hold, so they differ whenever a layer outgrows those buffers.
 */
import { tileSchedule } from '../mxu/cycles.ts';
import type { LayerResult, TableRun } from './layer-report.ts';
import { ofmapDims } from './topology.ts';

/** SCALE-Sim's header lines (v2), trailing comma included. */
export const REPORT_HEADERS = {
  compute: 'LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,',
  bandwidth: 'LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,',
  detailed:
    'LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, ' +
    'SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, ' +
    'DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,',
} as const;

/** The file name of each report. */
export const REPORT_FILES = { compute: 'COMPUTE_REPORT.csv', bandwidth: 'BANDWIDTH_REPORT.csv', detailed: 'DETAILED_ACCESS_REPORT.csv' } as const;

/**
 * A number as Python's repr prints a float: '100.0', '94.53125', '1.5e-05'.
 * @example pyFloat(100) // '100.0'
 */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    // Python switches to exponents outside [1e-4, 1e16) and writes at least two exponent digits
    return x.toExponential().replace(/e([+-])(\d)$/, (_, sign: string, digit: string) => `e${sign}0${digit}`);
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** Words each operand moves between HBM and the core: input rows read, filter, output. */
export function dramWords(r: LayerResult): { ifmap: number; filter: number; ofmap: number } {
  const l = r.layer;
  const o = ofmapDims(l);
  const batch = r.shape.m / (o.height * o.width);
  return {
    ifmap: batch * l.ifmapHeight * l.ifmapWidth * l.channels,
    filter: l.filterHeight * l.filterWidth * l.channels * l.filters,
    ofmap: r.shape.m * l.filters,
  };
}

/** First and last cycle the array reads or writes each operand (tpusim's tile schedule). */
export function accessWindows(r: LayerResult): { ifmap: [number, number]; filter: [number, number]; ofmap: [number, number] } {
  const { rows: R, weightTiles: F } = r.mxu;
  const config = { rows: r.mxu.rows, cols: r.mxu.cols, overlap: r.mxu.overlap };
  const T = r.shape.m;
  const first = tileSchedule(0, T, config);
  const last = tileSchedule(F - 1, T, config);
  return {
    filter: [first.loadStart, last.loadStart + R - 1],
    // activations enter skewed: array row r takes its stream r cycles late
    ifmap: [first.streamStart, last.streamStart + T - 1 + R - 1],
    // a result leaves the bottom of column 0 R - 1 cycles after its row entered; the last at the drain
    ofmap: [first.streamStart + R - 1, last.drain],
  };
}

const line = (cellsOf: readonly (string | number)[]): string => `${cellsOf.join(', ')},`;

/** COMPUTE_REPORT.csv. */
export function computeReport(run: TableRun): string {
  const rows = run.layers.map((r, id) => line([id, r.mxu.cycles, r.mxu.stallCycles, pyFloat(r.mxu.overallUtilPercent), pyFloat(r.mxu.mappingEfficiencyPercent), pyFloat(r.mxu.computeUtilPercent)]));
  return [REPORT_HEADERS.compute, ...rows].join('\n') + '\n';
}

/** BANDWIDTH_REPORT.csv (words per cycle). */
export function bandwidthReport(run: TableRun): string {
  const rows = run.layers.map((r, id) => {
    const d = dramWords(r);
    const c = r.mxu.cycles;
    return line([id, pyFloat(r.mxu.avgIfmapSramBw), pyFloat(r.mxu.avgFilterSramBw), pyFloat(r.mxu.avgOfmapSramBw), pyFloat(d.ifmap / c), pyFloat(d.filter / c), pyFloat(d.ofmap / c)]);
  });
  return [REPORT_HEADERS.bandwidth, ...rows].join('\n') + '\n';
}

/** DETAILED_ACCESS_REPORT.csv. */
export function detailedAccessReport(run: TableRun): string {
  const rows = run.layers.map((r, id) => {
    const w = accessWindows(r);
    const d = dramWords(r);
    const c = r.mxu.cycles;
    const span = ([a, b]: [number, number]) => [pyFloat(a), pyFloat(b)];
    return line([
      id,
      ...span(w.ifmap), r.mxu.sramIfmapReads,
      ...span(w.filter), r.mxu.sramFilterReads,
      ...span(w.ofmap), r.mxu.sramOfmapWrites,
      ...span([0, c]), d.ifmap,
      ...span([0, c]), d.filter,
      ...span([0, c]), d.ofmap,
    ]);
  });
  return [REPORT_HEADERS.detailed, ...rows].join('\n') + '\n';
}

/** All three reports by file name. */
export function scalesimReports(run: TableRun): { readonly [file: string]: string } {
  return {
    [REPORT_FILES.compute]: computeReport(run),
    [REPORT_FILES.bandwidth]: bandwidthReport(run),
    [REPORT_FILES.detailed]: detailedAccessReport(run),
  };
}
