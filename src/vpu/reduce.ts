/**
 * @module vpu/reduce
 * Reductions (sum, max, min) of whole arrays on the VPU, with the summation order that
 * defines their bits, and their cycle counts. Imports bfloat16 (addF32), ./config, ./ops,
 * ./wasm (the axis-0 row fold in SIMD; same bits).
 *
 * ## Layout and order (this comment is the spec; test/vpu/reduce.test.ts checks it)
 * A 2-D array x[R, C] (row-major) is tiled into vregs of S sublanes x L lanes (8 x 128):
 * rows go to sublanes, columns to lanes, the tail padded with the op's identity (-0 for
 * sum, -Inf for max, +Inf for min; f(v, identity) == v exactly, so padding never changes a
 * bit).
 * - axis 0 (over rows, result [C], the cheap direction): per column tile, the row tiles are
 *   combined elementwise in order (acc = f(acc, tile_t), t = 0, 1, ...), so sublane j holds
 *   the left fold of rows j, j+S, j+2S, ...; then a sublane reduction.
 * - axis 1 (over columns, result [R], the slow direction): per row tile, the column tiles
 *   are combined elementwise in order, so lane l holds the left fold of columns l, l+L, ...;
 *   then a cross-lane reduction.
 * - 'all' (result a scalar): the flat array is cut into vregs of S*L consecutive values
 *   (row-major [S, L] inside each), combined elementwise in order, then a cross-lane
 *   reduction of every sublane, then a sublane reduction of the S partial results.
 * Sublane and lane reductions are rotate-and-combine trees (see ./vregs.ts for the register
 * form): for s = n/2, n/4, ..., 1: v[i] = f(v[i], v[(i + s) mod n]); the result is element
 * 0, which is the halving tree ((v0 . v[n/2]) . (v[n/4] . v[3n/4])) . ... computed here.
 */
import { addF32 } from '../bfloat16/index.ts';
import { DEFAULT_VPU_CONFIG, type VpuConfig } from './config.ts';
import { opCycles } from './ops.ts';
import { WASM_MIN_VALUES, vpuWasm } from './wasm.ts';

/** What a reduction computes. */
export type ReduceKind = 'sum' | 'max' | 'min';
/** Which way a 2-D reduction goes: 0 = over rows, 1 = over columns, 'all' = to a scalar. */
export type ReduceAxis = 0 | 1 | 'all';

