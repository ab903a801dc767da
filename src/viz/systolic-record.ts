/**
 * @module viz/systolic-record
 * The recording that `tpusim viz` animates: a small tiled matmul stepped on the MXU's
 * cycle-level model (mxu/trace.ts `traceMatmul`, the stepped array the tests use), packed as
 * plain JSON-able data, one frame per cycle. The page only looks values up in it; nothing
 * is simulated in the browser.
 *
 * Imports mxu (config, trace) only.
 *
 * Invariants:
 * - frame t is the state at the END of cycle t: `frames[t].pe.psum[r * C + c]` is
 *   `snapshot()[r][c].psum` after t + 1 calls of `SteppedMxu.step()` (test/viz checks it);
 * - `acc` of a frame is the accumulators as they stand after that cycle (null = not yet
 *   written), built from the feeder's recorded writes of this and every earlier cycle;
 * - the recording's size is bounded (`VIZ_LIMITS`, checked from the closed-form cycle count
 *   before anything is stepped).
 */
import { mxuConfig, type MatmulShape } from '../mxu/config.ts';
import { mxuCycles } from '../mxu/cycles.ts';
import { randomOperands, traceMatmul } from '../mxu/trace.ts';

/** How big a recording may get: the page embeds every frame. */
export const VIZ_LIMITS = {
  /** PEs in the array (16 x 16 is readable on a screen). */
  pes: 256,
  /** Frames (cycles) recorded. */
  cycles: 2000,
  /** Values recorded over all frames (8 per PE plus one per accumulator, per frame): ~20 MB of JSON. */
  values: 2_000_000,
} as const;

/** A recording request out of bounds or malformed; names the option. Printed as one line by the CLI. */
export class VizError extends Error {
  override readonly name = 'VizError';
  readonly userFacing = true;
}

/** What to record. */
export interface SystolicRecordOptions {
  /** Array rows R and columns C. */
  readonly rows: number;
  readonly cols: number;
  /** The matmul C[M, N] = A[M, K] . B[K, N]. */
  readonly shape: MatmulShape;
  /** Seed of the operands (small integers in [-4, 4], mxu/trace.ts `randomOperands`). */
  readonly seed: number;
  /** Weight double buffering (default true), as `mxuConfig`. */
  readonly overlap?: boolean;
}

/** Every PE's registers in one frame, each [R * C] row-major (tiles are -1 for none). */
export interface PeFrame {
  readonly act: number[];
  readonly actTile: number[];
  readonly psum: number[];
  readonly weight: number[];
  readonly weightTile: number[];
  readonly shadow: number[];
  readonly shadowTile: number[];
  /** 1 where the PE did a MAC on real operands this cycle. */
  readonly busy: number[];
}

/** The state at the end of one cycle. */
export interface SystolicFrame {
  readonly cycle: number;
  /** Shadow row written by the weight-load port this cycle. */
  readonly load: { readonly tile: number; readonly row: number } | null;
  /** Tile whose first activation entered this cycle. */
  readonly streamStart: number | null;
  readonly pe: PeFrame;
  /** Results added into the accumulators this cycle: array column, output (m, n), new value. */
  readonly out: { readonly col: number; readonly m: number; readonly n: number; readonly value: number }[];
  /** acc: [M * N] accumulators after this cycle, null where nothing has arrived yet. */
  readonly acc: (number | null)[];
}

/** A whole recording, as embedded in the page. */
export interface SystolicRecording {
  readonly rows: number;
  readonly cols: number;
  readonly overlap: boolean;
  readonly shape: MatmulShape;
  readonly seed: number;
  /** a: [M, K], b: [K, N], c: [M, N] row-major. */
  readonly a: number[];
  readonly b: number[];
  readonly c: number[];
  /** The tile stream: tile id = index; rows k0..k0+kr-1 of B, columns n0..n0+nc-1. */
  readonly tiles: { readonly k0: number; readonly kr: number; readonly n0: number; readonly nc: number }[];
  readonly frames: SystolicFrame[];
  /** Whether c equals the numerics reference bit for bit. */
  readonly matchesReference: boolean;
}

/** Refuses, before stepping, a recording larger than `VIZ_LIMITS`, naming the options. */
export function checkRecordSize(options: SystolicRecordOptions): void {
  const { rows: R, cols: C, shape } = options;
  const what = `--rows ${R} --cols ${C} -m ${shape.m} -k ${shape.k} -n ${shape.n}`;
  if (R * C > VIZ_LIMITS.pes) throw new VizError(`viz draws arrays of at most ${VIZ_LIMITS.pes} PEs; ${what} has ${R * C}`);
  const config = mxuConfig({ rows: R, cols: C, overlap: options.overlap ?? true });
  const frames = mxuCycles(shape, config, 'default') + 1;
  if (frames > VIZ_LIMITS.cycles) throw new VizError(`viz records at most ${VIZ_LIMITS.cycles} cycles; ${what} takes ${frames}: use smaller -m, -k or -n`);
  const values = frames * (8 * R * C + shape.m * shape.n);
  if (values > VIZ_LIMITS.values) {
    const madeOf = `${frames} cycles x (8 x ${R * C} PE registers + ${shape.m * shape.n} accumulators)`;
    throw new VizError(`viz records at most ${VIZ_LIMITS.values} values; ${what} would record ${values} (${madeOf})`);
  }
}

/**
 * Steps the matmul to the end on the cycle-level MXU and records every cycle.
 * @example
 * const rec = recordSystolic({ rows: 4, cols: 4, shape: { m: 5, k: 4, n: 4 }, seed: 1 });
 * rec.frames[7].pe.psum // the 16 psum registers at the end of cycle 7
 */
export function recordSystolic(options: SystolicRecordOptions): SystolicRecording {
  checkRecordSize(options);
  const { rows, cols, shape, seed } = options;
  const config = mxuConfig({ rows, cols, overlap: options.overlap ?? true });
  const { a, b } = randomOperands(shape, seed);
  const trace = traceMatmul(a, b, shape, { config });
  const acc: (number | null)[] = new Array<number | null>(shape.m * shape.n).fill(null);
  const frames = trace.frames.map((f): SystolicFrame => {
    const pes = f.pes.flat();
    for (const o of f.outputs) acc[o.m * shape.n + o.n] = o.value;
    return {
      cycle: f.events.cycle,
      load: f.events.loadRow,
      streamStart: f.events.streamStart,
      pe: {
        act: pes.map((p) => p.act),
        actTile: pes.map((p) => p.actTile),
        psum: pes.map((p) => p.psum),
        weight: pes.map((p) => p.weight),
        weightTile: pes.map((p) => p.weightTile),
        shadow: pes.map((p) => p.shadow),
        shadowTile: pes.map((p) => p.shadowTile),
        busy: f.busy.flat().map((x) => (x ? 1 : 0)),
      },
      out: f.outputs.map((o) => ({ col: o.col, m: o.m, n: o.n, value: o.value })),
      acc: acc.slice(),
    };
  });
  const tiles: SystolicRecording['tiles'] = [];
  for (let n0 = 0; n0 < shape.n; n0 += cols) {
    for (let k0 = 0; k0 < shape.k; k0 += rows) tiles.push({ k0, kr: Math.min(rows, shape.k - k0), n0, nc: Math.min(cols, shape.n - n0) });
  }
  return { rows, cols, overlap: config.overlap, shape, seed, a: trace.a, b: trace.b, c: trace.c, tiles, frames, matchesReference: trace.matchesReference };
}
