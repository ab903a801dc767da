/**
 * @module mxu/cycles
 * The closed-form cycle count and counters of one matmul on the MXU: what the stepped array
 * (stepped.ts) counts, in O(1). Property tests (test/mxu/cycles.test.ts) prove
 * `mxuCycles == runStepped(...).cycles` and every counter equal, for random shapes, array
 * sizes (1x1 up), precisions and both overlap settings.
 *
 * Imports ./config only.
 *
 * ## Formulas (R x C array, T = M streamed rows, F = weight tiles)
 *   row folds = ceil(K / R), column folds = ceil(N / C), F = passes * row folds * column folds
 *   (precision passes are simply more tiles in the same stream: with overlap, the first tile
 *   of a pass loads while the last tile of the previous pass computes.)
 * Tile f: load starts at L_f, streaming starts at s_f, drains at s_f + T + R + C - 3.
 * - overlap=false (SCALE-Sim): L_0 = 0, s_f = L_f + R, L_{f+1} = drain_f + 1, so
 *     cycles = F * (2R + C + T - 2) - 1
 *   which is SCALE-Sim v2's weight-stationary total (per fold: R cycles of weight load, then
 *   R + C + T - 2 of skewed streaming and drain; SCALE-Sim reports the last cycle's index).
 * - overlap=true: L_0 = 0, s_0 = R, L_{f+1} = s_f + C - 1, s_{f+1} = max(L_{f+1} + R, s_f + T), so
 *     P = max(T, R + C - 1)                    (cycles between tile starts)
 *     cycles = R + (F - 1) * P + T + R + C - 3
 *   With T >= R + C - 1 the array never waits for weights and a long matmul approaches 100%
 *   utilisation; for small T (few rows streamed) each tile costs R + C - 1 cycles of load.
 */
import { PASSES, checkShape, type MatmulShape, type MxuConfig, type Precision } from './config.ts';
import type { MxuCounters } from './stepped.ts';

/** Counters of a matmul on the MXU, in closed form: the same fields the stepped model counts. */
export type ClosedFormCounters = MxuCounters;

/** Folds of a matmul on an array: K over rows, N over columns. */
export function folds(shape: MatmulShape, config: Pick<MxuConfig, 'rows' | 'cols'>): { rowFolds: number; colFolds: number } {
  return { rowFolds: Math.ceil(shape.k / config.rows), colFolds: Math.ceil(shape.n / config.cols) };
}

/** Cycles between the starts of consecutive tiles with overlap on: max(T, R + C - 1). */
export function tilePeriod(m: number, config: Pick<MxuConfig, 'rows' | 'cols'>): number {
  return Math.max(m, config.rows + config.cols - 1);
}

/**
 * Cycle count of C[M, N] = A[M, K] . B[K, N] on the MXU: equal to the stepped array's count
 * for every shape, array size, precision and overlap setting (see the module doc).
 * @example mxuCycles({ m: 1024, k: 1024, n: 1024 }, DEFAULT_MXU_CONFIG) // 65917 (99.4% utilisation)
 */
export function mxuCycles(
  shape: MatmulShape,
  config: Pick<MxuConfig, 'rows' | 'cols' | 'overlap'>,
  precision: Precision = 'default',
): number {
  checkShape(shape);
  const { rows: R, cols: C } = config;
  const { rowFolds, colFolds } = folds(shape, config);
  const tiles = PASSES[precision] * rowFolds * colFolds;
  const T = shape.m;
  if (!config.overlap) return tiles * (2 * R + C + T - 2) - 1;
  return R + (tiles - 1) * tilePeriod(T, config) + T + R + C - 3;
}

/** Every counter of the stepped model, in closed form (see stepped.ts `MxuCounters`). */
export function mxuCounters(
  shape: MatmulShape,
  config: Pick<MxuConfig, 'rows' | 'cols' | 'overlap'>,
  precision: Precision = 'default',
): ClosedFormCounters {
  const cycles = mxuCycles(shape, config, precision);
  const passes = PASSES[precision];
  const { rowFolds, colFolds } = folds(shape, config);
  const { m, k, n } = shape;
  const weightTiles = passes * rowFolds * colFolds;
  return {
    cycles,
    weightTiles,
    weightRowWrites: weightTiles * config.rows,
    sramIfmapReads: passes * colFolds * m * k,
    sramFilterReads: passes * k * n,
    sramOfmapWrites: passes * rowFolds * m * n,
    macs: passes * m * k * n,
  };
}

/** Start cycles of tile f (load start, stream start, drain), in closed form. */
export function tileSchedule(
  f: number,
  m: number,
  config: Pick<MxuConfig, 'rows' | 'cols' | 'overlap'>,
): { loadStart: number; streamStart: number; drain: number } {
  const { rows: R, cols: C } = config;
  const perFold = 2 * R + C + m - 2;
  const streamStart = config.overlap ? R + f * tilePeriod(m, config) : f * perFold + R;
  const loadStart = config.overlap ? (f === 0 ? 0 : streamStart - tilePeriod(m, config) + C - 1) : f * perFold;
  return { loadStart, streamStart, drain: streamStart + m + R + C - 3 };
}
