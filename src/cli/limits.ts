/**
 * @module cli/limits
 * Limits checked before a command allocates or works: memory estimated from shapes against
 * the host's memory, WASM's 4 GiB, or a simulated core's HBM; host threads; the work of the
 * stepped array. A refusal is one line (a UsageError: exit 2) holding the estimate and the
 * limit, so the user sees at once what to make smaller. Each command estimates its own
 * memory from its shapes and checks it here; the limits themselves live only here.
 *
 * The host limit is half the machine's RAM (os.totalmem), at most 8 GiB, or the size in the
 * environment variable TPUSIM_MAX_MEMORY (e.g. 16GiB) for bigger runs, shared machines and tests.
 *
 * Imports node:os, mxu (cycles), tpu (the default core), layers (presets), ./errors.
 */
import { availableParallelism, totalmem } from 'node:os';
import { mxuCycles } from '../mxu/cycles.ts';
import type { MatmulShape, MxuConfig, Precision } from '../mxu/config.ts';
import { DEFAULT_CORE_CONFIG } from '../tpu/index.ts';
import { WeightsTooLargeError, preset, type Model, type PresetOptions } from '../layers/index.ts';
import { UsageError, parseSize } from './errors.ts';

/** A memory limit: its size and what it is, for messages. */
export interface Limit {
  readonly bytes: number;
  readonly what: string;
}

/** Bytes as text with a binary unit: '512 B', '3.25 GiB'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) [v, u] = [v / 1024, u + 1];
  return u === 0 ? `${v} B` : `${v.toPrecision(3)} ${units[u]}`;
}

/** Share of the machine's RAM one command may plan to use by default. */
const HOST_SHARE = 0.5;
/** The default host limit's cap: more than any codelab-sized run needs (training at 192 px peaks at 1.7 GB). */
const HOST_CAP_BYTES = 8 * 2 ** 30;

/** The host memory limit: TPUSIM_MAX_MEMORY when set, else half the machine's RAM, at most 8 GiB. */
export function hostMemory(): Limit {
  const env = process.env.TPUSIM_MAX_MEMORY;
  if (env !== undefined && env.trim() !== '') return { bytes: parseSize(env, 'TPUSIM_MAX_MEMORY'), what: 'the host memory limit TPUSIM_MAX_MEMORY' };
  const bytes = Math.min(Math.floor(totalmem() * HOST_SHARE), HOST_CAP_BYTES);
  return { bytes, what: `the host memory limit (half of this machine's ${formatBytes(totalmem())} of RAM, at most 8 GiB; TPUSIM_MAX_MEMORY sets another)` };
}

/** What a WASM kernel's linear memory can hold (wasm32 addresses 4 GiB). */
export const WASM_MEMORY: Limit = { bytes: 2 ** 32 - 2 ** 16, what: "WASM's 4 GiB of linear memory" };

/** One simulated TensorCore's HBM (TPU v2: 8 GiB). */
export const CORE_HBM: Limit = { bytes: DEFAULT_CORE_CONFIG.hbmBytes, what: `a simulated core's HBM` };

/** Most values one typed array holds (V8: 2^32). */
export const MAX_ARRAY_VALUES = 2 ** 32;

/**
 * Throws a UsageError when `estimateBytes` is over the limit, naming the subject, the
 * estimate (and what it is made of) and the limit.
 * @example checkFits('matmul 20000 x 20000 x 20000', 4.8e9, WASM_MEMORY, 'A, B and C as f32')
 */
export function checkFits(subject: string, estimateBytes: number, limit: Limit, madeOf?: string): void {
  if (estimateBytes <= limit.bytes) return;
  const parts = madeOf ? ` (${madeOf})` : '';
  throw new UsageError(`${subject} needs about ${formatBytes(estimateBytes)}${parts}; the limit is ${formatBytes(limit.bytes)}, ${limit.what}`);
}

/** Throws a UsageError when one array of `values` values is more than a typed array holds. */
export function checkArrayLength(subject: string, values: number): void {
  if (values <= MAX_ARRAY_VALUES) return;
  throw new UsageError(`${subject} has ${values.toExponential(3)} values: more than one JavaScript array holds (2^32)`);
}

