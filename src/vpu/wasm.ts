/**
 * @module vpu/wasm
 * Loads build/wasm/vpu-kernels.wasm (compiled from ./wasm/kernels.ts by
 * scripts/build-wasm.mjs) and runs the VPU's big elementwise ops on it: copy the operands
 * into linear memory, run the SIMD loop, copy the result out. Same bits as the JS loops of
 * ./kernels.ts (test/vpu/wasm.test.ts), NaN payloads aside (./ops.ts leaves them
 * unspecified).
 *
 * Imports node:fs and ./ops (types). One instance per thread, made on first use; its memory
 * grows to the largest call and never shrinks. Not re-entrant (nothing here is async).
 * When the .wasm file is missing (no `npm run build:wasm` yet) `vpuWasm()` returns null and
 * ./array.ts keeps the JS loops: the results are the same, only slower.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BinaryOp, CompareOp } from './ops.ts';
import type { ReduceKind } from './reduce.ts';

/** The compiled kernels' file, relative to the repository root. */
export const VPU_WASM_PATH = 'build/wasm/vpu-kernels.wasm';

/** Below this many values a call's fixed cost (views, copies) outweighs SIMD: ./array.ts stays in JS. */
export const WASM_MIN_VALUES = 256;

interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  binary(op: number, a: number, b: number, out: number, n: number, mode: number, s: number): void;
  compare(op: number, a: number, b: number, out: number, n: number, mode: number, s: number): void;
  select(mask: number, a: number, b: number, out: number, n: number, mode: number, sa: number, sb: number): void;
  foldRows(kind: number, x: number, rows: number, cols: number, acc: number, sublanes: number, identity: number, init: number): void;
  transpose(x: number, rows: number, cols: number, out: number): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

const BINARY_CODES: { readonly [K in BinaryOp]: number } = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };
const COMPARE_CODES: { readonly [K in CompareOp]: number } = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 };
const REDUCE_CODES: { readonly [K in ReduceKind]: number } = { sum: 0, max: 1, min: 2 };
const PAGE_BYTES = 65536;

/** An f32 array, or a scalar already rounded to f32. */
type F32Operand = Float32Array | number;

/** The instantiated kernels with their linear memory. */
export class VpuWasm {
  private heap: Float32Array;
  /** Byte offset of the first slot (16-byte aligned). */
  private readonly base: number;

  constructor(private readonly ex: Exports) {
    this.base = Math.ceil(ex.heapBase() / 16) * 16;
    this.heap = new Float32Array(ex.memory.buffer);
  }

  /** Byte offsets of `slots` arrays of n values (each padded to 16 bytes), growing memory if needed. */
  private layout(slots: number, n: number): number[] {
    const stride = Math.ceil(n / 4) * 16;
    return this.reserve(Array.from({ length: slots }, () => stride));
  }

  /** Consecutive 16-byte aligned regions of the given byte sizes, growing memory if needed. */
  private reserve(bytes: readonly number[]): number[] {
    const offsets: number[] = [];
    let end = this.base;
    for (const b of bytes) {
      offsets.push(end);
      end += Math.ceil(b / 16) * 16;
    }
    const have = this.ex.memory.buffer.byteLength;
    if (end > have) {
      this.ex.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
      this.heap = new Float32Array(this.ex.memory.buffer); // the old view is detached
    }
    return offsets;
  }

  private put(x: F32Operand, at: number): void {
    if (typeof x !== 'number') this.heap.set(x, at >> 2);
  }

  private take(at: number, out: Float32Array): void {
    out.set(this.heap.subarray(at >> 2, (at >> 2) + out.length));
  }

  /** out = a op b (at most one scalar operand; scalars already f32). */
  binary(op: BinaryOp, a: F32Operand, b: F32Operand, out: Float32Array): void {
    const [pa, pb, po] = this.layout(3, out.length) as [number, number, number];
    this.put(a, pa);
    this.put(b, pb);
    const [mode, s] = typeof b === 'number' ? [1, b] : typeof a === 'number' ? [2, a] : [0, 0];
    this.ex.binary(BINARY_CODES[op], pa, pb, po, out.length, mode, s);
    this.take(po, out);
  }

  /** out = a op b ? 1 : 0 (at most one scalar operand). */
  compare(op: CompareOp, a: F32Operand, b: F32Operand, out: Float32Array): void {
    const [pa, pb, po] = this.layout(3, out.length) as [number, number, number];
    this.put(a, pa);
    this.put(b, pb);
    const [mode, s] = typeof b === 'number' ? [1, b] : typeof a === 'number' ? [2, a] : [0, 0];
    this.ex.compare(COMPARE_CODES[op], pa, pb, po, out.length, mode, s);
    this.take(po, out);
  }

  /** out = mask != 0 ? a : b (either operand may be a scalar). */
  select(mask: Float32Array, a: F32Operand, b: F32Operand, out: Float32Array): void {
    const [pm, pa, pb, po] = this.layout(4, out.length) as [number, number, number, number];
    this.put(mask, pm);
    this.put(a, pa);
    this.put(b, pb);
    const mode = (typeof a === 'number' ? 1 : 0) | (typeof b === 'number' ? 2 : 0);
    this.ex.select(pm, pa, pb, po, out.length, mode, typeof a === 'number' ? a : 0, typeof b === 'number' ? b : 0);
    this.take(po, out);
  }

  /**
   * acc[S, C] = the per-sublane fold of x[R, C] (see ./wasm/kernels.ts `foldRows`), for
   * ./reduce.ts axis 0; `acc` has S * C values; `accumulate` continues from acc's values.
   */
  foldRows(kind: ReduceKind, x: Float32Array, shape: { readonly rows: number; readonly cols: number; readonly identity: number; readonly accumulate?: boolean }, acc: Float32Array): void {
    const { rows, cols } = shape;
    const [px, pa] = this.reserve([4 * x.length, 4 * acc.length]) as [number, number];
    this.put(x, px);
    if (shape.accumulate) this.put(acc, pa);
    this.ex.foldRows(REDUCE_CODES[kind], px, rows, cols, pa, acc.length / cols, shape.identity, shape.accumulate ? 0 : 1);
    this.take(pa, acc);
  }

  /** out[C, R] = x[R, C] (bit patterns moved as they are). */
  transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
    const [px, po] = this.layout(2, x.length) as [number, number];
    this.put(x, px);
    this.ex.transpose(px, rows, cols, po);
    this.take(po, out);
  }
}

let instance: VpuWasm | null | undefined;

/** The kernels of this thread, or null when build/wasm/vpu-kernels.wasm is missing or cannot load. */
export function vpuWasm(): VpuWasm | null {
  if (instance !== undefined) return instance;
  const path = fileURLToPath(new URL(`../../${VPU_WASM_PATH}`, import.meta.url));
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  instance = null;
  if (api && existsSync(path)) {
    try {
      const exports = new api.Instance(new api.Module(readFileSync(path)), { env: { abort: () => {} } }).exports as Exports;
      instance = new VpuWasm(exports);
    } catch {
      instance = null; // a stale or broken build: the JS loops give the same bits
    }
  }
  return instance;
}
