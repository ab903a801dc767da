/**
 * @module mxu/config
 * The MXU's configuration: every field typed, with a unit, a default and a one-line doc.
 * Imports only bfloat16 (for the subnormal setting). Shared by the stepped array, the fast
 * kernel and the closed-form cycle count, so all three always describe the same machine.
 */
import { DEFAULT_SUBNORMALS, type SubnormalMode } from '../bfloat16/index.ts';

/** XLA-style matmul precision: number of bf16 passes 1 (default), 3 (high), 6 (highest). */
export type Precision = 'default' | 'high' | 'highest';

/** All valid precision names, for error messages and CLI choices. */
export const PRECISIONS: readonly Precision[] = ['default', 'high', 'highest'];

/** How many full MXU passes each precision costs. */
export const PASSES: { readonly [P in Precision]: number } = { default: 1, high: 3, highest: 6 };

/** How many bf16 pieces each precision splits an operand into (hi; hi, lo; hi, mid, lo). */
export const PIECES: { readonly [P in Precision]: 1 | 2 | 3 } = { default: 1, high: 2, highest: 3 };

/** Configuration of one matrix unit. */
export interface MxuConfig {
  /** Array rows R = depth of the contraction handled per weight tile (PEs). Default 128. */
  readonly rows: number;
  /** Array columns C = output columns per weight tile (PEs). Default 128. */
  readonly cols: number;
  /** Clock (Hz). Default 700 MHz, TPU v2. */
  readonly clockHz: number;
  /** Subnormal handling when operands are rounded to bf16 on entry. Default 'flush'. */
  readonly subnormals: SubnormalMode;
  /**
   * Whether the next weight tile is shifted into the shadow registers while the current one
   * computes (double buffering, as the real MXU). `false` runs folds back to back, the
   * SCALE-Sim model. Default true.
   */
  readonly overlap: boolean;
}

/** TPU v2 defaults. */
export const DEFAULT_MXU_CONFIG: MxuConfig = {
  rows: 128,
  cols: 128,
  clockHz: 700e6,
  subnormals: DEFAULT_SUBNORMALS,
  overlap: true,
};

/** A config error that names the field; printed as one line by the CLI. */
export class MxuConfigError extends Error {
  override readonly name = 'MxuConfigError';
  readonly userFacing = true;
}

/** Builds a complete config from defaults plus overrides, validating every field. */
export function mxuConfig(overrides: Partial<MxuConfig> = {}): MxuConfig {
  const config = { ...DEFAULT_MXU_CONFIG, ...overrides };
  for (const field of ['rows', 'cols'] as const) {
    const v = config[field];
    if (!Number.isSafeInteger(v) || v < 1) throw new MxuConfigError(`mxu ${field} must be a positive integer, got ${v}`);
  }
  if (!(config.clockHz > 0) || !Number.isFinite(config.clockHz)) {
    throw new MxuConfigError(`mxu clockHz must be a positive number, got ${config.clockHz}`);
  }
  return config;
}

/** A matmul shape: C[M, N] = A[M, K] . B[K, N]. */
export interface MatmulShape {
  /** Streamed rows (activations), M. */
  readonly m: number;
  /** Contraction depth, K: mapped onto array rows. */
  readonly k: number;
  /** Output columns, N: mapped onto array columns. */
  readonly n: number;
}

/** Validates a matmul shape, naming the bad dimension. */
export function checkShape(shape: MatmulShape): void {
  for (const d of ['m', 'k', 'n'] as const) {
    const v = shape[d];
    if (!Number.isSafeInteger(v) || v < 1) throw new MxuConfigError(`matmul ${d} must be a positive integer, got ${v}`);
  }
}
