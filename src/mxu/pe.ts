/**
 * @module mxu/pe
 * One processing element (PE) of the weight-stationary systolic array, and `PeGrid`, an
 * R x C grid of PE objects wired to their neighbours: the teachable model. The fast flat
 * array (array.ts) is proven equal to `PeGrid`, register for register, in the tests.
 *
 * Imports bfloat16 (the f32 arithmetic) and the array port types (./array.ts) only.
 *
 * ## One PE
 * ```
 *            psum in (from the PE above; +0 at the top edge)
 *                 |
 *  act in  --> [ act | weight (active) / shadow | psum ] --> act out (to the PE on the right)
 *                 |
 *            psum out (to the PE below; the bottom row feeds the accumulators)
 * ```
 * Each `step()` is one clock cycle:
 * 1. Swap: if the activation arriving now belongs to a newer weight tile than the active
 *    weight, the shadow weight becomes the active one (the swap travels with the first
 *    activation of a tile, "the advancing wave" of the TPU v1 paper).
 * 2. MAC: psum = f32(psum_in + f32(act_in * weight)) (a bf16 x bf16 product is exact in f32
 *    unless it under- or overflows; it is rounded all the same, see reference.ts).
 * 3. The activation is latched and moves on: act = act_in.
 * The shadow register is written from outside (`loadShadow`) at the end of a cycle; it may
 * only be overwritten once its previous content has been swapped in (else `WeightHazardError`).
 */
import { addF32, mulF32 } from '../bfloat16/index.ts';
import type { PeState, SystolicArrayUnit, WeightRowWrite } from './array.ts';
import { WeightHazardError } from './array.ts';

/**
 * One processing element. Tile numbers are -1 for "none" (a bubble, or an empty register).
 * @example
 * const pe = new PE();
 * pe.loadShadow(3, 0);
 * Object.assign(pe, { inAct: 2, inTile: 0, inPsum: 1 });
 * pe.step(); // swaps in weight 3, then psum = 1 + 2 * 3
 * pe.psum // 7
 */
export class PE {
  /** In port: activation arriving from the left this cycle (bf16 value). */
  inAct = 0;
  /** In port: weight tile the arriving activation belongs to (-1 = bubble). */
  inTile = -1;
  /** In port: partial sum arriving from above this cycle (f32). */
  inPsum = 0;
  /** Out port / register: the latched activation, seen by the PE on the right next cycle. */
  act = 0;
  /** Out port / register: tile tag of the latched activation. */
  actTile = -1;
  /** Out port / register: the latched partial sum, seen by the PE below next cycle. */
  psum = 0;
  /** Active weight (bf16 value) and the tile it belongs to. */
  weight = 0;
  weightTile = -1;
  /** Shadow (background) weight being loaded for the next tile. */
  shadow = 0;
  shadowTile = -1;

  /** One clock cycle: swap if a newer tile arrives, multiply-accumulate, latch. */
  step(): void {
    if (this.inTile > this.weightTile) {
      if (this.shadowTile !== this.inTile) {
        throw new WeightHazardError(`PE got an activation of tile ${this.inTile} but its shadow holds tile ${this.shadowTile}`);
      }
      this.weight = this.shadow;
      this.weightTile = this.shadowTile;
    }
    this.psum = addF32(this.inPsum, mulF32(this.inAct, this.weight));
    this.act = this.inAct;
    this.actTile = this.inTile;
  }

  /** Writes the shadow register (end of cycle). Refuses to destroy a weight not yet used. */
  loadShadow(weight: number, tile: number): void {
    if (this.weightTile < this.shadowTile) {
      throw new WeightHazardError(`shadow of tile ${this.shadowTile} overwritten by tile ${tile} before it was swapped in`);
    }
    this.shadow = weight;
    this.shadowTile = tile;
  }

  /** The PE's registers. */
  snapshot(): PeState {
    return {
      act: this.act,
      actTile: this.actTile,
      psum: this.psum,
      weight: this.weight,
      weightTile: this.weightTile,
      shadow: this.shadow,
      shadowTile: this.shadowTile,
    };
  }
}

/**
 * An R x C grid of `PE` objects: activations move right, partial sums move down, one PE per
 * cycle. Slow (one object per cell) and plain on purpose: the spec the flat array must match.
 */
export class PeGrid implements SystolicArrayUnit {
  readonly rows: number;
  readonly cols: number;
  readonly inAct: Float32Array;
  readonly inTile: Int32Array;
  readonly outPsum: Float32Array;
  readonly outAct: Float32Array;
  inWeightRow: WeightRowWrite | null = null;
  cycle = 0;
  private readonly pes: PE[];

  constructor(rows: number, cols: number) {
    this.rows = rows;
    this.cols = cols;
    this.inAct = new Float32Array(rows);
    this.inTile = new Int32Array(rows).fill(-1);
    this.outPsum = new Float32Array(cols);
    this.outAct = new Float32Array(rows);
    this.pes = Array.from({ length: rows * cols }, () => new PE());
  }

  /** The PE at (row, col). */
  pe(row: number, col: number): PE {
    return this.pes[row * this.cols + col]!;
  }

  /** One clock cycle for every PE at once (inputs are taken from last cycle's registers). */
  step(): void {
    const { rows, cols } = this;
    // Wire in ports from the neighbours' registers before any PE latches (one clock edge).
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const p = this.pe(r, c);
        const left = c > 0 ? this.pe(r, c - 1) : null;
        p.inAct = left ? left.act : this.inAct[r]!;
        p.inTile = left ? left.actTile : this.inTile[r]!;
        p.inPsum = r > 0 ? this.pe(r - 1, c).psum : 0;
      }
    }
    for (const p of this.pes) p.step();
    const write = this.inWeightRow;
    if (write) {
      if (!(write.row >= 0 && write.row < rows) || write.weights.length !== cols) {
        throw new RangeError(`weight row write needs row in [0, ${rows}) and ${cols} weights, got row ${write.row}, ${write.weights.length}`);
      }
      for (let c = 0; c < cols; c++) this.pe(write.row, c).loadShadow(write.weights[c]!, write.tile);
      this.inWeightRow = null;
    }
    for (let c = 0; c < cols; c++) this.outPsum[c] = this.pe(rows - 1, c).psum;
    for (let r = 0; r < rows; r++) this.outAct[r] = this.pe(r, cols - 1).act;
    this.cycle++;
  }

  /** Every PE's registers, row-major. */
  snapshot(): PeState[][] {
    return Array.from({ length: this.rows }, (_, r) => Array.from({ length: this.cols }, (_, c) => this.pe(r, c).snapshot()));
  }
}
