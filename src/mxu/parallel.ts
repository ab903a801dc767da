/**
 * @module mxu/parallel
 * The fast kernel on several threads: `MatmulPool` splits the M dimension (rows of A and C)
 * into one contiguous slice per thread. The calling thread computes the first slice itself
 * on its own WASM kernel while `threads - 1` worker threads compute the others from operands
 * in SharedArrayBuffers (each worker gets only its rows of A) and write their rows of C in
 * place into the shared result. On a 2-core machine, 2 threads = the caller + 1 worker.
 *
 * Imports ./config, ./kernel (operand checks), ./precision, ./wasm-loader, ./worker (types,
 * marker). Results do not depend on the thread count: every output row is computed by
 * exactly the same per-row loops whichever slice it falls in (tested against the reference
 * and against `matmulFast`). Workers are started through a tiny bootstrap that registers
 * tsx's loader, so worker.ts loads the same way under `tsx`, bin/tpusim.js and vitest.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MatmulShape, MxuConfig, Precision } from './config.ts';
import { checkFoldDepth, checkOperandLengths } from './kernel.ts';
import { combinePassResults, passOperands } from './precision.ts';
import { wasmKernel } from './wasm-loader.ts';
import { WORKER_MARKER, type PassJob, type PassReply } from './worker.ts';

/** Options of a pooled matmul (as `matmulFast`, without the backend: workers run WASM). */
export interface PoolMatmulOptions {
  readonly config: Pick<MxuConfig, 'rows' | 'subnormals'>;
  readonly precision?: Precision;
}

