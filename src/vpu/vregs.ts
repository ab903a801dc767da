/**
 * @module vpu/vregs
 * The VPU at register level: 32 vector registers of 8 sublanes x 128 lanes of f32, mask
 * registers of the same shape, loads and stores from vector memory, and one method per
 * instruction that charges its cycles (./ops.ts). This is the form that shows what the
 * hardware does with one vreg; ./array.ts and ./reduce.ts are the whole-array forms the
 * compiler calls, tested to give the same bits.
 *
 * Imports ./config, ./ops, ./reduce. A register is a Float32Array laid out row-major
 * [sublane][lane]. Reductions are rotate trees over the whole register, so every sublane
 * (or lane) ends up with a full reduction in its own rotated order; element 0 is the
 * defined result (the order documented in ./reduce.ts).
 */
import { DEFAULT_VPU_CONFIG, vregSize, type VpuConfig } from './config.ts';
import { BINARY_FNS, COMPARE_FNS, UNARY_FNS, opCycles, type BinaryOp, type CompareOp, type UnaryOp } from './ops.ts';
import { REDUCE_FNS, type ReduceKind } from './reduce.ts';

/** A register-level VPU with a cycle counter. */
export class VectorUnit {
  /** Vector registers, each [sublanes * lanes] row-major. */
  readonly regs: Float32Array[];
  /** Mask registers (1 = true), same shape. */
  readonly masks: Uint8Array[];
  /** Cycles spent so far. */
  cycles = 0;

  constructor(readonly config: VpuConfig = DEFAULT_VPU_CONFIG) {
    const size = vregSize(config);
    this.regs = Array.from({ length: config.registers }, () => new Float32Array(size));
    this.masks = Array.from({ length: config.registers }, () => new Uint8Array(size));
  }

  /** Register `r`, or a RangeError naming it. */
  reg(r: number): Float32Array {
    const v = this.regs[r];
    if (v === undefined) throw new RangeError(`vpu: no vector register v${r} (there are ${this.regs.length})`);
    return v;
  }

  /** Mask register `m`, or a RangeError naming it. */
  mask(m: number): Uint8Array {
    const v = this.masks[m];
    if (v === undefined) throw new RangeError(`vpu: no mask register m${m} (there are ${this.masks.length})`);
    return v;
  }

  /** Loads one vreg from memory at `offset`; values past the end read as `pad`. Free (a load slot). */
  load(dst: number, memory: Float32Array, offset: number, pad = 0): void {
    const v = this.reg(dst);
    const end = Math.min(memory.length, offset + v.length);
    v.fill(pad);
    if (end > offset) v.set(memory.subarray(offset, end));
  }

  /** Stores one vreg to memory at `offset`, dropping values past the end. Free (a store slot). */
  store(src: number, memory: Float32Array, offset: number): void {
    const v = this.reg(src);
    const n = Math.max(0, Math.min(v.length, memory.length - offset));
    memory.set(v.subarray(0, n), offset);
  }

  /** dst = op(src). */
  unary(op: UnaryOp, dst: number, src: number): void {
    const f = UNARY_FNS[op];
    const [d, s] = [this.reg(dst), this.reg(src)];
    for (let i = 0; i < d.length; i++) d[i] = f(s[i]!);
    this.cycles += opCycles(op, this.config);
  }

  /** dst = op(a, b). */
  binary(op: BinaryOp, dst: number, a: number, b: number): void {
    const f = BINARY_FNS[op];
    const [d, x, y] = [this.reg(dst), this.reg(a), this.reg(b)];
    for (let i = 0; i < d.length; i++) d[i] = f(x[i]!, y[i]!);
    this.cycles += opCycles(op, this.config);
  }

  /** mask m = op(a, b). */
  compare(op: CompareOp, m: number, a: number, b: number): void {
    const f = COMPARE_FNS[op];
    const [d, x, y] = [this.mask(m), this.reg(a), this.reg(b)];
    for (let i = 0; i < d.length; i++) d[i] = f(x[i]!, y[i]!) ? 1 : 0;
    this.cycles += opCycles(op, this.config);
  }

  /** dst = m ? a : b. */
  select(dst: number, m: number, a: number, b: number): void {
    const [d, k, x, y] = [this.reg(dst), this.mask(m), this.reg(a), this.reg(b)];
    for (let i = 0; i < d.length; i++) d[i] = k[i] !== 0 ? x[i]! : y[i]!;
    this.cycles += opCycles('select', this.config);
  }

  /**
   * Sublane reduction by rotate tree: for s = S/2 .. 1, v[r] = f(v[r], v[(r + s) mod S]) in
   * every lane at once. Sublane 0 of dst holds the defined result.
   */
  reduceSublanes(kind: ReduceKind, dst: number, src: number): void {
    const { sublanes: S, lanes: L } = this.config;
    const f = REDUCE_FNS[kind];
    const v = Float32Array.from(this.reg(src));
    for (let s = S >> 1; s >= 1; s >>= 1) {
      const old = Float32Array.from(v);
      for (let r = 0; r < S; r++) {
        for (let l = 0; l < L; l++) v[r * L + l] = f(old[r * L + l]!, old[((r + s) % S) * L + l]!);
      }
    }
    this.reg(dst).set(v);
    this.cycles += opCycles('reduce-sublanes', this.config);
  }

  /**
   * Cross-lane reduction by rotate tree: for s = L/2 .. 1, v[l] = f(v[l], v[(l + s) mod L])
   * in every sublane at once. Lane 0 of each sublane of dst holds the defined result.
   */
  reduceLanes(kind: ReduceKind, dst: number, src: number): void {
    const { sublanes: S, lanes: L } = this.config;
    const f = REDUCE_FNS[kind];
    const v = Float32Array.from(this.reg(src));
    for (let s = L >> 1; s >= 1; s >>= 1) {
      const old = Float32Array.from(v);
      for (let r = 0; r < S; r++) {
        for (let l = 0; l < L; l++) v[r * L + l] = f(old[r * L + l]!, old[r * L + ((l + s) % L)]!);
      }
    }
    this.reg(dst).set(v);
    this.cycles += opCycles('reduce-lanes', this.config);
  }
}
