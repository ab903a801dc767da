/**
 * @module viz/allreduce-record
 * The recording of the page's second view: one all-reduce (sum) on a ring of cores, run by
 * the simulator's collectives (tpu/collectives.ts `allReduce`, the algorithm the board uses),
 * observed step by step: which chunk each core sends to its neighbour, when it leaves and
 * arrives, and every core's buffer after the step.
 *
 * Imports tpu (collectives, link config) only.
 *
 * Core i starts with 2^i in every value, so every partial sum says exactly which cores it
 * holds (bit i set = core i's contribution is in it; sums of distinct powers of two are exact
 * in f32 up to 24 cores) and the finished sum is 2^cores - 1 everywhere.
 */
import { DEFAULT_LINK_CONFIG, allReduce, type AllReduceStep } from '../tpu/index.ts';
import { VizError } from './systolic-record.ts';

/** Ring sizes the view draws (the sums stay exact below 24). */
export const RING_LIMITS = { minCores: 2, maxCores: 16 } as const;

/** One observed step, with every core's buffer after it. */
export interface RingFrame {
  readonly kind: AllReduceStep['kind'];
  readonly step: number;
  readonly messages: AllReduceStep['messages'];
  /** buffers[core]: [values] after this step. */
  readonly buffers: number[][];
}

/** A whole recorded all-reduce. */
export interface RingRecording {
  readonly cores: number;
  /** Values per core (one chunk per core: chunk j = value j). */
  readonly values: number;
  readonly link: { readonly bytesPerSecond: number; readonly latencySeconds: number };
  /** buffers before the first step: core i holds 2^i. */
  readonly initial: number[][];
  readonly frames: RingFrame[];
  /** Simulated time of the whole all-reduce (s). */
  readonly seconds: number;
}

/**
 * Runs the all-reduce on a ring of `cores` and records each step.
 * @example recordAllReduce(8).frames.length // 14: 7 reduce-scatter steps, 7 all-gather steps
 */
export function recordAllReduce(cores: number): RingRecording {
  if (!Number.isSafeInteger(cores) || cores < RING_LIMITS.minCores || cores > RING_LIMITS.maxCores) {
    throw new VizError(`--cores must be an integer in ${RING_LIMITS.minCores}..${RING_LIMITS.maxCores} for the ring view, got ${cores}`);
  }
  const values = cores;
  const buffers = Array.from({ length: cores }, (_, i) => new Float32Array(values).fill(2 ** i));
  const initial = buffers.map((b) => Array.from(b));
  const frames: RingFrame[] = [];
  const timing = allReduce(buffers, [cores], DEFAULT_LINK_CONFIG, {
    observe: (s) => frames.push({ kind: s.kind, step: s.step, messages: s.messages, buffers: buffers.map((b) => Array.from(b)) }),
  });
  return { cores, values, link: { ...DEFAULT_LINK_CONFIG }, initial, frames, seconds: timing.seconds };
}