/** ES module source that registers tsx in a fresh worker, then imports worker.ts. */
function bootstrapSource(): string {
  const require = createRequire(import.meta.url);
  // NOTE: require.resolve finds tsx's CommonJS build; the ESM api sits beside it.
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/esm/api')), 'index.mjs')).href;
  const workerUrl = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); })`;
}

/** Options of a pool. */
export interface PoolOptions {
  /**
   * Fewer threads share a pass when each would get fewer MACs than this (a message round
   * trip and the operand copies cost about 0.1-0.5 ms). Default 2^22. 0 always uses every
   * thread (tests).
   */
  readonly minMacsPerWorker?: number;
}

/** Row slices [m0, m1) of M for `parts` workers, cut at multiples of 4 (the kernel's row block). */
export function rowSlices(m: number, parts: number): [number, number][] {
  const step = Math.ceil(m / parts / 4) * 4;
  const slices: [number, number][] = [];
  for (let m0 = 0; m0 < m; m0 += step) slices.push([m0, Math.min(m, m0 + step)]);
  return slices;
}

/** Rows [m0, m1) of x: [M, K] in shared memory (x's own buffer when it is shared already). */
function sharedRows(x: Float32Array, k: number, m0: number, m1: number): { sab: SharedArrayBuffer; firstRow: number } {
  if (x.buffer instanceof SharedArrayBuffer && x.byteOffset === 0) return { sab: x.buffer, firstRow: 0 };
  const sab = new SharedArrayBuffer((m1 - m0) * k * 4);
  new Float32Array(sab).set(x.subarray(m0 * k, m1 * k));
  return { sab, firstRow: m0 };
}

/**
 * The calling thread plus a pool of MXU worker threads. Create with `MatmulPool.create`,
 * release with `close()`.
 */
export class MatmulPool {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly workers: Worker[],
    private readonly minMacsPerWorker: number,
  ) {
    for (const w of workers) {
      w.on('message', (reply: PassReply) => this.settle(reply));
      w.on('error', (err) => this.failAll(err));
      w.unref(); // idle workers never keep the process alive
    }
  }

  /**
   * A pool for `threads` threads in all: starts `threads - 1` workers and waits until each
   * has compiled its kernel (and compiles the calling thread's kernel too).
   */
  static async create(threads: number, options: PoolOptions = {}): Promise<MatmulPool> {
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const source = bootstrapSource();
    const workers = Array.from({ length: threads - 1 }, () => new Worker(source, { eval: true, workerData: { marker: WORKER_MARKER } }));
    try {
      wasmKernel();
      await Promise.all(workers.map(waitReady));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new MatmulPool(workers, options.minMacsPerWorker ?? 2 ** 22);
  }

  /** Number of threads a pass may use: the calling one and the workers. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * C = A . B on the pool's threads, with exactly the bits of `matmulFast` (and so of the
   * reference) for any thread count. a: [M, K], b: [K, N]. Returns c: [M, N] (in shared
   * memory when more than one thread computed it).
   */
  async matmul(a: Float32Array, b: Float32Array, shape: MatmulShape, options: PoolMatmulOptions): Promise<Float32Array> {
    checkOperandLengths(a, b, shape);
    const { config } = options;
    checkFoldDepth(config.rows);
    const results: Float32Array[] = [];
    for (const [x, y] of passOperands(a, b, options.precision ?? 'default', config.subnormals)) {
      results.push(await this.pass(x, y, shape, config));
    }
    return combinePassResults(results);
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private async pass(a: Float32Array, b: Float32Array, shape: MatmulShape, config: PoolMatmulOptions['config']): Promise<Float32Array> {
    const { m, k, n } = shape;
    const macs = m * k * n;
    const parts = this.minMacsPerWorker > 0 ? Math.max(1, Math.min(this.threads, Math.floor(macs / this.minMacsPerWorker))) : this.threads;
    const slices = rowSlices(m, parts);
    const own = { rows: config.rows, subnormals: config.subnormals };
    if (slices.length === 1) {
      const out = new Float32Array(m * n);
      wasmKernel().pass(a, b, shape, own, out);
      return out;
    }
    const c = new SharedArrayBuffer(m * n * 4);
    const bShared = sharedRows(b, n, 0, k).sab;
    const jobs = slices.slice(1).map(([m0, m1], i) => {
      const { sab, firstRow } = sharedRows(a, k, m0, m1);
      const job: PassJob = { id: this.nextId++, a: sab, aFirstRow: firstRow, b: bShared, c, m, k, n, m0, m1, ...own };
      const done = new Promise<void>((resolve, reject) => this.pending.set(job.id, { resolve, reject }));
      this.workers[i]!.ref();
      this.workers[i]!.postMessage(job);
      return done;
    });
    try {
      // The calling thread's share, while the workers compute theirs.
      const m1 = slices[0]![1];
      wasmKernel().pass(a.subarray(0, m1 * k), b, { m: m1, k, n }, own, new Float32Array(c, 0, m1 * n));
    } finally {
      try {
        await Promise.all(jobs);
      } finally {
        for (const w of this.workers) w.unref();
      }
    }
    return new Float32Array(c);
  }

  private settle(reply: PassReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve();
    else p.reject(new Error(`mxu worker: ${reply.message}`));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

function waitReady(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { ready?: boolean; message?: string }) => {
      if (msg.ready === undefined) return;
      w.off('error', reject);
      w.off('message', onMessage);
      if (msg.ready) resolve();
      else reject(new Error(`mxu worker failed to start: ${msg.message ?? 'unknown error'}`));
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
}

const pools = new Map<number, Promise<MatmulPool>>();

/**
 * `MatmulPool.matmul` on `threads` threads (the caller and `threads - 1` workers kept for the
 * life of the process; idle workers do not keep the process alive).
 * @example await matmulParallel(a, b, { m: 1024, k: 1024, n: 1024 }, { config: DEFAULT_MXU_CONFIG, threads: 2 })
 */
export async function matmulParallel(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  options: PoolMatmulOptions & { readonly threads: number },
): Promise<Float32Array> {
  let pool = pools.get(options.threads);
  if (!pool) {
    pool = MatmulPool.create(options.threads);
    pools.set(options.threads, pool);
    pool.catch(() => pools.delete(options.threads));
  }
  return (await pool).matmul(a, b, shape, options);
}
