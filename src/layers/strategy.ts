/**
 * @module layers/strategy
 * Distribution strategies, as Keras names them: how many replicas (cores) a training step
 * runs on and how many host threads simulate them. `tpuStrategy({cores: 8})` splits every
 * global batch into equal shards, one per core; the compiled step (one SPMD module, see
 * ./step.ts) all-reduces the gradients over the cores' interconnect, and every core applies
 * the same update, so the replicas' weights stay bit-identical.
 *
 * Host threads: `threads` says how many host threads simulate the cores (1: the calling
 * thread; N: worker threads; 'auto', the default: worker threads once steps prove long, see
 * runtime/tpu-device.ts). The results, weights, losses and simulated cycles do not depend on it.
 *
 * Imports node:os, host/idle-cpus, ./errors.
 */
import { availableParallelism } from 'node:os';
import { idleHostCpus } from '../host/idle-cpus.ts';
import { LayerConfigError } from './errors.ts';

/** How a step is replicated. */
export interface Strategy {
  readonly name: string;
  /** Cores (replicas). */
  readonly replicas: number;
  /** Host threads simulating the replicas: a count, or 'auto'. */
  readonly threads: number | 'auto';
  /** With 'auto': host seconds of a step on the calling thread after which worker threads start. */
  readonly autoThreadsSeconds: number;
  /** With 'auto': host threads that could run now (idle CPUs); fewer than 2 keeps the calling thread. */
  spareThreads(): number;
}

/** One core, the calling thread. */
export function defaultStrategy(): Strategy {
  return { name: 'one core', replicas: 1, threads: 1, autoThreadsSeconds: 0, spareThreads: () => 1 };
}

/** Options of `tpuStrategy`. */
export interface TpuStrategyArgs {
  /** Cores in a ring (a v2-8 board has 8). Default 8. */
  readonly cores?: number;
  /** Host threads simulating the cores: N (at most one per core) or 'auto' (default). */
  readonly threads?: number | 'auto';
  /** With threads 'auto': the host seconds of a step that start the workers. Default 0.25. */
  readonly autoThreadsStepSeconds?: number;
}

/** Default `autoThreadsStepSeconds`: worker start-up (about a second) is repaid within a few such steps. */
export const AUTO_THREADS_STEP_SECONDS = 0.25;

/** The most threads 'auto' grows to: one per host CPU, at most one per core. */
export function defaultThreads(cores: number): number {
  return Math.max(1, Math.min(cores, availableParallelism()));
}

/**
 * Host threads this process could run now: the CPUs other processes left idle since the
 * previous call (host/idle-cpus.ts; this process's own work, the calling thread's included,
 * does not count against it), at most one per CPU. NOTE: on a host shared with other busy
 * processes workers mostly split this process's share of the CPUs and add their start-up,
 * so 'auto' stays on the calling thread.
 */
export function spareHostThreads(): number {
  return idleHostCpus();
}

/** Data parallelism over `cores` TensorCores with ring all-reduce. */
export function tpuStrategy(a: TpuStrategyArgs = {}): Strategy {
  const cores = a.cores ?? 8;
  if (!Number.isSafeInteger(cores) || cores < 1) throw new LayerConfigError(`tpuStrategy cores must be a positive integer, got ${cores}`);
  const stepSeconds = a.autoThreadsStepSeconds ?? AUTO_THREADS_STEP_SECONDS;
  if (!(stepSeconds >= 0)) throw new LayerConfigError(`tpuStrategy autoThreadsStepSeconds must be a number >= 0, got ${stepSeconds}`);
  const threads = a.threads ?? 'auto';
  if (threads !== 'auto' && (!Number.isSafeInteger(threads) || threads < 1)) throw new LayerConfigError(`tpuStrategy threads must be a positive integer or 'auto', got ${String(a.threads)}`);
  return {
    name: `tpu x${cores}`,
    replicas: cores,
    threads: threads === 'auto' ? 'auto' : Math.min(threads, cores),
    autoThreadsSeconds: stepSeconds,
    spareThreads: () => Math.min(spareHostThreads(), defaultThreads(cores)),
  };
}
