/**
 * @module mxu/wasm-module
 * The compiled MXU kernel: build/wasm/mxu-kernel.wasm (made from ./wasm/kernel.ts by
 * scripts/build-wasm.mjs) read, compiled with V8's optimising tier straight away, and checked
 * to be built from the current sources (shared memory imported, every entry point exported),
 * once per thread. A missing, broken or stale file is a WasmKernelError that says how to
 * rebuild it. ./wasm-loader.ts instantiates it on this thread, ./worker.ts on helper threads.
 *
 * Imports node:fs, node:v8 only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

/** The compiled kernel's file, relative to the repository root. */
export const KERNEL_WASM_PATH = 'build/wasm/mxu-kernel.wasm';

/** The WASM kernel is missing or broken; the message says how to rebuild it. */
export class WasmKernelError extends Error {
  override readonly name = 'WasmKernelError';
  readonly userFacing = true;
}

/** The slice of the WebAssembly API used here (tsconfig's lib has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** A compiled module (opaque). */
export type WasmModule = object;
interface WasmApi {
  Module: (new (bytes: Uint8Array) => WasmModule) & {
    imports(module: WasmModule): { module: string; name: string }[];
    exports(module: WasmModule): { name: string }[];
  };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
}
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: WasmModule | undefined;

/** The kernel file's absolute path in this checkout. */
export function kernelWasmFile(): string {
  return fileURLToPath(new URL(`../../${KERNEL_WASM_PATH}`, import.meta.url));
}

/**
 * Compiles a kernel module from `path` (throws WasmKernelError, saying how to rebuild, if the
 * file is missing or invalid).
 */
export function loadKernelModule(path: string): WasmModule {
  if (!existsSync(path)) {
    throw new WasmKernelError(`${path} is missing: run \`npm run build:wasm\` (it compiles src/mxu/wasm/kernel.ts)`);
  }
  // NOTE: V8 first compiles WASM with its baseline tier (Liftoff) and swaps in optimised
  // code only on a later call: a single big matmul would run entirely on baseline code, 2-4x
  // slower. So the kernel is compiled with the optimising tier straight away.
  setV8Flags('--no-liftoff --no-wasm-lazy-compilation');
  let module: WasmModule;
  try {
    module = new wasmApi.Module(readFileSync(path));
  } catch (err) {
    throw new WasmKernelError(`${path} is not a valid kernel (${(err as Error).message}): run \`npm run build:wasm\``);
  } finally {
    setV8Flags('--liftoff --wasm-lazy-compilation');
  }
  // NOTE: a kernel built from older sources would link and silently skip the entry rounding.
  const imports = wasmApi.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  const exports = new Set(wasmApi.Module.exports(module).map((e) => e.name));
  if (!imports.includes('env.memory') || !REQUIRED_EXPORTS.every((name) => exports.has(name))) {
    throw new WasmKernelError(`${path} was built from older sources (no shared memory or missing exports): run \`npm run build:wasm\``);
  }
  return module;
}

/** Exports the loader calls; checked when the module is loaded. */
const REQUIRED_EXPORTS = ['heapBase', 'packA', 'packAFeed', 'packB', 'matmul', 'matmulChunks', 'canonicalizeNaNs', 'compactRows', 'addPass', 'finishPasses'];

/** Sets V8 flags if this runtime still allows it (a speed hint only: never fatal). */
function setV8Flags(flags: string): void {
  try {
    setFlagsFromString(flags);
  } catch {
    // NOTE: some runtimes freeze V8 flags after start-up; the kernel is then compiled lazily.
  }
}

/** The kernel module, compiled once per thread. */
export function kernelModule(): WasmModule {
  compiled ??= loadKernelModule(kernelWasmFile());
  return compiled;
}
