/**
 * @module mxu/array
 * The R x C weight-stationary systolic array as flat typed arrays: the fast cycle-level
 * model, equal register for register to a grid of `PE` objects (pe.ts; proven in
 * test/mxu/stepped.test.ts). One concern: the PE grid and its wiring. Feeding (skew),
 * draining (deskew, accumulators) and sequencing live in feeder.ts and stepped.ts.
 *
 * Imports node:fs, node:url and ./wasm-loader (its error only). The MAC loop (all R*C PEs,
 * once per cycle) has two engines with the same bits: 'wasm' (default), a WebAssembly SIMD
 * loop (./wasm/array-mac.ts, compiled by scripts/build-wasm.mjs into
 * build/wasm/mxu-array-mac.wasm and loaded on first use; ~6x the plain loop), and 'js', the
 * plain `Math.fround` loop, which is exactly `addF32` / `mulF32` of src/bfloat16 written inline.
 * NOTE: the two may differ in the payload and sign of an intermediate NaN; a NaN stays a
 * NaN through every later add, and the MXU canonicalises NaNs on the way out.
 *
 * ## Ports (symmetric, as Gemmini's)
 * - in:  `inAct[r]`, `inTile[r]`: the activation entering row r at the left edge this cycle
 *        and the weight tile it belongs to (-1 = bubble). The psum entering the top of each
 *        column is hard-wired +0. `inWeightRow`: one row of shadow weights written this cycle.
 * - out: `outPsum[c]`: the psum leaving the bottom of column c this cycle; `outAct[r]`: the
 *        activation in the rightmost PE of row r.
 *
 * ## Representation (why it is fast and still the same registers)
 * Moving every register one PE per cycle would copy R*C values per cycle. Instead:
 * - the C activation registers of a row are a ring: the value entering at cycle t is stored
 *   once, at slot (-t mod C); PE (r, c) at cycle t holds the value that entered c cycles ago,
 *   slot (c - t mod C). Nothing is moved; the ring index turns.
 * - the psum registers: a psum travelling down a column keeps one slot, (t - r) mod R, for its
 *   whole trip (row r at cycle t and row r+1 at cycle t+1 name the same slot), so each PE
 *   updates it in place; the slot the bottom row emptied last cycle is where row 0 starts +0.
 * - weights: active and shadow planes (R*C each). The swap travels with the first activation
 *   of a tile: a "front" per row and tile, which swaps one PE per cycle (O(R) work, not R*C).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmKernelError } from './wasm-module.ts';

/** The registers of one PE at the end of a cycle. Tiles are -1 for "none". */
export interface PeState {
  /** Activation register (bf16 value) and the tile its wave belongs to. */
  readonly act: number;
  readonly actTile: number;
  /** Partial-sum register (f32). */
  readonly psum: number;
  /** Active weight and its tile. */
  readonly weight: number;
  readonly weightTile: number;
  /** Shadow (background) weight and its tile. */
  readonly shadow: number;
  readonly shadowTile: number;
}

/** One row of shadow weights written in one cycle (the weight-load port). */
export interface WeightRowWrite {
  /** Array row, 0 = top. */
  readonly row: number;
  /** The weight tile the row belongs to. */
  readonly tile: number;
  /** weights: [C], bf16 values (+0 past the edge of a partial tile). */
  readonly weights: Float32Array;
}

/** The array as a unit with ports; implemented by `SystolicArray` (flat) and `PeGrid`. */
export interface SystolicArrayUnit {
  readonly rows: number;
  readonly cols: number;
  /** Steps taken so far; the next `step()` is cycle `cycle`. */
  readonly cycle: number;
  readonly inAct: Float32Array;
  readonly inTile: Int32Array;
  inWeightRow: WeightRowWrite | null;
  readonly outPsum: Float32Array;
  readonly outAct: Float32Array;
  /** Exactly one clock cycle. Consumes `inWeightRow` (written at the end of the cycle). */
  step(): void;
  /** Every PE's registers, [row][col]. */
  snapshot(): PeState[][];
}

/** A weight was overwritten before use, or an activation met a weight that was not loaded. */
export class WeightHazardError extends Error {
  override readonly name = 'WeightHazardError';
}

/** A swap wave in flight along one row: tile `tile` entered row `row` at cycle `start`. */
interface SwapFront {
  readonly row: number;
  readonly tile: number;
  readonly start: number;
}

/**
 * The flat, fast systolic array.
 * @example
 * const array = new SystolicArray(4, 4);
 * array.inWeightRow = { row: 0, tile: 0, weights: new Float32Array([1, 2, 3, 4]) };
 * array.step(); // cycle 0: shadow row 0 written
 * array.snapshot()[0][3].shadow // 4
 */
