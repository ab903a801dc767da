/**
 * @module mxu/array
 * The R x C weight-stationary systolic array as flat typed arrays: the fast cycle-level
 * model, equal register for register to a grid of `PE` objects (pe.ts; proven in
 * test/mxu/stepped.test.ts). One concern: the PE grid and its wiring. Feeding (skew),
 * draining (deskew, accumulators) and sequencing live in feeder.ts and stepped.ts.
 *
 * Imports nothing of ours. The MAC loop (all R*C PEs, once per cycle) has two engines
 * with the same bits: 'wasm' (default), a WebAssembly SIMD loop assembled at the bottom of
 * this file from its source (no build step; ~6x the plain loop), and 'js', the plain
 * `Math.fround` loop, which is exactly `addF32` / `mulF32` of src/bfloat16 written inline.
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

/** The slice of the WebAssembly API used here (tsconfig's lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let macModule: object | null = null;

/** Instantiates the MAC loop on `memory` (act ring, psum slots, weights, as laid out above). */
function instantiateMac(memory: WasmMemory): MacFunction {
  macModule ??= new wasmApi.Module(assembleMacModule());
  const instance = new wasmApi.Instance(macModule, { e: { m: memory } });
  return instance.exports['mac'] as MacFunction;
}

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];

/**
 * The MAC loop as a WebAssembly module, assembled here from its source (no build step).
 * WebAssembly f32 arithmetic is IEEE single precision with round-to-nearest-even and keeps
 * subnormals, so `f32x4.mul` then `f32x4.add` gives exactly Math.fround's bits (NaN payloads
 * aside, which the MXU canonicalises on the way out).
 *
 *   func seg(ps, act, w, n):            ;; ps[i] = ps[i] + act[i] * w[i], i < n (byte pointers)
 *     while n >= 8: the same on two v128 at ps, ps + 16 (act, w alike); ps,act,w += 32; n -= 8
 *     while n >= 4: v128 ps = f32x4.add(ps, f32x4.mul(act, w)); ps,act,w += 16; n -= 4
 *     while n != 0: f32    ps = f32.add(ps, f32.mul(act, w));     ps,act,w += 4;  n -= 1
 *   func mac(slot, R, C, q, act, ps, w):  ;; export "mac"
 *     rowBytes = C*4; split = C - q
 *     for r in 0..R:                     ;; rowOff = r*rowBytes
 *       pb = ps + slot*rowBytes
 *       seg(pb, act + rowOff + q*4, w + rowOff, split)
 *       seg(pb + split*4, act + rowOff, w + rowOff + split*4, q)
 *       slot = slot ? slot - 1 : R - 1
 */
function assembleMacModule(): Uint8Array {
  const I32 = 0x7f;
  const simd = (op: number, offset = 0): number[] => [0xfd, ...leb(op), 0x02, ...leb(offset)]; // memarg: align 4
  const f32x4 = (op: number): number[] => [0xfd, ...leb(op)];
  const step = (i: number, k: number, op: number): number[] => [...get(i), 0x41, k, op, ...set(i)]; // local i op= k
  const bump = (bytes: number, count: number): number[] =>
    [...step(0, bytes, 0x6a), ...step(1, bytes, 0x6a), ...step(2, bytes, 0x6a), ...step(3, count, 0x6b)];
  // ps[off] = f32x4.add(ps[off], f32x4.mul(act[off], w[off])): v128.load x3, mul, add, v128.store
  const mac4 = (off: number): number[] =>
    [...get(0), ...get(0), ...simd(0x00, off), ...get(1), ...simd(0x00, off), ...get(2), ...simd(0x00, off), ...f32x4(0xe6), ...f32x4(0xe4), ...simd(0x0b, off)];
  const seg = [
    0, // no extra locals: params 0 ps, 1 act, 2 w, 3 n
    ...[0x02, 0x40, 0x03, 0x40, ...get(3), 0x41, 8, 0x48, 0x0d, 1], // block; loop; br_if n < 8
    ...[...mac4(0), ...mac4(16), ...bump(32, 8), 0x0c, 0, 0x0b, 0x0b], // two vectors per turn (~10% faster)
    ...[0x02, 0x40, 0x03, 0x40, ...get(3), 0x41, 4, 0x48, 0x0d, 1], // block; loop; br_if n < 4
    ...[...mac4(0), ...bump(16, 4), 0x0c, 0, 0x0b, 0x0b],
    ...[0x02, 0x40, 0x03, 0x40, ...get(3), 0x45, 0x0d, 1], // block; loop; br_if n == 0
    ...[...get(0), ...get(0), 0x2a, 2, 0, ...get(1), 0x2a, 2, 0, ...get(2), 0x2a, 2, 0],
    ...[0x94, 0x92, 0x38, 2, 0], // f32.mul, f32.add, f32.store
    ...[...bump(4, 1), 0x0c, 0, 0x0b, 0x0b],
    0x0b,
  ];
  // params 0 slot, 1 R, 2 C, 3 q, 4 act, 5 ps, 6 w; locals 7 r, 8 rowBytes, 9 split, 10 pb, 11 rowOff
  const shl2 = [0x41, 2, 0x74];
  const mac = [
    ...[1, 5, I32],
    ...[...get(2), ...shl2, ...set(8), ...get(2), ...get(3), 0x6b, ...set(9)],
    ...[0x02, 0x40, 0x03, 0x40, ...get(7), ...get(1), 0x46, 0x0d, 1], // block; loop; br_if r == R
    ...[...get(5), ...get(0), ...get(8), 0x6c, 0x6a, ...set(10)],
    ...[...get(10), ...get(4), ...get(11), 0x6a, ...get(3), ...shl2, 0x6a, ...get(6), ...get(11), 0x6a, ...get(9), 0x10, 0],
    ...[...get(10), ...get(9), ...shl2, 0x6a, ...get(4), ...get(11), 0x6a],
    ...[...get(6), ...get(11), 0x6a, ...get(9), ...shl2, 0x6a, ...get(3), 0x10, 0],
    ...[...get(0), 0x41, 1, 0x6b, ...get(1), 0x41, 1, 0x6b, ...get(0), 0x1b, ...set(0)], // slot = slot ? slot-1 : R-1
    ...[...step(7, 1, 0x6a), ...get(11), ...get(8), 0x6a, ...set(11), 0x0c, 0, 0x0b, 0x0b],
    0x0b,
  ];
  const params = (n: number): number[][] => Array.from({ length: n }, () => [I32]);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(params(4)), 0], [0x60, ...vec(params(7)), 0]])),
    ...section(2, vec([[...name('e'), ...name('m'), 0x02, 0x00, 1]])), // import memory e.m, min 1 page
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...name('mac'), 0x00, 1]])),
    ...section(10, vec([[...leb(seg.length), ...seg], [...leb(mac.length), ...mac]])),
  ]);
}
