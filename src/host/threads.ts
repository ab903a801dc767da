/**
 * @module host/threads
 * The one way tpusim runs work on host threads. A `HostThread` is a worker thread that
 * imports one module (TypeScript through tsx's loader, plain JavaScript as it is, or an
 * inline `data:` module) and answers calls to its exported functions: `call(name, ...args)`
 * runs `module[name](...args)` there (sync or async) and resolves with its result. Every call
 * gets exactly one reply; an error comes back with its name, message, `userFacing` flag and
 * the worker's stack; a crash or exit rejects every pending call. `post(message)` sends a
 * fire-and-forget message to the module's `onPost` export (for helpers that coordinate
 * through shared memory and Atomics instead of replies). `ThreadPool` is a fixed set of
 * them: `each` (one call per thread) and `run` (a task to the least busy thread). A thread
 * keeps the process alive only while a call is in flight: a forgotten idle thread never
 * keeps a finished program from exiting.
 *
 * Shared memory: SharedArrayBuffers (and WebAssembly.Memory objects made shared) pass by
 * reference in arguments and results. Other typed arrays are copied (a view into a bigger
 * buffer copies only its own bytes), unless wrapped with `transfer(...)`, which moves them.
 *
 * Users: the simulated board's cores (tpu/parallel-board), the input pipeline's transforms
 * (data/workers), the MXU kernel's helpers (mxu/worker). Imports node built-ins only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The module `name` (no extension) in the folder of the module at `base` (pass
 * `import.meta.url`), in the same language as `base`: `.ts` when tpusim runs from its source,
 * `.js` when it runs from the built package (dist/), where no TypeScript loader is needed.
 * @example siblingModule(import.meta.url, 'board-worker')
 */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/** A value whose listed ArrayBuffers are moved to the receiving thread instead of copied. */
export interface Transfer<T> {
  readonly __transfer: true;
  readonly value: T;
  readonly buffers: readonly ArrayBuffer[];
}

/** Marks `value` so its `buffers` are moved, not copied, when it crosses threads. */
export function transfer<T>(value: T, buffers: readonly ArrayBuffer[]): Transfer<T> {
  return { __transfer: true, value, buffers };
}

/** An error raised on a worker thread, re-raised here with its name, message, flag and the worker's stack. */
export class ThreadError extends Error {
  override readonly name: string;
  readonly userFacing: boolean;
  constructor(name: string, message: string, userFacing: boolean, workerStack?: string) {
    super(message);
    this.name = name;
    this.userFacing = userFacing;
    if (workerStack) this.stack = `${workerStack}\n    (on a worker thread)`;
  }
}