export class SystolicArray implements SystolicArrayUnit {
  readonly rows: number;
  readonly cols: number;
  cycle = 0;
  readonly inAct: Float32Array;
  readonly inTile: Int32Array;
  inWeightRow: WeightRowWrite | null = null;
  readonly outPsum: Float32Array;
  readonly outAct: Float32Array;
  /** act ring per row: [R, C]; tag ring in parallel. */
  private readonly actRing: Float32Array;
  private readonly tagRing: Int32Array;
  /** psum slots: [R slots, C]. */
  private readonly psumSlots: Float32Array;
  private readonly slotViews: Float32Array[];
  /** weights: [R, C] each; tiles per PE (active) and per row (shadow rows are written whole). */
  private readonly weight: Float32Array;
  private readonly shadow: Float32Array;
  private readonly weightTile: Int32Array;
  private readonly shadowTile: Int32Array;
  /** Newest tile that has entered each row, and the swap fronts still crossing the array. */
  private readonly newestTile: Int32Array;
  private readonly fronts: SwapFront[] = [];
  private readonly wasm: MacFunction | null;

  /** `engine`: 'wasm' (SIMD, the default) or 'js' (the plain loop, the same bits). */
  constructor(rows: number, cols: number, engine: MacEngine = 'wasm') {
    if (!Number.isSafeInteger(rows) || rows < 1 || !Number.isSafeInteger(cols) || cols < 1) {
      throw new RangeError(`array size must be positive integers, got ${rows} x ${cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    const n = rows * cols;
    this.inAct = new Float32Array(rows);
    this.inTile = new Int32Array(rows).fill(-1);
    this.outPsum = new Float32Array(cols);
    this.outAct = new Float32Array(rows);
    // act ring, psum slots and active weights share one buffer: WebAssembly memory or plain.
    const bytes = 3 * n * 4;
    const memory = engine === 'wasm' ? new wasmApi.Memory({ initial: Math.ceil(bytes / 65536) }) : null;
    const buffer = memory ? memory.buffer : new ArrayBuffer(bytes);
    this.actRing = new Float32Array(buffer, 0, n);
    this.psumSlots = new Float32Array(buffer, n * 4, n);
    this.weight = new Float32Array(buffer, 2 * n * 4, n);
    this.wasm = memory ? instantiateMac(memory) : null;
    this.slotViews = Array.from({ length: rows }, (_, slot) => this.psumSlots.subarray(slot * cols, slot * cols + cols));
    this.tagRing = new Int32Array(n).fill(-1);
    this.shadow = new Float32Array(n);
    this.weightTile = new Int32Array(n).fill(-1);
    this.shadowTile = new Int32Array(rows).fill(-1);
    this.newestTile = new Int32Array(rows).fill(-1);
  }

  /** One clock cycle: inputs enter, swaps ride their wave, every PE does one MAC. */
  step(): void {
    const t = this.cycle;
    const { rows: R, cols: C } = this;
    const q = (C - (t % C)) % C; // ring slot of the activation entering at cycle t
    const { inAct, inTile, actRing, tagRing, newestTile, outAct } = this;
    for (let r = 0, i = q; r < R; r++, i += C) {
      const tag = inTile[r]!;
      actRing[i] = inAct[r]!;
      tagRing[i] = tag;
      if (tag > newestTile[r]!) {
        newestTile[r] = tag;
        this.fronts.push({ row: r, tile: tag, start: t });
      }
    }
    this.advanceFronts(t);
    this.macAll(t, q);
    const bottom = ((t - R + 1) % R + R) % R;
    this.outPsum.set(this.slotViews[bottom]!);
    const right = (q + C - 1) % C;
    for (let r = 0, i = right; r < R; r++, i += C) outAct[r] = actRing[i]!;
    const write = this.inWeightRow;
    if (write) {
      this.writeShadowRow(write);
      this.inWeightRow = null;
    }
    this.cycle = t + 1;
  }

  /** Each swap front swaps the PE its wave reaches this cycle; finished fronts are dropped. */
  private advanceFronts(t: number): void {
    if (this.fronts.length === 0) return;
    const C = this.cols;
    const fronts = this.fronts;
    let kept = 0;
    for (const f of fronts) {
      const c = t - f.start;
      const i = f.row * C + c;
      if (f.tile > this.weightTile[i]!) {
        if (this.shadowTile[f.row] !== f.tile) {
          throw new WeightHazardError(
            `PE (${f.row}, ${c}) got an activation of tile ${f.tile} at cycle ${t} but its shadow holds tile ${this.shadowTile[f.row]}`,
          );
        }
        this.weight[i] = this.shadow[i]!;
        this.weightTile[i] = f.tile;
      }
      if (c < C - 1) fronts[kept++] = f;
    }
    fronts.length = kept;
  }

  /**
   * The hot loop: every PE does psum = f32(psum_in + f32(act * weight)) once.
   * Row r works on psum slot (t - r) mod R; its activations are ring slots (q + c) mod C.
   * Row 0's slot is cleared first: the psum entering the top is +0, and f32(+0 + x) is never -0.
   */
  private macAll(t: number, q: number): void {
    const { rows: R, cols: C, psumSlots: ps } = this;
    const slot0 = t % R;
    ps.fill(0, slot0 * C, slot0 * C + C);
    if (this.wasm) this.wasm(slot0, R, C, q, 0, R * C * 4, 2 * R * C * 4);
    else this.macAllJs(slot0, q);
  }

  /** The same loop in plain JavaScript (the readable spec of the WebAssembly one). */
  private macAllJs(slot0: number, q: number): void {
    const { rows: R, cols: C, actRing: act, psumSlots: ps, weight: w } = this;
    const fround = Math.fround; // fround(x + y) is addF32, fround(x * y) is mulF32
    const split = C - q; // columns [0, split) read ring slots q.., [split, C) wrap to 0..
    let slot = slot0;
    for (let r = 0; r < R; r++) {
      const pb = slot * C;
      const wb = r * C;
      const ab = r * C + q;
      const ab2 = r * C - split;
      for (let c = 0; c < split; c++) ps[pb + c] = fround(ps[pb + c]! + fround(act[ab + c]! * w[wb + c]!));
      for (let c = split; c < C; c++) ps[pb + c] = fround(ps[pb + c]! + fround(act[ab2 + c]! * w[wb + c]!));
      slot = slot === 0 ? R - 1 : slot - 1;
    }
  }

  /** End of cycle: one shadow row is written, unless that would destroy an unused weight. */
  private writeShadowRow(write: WeightRowWrite): void {
    const { row, tile, weights } = write;
    const C = this.cols;
    if (!(row >= 0 && row < this.rows) || weights.length !== C) {
      throw new RangeError(`weight row write needs row in [0, ${this.rows}) and ${C} weights, got row ${row}, ${weights.length}`);
    }
    const held = this.shadowTile[row]!;
    for (let c = 0; c < C; c++) {
      if (this.weightTile[row * C + c]! < held) {
        throw new WeightHazardError(`shadow of tile ${held} in PE (${row}, ${c}) overwritten by tile ${tile} before it was swapped in`);
      }
    }
    this.shadow.set(weights, row * C);
    this.shadowTile[row] = tile;
  }

  /** Every PE's registers at the end of the last cycle, [row][col]. */
  snapshot(): PeState[][] {
    const { rows: R, cols: C } = this;
    const last = this.cycle - 1; // the cycle the registers were latched in
    const out: PeState[][] = [];
    for (let r = 0; r < R; r++) {
      const line: PeState[] = [];
      for (let c = 0; c < C; c++) {
        const i = r * C + c;
        const a = r * C + ((((c - last) % C) + C) % C);
        const p = ((((last - r) % R) + R) % R) * C + c;
        line.push({
          act: this.actRing[a]!,
          actTile: this.tagRing[a]!,
          psum: this.cycle === 0 ? 0 : this.psumSlots[p]!,
          weight: this.weight[i]!,
          weightTile: this.weightTile[i]!,
          shadow: this.shadow[i]!,
          shadowTile: this.shadowTile[r]!,
        });
      }
      out.push(line);
    }
    return out;
  }
}

/** Which implementation runs the MAC loop; both give the same bits. */
export type MacEngine = 'wasm' | 'js';

/** mac(slot0, R, C, q, actPtr, psumPtr, weightPtr): one cycle of MACs over the whole array. */
type MacFunction = (slot0: number, rows: number, cols: number, q: number, act: number, ps: number, w: number) => void;

/** The compiled MAC loop (from ./wasm/array-mac.ts), relative to the repository root. */
const MAC_WASM_PATH = 'build/wasm/mxu-array-mac.wasm';

/** The slice of the WebAssembly API used here (tsconfig's lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: (new (bytes: Uint8Array) => object) & { imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let macModule: object | undefined;

/** Instantiates the MAC loop on `memory` (act ring, psum slots, weights, as laid out above). */
function instantiateMac(memory: WasmMemory): MacFunction {
  macModule ??= loadMacModule(fileURLToPath(new URL(`../../${MAC_WASM_PATH}`, import.meta.url)));
  const instance = new wasmApi.Instance(macModule, { env: { memory } });
  return instance.exports['mac'] as MacFunction;
}

/** Compiles the MAC loop from `path` (throws WasmKernelError, saying how to rebuild, if missing or stale). */
function loadMacModule(path: string): object {
  const rebuild = 'run `npm run build:wasm` (it compiles src/mxu/wasm/array-mac.ts)';
  if (!existsSync(path)) throw new WasmKernelError(`${path} is missing: ${rebuild}`);
  let module: object;
  try {
    module = new wasmApi.Module(readFileSync(path));
  } catch (err) {
    throw new WasmKernelError(`${path} is not a valid module (${(err as Error).message}): ${rebuild}`);
  }
  // NOTE: a build with its own memory would link and silently run on the wrong registers.
  if (!wasmApi.Module.imports(module).some((i) => `${i.module}.${i.name}` === 'env.memory')) {
    throw new WasmKernelError(`${path} does not import its memory (built from older sources): ${rebuild}`);
  }
  return module;
}
