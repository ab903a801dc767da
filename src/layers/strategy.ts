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
 * ./replica-pool.ts; 'auto': workers once the steps prove long, see ./replica-host.ts).
 * The results, weights, losses and simulated cycles do not depend on it.
 *
 * Imports tpu (collectives, link config), ./errors.
 */
import { availableParallelism, loadavg } from 'node:os';
import { DEFAULT_LINK_CONFIG, allReduce, type LinkConfig } from '../tpu/index.ts';
import { LayerConfigError } from './errors.ts';

/** How a step is replicated. */
export interface Strategy {
  readonly name: string;
  /** Cores (replicas). */
  readonly replicas: number;
  /** Most host threads that simulate the replicas during fit (1 = the main thread only). */
  readonly threads: number;
  /** Start worker threads only once a main-thread step takes `autoThreadsStepSeconds` (./replica-host.ts). */
  readonly autoThreads: boolean;
  readonly autoThreadsStepSeconds: number;
  /** With `autoThreads`: how many host threads could run now (idle CPUs); fewer than 2 keeps the main thread. */
  spareThreads(): number;
  /** Sums per-replica buffers in place (all end equal); returns the simulated seconds. */
  allReduce(buffers: readonly Float32Array[]): number;
}

/** One core, no collectives. */
export function defaultStrategy(): Strategy {
  return { name: 'one core', replicas: 1, threads: 1, autoThreads: false, autoThreadsStepSeconds: 0, spareThreads: () => 1, allReduce: () => 0 };
}

/** Options of `tpuStrategy`. */
export interface TpuStrategyArgs {
  /** Cores in a ring (a v2-8 board has 8). Default 8. */
  readonly cores?: number;
  /** Interconnect link; default TPU v2's. */
  readonly link?: LinkConfig;
  /**
   * Host threads simulating the cores during fit: 1 runs them on the main thread; N > 1
   * starts N worker threads (at most one per core) when fit starts; 'auto' (the default)
   * starts workers once a step on the main thread proves long enough to repay their
   * start-up, as many as there are idle CPUs (`spareHostThreads`, at most
   * `defaultThreads(cores)`), and none when fewer than 2 are idle (./replica-host.ts).
   */
  readonly threads?: number | 'auto';
  /** With threads 'auto': the host seconds of a main-thread step that start the workers. Default 0.25. */
  readonly autoThreadsStepSeconds?: number;
}

/** Default `autoThreadsStepSeconds`: worker start-up (about a second) is repaid within a few such steps. */
export const AUTO_THREADS_STEP_SECONDS = 0.25;

/** The most threads 'auto' grows to: one per host CPU, at most one per core. */
export function defaultThreads(cores: number): number {
  return Math.max(1, Math.min(cores, availableParallelism()));
}

/**
 * Host threads this process could run now: the CPUs minus the 1-minute load average, plus
 * the main thread's own CPU (it is in the load and gives its CPU to the workers).
 * NOTE: on a host shared with other busy processes workers mostly split this process's
 * share of the CPUs and add their start-up (about 1 CPU-second each: boot, JIT, WASM
 * compile), so 'auto' stays on the main thread there. Measured (squeeze-fast 32 px, batch
 * 64 over 8 cores, 2-CPU host, load 4-5 from other sessions): one-epoch runs 5.2-8.3 s on
 * the main thread, 6.9-10.6 s on 2 workers; steady epochs 4.1-5.9 s vs 3.5-3.6 s, the
 * work split evenly (3.6 CPU-s on the main thread, 1.7 + 1.7 on the workers).
 */
export function spareHostThreads(): number {
  const cpus = availableParallelism();
  const load = loadavg()[0] ?? 0; // 0 where the OS has no load average (Windows): assume idle
  return Math.max(1, Math.min(cpus, Math.floor(cpus - load + 1)));
}

/** Data parallelism over `cores` TensorCores with ring all-reduce. */
export function tpuStrategy(a: TpuStrategyArgs = {}): Strategy {
  const cores = a.cores ?? 8;
  if (!Number.isSafeInteger(cores) || cores < 1) throw new LayerConfigError(`tpuStrategy cores must be a positive integer, got ${cores}`);
  const link = a.link ?? DEFAULT_LINK_CONFIG;
  const auto = (a.threads ?? 'auto') === 'auto';
  const stepSeconds = a.autoThreadsStepSeconds ?? AUTO_THREADS_STEP_SECONDS;
  if (!(stepSeconds >= 0)) throw new LayerConfigError(`tpuStrategy autoThreadsStepSeconds must be a number >= 0, got ${stepSeconds}`);
  const threads = auto ? defaultThreads(cores) : (a.threads as number);
  if (!Number.isSafeInteger(threads) || threads < 1) throw new LayerConfigError(`tpuStrategy threads must be a positive integer or 'auto', got ${String(a.threads)}`);
  return {
    name: `tpu x${cores}`,
    replicas: cores,
    threads: Math.min(threads, cores),
    autoThreads: auto,
    autoThreadsStepSeconds: stepSeconds,
    spareThreads: spareHostThreads,
    allReduce: (buffers) => (cores === 1 ? 0 : allReduce(buffers, [cores], link).seconds),
  };
}
