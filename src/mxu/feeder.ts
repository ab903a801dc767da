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
 *
 * ## Storage (a layout choice of the simulator, not of the hardware)
 * The values entering the array in one cycle lie on an anti-diagonal of A, and the results
 * leaving it on an anti-diagonal of C: scattered in row-major memory. So the feeder keeps
 * them wave-major: for each row fold, A's slice with row m of array row r at (m + r)*R + r
 * (built once, reused by every column fold), and for each column fold the accumulators
 * with (m, c) at (m + c)*C + c. Each cycle then reads R and updates C consecutive floats.
 * `flush()` copies the accumulators into the passes' [M, N] arrays.
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

/** A tile being streamed: its start cycle s and its wave-major buffers. */
interface Streaming {
  readonly tile: Tile;
  readonly start: number;
  /** act: [(M + R - 1), R] wave-major slice of A; acc: [(M + C - 1), C] wave-major accumulators. */
  readonly act: Float32Array;
  readonly acc: Float32Array;
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
  /** Wave-major buffers, by operand (or pass accumulator) and first k (or n) of the fold. */
  private readonly actBuffers = new Map<Float32Array, Map<number, Float32Array>>();
  private readonly accBuffers = new Map<Float32Array, Map<number, Float32Array>>();

  /** `shape` is the matmul's (M, K, N); every tile's operands share it. */
  constructor(array: SystolicArrayUnit, shape: { readonly m: number; readonly k: number; readonly n: number }) {
    this.array = array;
    this.m = shape.m;
    this.k = shape.k;
    this.n = shape.n;
  }

  /** Starts streaming `tile`: its row m = 0 enters array row 0 at cycle `start`. */
  start(tile: Tile, start: number): void {
    this.live.push({ tile, start, act: this.actBuffer(tile), acc: this.accBuffer(tile) });
  }

  /** Sets the array's left-edge inputs for cycle t (skewed: row r lags r cycles). */
  drive(t: number): void {
    const { inAct, inTile, rows: R } = this.array;
    inAct.fill(0);
    inTile.fill(-1);
    for (const { tile, start, act } of this.live) {
      // Row r is fed this tile's row m = w - r while 0 <= m < M (w = t - start).
      const w = t - start;
      const lo = Math.max(0, w - this.m + 1);
      const hi = Math.min(R - 1, w);
      for (let r = lo; r <= hi; r++) {
        inTile[r] = tile.id;
        inAct[r] = act[w * R + r]!; // +0 past a partial tile's edge
      }
      const realHi = Math.min(hi, tile.kr - 1);
      if (realHi >= lo) {
        this.counters.ifmapReads += realHi - lo + 1;
        this.counters.macs += (realHi - lo + 1) * tile.nc;
      }
    }
  }

  /** Takes the bottom outputs of cycle t into the accumulators (deskew). */
  collect(t: number): void {
    const { outPsum, rows: R, cols: C } = this.array;
    if (this.recordOutputs) this.lastOutputs = [];
    let drained: Streaming | null = null;
    for (const s of this.live) {
      const { tile, start, acc } = s;
      // Column c emits this tile's row m = d - c while 0 <= m < M (d = t - (R-1) - start).
      const d = t - (R - 1) - start;
      const lo = Math.max(0, d - this.m + 1);
      const hi = Math.min(C - 1, d);
      const realHi = Math.min(hi, tile.nc - 1); // columns past a partial tile's edge are dropped
      const base = d * C;
      for (let c = lo; c <= realHi; c++) acc[base + c] = Math.fround(acc[base + c]! + outPsum[c]!);
      if (realHi >= lo) this.counters.ofmapWrites += realHi - lo + 1;
      if (this.recordOutputs) {
        for (let c = lo; c <= realHi; c++) this.lastOutputs.push({ col: c, m: d - c, n: tile.n0 + c, value: acc[base + c]!, pass: tile.pass });
      }
      if (d - (C - 1) === this.m - 1) drained = s;
    }
    if (drained) {
      this.lastDrained = drained.tile.id;
      this.live = this.live.filter((x) => x !== drained);
    }
  }

  /** Copies the wave-major accumulators into the passes' [M, N] accumulator arrays. */
  flush(): void {
    const { m: M, n: N } = this;
    const C = this.array.cols;
    for (const [acc, folds] of this.accBuffers) {
      for (const [n0, buf] of folds) {
        const nc = Math.min(C, N - n0);
        for (let m = 0; m < M; m++) for (let c = 0; c < nc; c++) acc[m * N + n0 + c] = buf[(m + c) * C + c]!;
      }
    }
  }

  /** A's slice for the tile's row fold, wave-major (built on first use). */
  private actBuffer(tile: Tile): Float32Array {
    const R = this.array.rows;
    const byK = this.actBuffers.get(tile.a) ?? new Map<number, Float32Array>();
    this.actBuffers.set(tile.a, byK);
    let buf = byK.get(tile.k0);
    if (!buf) {
      buf = new Float32Array((this.m + R - 1) * R);
      for (let m = 0; m < this.m; m++) {
        for (let r = 0; r < tile.kr; r++) buf[(m + r) * R + r] = tile.a[m * this.k + tile.k0 + r]!;
      }
      byK.set(tile.k0, buf);
    }
    return buf;
  }

  /** The accumulators of the tile's pass and column fold, wave-major, starting at +0. */
  private accBuffer(tile: Tile): Float32Array {
    const C = this.array.cols;
    const byN = this.accBuffers.get(tile.acc) ?? new Map<number, Float32Array>();
    this.accBuffers.set(tile.acc, byN);
    let buf = byN.get(tile.n0);
    if (!buf) {
      buf = new Float32Array((this.m + C - 1) * C);
      byN.set(tile.n0, buf);
    }
    return buf;
  }
}
