/**
 * @module tf/tpu
 * `tf.tpu`: the options TensorFlow.js does not have, kept explicit. `strategy({cores: 8})`
 * is data parallelism over simulated TensorCores (../layers tpuStrategy); `setDefaults`
 * chooses the precision, strategy and engine of models compiled without them, so a script
 * written for tfjs runs on 8 cores, or at 'highest' precision, with one added line.
 *
 * Imports ../layers (strategies, precision), ../runtime (engines).
 */
import type { Precision } from '../mxu/config.ts';
import { tpuStrategy, type Engine, type Strategy, type TpuStrategyArgs } from '../layers/index.ts';
import { TfError } from './errors.ts';
import type { TopKMetric } from './names.ts';

/** What compile uses when it is not given a precision, strategy or engine. */
export interface TpuDefaults {
  /** Matmul precision: 'default' (one bf16 pass), 'high' (bf16x3), 'highest' (bf16x6). */
  readonly precision?: Precision;
  readonly strategy?: Strategy;
  /** Where steps run: the simulated TPU (default) or the reference interpreter. */
  readonly engine?: Engine;
}

let defaults: TpuDefaults = {};

/**
 * Data parallelism over `cores` simulated TensorCores with ring all-reduce.
 * @example model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', strategy: tf.tpu.strategy({ cores: 8 }) })
 */
export function strategy(args: TpuStrategyArgs = {}): Strategy {
  return tpuStrategy(args);
}

const PRECISIONS: readonly string[] = ['default', 'high', 'highest'];

/** Checks a precision name for `call`. */
export function precisionOf(call: string, p: unknown): Precision | undefined {
  if (p === undefined || PRECISIONS.includes(p as string)) return p as Precision | undefined;
  throw new TfError(`${call}: precision ${JSON.stringify(p)} is not one of 'default', 'high', 'highest'`);
}

/**
 * Sets the defaults of later compiles (and of predict on uncompiled models); returns the
 * previous ones. @example tf.tpu.setDefaults({ precision: 'highest', strategy: tf.tpu.strategy({ cores: 8 }) })
 */
export function setDefaults(d: TpuDefaults): TpuDefaults {
  precisionOf('tf.tpu.setDefaults', d.precision);
  const before = defaults;
  defaults = { ...d };
  return before;
}

/**
 * A top-k accuracy metric with its k, for compile's `metrics` (the names
 * 'topKCategoricalAccuracy' and 'sparseTopKCategoricalAccuracy' mean k = 5).
 * @example model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', tf.tpu.topK(2)] })
 */
export function topK(k: number): TopKMetric {
  return { topKCategoricalAccuracy: k };
}

/** TF.js's `tf.ready()`: tpusim needs no backend start-up, so it resolves at once. */
export async function ready(): Promise<void> {}

/** TF.js's `tf.getBackend()`: the name of where models run. */
export function getBackend(): string {
  return (defaults.engine?.name ?? 'tpu') === 'tpu' ? 'tpusim' : `tpusim-${defaults.engine!.name}`;
}

/** The current defaults. */
export function getDefaults(): TpuDefaults {
  return defaults;
}
