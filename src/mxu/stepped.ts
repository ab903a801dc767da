/**
 * @module mxu/stepped
 * The matrix unit stepped clock by clock: the ground truth for values and cycle counts.
 * `SteppedMxu` is the controller (weight-load port and tile sequencing) around the array
 * (array.ts or pe.ts) and its feeder (feeder.ts); `runStepped` runs a whole matmul.
 *
 * Imports bfloat16, ./config, ./reference (splits, pass order, pass combination and NaN
 * canonicalising are shared with the spec, not re-implemented), ./array, ./pe, ./feeder.
 *
 * ## The timing model (the closed form in cycles.ts must equal it; see there for formulas)
 * Cycle 0 is the first weight-load cycle. The work is a stream of weight tiles, for each
 * precision pass, for each column fold (N / C), for each row fold (K / R), in that order
 * (so each accumulator adds its row folds in ascending k).
 * - Load: a tile is written into the shadow registers one array row per cycle, top row
 *   first: R cycles, all R rows even for a partial tile (rows past the edge get +0).
 *   Tile 0 loads at cycles 0..R-1.
 *     overlap=true: tile f+1 starts loading when tile f's swap wave has reached the last PE
 *       of row 0 (cycle s_f + C - 1): from then on, row j is written at s_f + C - 1 + j,
 *       just after every PE of row j has swapped in tile f (so nothing unused is lost).
 *     overlap=false: tile f+1 starts loading the cycle after tile f has drained (SCALE-Sim).
 * - Stream: tile f starts (its first activation enters row 0) at the first cycle s_f when it
 *   is fully loaded (by the end of the previous cycle) and row 0 has finished feeding tile
 *   f-1 (s_f >= s_{f-1} + M). Each PE swaps to the new weight when the tile's first
 *   activation reaches it.
 * - Drain: tile f's last activation leaves the bottom-right PE at s_f + (M-1) + (R-1) + (C-1).
 * - The count: the run ends in the cycle E in which the last tile drains, and `cycles` = E,
 *   the index of that last cycle counting from 0 (SCALE-Sim's convention, which reports the
 *   cycle number of its last serviced demand). Equivalently: clock edges from the one that
 *   latches the first weight row to the one that latches the last result; E + 1 steps run.
 */
import { splitArray } from '../bfloat16/index.ts';
import { MxuConfigError, PIECES, checkShape, type MatmulShape, type MxuConfig, type Precision } from './config.ts';
import { PASS_ORDER, canonicalizeNaNs, combinePasses } from './reference.ts';
import { SystolicArray, type PeState, type SystolicArrayUnit } from './array.ts';
import { Feeder, type Tile } from './feeder.ts';
import { PeGrid } from './pe.ts';

/** Counters of one MXU run, named after SCALE-Sim's report fields where one exists. */
export interface MxuCounters {
  /** Index of the last cycle (see the module doc): SCALE-Sim's "Total Cycles". */
  readonly cycles: number;
  /** Weight tiles loaded (row folds x column folds x passes). */
  readonly weightTiles: number;
  /** Shadow-register rows written (R per tile). */
  readonly weightRowWrites: number;
  /** "SRAM IFMAP Reads": activations fed, summed over folds (padding not counted). */
  readonly sramIfmapReads: number;
  /** "SRAM Filter Reads": weights loaded (padding not counted). */
  readonly sramFilterReads: number;
  /** "SRAM OFMAP Writes": results leaving the array into the accumulators, summed over folds. */
  readonly sramOfmapWrites: number;
  /** Multiply-accumulates on real operands (M*K*N per pass). */
  readonly macs: number;
}

/** The array implementations `SteppedMxu` can step (see `SteppedOptions.arrayModel`). */
export type ArrayModel = 'wasm' | 'js' | 'pe';

/** Options of a stepped run. */
export interface SteppedOptions {
  readonly config: MxuConfig;
  readonly precision?: Precision;
  /**
   * Which array model to step: the flat array with its WebAssembly MAC loop (default), the
   * flat array with the plain JavaScript loop, or the grid of PE objects. Same bits, same cycles.
   */
  readonly arrayModel?: ArrayModel;
  /** Keep per-cycle accumulator writes (for traces). */
  readonly recordOutputs?: boolean;
}

