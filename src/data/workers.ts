/**
 * @module data/workers
 * A pool of worker threads that run one named transform: an exported function of a module,
 * called as `fn(value, arg)`. Imports node built-ins and the tsx loader only.
 *
 * How a function reaches a worker: functions cannot be sent between threads, so a transform
 * is named by (module URL, export name, a structured-clonable `arg`). Each worker imports
 * that module and calls the export. A `.ts` module is loaded through tsx's loader, registered
 * inside the worker, so this works the same under tsx, vitest and the `tpusim` binary.
 *
 * Invariants: inputs are copied, never transferred (a cached element stays intact); outputs'
 * ArrayBuffers are transferred back (zero copy); an error in a worker rejects that one task
 * with an error carrying the original name, message and `userFacing` flag.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

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

// The worker's entry point. It runs as an eval'd CommonJS script, so it may only use require
// and dynamic import of absolute URLs.
const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
function transferables(x, out, seen) {
  if (x === null || typeof x !== 'object' || seen.has(x)) return out;
  seen.add(x);
  if (ArrayBuffer.isView(x)) { if (x.buffer instanceof ArrayBuffer && !out.includes(x.buffer)) out.push(x.buffer); return out; }
  for (const v of Object.values(x)) transferables(v, out, seen);
  return out;
}
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  const mod = await import(workerData.module);
  const fn = mod[workerData.exportName];
  if (typeof fn !== 'function') throw new Error(workerData.module + ' has no exported function ' + workerData.exportName);
  parentPort.on('message', async ({ id, value }) => {
    try {
      const out = await fn(value, workerData.arg);
      parentPort.postMessage({ id, ok: true, value: out }, transferables(out, [], new Set()));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      parentPort.postMessage({ id, ok: false, name: err.name, message: err.message, userFacing: err.userFacing === true, stack: err.stack });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((e) => parentPort.postMessage({ fatal: String(e && e.stack || e) }));
`;

/** The ESM entry of tsx's loader API, found through tsx's own package.json `exports` map. */
const TSX_API = ((): string => {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const entry = pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  return pathToFileURL(join(dirname(pkgPath), entry)).href;
})();

/** An error thrown inside a worker, re-raised on the main thread with its name and flag. */
export class WorkerTaskError extends Error {
  override readonly name: string;
  readonly userFacing: boolean;
  constructor(name: string, message: string, userFacing: boolean) {
    super(message);
    this.name = name;
    this.userFacing = userFacing;
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

type Reply = { ready: true } | { fatal: string } | { id: number; ok: true; value: unknown } | { id: number; ok: false; name: string; message: string; userFacing: boolean };

/** A copy of typed arrays that are views into a larger buffer, so postMessage copies only them. */
function compact(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) {
    const v = x as Uint8Array;
    return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice();
  }
  if (Array.isArray(x)) return x.map(compact);
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, compact(v)]));
  }
  return x;
}

/** A fixed set of workers running one transform; tasks go to the least busy worker. */
export class WorkerPool<I, O> {
  private readonly workers: { worker: Worker; busy: number; ready: Promise<void> }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(transform: WorkerTransform<I, O>, count: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`WorkerPool: worker count must be a positive integer, got ${count}`);
    const tsx = transform.module.endsWith('.ts') ? TSX_API : undefined;
    for (let i = 0; i < count; i++) {
      const worker = new Worker(BOOT, { eval: true, workerData: { ...transform, tsx } });
      const slot = { worker, busy: 0, ready: Promise.resolve() };
      slot.ready = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: Reply) => {
          if ('ready' in m) resolve();
          else if ('fatal' in m) reject(new Error(`worker failed to start: ${m.fatal}`));
          else this.settle(slot, m);
        });
        worker.on('error', (e) => {
          reject(e);
          this.failAll(e);
        });
      });
      slot.ready.catch(() => {}); // surfaced through run()
      this.workers.push(slot);
    }
  }

  private settle(slot: { busy: number }, m: Extract<Reply, { id: number }>): void {
    slot.busy--;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new WorkerTaskError(m.name, m.message, m.userFacing));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Runs the transform on one value in the least busy worker. */
  async run(value: I): Promise<O> {
    let slot = this.workers[0]!;
    for (const w of this.workers) if (w.busy < slot.busy) slot = w;
    slot.busy++;
    await slot.ready;
    const id = this.nextId++;
    return new Promise<O>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ id, value: compact(value) });
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
