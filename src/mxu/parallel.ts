/**
 * @module mxu/parallel
 * The fast kernel on several threads, behind an async, pool-shaped API: `MatmulPool` and
 * `matmulParallel` run `matmulFast` with `threads` set, i.e. the calling thread plus
 * `threads - 1` helper threads that share its kernel's memory and compute row chunks of each
 * pass in place (./wasm-loader.ts, ./worker.ts). On a 2-core machine, 2 threads = the caller
 * + 1 helper.
 *
 * Imports ./config, ./kernel, ./wasm-loader. Results do not depend on the thread count:
 * every output row is computed by exactly the same per-row loops whichever thread claims it
 * (tested against the reference and against one-thread `matmulFast`).
 */
import type { MatmulShape, MxuConfig, Precision } from './config.ts';
import { matmulFast } from './kernel.ts';
import { wasmKernel } from './wasm-loader.ts';

/** Options of a pooled matmul (as `matmulFast`, without the backend: threads run WASM). */
export interface PoolMatmulOptions {
  readonly config: Pick<MxuConfig, 'rows' | 'subnormals'>;
  readonly precision?: Precision;
}

/** Options of a pool. */
export interface PoolOptions {
  /**
   * Passes with fewer MACs than this stay on the calling thread (waking a helper costs
   * about 0.1 ms). Default 2^22. 0 always uses every thread (tests).
   */
  readonly minParallelMacs?: number;
}

/**
 * The calling thread plus `threads - 1` helper threads. Create with `MatmulPool.create`
 * (which waits until the helpers are up), release with `close()`.
 */
export class MatmulPool {
  private constructor(
    readonly threads: number,
    private readonly minParallelMacs: number | undefined,
  ) {}

  /** A pool of `threads` threads in all; resolves once every helper has its kernel. */
  static async create(threads: number, options: PoolOptions = {}): Promise<MatmulPool> {
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    await wasmKernel().startHelpers(threads);
    return new MatmulPool(threads, options.minParallelMacs);
  }

  /**
   * C = A . B on the pool's threads, with exactly the bits of one-thread `matmulFast` (and so
   * of the reference) for any thread count. a: [M, K], b: [K, N]. Returns c: [M, N].
   * NOTE: the calling thread computes too and blocks until the pass is done.
   */
  async matmul(a: Float32Array, b: Float32Array, shape: MatmulShape, options: PoolMatmulOptions): Promise<Float32Array> {
    const extra = this.minParallelMacs === undefined ? {} : { minParallelMacs: this.minParallelMacs };
    return matmulFast(a, b, shape, { ...options, threads: this.threads, ...extra });
  }

  /** Stops the helper threads (of this thread's kernel; a later threaded pass restarts them). */
  async close(): Promise<void> {
    await wasmKernel().stopHelpers();
  }
}

/**
 * `matmulFast` on `threads` threads, after waiting for the helpers to be up (they stay for
 * the life of the process; idle, they do not keep it alive).
 * @example await matmulParallel(a, b, { m: 1024, k: 1024, n: 1024 }, { config: DEFAULT_MXU_CONFIG, threads: 2 })
 */
export async function matmulParallel(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  options: PoolMatmulOptions & { readonly threads: number },
): Promise<Float32Array> {
  const pool = await MatmulPool.create(options.threads);
  return pool.matmul(a, b, shape, options);
}