/** What happened on the weight-load port and the feeder in one cycle (for traces). */
export interface CycleEvents {
  readonly cycle: number;
  /** Shadow row written this cycle, if any. */
  readonly loadRow: { readonly tile: number; readonly row: number } | null;
  /** Tile that started streaming this cycle, if any. */
  readonly streamStart: number | null;
}

/** Result of `runStepped`. */
export interface SteppedResult {
  /** c: [M, N], row-major, with the MXU's numerics. */
  readonly c: Float32Array;
  readonly cycles: number;
  readonly counters: MxuCounters;
}

/** Checks operand lengths against the shape, naming the operand. */
export function checkOperands(a: Float32Array, b: Float32Array, shape: MatmulShape): void {
  checkShape(shape);
  if (a.length !== shape.m * shape.k) throw new MxuConfigError(`operand a must have m*k = ${shape.m * shape.k} values, got ${a.length}`);
  if (b.length !== shape.k * shape.n) throw new MxuConfigError(`operand b must have k*n = ${shape.k * shape.n} values, got ${b.length}`);
}

/** Cuts the matmul into the tile stream: for each pass, each column fold, each row fold. */
function makeTiles(aPieces: Float32Array[], bPieces: Float32Array[], shape: MatmulShape, config: MxuConfig, precision: Precision) {
  const { rows: R, cols: C } = config;
  const tiles: Tile[] = [];
  const accs: Float32Array[] = [];
  PASS_ORDER[precision].forEach(([pa, pb], pass) => {
    const acc = new Float32Array(shape.m * shape.n);
    accs.push(acc);
    for (let n0 = 0; n0 < shape.n; n0 += C) {
      for (let k0 = 0; k0 < shape.k; k0 += R) {
        const kr = Math.min(R, shape.k - k0);
        const nc = Math.min(C, shape.n - n0);
        tiles.push({ id: tiles.length, pass, k0, kr, n0, nc, a: aPieces[pa]!, b: bPieces[pb]!, acc });
      }
    }
  });
  return { tiles, accs };
}

/**
 * The MXU: weight-load port + tile sequencer around a systolic array and its feeder.
 * @example
 * const mxu = new SteppedMxu(a, b, { m: 5, k: 4, n: 4 }, { config: mxuConfig({ rows: 4, cols: 4 }) });
 * while (!mxu.done) { mxu.step(); console.log(mxu.events, mxu.snapshot()[0][0]); }
 * mxu.result() // c: [5, 4]
 */
export class SteppedMxu {
  readonly array: SystolicArrayUnit;
  readonly feeder: Feeder;
  readonly config: MxuConfig;
  readonly shape: MatmulShape;
  /** Events of the last cycle stepped. */
  events: CycleEvents = { cycle: -1, loadRow: null, streamStart: null };
  private readonly tiles: Tile[];
  private readonly accs: Float32Array[];
  private readonly streamStart: number[] = [];
  private readonly rowBuffer: Float32Array;
  private loadTile = 0;
  private loadRow = -1; // -1: the load port is idle
  private loadedUpTo = -1;
  private nextStream = 0;
  private weightRowWrites = 0;
  private filterReads = 0;

  constructor(a: Float32Array, b: Float32Array, shape: MatmulShape, options: SteppedOptions) {
    checkOperands(a, b, shape);
    const { config } = options;
    const precision = options.precision ?? 'default';
    const aPieces = splitArray(a, PIECES[precision], config.subnormals);
    const bPieces = splitArray(b, PIECES[precision], config.subnormals);
    ({ tiles: this.tiles, accs: this.accs } = makeTiles(aPieces, bPieces, shape, config, precision));
    this.config = config;
    this.shape = shape;
    const model = options.arrayModel ?? 'wasm';
    this.array = model === 'pe' ? new PeGrid(config.rows, config.cols) : new SystolicArray(config.rows, config.cols, model);
    this.feeder = new Feeder(this.array, shape);
    this.feeder.recordOutputs = options.recordOutputs ?? false;
    this.rowBuffer = new Float32Array(config.cols);
  }

  /** Whether the last tile has drained. */
  get done(): boolean {
    return this.feeder.lastDrained === this.tiles.length - 1;
  }

