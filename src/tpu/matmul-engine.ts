/**
 * @module tpu/matmul-engine
 * The TensorCore's view of its MXU: a small interface (run a matmul, count its cycles) and
 * the implementations behind it. Imports mxu only.
 *
 * `fastEngine` (the default) runs `matmulFast` (WASM SIMD, bit-identical to the reference)
 * and counts with `mxuCycles` (the closed form proven equal to the stepped array).
 * `referenceEngine` runs the plain-loop `referenceMatmul` with the same cycle count: slow,
 * for tests that want the living spec. Both give the same bits (tested).
 */
import type { MatmulShape, MxuConfig, Precision } from '../mxu/config.ts';
import { mxuCycles } from '../mxu/cycles.ts';
import { gatherFeed, type FeedPattern } from '../mxu/feed.ts';
import { matmulFast } from '../mxu/kernel.ts';
import { referenceMatmul } from '../mxu/reference.ts';

/** One matmul as the MXU sees it: operands, shape, precision, how A is fed, where the accumulators start. */
export interface MatmulOperands {
  /** A[M, K] row-major, or the buffer `feed` reads A from. */
  readonly a: Float32Array;
  /** B[K, N] row-major (the weights). */
  readonly b: Float32Array;
  readonly shape: MatmulShape;
  readonly precision: Precision;
  /** A is read from `a` through this address pattern (mxu/feed.ts). */
  readonly feed?: FeedPattern;
  /** The accumulators' values before the matmul: C = acc + A . B ('default' precision). */
  readonly acc?: Float32Array;
  /** Where C goes ([M, N], may be `acc`): an engine may write it there and return it, or return a new array. */
  readonly out?: Float32Array;
}

/** What the TensorCore needs from a matrix unit. */
export interface MatmulEngine {
  /** Name shown in profiles. */
  readonly name: string;
  /** C[M, N] = (acc +) A[M, K] . B[K, N] with MXU numerics. */
  run(op: MatmulOperands): Float32Array;
  /** Cycles of that matmul on the MXU. */
  cycles(shape: MatmulShape, precision: Precision): number;
}

/** The fast engine: matmulFast + the closed-form cycle count. */
export function fastEngine(config: MxuConfig): MatmulEngine {
  return {
    name: 'mxu fast (wasm) + closed-form cycles',
    run: ({ a, b, shape, precision, feed, acc, out }) =>
      matmulFast(a, b, shape, { config, precision, ...(feed ? { feed } : {}), ...(acc ? { acc } : {}), ...(out ? { out } : {}) }),
    cycles: (shape, precision) => mxuCycles(shape, config, precision),
  };
}

/** The reference engine: plain loops (the numerics spec) + the closed-form cycle count. */
export function referenceEngine(config: MxuConfig): MatmulEngine {
  return {
    name: 'mxu reference loops + closed-form cycles',
    run: ({ a, b, shape, precision, feed, acc }) => referenceMatmul(feed ? gatherFeed(a, feed, shape) : a, b, shape, { config, precision, ...(acc ? { acc } : {}) }),
    cycles: (shape, precision) => mxuCycles(shape, config, precision),
  };
}
