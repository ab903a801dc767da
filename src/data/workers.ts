/**
 * @module data/workers
 * A pool of worker threads that run one named transform: an exported function of a module,
 * called as `fn(value, arg)`. Imports host/threads (the project's one way to run host
 * threads) and ./transform-worker (the module each thread serves, by URL).
 *
 * How a function reaches a worker: functions cannot be sent between threads, so a transform
 * is named by (module URL, export name, a structured-clonable `arg`). Each thread serves
 * ./transform-worker.ts, which imports that module at start and calls the export per value
 * (host/threads loads `.ts` through tsx, so this works the same under tsx, vitest and the
 * `tpusim` binary).
 *
 * Invariants: inputs are copied, never transferred (a cached element stays intact); outputs'
 * ArrayBuffers are transferred back (zero copy); an error in a worker rejects that one task
 * with an error (host/threads' ThreadError) carrying the original name, message and
 * `userFacing` flag.
 */
import { pathToFileURL } from 'node:url';
import { siblingModule, ThreadPool } from '../host/threads.ts';
import type { TransformSpec } from './transform-worker.ts';

/** A transform that can run on a worker: module URL + export name + a clonable argument. */
export interface WorkerTransform<I, O, A = unknown> {
  readonly module: string;
  readonly exportName: string;
  readonly arg: A;
  /** Phantom: the input and output types (never set). */
  readonly __types?: (i: I) => O;
}

/**
 * Names a transform for worker threads.
 * @param module the module's URL (pass `import.meta.url`-relative URLs) or absolute path
 * @param exportName an exported function `(value: I, arg: A) => O | Promise<O>`
 * @example workerTransform<Uint8Array, Img>(new URL('./image.ts', import.meta.url), 'decodeSquare', { size: 192 })
 */
export function workerTransform<I, O, A = unknown>(module: URL | string, exportName: string, arg: A): WorkerTransform<I, O, A> {
  const url = module instanceof URL ? module.href : module.startsWith('file:') ? module : pathToFileURL(module).href;
  return { module: url, exportName, arg };
}

/** True if `x` is a WorkerTransform rather than a plain function. */
export function isWorkerTransform(x: unknown): x is WorkerTransform<unknown, unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { module?: unknown }).module === 'string';
}

const TRANSFORM_WORKER = siblingModule(import.meta.url, 'transform-worker');

/**
 * A fixed set of threads running one transform; tasks go to the least busy thread. The
 * threads start at construction; a task waits for them, and a failed start rejects it.
 */
export class WorkerPool<I, O> {
  private readonly pool: Promise<ThreadPool>;

  constructor(transform: WorkerTransform<I, O>, count: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`WorkerPool: worker count must be a positive integer, got ${count}`);
    const spec: TransformSpec = { module: transform.module, exportName: transform.exportName, arg: transform.arg };
    this.pool = ThreadPool.start(TRANSFORM_WORKER, count, { data: spec });
    this.pool.catch(() => {}); // surfaced through run()
  }

  /** Runs the transform on one value (copied) in the least busy thread. */
  async run(value: I): Promise<O> {
    return (await this.pool).run<O>('apply', value);
  }

  /** Stops every thread (after they have started). */
  async close(): Promise<void> {
    const pool = await this.pool.catch(() => undefined);
    await pool?.close();
  }
}
