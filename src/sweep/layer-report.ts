/**
 * @module sweep/layer-report
 * A layer table run on one weight-stationary array: per layer and in total, cycles,
 * utilisation, mapping efficiency, SRAM and HBM traffic and simulated time, all from
 * tpusim's own models, none rewritten here:
 * - the array: `mxuReport` (mxu/report.ts) over the closed-form `mxuCycles` (mxu/cycles.ts),
 *   proven equal to the stepped array, with the array size and the overlap setting taken
 *   from the core's MxuConfig;
 * - HBM: the `convolution` op's cost in the compiler's registry (xla/ops/linalg.ts), the
 *   figure `tpusim compile` predicts with: input, filter and output moved once, f32, at the
 *   core's HBM bandwidth; the layer takes max(MXU cycles, HBM cycles) (units overlap their DMA).
 *
 * Imports mxu, tpu (the core config), xla (the op registry) and ./topology.
 */
import type { MatmulShape } from '../mxu/config.ts';
import { mxuReport, type MxuReport } from '../mxu/report.ts';
import type { TensorCoreConfig } from '../tpu/config.ts';
import { costOf, opDef, type OpCost } from '../xla/ops/index.ts';
import { layerMatmul, ofmapDims, type LayerSpec } from './topology.ts';

/** One layer on one array. */
export interface LayerResult {
  readonly layer: LayerSpec;
  /** The matmul the layer is on the MXU (M = batch * Ho * Wo, K = Fh * Fw * C, N = filters). */
  readonly shape: MatmulShape;
  /** The array's report: SCALE-Sim's fields (cycles, utilisation, mapping efficiency, SRAM traffic). */
  readonly mxu: MxuReport;
  /** Bytes the layer moves between HBM and the core (input, filter, output; f32). */
  readonly hbmBytes: number;
  /** Cycles those bytes take at the core's HBM bandwidth. */
  readonly hbmCycles: number;
  /** What limits the layer: the array, or HBM. */
  readonly bound: 'mxu' | 'hbm';
  /** Simulated time: max(MXU, HBM) cycles / clock (s). */
  readonly seconds: number;
}

/** Totals of a table on one array. */
export interface TableTotals {
  readonly cycles: number;
  readonly macs: number;
  /** MACs / (cycles * R * C). */
  readonly utilPercent: number;
  /** Used PEs over all weight tiles of all layers / (tiles * R * C): the per-layer definition, pooled. */
  readonly mappingEfficiencyPercent: number;
  readonly weightTiles: number;
  readonly sramIfmapReads: number;
  readonly sramFilterReads: number;
  readonly sramOfmapWrites: number;
  readonly hbmBytes: number;
  readonly seconds: number;
}

/** A table on one array. */
export interface TableRun {
  readonly rows: number;
  readonly cols: number;
  readonly overlap: boolean;
  readonly clockHz: number;
  readonly batch: number;
  readonly layers: readonly LayerResult[];
  readonly totals: TableTotals;
}

/** The compiler's cost of the layer as a `convolution` HLO op on `core` (f32 operands, as tpusim keeps them in HBM). */
export function layerOpCost(l: LayerSpec, batch: number, core: TensorCoreConfig): OpCost {
  const o = ofmapDims(l);
  // x: [B, H, W, C] (the rows the window reads), w: [Fh, Fw, C, K] -> [B, Ho, Wo, K]
  const x = { dtype: 'f32', dims: [batch, l.ifmapHeight, l.ifmapWidth, l.channels] } as const;
  const w = { dtype: 'f32', dims: [l.filterHeight, l.filterWidth, l.channels, l.filters] } as const;
  const out = { dtype: 'f32', dims: [batch, o.height, o.width, l.filters] } as const;
  const attrs = { strides: [l.strideHeight, l.strideWidth], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1], precision: 'default' } as const;
  return opDef('convolution').cost([x, w], out, attrs, core);
}

/** One layer on the core's array. */
export function runLayer(l: LayerSpec, batch: number, core: TensorCoreConfig): LayerResult {
  const shape = layerMatmul(l, batch);
  const mxu = mxuReport(shape, core.mxu);
  const cost = layerOpCost(l, batch, core);
  // the same roofline rule with no compute: the cycles HBM alone takes
  const hbmCycles = costOf('mxu', 0, cost.hbmBytes, core).cycles;
  return { layer: l, shape, mxu, hbmBytes: cost.hbmBytes, hbmCycles, bound: hbmCycles > cost.computeCycles ? 'hbm' : 'mxu', seconds: cost.cycles / core.mxu.clockHz };
}

/** Sums a table's layers. */
export function totalsOf(layers: readonly LayerResult[], rows: number, cols: number): TableTotals {
  const sum = (f: (r: LayerResult) => number) => layers.reduce((a, r) => a + f(r), 0);
  const cycles = sum((r) => r.mxu.cycles);
  const macs = sum((r) => r.mxu.macs);
  const weightTiles = sum((r) => r.mxu.weightTiles);
  // each layer's mapping efficiency is a mean over its tiles: weight it by its tiles
  const usedTiles = sum((r) => (r.mxu.mappingEfficiencyPercent / 100) * r.mxu.weightTiles);
  return {
    cycles,
    macs,
    utilPercent: (100 * macs) / (cycles * rows * cols),
    mappingEfficiencyPercent: (100 * usedTiles) / weightTiles,
    weightTiles,
    sramIfmapReads: sum((r) => r.mxu.sramIfmapReads),
    sramFilterReads: sum((r) => r.mxu.sramFilterReads),
    sramOfmapWrites: sum((r) => r.mxu.sramOfmapWrites),
    hbmBytes: sum((r) => r.hbmBytes),
    seconds: sum((r) => r.seconds),
  };
}

/**
 * Runs a layer table on the core's array (its rows, columns, overlap and clock).
 * @example runTable(parseTopology(text, 'alexnet.csv'), 1, coreConfig({ mxu: mxuConfig({ rows: 32, cols: 32, overlap: false }) })).totals.cycles
 */
export function runTable(layers: readonly LayerSpec[], batch: number, core: TensorCoreConfig): TableRun {
  const results = layers.map((l) => runLayer(l, batch, core));
  const { rows, cols, overlap, clockHz } = core.mxu;
  return { rows, cols, overlap, clockHz, batch, layers: results, totals: totalsOf(results, rows, cols) };
}
