/**
 * @module mxu/feeder
 * The array's edges: skews activations in and deskews results out into the f32
 * accumulators. One concern: which value enters which row, and where each value leaving
 * the bottom goes. When tiles start is decided by the controller (stepped.ts).
 *
 * Imports ./array.ts (ports) only; accumulator adds use `Math.fround` (= bfloat16's `addF32`).
 *
 * ## Timing (the tile started streaming at cycle s; its rows m = 0..T-1)
 * - In (skew): row r of the array gets a[m, k0 + r] at cycle s + m + r; rows r >= kr of a
 *   partial tile get +0 (they hold weight +0 too). Outside a tile's window a row gets a
 *   bubble: +0 tagged -1.
 * - Through: that activation meets psum (m, column c) in PE (r, c) at cycle s + m + r + c.
 * - Out (deskew): psum (m, c) leaves the bottom of column c at cycle s + m + (R-1) + c, and
 *   in that same cycle is added to the accumulator: acc[m, n0 + c] = f32(acc + psum), for
 *   c < nc (columns past a partial tile's edge are dropped). Accumulators start at +0;
 *   row folds of one column fold run consecutively in ascending k, so each accumulator
 *   adds its folds in k order, as reference.ts specifies.
 * - A tile has drained when its last activation leaves the bottom-right PE, at cycle
 *   s + (T-1) + (R-1) + (C-1) (partial tiles pay the full array latency, as in SCALE-Sim).
 */
import type { SystolicArrayUnit } from './array.ts';

/** One weight tile's worth of work: a fold of K by a fold of N, for one precision pass. */
export interface Tile {
  /** Position in the tile stream (0, 1, ...): the tag carried by its activations. */
  readonly id: number;
  /** Precision pass this tile belongs to (index into PASS_ORDER). */
  readonly pass: number;
  /** First contraction index and the number of array rows used (kr <= R). */
  readonly k0: number;
  readonly kr: number;
  /** First output column and the number of array columns used (nc <= C). */
  readonly n0: number;
  readonly nc: number;
  /** a: [M, K] and b: [K, N] operands of this pass (bf16 values), row-major. */
  readonly a: Float32Array;
  readonly b: Float32Array;
  /** acc: [M, N], the accumulators of this pass. */
  readonly acc: Float32Array;
}

/** What the feeder has counted (SCALE-Sim's SRAM operand traffic, and the MACs done). */
export interface FeederCounters {
  /** Activations read and fed (real ones, not padding or bubbles). */
  ifmapReads: number;
  /** Results leaving the array into the accumulators. */
  ofmapWrites: number;
  /** Multiply-accumulates on real operands. */
  macs: number;
}

/** One result added into an accumulator. */
export interface AccumulatorWrite {
  /** Array column it left from. */
  readonly col: number;
  /** Output element (m, n) of the pass's accumulators, and the new accumulator value. */
  readonly m: number;
  readonly n: number;
  readonly value: number;
  readonly pass: number;
}

/** A tile being streamed: its start cycle s. */
interface Streaming {
  readonly tile: Tile;
  readonly start: number;
}

/** Skew in, deskew out, accumulate. */
export class Feeder {
  /** Tile id whose last activation has left the array, -1 before any. */
  lastDrained = -1;
  /** Whether to keep `lastOutputs` (for traces; off on the fast path). */
  recordOutputs = false;
  /** Results accumulated in the last cycle (if recorded): column, output row m, column n, acc value. */
  lastOutputs: AccumulatorWrite[] = [];
  readonly counters: FeederCounters = { ifmapReads: 0, ofmapWrites: 0, macs: 0 };
  private live: Streaming[] = [];
  private readonly array: SystolicArrayUnit;
  private readonly m: number;
  private readonly k: number;
  private readonly n: number;

  /** `shape` is the matmul's (M, K, N); every tile's operands share it. */
  constructor(array: SystolicArrayUnit, shape: { readonly m: number; readonly k: number; readonly n: number }) {
    this.array = array;
    this.m = shape.m;
    this.k = shape.k;
    this.n = shape.n;
  }

  /** Starts streaming `tile`: its row m = 0 enters array row 0 at cycle `start`. */
  start(tile: Tile, start: number): void {
    this.live.push({ tile, start });
  }

  /** Sets the array's left-edge inputs for cycle t (skewed: row r lags r cycles). */
  drive(t: number): void {
    const { inAct, inTile, rows } = this.array;
    const K = this.k;
    inAct.fill(0);
    inTile.fill(-1);
    for (const { tile, start } of this.live) {
      // Row r is fed this tile's row m = t - start - r while 0 <= m < M.
      const lo = Math.max(0, t - start - this.m + 1);
      const hi = Math.min(rows - 1, t - start);
      for (let r = lo; r <= hi; r++) inTile[r] = tile.id;
      const realHi = Math.min(hi, tile.kr - 1); // rows past a partial tile's edge keep +0
      for (let r = lo; r <= realHi; r++) inAct[r] = tile.a[(t - start - r) * K + tile.k0 + r]!;
      if (realHi >= lo) {
        this.counters.ifmapReads += realHi - lo + 1;
        this.counters.macs += (realHi - lo + 1) * tile.nc;
      }
    }
  }

  /** Takes the bottom outputs of cycle t into the accumulators (deskew). */
  collect(t: number): void {
    const { outPsum, rows, cols } = this.array;
    const N = this.n;
    if (this.recordOutputs) this.lastOutputs = [];
    let drained: Streaming | null = null;
    for (const s of this.live) {
      const { tile, start } = s;
      // Column c emits this tile's row m = t - (R-1) - c - start while 0 <= m < M.
      const d = t - (rows - 1) - start;
      const lo = Math.max(0, d - this.m + 1);
      const hi = Math.min(cols - 1, d);
      const realHi = Math.min(hi, tile.nc - 1); // columns past a partial tile's edge are dropped
      for (let c = lo; c <= realHi; c++) {
        const i = (d - c) * N + tile.n0 + c;
        const v = Math.fround(tile.acc[i]! + outPsum[c]!);
        tile.acc[i] = v;
        if (this.recordOutputs) this.lastOutputs.push({ col: c, m: d - c, n: tile.n0 + c, value: v, pass: tile.pass });
      }
      if (realHi >= lo) this.counters.ofmapWrites += realHi - lo + 1;
      if (d - (cols - 1) === this.m - 1) drained = s;
    }
    if (drained) {
      this.lastDrained = drained.tile.id;
      this.live = this.live.filter((x) => x !== drained);
    }
  }
}