// The worker's entry point, an eval'd CommonJS script: it may only use require and a dynamic
// import of an absolute URL. It registers tsx for .ts modules, imports the module, and serves.
const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
const unwrap = (x) => (x && x.__transfer === true ? [x.value, x.buffers] : [x, []]);
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  const mod = await import(workerData.module);
  if (typeof mod.onStart === 'function') await mod.onStart(workerData.data);
  parentPort.on('message', async (m) => {
    if (m.post !== undefined) {
      if (typeof mod.onPost === 'function') mod.onPost(m.post);
      return;
    }
    try {
      const fn = mod[m.name];
      if (typeof fn !== 'function') throw new Error(workerData.module + ' has no exported function ' + m.name);
      const [value, buffers] = unwrap(await fn(...m.args));
      parentPort.postMessage({ id: m.id, ok: true, value }, buffers);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      parentPort.postMessage({ id: m.id, ok: false, name: err.name, message: err.message, userFacing: err.userFacing === true, stack: err.stack });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((e) => parentPort.postMessage({ fatal: String((e && e.stack) || e) }));
`;

/** The ESM entry of tsx's loader API, found through tsx's own package.json `exports` map. */
let tsxApi: string | undefined;
function tsxApiUrl(): string {
  if (tsxApi) return tsxApi;
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const entry = pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  tsxApi = pathToFileURL(join(dirname(pkgPath), entry)).href;
  return tsxApi;
}

/** A copy of typed arrays that are views into a larger (non-shared) buffer, so postMessage copies only them. */
function compact(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) {
    const v = x as Uint8Array;
    if (typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer) return v;
    return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice();
  }
  if (Array.isArray(x)) return x.map(compact);
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, compact(v)]));
  }
  return x;
}

type Reply =
  | { readonly ready: true }
  | { readonly fatal: string }
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string; readonly userFacing: boolean; readonly stack?: string };

/** Options of a thread. */
export interface ThreadOptions {
  /** Passed to the module's `onStart(data)` export before any call (structured-cloned). */
  readonly data?: unknown;
}

/** One worker thread serving a module's exported functions. */
export class HostThread {
  private nextId = 0;
  private closing = false;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Calls in flight. */
  get busy(): number {
    return this.pending.size;
  }

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: Reply) => {
      if ('id' in m) this.settle(m);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      if (!this.closing) this.failAll(new ThreadError('ThreadError', `a worker thread stopped (exit code ${code})`, false));
    });
    // An idle thread never keeps the process alive; a call in flight does. NOTE: after the
    // listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  /**
   * Starts a worker importing `module` (a file URL or path: .ts through tsx, .js/.mjs as
   * is; or a `data:text/javascript,...` URL, started without the parent's node options);
   * resolves when the module is loaded and its `onStart` (if any) has run.
   */
  static async start(module: URL | string, options: ThreadOptions = {}): Promise<HostThread> {
    const url = module instanceof URL ? module.href : /^(file|data):/.test(module) ? module : pathToFileURL(module).href;
    const tsx = url.startsWith('file:') && url.endsWith('.ts') ? tsxApiUrl() : undefined;
    // NOTE: an inline module imports nothing relative, so it runs without the parent's node
    // options (which under tsx load its hooks into every thread: ~10 ms more per start).
    const execArgv = url.startsWith('data:') ? { execArgv: [] } : {};
    const worker = new Worker(BOOT, { eval: true, workerData: { module: url, tsx, data: options.data }, ...execArgv });
    try {
      await new Promise<void>((resolve, reject) => {
        const onMessage = (m: Reply): void => {
          if ('ready' in m) done(resolve);
          else if ('fatal' in m) done(() => reject(new ThreadError('ThreadError', `a worker thread failed to start: ${m.fatal}`, false)));
        };
        const onError = (err: Error): void => done(() => reject(err));
        const onExit = (code: number): void => done(() => reject(new ThreadError('ThreadError', `a worker thread stopped before it was ready (exit code ${code})`, false)));
        const done = (then: () => void): void => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          then();
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new HostThread(worker);
  }

  /** Calls the module's export `name` with `args` on the thread; resolves with its result. */
  call<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.closing) return reject(new ThreadError('ThreadError', 'the worker thread was closed', false));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.size === 1) this.worker.ref();
      const moved = args.flatMap((a) => ((a as Transfer<unknown> | null)?.__transfer === true ? (a as Transfer<unknown>).buffers : []));
      const plain = args.map((a) => ((a as Transfer<unknown> | null)?.__transfer === true ? (a as Transfer<unknown>).value : compact(a)));
      this.worker.postMessage({ id, name, args: plain }, [...moved]);
    });
  }

  /** Sends `message` to the module's `onPost` export; no reply. */
  post(message: unknown): void {
    this.worker.postMessage({ post: message });
  }

  /** Stops the thread; pending calls are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    this.failAll(new ThreadError('ThreadError', 'the worker thread was closed', false));
    await this.worker.terminate();
  }

  private settle(m: Extract<Reply, { id: number }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(new ThreadError(m.name, m.message, m.userFacing, m.stack));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.unref();
  }
}

/** A fixed set of threads serving the same module. */
export class ThreadPool {
  private constructor(readonly threads: readonly HostThread[]) {}

  /** Starts `count` threads on `module` (all or nothing: a failed start closes the others). */
  static async start(module: URL | string, count: number, options: ThreadOptions | ((i: number) => ThreadOptions) = {}): Promise<ThreadPool> {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`a thread pool needs a positive integer of threads, got ${count}`);
    const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => HostThread.start(module, typeof options === 'function' ? options(i) : options)));
    const threads = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(threads.map((t) => t.close()));
      throw failed.reason;
    }
    return new ThreadPool(threads);
  }

  /** Number of threads. */
  get size(): number {
    return this.threads.length;
  }

  /** Calls `name` on every thread with its own arguments; resolves with the results in thread order. */
  each<T = unknown>(name: string, args: (thread: number) => unknown[]): Promise<T[]> {
    return Promise.all(this.threads.map((t, i) => t.call<T>(name, ...args(i))));
  }

  /** Calls `name` on the least busy thread. */
  run<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.busy < best.busy) best = t;
    return best.call<T>(name, ...args);
  }

  /** Stops every thread. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
