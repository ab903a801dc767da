/**
 * @module mxu/worker
 * The body of an MXU worker thread (started by ./parallel.ts): it owns one WASM kernel
 * instance and runs row slices of passes on operands in SharedArrayBuffers, writing its rows
 * of C straight into the shared result.
 *
 * Imports ./wasm-loader and bfloat16 (types). Importing this file outside a pool worker does
 * nothing but define `runPassJob` (the worker loop only starts when workerData says so).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SubnormalMode } from '../bfloat16/index.ts';
import { wasmKernel } from './wasm-loader.ts';

/** workerData marker that turns the worker loop on. */
export const WORKER_MARKER = 'tpusim-mxu-worker';

/** One slice of one pass: rows [m0, m1) of C = A . B. */
export interface PassJob {
  readonly id: number;
  /**
   * a: rows [aFirstRow, ...) of A: [M, K]; b: [K, N]; c: [M, N]; f32 in shared memory.
   * (The pool shares only the rows of A a worker reads.)
   */
  readonly a: SharedArrayBuffer;
  readonly aFirstRow: number;
  readonly b: SharedArrayBuffer;
  readonly c: SharedArrayBuffer;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly m0: number;
  readonly m1: number;
  readonly rows: number;
  readonly subnormals: SubnormalMode;
}

/** A worker's answer to a job. */
export type PassReply = { readonly id: number; readonly ok: true } | { readonly id: number; readonly ok: false; readonly message: string };

/** Runs one job on this thread's kernel (also callable without a thread, for tests). */
export function runPassJob(job: PassJob): void {
  const { k, n, m0, m1 } = job;
  const a = new Float32Array(job.a, (m0 - job.aFirstRow) * k * 4, (m1 - m0) * k);
  const b = new Float32Array(job.b, 0, k * n);
  const c = new Float32Array(job.c, m0 * n * 4, (m1 - m0) * n);
  wasmKernel().pass(a, b, { m: m1 - m0, k, n }, { rows: job.rows, subnormals: job.subnormals }, c);
}

if (parentPort && (workerData as { marker?: unknown } | null)?.marker === WORKER_MARKER) {
  const port = parentPort;
  port.on('message', (job: PassJob) => {
    let reply: PassReply;
    try {
      runPassJob(job);
      reply = { id: job.id, ok: true };
    } catch (err) {
      reply = { id: job.id, ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
  try {
    wasmKernel(); // compile before saying ready, so the first job is not slower
    port.postMessage({ ready: true });
  } catch (err) {
    port.postMessage({ ready: false, message: err instanceof Error ? err.message : String(err) });
  }
}