/** The combining function of each reduction. */
export const REDUCE_FNS: { readonly [K in ReduceKind]: (a: number, b: number) => number } = {
  sum: addF32,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

/** The identity each reduction pads with. */
export const REDUCE_IDENTITY: { readonly [K in ReduceKind]: number } = { sum: -0, max: -Infinity, min: Infinity };

/** A reduction's result and what it cost. */
export interface ReduceResult {
  /** [C] for axis 0, [R] for axis 1, [1] for 'all'. */
  readonly out: Float32Array;
  /** VPU cycles. */
  readonly cycles: number;
}

/** Halving tree over v[0..n) in place (n a power of two); returns v[0]. */
export function treeReduce(v: Float32Array, f: (a: number, b: number) => number): number {
  for (let s = v.length >> 1; s >= 1; s >>= 1) {
    for (let i = 0; i < s; i++) v[i] = f(v[i]!, v[i + s]!);
  }
  return v[0]!;
}

function checkShape(x: Float32Array, rows: number, cols: number): void {
  if (!Number.isSafeInteger(rows) || rows < 1 || !Number.isSafeInteger(cols) || cols < 1) {
    throw new RangeError(`vpu reduce: shape must be positive integers, got [${rows}, ${cols}]`);
  }
  if (x.length !== rows * cols) {
    throw new RangeError(`vpu reduce: array has ${x.length} values, shape [${rows}, ${cols}] needs ${rows * cols}`);
  }
}

/**
 * Cycles of a reduction of x[R, C] along `axis` (no data needed): the elementwise combining
 * of tiles (1 VALU op per extra vreg) plus one sublane or lane reduction per output vreg.
 */
export function reduceCycles(
  kind: ReduceKind,
  options: { readonly rows: number; readonly cols: number; readonly axis: ReduceAxis; readonly config?: VpuConfig },
): number {
  const c = options.config ?? DEFAULT_VPU_CONFIG;
  const combine = opCycles(kind === 'sum' ? 'add' : kind, c);
  const rowTiles = Math.ceil(options.rows / c.sublanes);
  const colTiles = Math.ceil(options.cols / c.lanes);
  if (options.axis === 0) return colTiles * ((rowTiles - 1) * combine + opCycles('reduce-sublanes', c));
  if (options.axis === 1) return rowTiles * ((colTiles - 1) * combine + opCycles('reduce-lanes', c));
  const vregs = Math.max(1, Math.ceil((options.rows * options.cols) / (c.sublanes * c.lanes)));
  return (vregs - 1) * combine + opCycles('reduce-lanes', c) + opCycles('reduce-sublanes', c);
}

/**
 * Axis 0, row by row: accumulator (s, col) folds rows s, s+S, s+2S, ... in increasing order,
 * exactly the documented per-sublane fold, but reading x contiguously. Specialised per kind
 * so the combine is inlined; big arrays go to the same fold in WASM SIMD (./wasm.ts).
 */
function foldRows(x: Float32Array, rows: number, cols: number, kind: ReduceKind, acc: Float32Array, S: number, accumulate = false): void {
  const wasm = x.length >= WASM_MIN_VALUES ? vpuWasm() : null;
  if (wasm) return wasm.foldRows(kind, x, { rows, cols, identity: REDUCE_IDENTITY[kind], accumulate }, acc);
  const add = addF32;
  if (!accumulate) acc.fill(REDUCE_IDENTITY[kind]);
  for (let r = 0; r < rows; r++) {
    const a = (r % S) * cols;
    const xr = r * cols;
    if (kind === 'sum') for (let c = 0; c < cols; c++) acc[a + c] = add(acc[a + c]!, x[xr + c]!);
    else if (kind === 'max') for (let c = 0; c < cols; c++) acc[a + c] = Math.max(acc[a + c]!, x[xr + c]!);
    else for (let c = 0; c < cols; c++) acc[a + c] = Math.min(acc[a + c]!, x[xr + c]!);
  }
}

function reduceAxis0(x: Float32Array, rows: number, cols: number, kind: ReduceKind, c: VpuConfig, into?: Float32Array): ReduceResult {
  const f = REDUCE_FNS[kind];
  const S = c.sublanes;
  const out = into ?? new Float32Array(cols);
  const acc = new Float32Array(S * cols);
  foldRows(x, rows, cols, kind, acc, S);
  const lane = new Float32Array(S);
  for (let col = 0; col < cols; col++) {
    for (let s = 0; s < S; s++) lane[s] = acc[s * cols + col]!;
    out[col] = treeReduce(lane, f);
  }
  return { out, cycles: reduceCycles(kind, { rows, cols, axis: 0, config: c }) };
}

function reduceAxis1(x: Float32Array, rows: number, cols: number, kind: ReduceKind, c: VpuConfig, into?: Float32Array): ReduceResult {
  const f = REDUCE_FNS[kind];
  const L = c.lanes;
  const out = into ?? new Float32Array(rows);
  const acc = new Float32Array(L);
  for (let r = 0; r < rows; r++) {
    acc.fill(REDUCE_IDENTITY[kind]);
    for (let col = 0; col < cols; col++) acc[col % L] = f(acc[col % L]!, x[r * cols + col]!);
    out[r] = treeReduce(acc, f);
  }
  return { out, cycles: reduceCycles(kind, { rows, cols, axis: 1, config: c }) };
}

function reduceAll(x: Float32Array, rows: number, cols: number, kind: ReduceKind, c: VpuConfig, into?: Float32Array): ReduceResult {
  const f = REDUCE_FNS[kind];
  const size = c.sublanes * c.lanes;
  const acc = new Float32Array(size).fill(REDUCE_IDENTITY[kind]);
  for (let i = 0; i < x.length; i++) acc[i % size] = f(acc[i % size]!, x[i]!);
  const partial = new Float32Array(c.sublanes);
  for (let s = 0; s < c.sublanes; s++) partial[s] = treeReduce(acc.subarray(s * c.lanes, (s + 1) * c.lanes), f);
  const cycles = reduceCycles(kind, { rows, cols, axis: 'all', config: c });
  const out = into ?? new Float32Array(1);
  out[0] = treeReduce(partial, f);
  return { out, cycles };
}

/**
 * Cycles of `foldSublanes` on x[R, C]: one combine per row tile and column tile (the first
 * row tile is a copy unless the fold continues from accumulators).
 */
export function foldCycles(kind: ReduceKind, options: { readonly rows: number; readonly cols: number; readonly accumulate?: boolean; readonly config?: VpuConfig }): number {
  const c = options.config ?? DEFAULT_VPU_CONFIG;
  const rowTiles = Math.ceil(options.rows / c.sublanes);
  const colTiles = Math.ceil(options.cols / c.lanes);
  return Math.max(1, colTiles * (rowTiles - (options.accumulate ? 0 : 1))) * opCycles(kind === 'sum' ? 'add' : kind, c);
}

/**
 * The first stage of an axis-0 reduction alone: acc[S, C], sublane s folding rows s, s+S,
 * s+2S, ... of x[R, C] in order (the header's axis-0 order), from the op's identity, or from
 * acc's values when `accumulate`. So a tall reduction run in row blocks of a multiple of S
 * rows, each continuing the accumulators, then `reduce(kind, acc, { rows: S, axis: 0 })`
 * (whose fold of one row tile leaves acc as it is, then the sublane tree), gives exactly
 * the one-instruction reduction's bits.
 */
export function foldSublanes(
  kind: ReduceKind,
  x: Float32Array, // x: [R, C]
  options: { readonly rows: number; readonly cols: number; readonly out: Float32Array; readonly accumulate?: boolean; readonly config?: VpuConfig },
): ReduceResult {
  const { rows, cols, out } = options;
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  checkShape(x, rows, cols);
  if (out.length !== config.sublanes * cols || out === x) throw new RangeError(`vpu fold: out must be a separate array of ${config.sublanes} x ${cols} values, got ${out === x ? 'the input' : out.length}`);
  foldRows(x, rows, cols, kind, out, config.sublanes, options.accumulate ?? false);
  return { out, cycles: foldCycles(kind, { rows, cols, accumulate: options.accumulate ?? false, config }) };
}

/**
 * Reduces x[R, C] along `axis` with the order documented in this module's header, into
 * `options.out` when given (its length checked), else into a fresh array.
 * @example reduce('sum', new Float32Array([1, 2, 3, 4]), { rows: 2, cols: 2, axis: 1 }).out // [3, 7]
 */
export function reduce(
  kind: ReduceKind,
  x: Float32Array, // x: [R, C]
  options: { readonly rows: number; readonly cols: number; readonly axis: ReduceAxis; readonly config?: VpuConfig; readonly out?: Float32Array },
): ReduceResult {
  const { rows, cols, axis, out } = options;
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  checkShape(x, rows, cols);
  const n = axis === 0 ? cols : axis === 1 ? rows : 1;
  if (out && (out.length !== n || out === x)) throw new RangeError(`vpu reduce: out must be a separate array of ${n} values, got ${out === x ? 'the input' : out.length}`);
  if (axis === 0) return reduceAxis0(x, rows, cols, kind, config, out);
  if (axis === 1) return reduceAxis1(x, rows, cols, kind, config, out);
  return reduceAll(x, rows, cols, kind, config, out);
}
