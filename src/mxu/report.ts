/**
 * @module mxu/report
 * The per-matmul report: cycles, MACs, utilisation, mapping efficiency, weight loads and the
 * SRAM traffic of each operand, with SCALE-Sim v2's names (COMPUTE_REPORT.csv,
 * BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) so results can be set side by side.
 *
 * Imports ./config and ./cycles only. A report is built from counters: the closed form
 * (`mxuReport`) or a stepped run's (`reportFromCounters(..., runStepped(...).counters)`);
 * the tests prove both give the same report.
 *
 * Definitions (R x C array, F tiles, T = M):
 * - utilisation ("Overall Util %") = MACs / (cycles * R * C); SCALE-Sim's num_compute is
 *   the same M*K*N (per pass here).
 * - mapping efficiency ("Mapping Efficiency %") = mean over tiles of used PEs / (R * C)
 *   = K*N / (row folds * column folds * R * C).
 * - "Compute Util %": SCALE-Sim's per-fold formula, kept as is so numbers compare one to
 *   one: mean over tiles of used*T / (R*C*(2R + 2C + T - 3)) (its per-fold cycle count is
 *   the filter demand matrix's rows plus columns minus one); it ignores overlap.
 * - "Stall Cycles" is 0: the MXU is fed from on-chip memory here; memory stalls belong to
 *   the TensorCore model (tpu/), not to the array.
 * - SRAM reads/writes count real operand words (padding excluded), summed over folds, as
 *   SCALE-Sim counts them: IFMAP = activations (A) read once per column fold, Filter =
 *   weights (B) read once, OFMAP = results written once per row fold.
 */
import { PASSES, type MatmulShape, type MxuConfig, type Precision } from './config.ts';
import { folds, mxuCounters, type ClosedFormCounters } from './cycles.ts';

/** Bytes per weight moved into the array (bf16). */
export const WEIGHT_BYTES = 2;

/** One matmul on the MXU, as a report. */
export interface MxuReport {
  readonly shape: MatmulShape;
  readonly rows: number;
  readonly cols: number;
  readonly precision: Precision;
  /** Full MXU passes (1, 3 or 6). */
  readonly passes: number;
  readonly overlap: boolean;
  readonly clockHz: number;
  readonly rowFolds: number;
  readonly colFolds: number;
  /** "Total Cycles". */
  readonly cycles: number;
  /** "Stall Cycles" (always 0 for the array on its own). */
  readonly stallCycles: number;
  /** Multiply-accumulates on real operands (all passes). */
  readonly macs: number;
  /** "Overall Util %". */
  readonly overallUtilPercent: number;
  /** "Mapping Efficiency %". */
  readonly mappingEfficiencyPercent: number;
  /** "Compute Util %" (SCALE-Sim's formula). */
  readonly computeUtilPercent: number;
  /** Weight tiles loaded, shadow rows written, and bytes moved into the shadow registers. */
  readonly weightTiles: number;
  readonly weightRowWrites: number;
  readonly weightLoadBytes: number;
  /** "SRAM IFMAP Reads", "SRAM Filter Reads", "SRAM OFMAP Writes" (words). */
  readonly sramIfmapReads: number;
  readonly sramFilterReads: number;
  readonly sramOfmapWrites: number;
  /** "Avg IFMAP SRAM BW", "Avg FILTER SRAM BW", "Avg OFMAP SRAM BW" (words per cycle). */
  readonly avgIfmapSramBw: number;
  readonly avgFilterSramBw: number;
  readonly avgOfmapSramBw: number;
  /** Simulated time = cycles / clockHz (s). */
  readonly seconds: number;
  /** Achieved throughput at that time (FLOP/s, 2 per MAC). */
  readonly flopsPerSecond: number;
}

/** SCALE-Sim's column names for the report's fields, for side-by-side tables and CSV. */
export const SCALESIM_FIELDS = {
  'Total Cycles': 'cycles',
  'Stall Cycles': 'stallCycles',
  'Overall Util %': 'overallUtilPercent',
  'Mapping Efficiency %': 'mappingEfficiencyPercent',
  'Compute Util %': 'computeUtilPercent',
  'Avg IFMAP SRAM BW': 'avgIfmapSramBw',
  'Avg FILTER SRAM BW': 'avgFilterSramBw',
  'Avg OFMAP SRAM BW': 'avgOfmapSramBw',
  'SRAM IFMAP Reads': 'sramIfmapReads',
  'SRAM Filter Reads': 'sramFilterReads',
  'SRAM OFMAP Writes': 'sramOfmapWrites',
} as const satisfies Record<string, keyof MxuReport>;

