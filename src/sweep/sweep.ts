/**
 * @module sweep/sweep
 * One layer table on several array sizes: for each, the run in the mode asked for (weight
 * loads overlapped, as the real MXU double-buffers them, or back to back as SCALE-Sim
 * models them) and the totals of the other mode, so every row shows what double buffering
 * gains. Also the `--array` list parser.
 *
 * Imports mxu (config), tpu (core config) and ./layer-report, ./topology.
 *
 * Why they differ (R x C array, T = M rows streamed per weight tile, F tiles; mxu/cycles.ts):
 * back to back, every tile pays R cycles of weight load, then R + C + T - 2 of streaming and
 * drain: F * (2R + C + T - 2) - 1. Double buffered, the next tile's weights shift in while
 * the current one streams, so a tile starts every max(T, R + C - 1) cycles:
 * R + (F - 1) * max(T, R + C - 1) + T + R + C - 3. With T >= R + C - 1 a tile saves its whole
 * load and fill, 2R + C - 2 cycles, and a long layer nears 100 % utilisation; with T small
 * (a dense layer on one image) the array waits for weights either way: a tile costs R + C - 1
 * cycles instead of 2R + C + T - 2.
 */
import { mxuConfig } from '../mxu/config.ts';
import { coreConfig, type TensorCoreConfig } from '../tpu/config.ts';
import { runTable, type TableRun, type TableTotals } from './layer-report.ts';
import type { LayerSpec } from './topology.ts';

/** An array size. */
export interface ArraySize {
  readonly rows: number;
  readonly cols: number;
}

/** Largest array side the sweep takes. */
export const MAX_ARRAY_SIDE = 1 << 16;

/** A bad --array value, named. */
export class ArraySpecError extends Error {
  override readonly name = 'ArraySpecError';
  readonly userFacing = true;
}

/**
 * Parses `RxC[,RxC...]` (a lone N is N x N).
 * @example parseArrays('32x32,128x128') // [{ rows: 32, cols: 32 }, { rows: 128, cols: 128 }]
 */
export function parseArrays(text: string, option = '--array'): ArraySize[] {
  const parts = text.split(',').map((p) => p.trim());
  return parts.map((p) => {
    const m = /^(\d+)(?:[xX](\d+))?$/.exec(p);
    const rows = m ? Number(m[1]) : NaN;
    const cols = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(rows >= 1 && cols >= 1 && rows <= MAX_ARRAY_SIDE && cols <= MAX_ARRAY_SIDE)) {
      throw new ArraySpecError(`${option} takes sizes like 128x128 or 32x32,128x128,256x256 (sides 1..${MAX_ARRAY_SIDE}); got '${p}' in '${text}'`);
    }
    return { rows, cols };
  });
}

/** Options of a sweep. */
export interface SweepOptions {
  /** Weight loads overlapped (double buffered, the default) or back to back (SCALE-Sim). */
  readonly overlap: boolean;
  /** Images per layer (M = batch * Ho * Wo). Default 1, as SCALE-Sim. */
  readonly batch?: number;
  /** The core everything else comes from (clock, HBM bandwidth). Default TPU v2's. */
  readonly core?: TensorCoreConfig;
}

/** The table on one array, and the other overlap mode's totals. */
export interface SweepPoint {
  readonly run: TableRun;
  /** Totals with the other overlap setting. */
  readonly other: TableTotals;
  /** Cycles saved by double buffering: back-to-back total - overlapped total. */
  readonly overlapGainCycles: number;
}

/** The core for one array size and overlap mode. */
export function coreFor(size: ArraySize, overlap: boolean, base?: TensorCoreConfig): TensorCoreConfig {
  const b = base ?? coreConfig();
  return coreConfig({ ...b, mxu: mxuConfig({ ...b.mxu, rows: size.rows, cols: size.cols, overlap }) });
}

/** Runs the table on every array size. */
export function sweep(layers: readonly LayerSpec[], sizes: readonly ArraySize[], options: SweepOptions): SweepPoint[] {
  const batch = options.batch ?? 1;
  return sizes.map((size) => {
    const run = runTable(layers, batch, coreFor(size, options.overlap, options.core));
    const other = runTable(layers, batch, coreFor(size, !options.overlap, options.core)).totals;
    const [on, off] = options.overlap ? [run.totals, other] : [other, run.totals];
    return { run, other, overlapGainCycles: off.cycles - on.cycles };
  });
}
