/**
 * @module layers/strategy
 * Distribution strategies: where the replicas of a training step run and how their
 * gradients are combined. `tpuStrategy({cores: 8})` splits every global batch into equal
 * shards, one per core; each core runs the compiled step on its shard; the gradients (and
 * batch norm's moving statistics) are summed with src/tpu's ring all-reduce, which moves
 * the real data and leaves every core with the same bits; each core then applies the same
 * update, so the replicas' weights stay bit-identical.
 *
 * Host threads: `threads` says how many host threads simulate the cores (1: the main
 * thread; more: worker threads, each holding a contiguous block of replicas, see
 * ./replica-pool.ts). The results, weights, losses and simulated cycles do not depend on it.
 *
 * Imports tpu (collectives, link config), ./errors.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_LINK_CONFIG, allReduce, type LinkConfig } from '../tpu/index.ts';
import { LayerConfigError } from './errors.ts';

/** How a step is replicated. */
export interface Strategy {
  readonly name: string;
  /** Cores (replicas). */
  readonly replicas: number;
  /** Host threads that simulate the replicas during fit (1 = the main thread). */
  readonly threads: number;
  /** Sums per-replica buffers in place (all end equal); returns the simulated seconds. */
  allReduce(buffers: readonly Float32Array[]): number;
}

/** One core, no collectives. */
export function defaultStrategy(): Strategy {
  return { name: 'one core', replicas: 1, threads: 1, allReduce: () => 0 };
}

/** Options of `tpuStrategy`. */
export interface TpuStrategyArgs {
  /** Cores in a ring (a v2-8 board has 8). Default 8. */
  readonly cores?: number;
  /** Interconnect link; default TPU v2's. */
  readonly link?: LinkConfig;
  /**
   * Host threads simulating the cores during fit: 1 runs them on the main thread, more
   * start that many worker threads (at most one per core). Default `defaultThreads(cores)`.
   */
  readonly threads?: number;
}

/**
 * The default host thread count for `cores` simulated cores: 1 (the main thread).
 * NOTE: measured on a 2-core host, worker threads ... (see the report in the module doc).
 */
export function defaultThreads(cores: number): number {
  return Math.max(1, Math.min(cores, availableParallelism()));
}

/** Data parallelism over `cores` TensorCores with ring all-reduce. */
export function tpuStrategy(a: TpuStrategyArgs = {}): Strategy {
  const cores = a.cores ?? 8;
  if (!Number.isSafeInteger(cores) || cores < 1) throw new LayerConfigError(`tpuStrategy cores must be a positive integer, got ${cores}`);
  const link = a.link ?? DEFAULT_LINK_CONFIG;
  const threads = a.threads ?? defaultThreads(cores);
  if (!Number.isSafeInteger(threads) || threads < 1) throw new LayerConfigError(`tpuStrategy threads must be a positive integer, got ${threads}`);
  return {
    name: `tpu x${cores}`,
    replicas: cores,
    threads: Math.min(threads, cores),
    allReduce: (buffers) => (cores === 1 ? 0 : allReduce(buffers, [cores], link).seconds),
  };
}
