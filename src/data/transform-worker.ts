/**
 * @module data/transform-worker
 * The module a data worker thread serves (through host/threads, for ./workers.ts): it runs
 * one named transform, an exported function of another module, and sends its result back
 * with the result's ArrayBuffers moved, not copied. The transform's own export cannot mark
 * its result for moving (it is plain code that also runs on the main thread), so this module
 * wraps it: `onStart` imports the transform's module once, `apply` calls it and wraps the
 * result in `transfer(...)`.
 *
 * Imports host/threads (`transfer`) only; the transform's module is imported at start.
 * Invariant: only non-shared ArrayBuffers reachable from the result through plain objects,
 * arrays and typed-array views are moved (each once); SharedArrayBuffers stay shared.
 */
import { transfer, type Transfer } from '../host/threads.ts';

/** What a data worker thread runs: the transform's module URL, export name and argument. */
export interface TransformSpec {
  readonly module: string;
  readonly exportName: string;
  readonly arg: unknown;
}

let run: ((value: unknown) => unknown) | undefined;

/** Thread start: imports the transform's module and finds its export. */
export async function onStart(spec: TransformSpec): Promise<void> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const fn = mod[spec.exportName];
  if (typeof fn !== 'function') throw new Error(`${spec.module} has no exported function ${spec.exportName}`);
  run = (value) => (fn as (v: unknown, a: unknown) => unknown)(value, spec.arg);
}

/** Runs the transform on one (copied) value; its result's ArrayBuffers are moved back. */
export async function apply(value: unknown): Promise<Transfer<unknown>> {
  if (!run) throw new Error('data worker: no transform (onStart was not run)');
  const out = await run(value);
  const buffers = new Set<ArrayBuffer>();
  collectBuffers(out, buffers, new Set());
  return transfer(out, [...buffers]);
}

/** Adds the non-shared ArrayBuffers reachable from `x` (itself, views, arrays, objects) to `out`. */
function collectBuffers(x: unknown, out: Set<ArrayBuffer>, seen: Set<object>): void {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if (x instanceof ArrayBuffer) out.add(x);
  else if (ArrayBuffer.isView(x)) {
    if (x.buffer instanceof ArrayBuffer) out.add(x.buffer);
  } else for (const v of Object.values(x)) collectBuffers(v, out, seen);
}