/** Builds the report of a matmul from its counters (closed-form or stepped). */
export function reportFromCounters(
  shape: MatmulShape,
  config: MxuConfig,
  precision: Precision,
  counters: ClosedFormCounters,
): MxuReport {
  const { rows: R, cols: C } = config;
  const { rowFolds, colFolds } = folds(shape, config);
  const { cycles, macs } = counters;
  const T = shape.m;
  const tilesPerPass = rowFolds * colFolds;
  const seconds = cycles / config.clockHz;
  return {
    shape: { m: shape.m, k: shape.k, n: shape.n },
    rows: R,
    cols: C,
    precision,
    passes: PASSES[precision],
    overlap: config.overlap,
    clockHz: config.clockHz,
    rowFolds,
    colFolds,
    cycles,
    stallCycles: 0,
    macs,
    overallUtilPercent: (macs * 100) / (cycles * R * C),
    mappingEfficiencyPercent: (shape.k * shape.n * 100) / (tilesPerPass * R * C),
    computeUtilPercent: (shape.k * shape.n * T * 100) / (tilesPerPass * R * C * (2 * R + 2 * C + T - 3)),
    weightTiles: counters.weightTiles,
    weightRowWrites: counters.weightRowWrites,
    weightLoadBytes: counters.weightRowWrites * C * WEIGHT_BYTES,
    sramIfmapReads: counters.sramIfmapReads,
    sramFilterReads: counters.sramFilterReads,
    sramOfmapWrites: counters.sramOfmapWrites,
    avgIfmapSramBw: counters.sramIfmapReads / cycles,
    avgFilterSramBw: counters.sramFilterReads / cycles,
    avgOfmapSramBw: counters.sramOfmapWrites / cycles,
    seconds,
    flopsPerSecond: (2 * macs) / seconds,
  };
}

/**
 * The report of C[M, N] = A[M, K] . B[K, N] on the MXU, in closed form (O(1)); equal to the
 * report of a stepped run (test/mxu/cycles.test.ts).
 * @example mxuReport({ m: 1024, k: 1024, n: 1024 }, DEFAULT_MXU_CONFIG).overallUtilPercent // 99.42...
 */
export function mxuReport(shape: MatmulShape, config: MxuConfig, precision: Precision = 'default'): MxuReport {
  return reportFromCounters(shape, config, precision, mxuCounters(shape, config, precision));
}

/** The report as aligned text lines: SCALE-Sim's names first, then ours. */
export function formatReport(r: MxuReport): string {
  const pct = (x: number) => `${x.toFixed(2)} %`;
  const rows: [string, string][] = [
    ['matmul', `${r.shape.m} x ${r.shape.k} x ${r.shape.n} (M x K x N), precision ${r.precision} (${r.passes} pass${r.passes > 1 ? 'es' : ''})`],
    ['array', `${r.rows} x ${r.cols}, ${r.overlap ? 'weight loads overlapped (double buffered)' : 'folds back to back (SCALE-Sim)'}`],
    ['folds', `${r.rowFolds} row x ${r.colFolds} column = ${r.weightTiles} weight tiles`],
    ['Total Cycles', `${r.cycles}`],
    ['Stall Cycles', `${r.stallCycles}`],
    ['Overall Util %', pct(r.overallUtilPercent)],
    ['Mapping Efficiency %', pct(r.mappingEfficiencyPercent)],
    ['Compute Util %', pct(r.computeUtilPercent)],
    ['SRAM IFMAP Reads', `${r.sramIfmapReads}`],
    ['SRAM Filter Reads', `${r.sramFilterReads}`],
    ['SRAM OFMAP Writes', `${r.sramOfmapWrites}`],
    ['MACs', `${r.macs}`],
    ['weight loads', `${r.weightRowWrites} rows, ${r.weightLoadBytes} bytes`],
    ['simulated time', `${(r.seconds * 1e6).toFixed(3)} us at ${(r.clockHz / 1e6).toFixed(0)} MHz (${(r.flopsPerSecond / 1e12).toFixed(3)} TFLOP/s)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
