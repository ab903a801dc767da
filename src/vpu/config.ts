/**
 * @module vpu/config
 * The vector unit's configuration and its cycle cost table: every field typed, with a unit,
 * a default and a one-line doc. Imports nothing of ours.
 *
 * ## Cost model (cycles per vreg, i.e. per 8 x 128 values) and where the numbers come from
 *
 * The VPU is a 2-D SIMD unit: 8 sublanes x 128 lanes of 32-bit ALUs, fed from 32 vector
 * registers of that shape (Norrie et al., "The Design Process for Google's Training Chips:
 * TPUv2 and TPUv3", IEEE Micro 41(2), 2021; the JAX Pallas TPU guide describes the same
 * (8, 128) tiling). Google publishes no per-instruction timings for v2, so the numbers below
 * are a model, each with its reasoning:
 * - simple VALU op (add, sub, mul, max, min, neg, abs, compare, select, bf16 convert): one
 *   full vreg per cycle, because the array has one ALU per element. Loads and stores to
 *   vector memory issue in other slots of the VLIW bundle, so they are not charged.
 * - divide: there is no divider; x / y is a reciprocal on the transcendental unit plus a
 *   Newton step and a multiply on the VALU (the Pallas guide lists division among the
 *   multi-instruction ops): EUP 4 + VALU 3 = 7.
 * - transcendentals (exp, log, tanh, sqrt, rsqrt) run on the extended unary pipeline (EUP),
 *   which is modelled as four times narrower than the VALU (4 cycles per vreg), plus the
 *   VALU range reduction / correction around it: exp = 4 + 4 (x * log2(e), split, scale),
 *   log = 4 + 3, tanh = 4 + 4, rsqrt = 4 + 2 (one Newton step), sqrt = rsqrt + 1 multiply.
 *   Only the ordering matters for what the model is used for: a transcendental costs several
 *   adds.
 * - sublane reduction (8 -> 1 inside a vreg): log2(8) = 3 steps of sublane rotate + add,
 *   both on the VALU: 3 x 2 = 6.
 * - cross-lane reduction (128 -> 1): lanes can only meet through the cross-lane unit (XLU),
 *   whose rotate has a long latency (a public Pallas TPU tutorial measures tens of cycles
 *   for a cross-lane reduce on a later chip). Modelled as log2(128) = 7 steps of
 *   (lane rotate 8 + add 1) = 63 cycles per vreg: ten times a sublane reduction.
 */

/** Configuration of one vector unit. */
export interface VpuConfig {
  /** Sublanes per vector register (rows). Default 8. */
  readonly sublanes: number;
  /** Lanes per vector register (columns). Default 128. */
  readonly lanes: number;
  /** Number of vector registers. Default 32. */
  readonly registers: number;
  /** Cycles per vreg of a simple VALU op (add, mul, compare, select, ...). Default 1. */
  readonly aluCycles: number;
  /** Cycles per vreg of one push through the transcendental unit (EUP). Default 4. */
  readonly eupCycles: number;
  /** Cycles of one cross-lane (XLU) rotate of a vreg. Default 8. */
  readonly laneRotateCycles: number;
}

/** TPU v2 defaults. */
export const DEFAULT_VPU_CONFIG: VpuConfig = {
  sublanes: 8,
  lanes: 128,
  registers: 32,
  aluCycles: 1,
  eupCycles: 4,
  laneRotateCycles: 8,
};

/** A config error that names the field; printed as one line by the CLI. */
export class VpuConfigError extends Error {
  override readonly name = 'VpuConfigError';
  readonly userFacing = true;
}

/** Builds a complete config from defaults plus overrides, validating every field. */
export function vpuConfig(overrides: Partial<VpuConfig> = {}): VpuConfig {
  const config = { ...DEFAULT_VPU_CONFIG, ...overrides };
  for (const field of ['sublanes', 'lanes'] as const) {
    const v = config[field];
    if (!Number.isSafeInteger(v) || v < 1 || (v & (v - 1)) !== 0) {
      throw new VpuConfigError(`vpu ${field} must be a power of two >= 1, got ${v}`);
    }
  }
  for (const field of ['registers', 'aluCycles', 'eupCycles', 'laneRotateCycles'] as const) {
    const v = config[field];
    if (!Number.isSafeInteger(v) || v < 1) throw new VpuConfigError(`vpu ${field} must be a positive integer, got ${v}`);
  }
  return config;
}

/** Values in one vector register (sublanes x lanes). */
export function vregSize(config: VpuConfig): number {
  return config.sublanes * config.lanes;
}