/** Most host threads a command starts: each is a worker with its own heap, and more than a few per CPU only add switching. */
export const MAX_HOST_THREADS = 64;
/** Host memory of one worker thread when it starts (measured: about 8 MiB for an MXU helper). */
const THREAD_BYTES = 10 * 2 ** 20;

/** Throws a UsageError when `threads` host threads are more than MAX_HOST_THREADS. */
export function checkHostThreads(threads: number, option: string): void {
  if (threads <= MAX_HOST_THREADS) return;
  throw new UsageError(
    `${option} ${threads} would start ${threads} host threads, about ${formatBytes(threads * THREAD_BYTES)} before any work (each a worker with its own heap): more than the limit of ${MAX_HOST_THREADS} threads (this machine has ${availableParallelism()} CPUs)`,
  );
}

/** Most PE-updates (cycles x PEs) of a stepped run: about 20 s at the 1e9 per second one CPU steps. */
export const MAX_STEPPED_PE_UPDATES = 2e10;

/**
 * Checks a run of the cycle-level stepped array before it is built: its state (six 32-bit
 * words per PE, the accumulators, the feeder's skew buffers) against host memory, and its
 * work (cycles x PEs) against MAX_STEPPED_PE_UPDATES. `operandBytes` is what the caller
 * holds besides (the operands and results).
 */
export function checkSteppedRun(config: Pick<MxuConfig, 'rows' | 'cols' | 'overlap'>, shape: MatmulShape, precision: Precision, operandBytes: number): void {
  const { rows: R, cols: C } = config;
  const pes = R * C;
  const state = 24 * pes + 4 * shape.m * shape.n + 4 * ((shape.m + R) * R + (shape.m + C) * C);
  const subject = `the stepped ${R} x ${C} array on ${shape.m} x ${shape.k} x ${shape.n}`;
  checkFits(subject, state + operandBytes, hostMemory(), `${formatBytes(state)} of PE, accumulator and feeder state, ${formatBytes(operandBytes)} of operands`);
  checkArrayLength(`${subject}: its state per PE`, pes);
  const updates = (mxuCycles(shape, config, precision) + 1) * pes;
  if (updates > MAX_STEPPED_PE_UPDATES) {
    throw new UsageError(
      `${subject} would take ${updates.toExponential(2)} PE-updates (cycles x PEs), about ${Math.round(updates / 1e9)} s at 1e9 per second: more than the limit of ${MAX_STEPPED_PE_UPDATES.toExponential(0)} (the closed form gives the same cycles without stepping; use a smaller array or shape)`,
    );
  }
}

/** One memory a model's weights go into: its limit, how many copies of them it holds, and what they are. */
export interface WeightRoom {
  readonly limit: Limit;
  readonly copies: number;
  readonly madeOf: string;
}

/**
 * A model preset, built only if its weights fit every room given (the host's memory, a
 * core's HBM...): the weights are counted from shapes and refused with the estimate and the
 * limit before any is allocated.
 * @example presetWithin('dense', { imageSize: 192 }, [{ limit: hostMemory(), copies: 1, madeOf: 'f32 weights' }])
 */
export function presetWithin(name: string, options: Omit<PresetOptions, 'maxWeightBytes'>, rooms: readonly WeightRoom[]): Model {
  const maxWeightBytes = Math.min(...rooms.map((r) => r.limit.bytes / r.copies));
  try {
    return preset(name, { ...options, maxWeightBytes });
  } catch (err) {
    if (!(err instanceof WeightsTooLargeError)) throw err;
    const subject = `model ${name} at ${options.imageSize ?? 192} px with ${options.classes ?? 5} classes`;
    const weights = `${err.params.toLocaleString('en-US')} weights`;
    for (const r of rooms) checkFits(subject, 4 * err.params * r.copies, r.limit, r.copies === 1 ? `${weights}: ${r.madeOf}` : `${r.copies} x ${weights}: ${r.madeOf}`);
    throw err;
  }
}

/** A model preset, built only if its weights fit the host memory limit. */
export function presetWithinHost(name: string, options: Omit<PresetOptions, 'maxWeightBytes'>): Model {
  return presetWithin(name, options, [{ limit: hostMemory(), copies: 1, madeOf: 'f32 weights' }]);
}