  /** Steps taken so far. */
  get cycle(): number {
    return this.array.cycle;
  }

  /** Exactly one clock cycle of the whole unit. */
  step(): void {
    const t = this.array.cycle;
    let streamStart: number | null = null;
    const f = this.nextStream;
    if (f < this.tiles.length && this.loadedUpTo >= f && (f === 0 || t >= this.streamStart[f - 1]! + this.shape.m)) {
      this.feeder.start(this.tiles[f]!, t);
      this.streamStart.push(t);
      this.nextStream++;
      streamStart = f;
    }
    const loadRow = this.driveWeightPort(t);
    this.feeder.drive(t);
    this.array.step();
    this.feeder.collect(t);
    this.events = { cycle: t, loadRow, streamStart };
  }

  /** The weight-load port: starts a tile when allowed, then writes one shadow row per cycle. */
  private driveWeightPort(t: number): { tile: number; row: number } | null {
    const f = this.loadTile;
    if (this.loadRow < 0 && f < this.tiles.length && this.mayStartLoad(f, t)) this.loadRow = 0;
    if (this.loadRow < 0) return null;
    const tile = this.tiles[f]!;
    const row = this.loadRow;
    const N = this.shape.n;
    this.rowBuffer.fill(0);
    if (row < tile.kr) {
      const base = (tile.k0 + row) * N + tile.n0;
      for (let c = 0; c < tile.nc; c++) this.rowBuffer[c] = tile.b[base + c]!;
      this.filterReads += tile.nc;
    }
    this.array.inWeightRow = { row, tile: f, weights: this.rowBuffer };
    this.weightRowWrites++;
    if (++this.loadRow === this.config.rows) {
      this.loadRow = -1;
      this.loadedUpTo = f;
      this.loadTile++;
    }
    return { tile: f, row };
  }

  /** When tile f may start loading (see the module doc). */
  private mayStartLoad(f: number, t: number): boolean {
    if (f === 0) return true;
    if (!this.config.overlap) return this.feeder.lastDrained >= f - 1;
    const prev = this.streamStart[f - 1];
    return prev !== undefined && t >= prev + this.config.cols - 1;
  }

  /** Every PE's registers at the end of the last cycle. */
  snapshot(): PeState[][] {
    return this.array.snapshot();
  }

  /** The tile stream, in order (tile id = index). */
  get tileList(): readonly Tile[] {
    return this.tiles;
  }

  /** The pass accumulators [M, N] as they stand (in PASS_ORDER). */
  accumulators(): readonly Float32Array[] {
    this.feeder.flush();
    return this.accs;
  }

  /** The counters so far; `cycles` is the index of the last cycle stepped. */
  counters(): MxuCounters {
    const fc = this.feeder.counters;
    return {
      cycles: this.array.cycle - 1,
      weightTiles: this.loadedUpTo + 1,
      weightRowWrites: this.weightRowWrites,
      sramIfmapReads: fc.ifmapReads,
      sramFilterReads: this.filterReads,
      sramOfmapWrites: fc.ofmapWrites,
      macs: fc.macs,
    };
  }

  /** The combined result (passes combined, NaNs canonicalised); meaningful once `done`. */
  result(): Float32Array {
    return canonicalizeNaNs(combinePasses(this.accumulators().map((acc) => acc.slice())));
  }
}

/**
 * C = A . B on the stepped MXU, cycle by cycle: the ground truth for bits and cycles.
 * a: [M, K], b: [K, N] row-major f32 (rounded or split to bf16 on entry). Returns c: [M, N].
 * @example
 * const { c, cycles } = runStepped(new Float32Array([1, 2]), new Float32Array([3, 4]), { m: 1, k: 2, n: 1 }, { config: mxuConfig({ rows: 2, cols: 2 }) });
 * // c = [11], cycles = 2*2 + 2 + 1 - 3 = 4
 */
export function runStepped(a: Float32Array, b: Float32Array, shape: MatmulShape, options: SteppedOptions): SteppedResult {
  const mxu = new SteppedMxu(a, b, shape, options);
  while (!mxu.done) mxu.step();
  const counters = mxu.counters();
  return { c: mxu.result(), cycles: counters.cycles, counters };
}
