/**
 * @module xla/lower-emit
 * The lowering's program writer: declares buffers, appends TensorCore instructions with
 * their dependencies computed from the buffers they touch (read-after-write,
 * write-after-write and write-after-read, so the program verifier never sees a race),
 * keeps one pool of scratch storage per memory (a scratch buffer is an exact-size view of a
 * pooled storage that no live buffer holds, so storage is reused across sizes and the
 * program's footprint is about its peak live scratch; reuse is race-free because deps follow
 * storage), shares fill constants, and emits the two data-movement idioms
 * everything else is built from: strided copies (DMAs of 2-D runs) and transposes (an XLU
 * transpose of a 2-D view, then a strided copy).
 *
 * Imports tpu/program (types and `accesses`), ./ops (sizes). Invariant: every buffer holds
 * f32 values in row-major order; a value's dims are tracked by the caller.
 */
import { accesses, type BufferDecl, type Instruction } from '../tpu/program.ts';
import { DEFAULT_CORE_CONFIG, type TensorCoreConfig } from '../tpu/config.ts';
import { dmaBytesPerCycle } from '../tpu/dma.ts';
import type { MemoryKind } from '../tpu/memory.ts';
import { sizeOf, stridesOf } from './ops/index.ts';

/** Values above which an HBM transpose goes through vector memory a block of rows at a time. */
export const TRANSPOSE_CHUNK_VALUES = 2 ** 14;

/** An instruction before its dependencies are known. */
export type Pending = Instruction extends infer I ? (I extends Instruction ? Omit<I, 'deps'> : never) : never;

/** A lowering failure: names the HLO instruction and what the device cannot do. */
export class LoweringError extends Error {
  override readonly name = 'LoweringError';
  readonly userFacing = true;
}

/** Appends instructions and buffers; computes deps. */
export class Emitter {
  readonly instructions: Instruction[] = [];
  /** Host data written into buffers before the program runs (constants, fills). */
  readonly initial = new Map<string, Float32Array>();
  /** HLO instruction name of every emitted instruction, by index (for the per-op profile). */
  readonly owners: string[] = [];
  /** The HLO instruction being lowered (labels). */
  owner = '';
  /** Buffers declared by name (parameters, constants, fills). */
  private readonly declared: BufferDecl[] = [];
  private readonly declaredSize = new Map<string, number>();
  /** Pooled storage per memory: capacity grows to the largest view ever handed out. */
  private readonly storages = new Map<string, { memory: MemoryKind; values: number }>();
  /** Views handed out (name -> storage and size), reused for the same storage and size. */
  private readonly views = new Map<string, { of: string; values: number }>();
  private readonly freeStorage = new Map<MemoryKind, Set<string>>();
  /** The view currently holding each storage that is not free. */
  private readonly holder = new Map<string, string>();
  private readonly memoryOf = new Map<string, MemoryKind>();
  private readonly lastWriter = new Map<string, number>();
  private readonly readers = new Map<string, number[]>();
  private readonly fills = new Map<string, string>();
  private counter = 0;

  /** Values of vector memory a transpose through vector memory may use at once. */
  private readonly transposeChunk: number;

  constructor(
    /** The core the program is for (DMA costs decide how copies are split). */
    readonly core: TensorCoreConfig = DEFAULT_CORE_CONFIG,
    /** Vector-memory values one step may use (transposes are tiled to half of it). */
    budget = Infinity,
  ) {
    this.transposeChunk = Math.max(1, Math.min(TRANSPOSE_CHUNK_VALUES, Math.floor(budget / 2)));
  }

  /** Every buffer of the program: declared ones, pooled storages (at their final capacity), and views of them. */
  get buffers(): BufferDecl[] {
    return [
      ...this.declared,
      ...[...this.storages].map(([name, st]) => ({ name, memory: st.memory, values: st.values })),
      ...[...this.views].map(([name, v]) => ({ name, memory: this.storages.get(v.of)!.memory, values: v.values, of: v.of })),
    ];
  }

  /** Declares a buffer of `values` f32 values (a device variable when `variable`). */
  declare(name: string, memory: MemoryKind, values: number, variable = false): string {
    this.declared.push({ name, memory, values: Math.max(1, values), ...(variable ? { variable } : {}) });
    this.declaredSize.set(name, Math.max(1, values));
    this.memoryOf.set(name, memory);
    return name;
  }

  /** Values a buffer holds. */
  size(name: string): number {
    return this.views.get(name)?.values ?? this.declaredSize.get(name)!;
  }

  /** The memory a buffer lives in. */
  memory(name: string): MemoryKind {
    return this.memoryOf.get(name)!;
  }

  /** The storage behind a name (a view's pooled storage, else the buffer itself): what hazards are about. */
  private storageOf(name: string): string {
    return this.views.get(name)?.of ?? name;
  }

  /**
   * A scratch buffer of exactly `values` values in vector memory (or HBM): a view of a pooled
   * storage that no live buffer holds, the smallest free one that is big enough, else the
   * largest free one grown to the size, else a new one. Storage goes back to the pool on
   * `release`; dependencies follow storage, so reuse is race-free.
   */
  acquire(values: number, memory: MemoryKind = 'vmem'): string {
    const n = Math.max(1, values);
    const free = this.freeStorage.get(memory) ?? new Set<string>();
    this.freeStorage.set(memory, free);
    let pick: string | undefined;
    let largest: string | undefined;
    for (const name of free) {
      const cap = this.storages.get(name)!.values;
      if (cap >= n && (pick === undefined || cap < this.storages.get(pick)!.values)) pick = name;
      if (largest === undefined || cap > this.storages.get(largest)!.values) largest = name;
    }
    pick ??= largest;
    if (pick === undefined) {
      pick = `${memory}${this.counter++}`;
      this.storages.set(pick, { memory, values: n });
    }
    free.delete(pick);
    const st = this.storages.get(pick)!;
    st.values = Math.max(st.values, n);
    const view = `${pick}_${n}`;
    if (!this.views.has(view)) {
      this.views.set(view, { of: pick, values: n });
      this.memoryOf.set(view, memory);
    }
    this.holder.set(pick, view);
    return view;
  }

  /** Returns acquired buffers' storage to the pool (other names are ignored: parameters, constants). */
  release(...names: string[]): void {
    for (const name of names) {
      const v = this.views.get(name);
      if (!v || this.holder.get(v.of) !== name) continue;
      this.holder.delete(v.of);
      this.freeStorage.get(this.storages.get(v.of)!.memory)!.add(v.of);
    }
  }

  /** Releases every acquired buffer of a memory but `keep` (a kernel's scratch, at its end). */
  releaseAll(memory: MemoryKind, keep: ReadonlySet<string> = new Set()): void {
    for (const view of [...this.holder.values()]) if (this.memoryOf.get(view) === memory && !keep.has(view)) this.release(view);
  }

  /** Values of live (held) pooled storage in a memory, and of all its storage (the program's footprint). */
  pooledValues(memory: MemoryKind): number {
    return [...this.storages.values()].filter((s) => s.memory === memory).reduce((a, s) => a + s.values, 0);
  }

  /** An HBM buffer holding `data` before the run (a constant). */
  constant(name: string, data: Float32Array): string {
    this.declare(name, 'hbm', data.length);
    this.initial.set(name, data);
    return name;
  }

  /** A constant HBM buffer of `n` copies of `value`, shared by every caller asking for the same. */
  fill(value: number, n: number): string {
    const key = `${Object.is(value, -0) ? '-0' : String(value)}x${n}`;
    let name = this.fills.get(key);
    if (name === undefined) {
      name = this.constant(`fill${this.counter++}_${n}`, new Float32Array(n).fill(value));
      this.fills.set(key, name);
    }
    return name;
  }

  /** Appends an instruction, depending on the last writer and the readers of what it touches. */
  emit(instr: Pending): number {
    const index = this.instructions.length;
    const named = accesses(instr as Instruction);
    const reads = named.reads.map((n) => this.storageOf(n));
    const writes = named.writes.map((n) => this.storageOf(n));
    const deps = new Set<number>();
    for (const r of reads) {
      const w = this.lastWriter.get(r);
      if (w !== undefined) deps.add(w);
    }
    for (const w of writes) {
      const last = this.lastWriter.get(w);
      if (last !== undefined) deps.add(last);
      for (const r of this.readers.get(w) ?? []) deps.add(r);
    }
    deps.delete(index);
    const withDeps = { ...instr, label: this.owner, ...(deps.size > 0 ? { deps: [...deps].sort((a, b) => a - b) } : {}) } as Instruction;
    this.instructions.push(withDeps);
    this.owners.push(this.owner);
    for (const r of reads) {
      const list = this.readers.get(r);
      if (list) list.push(index);
      else this.readers.set(r, [index]);
    }
    for (const w of writes) {
      this.lastWriter.set(w, index);
      this.readers.set(w, []);
    }
    return index;
  }

  /**
   * Copies an index space: element idx of `dims` goes from src[srcBase + idx . srcStrides]
   * to dst[dstBase + idx . dstStrides], as DMAs of 2-D runs (one per outer index).
   */
  copy(src: string, dst: string, dims: readonly number[], srcStrides: readonly number[], srcBase: number, dstStrides: readonly number[], dstBase: number): void {
    if (sizeOf(dims) === 0) return;
    // drop unit dims, then merge dims that are contiguous in both buffers
    const ds: { n: number; s: number; d: number }[] = [];
    dims.forEach((n, i) => {
      if (n !== 1) ds.push({ n, s: srcStrides[i]!, d: dstStrides[i]! });
    });
    // an index-space copy may visit its dims in any order: source-major order gives the longest runs
    if (ds.every((o) => o.s >= 0 && o.d >= 0)) ds.sort((a, b) => b.s - a.s || b.d - a.d);
    for (let i = ds.length - 2; i >= 0; i--) {
      const [a, b] = [ds[i]!, ds[i + 1]!];
      if (a.s === b.s * b.n && a.d === b.d * b.n) ds.splice(i, 2, { n: a.n * b.n, s: b.s, d: b.d });
    }
    const last = ds[ds.length - 1];
    const unit = last !== undefined && last.s === 1 && last.d === 1;
    const values = unit ? last.n : 1;
    const inner = unit ? ds.slice(0, -1) : ds;
    if (unit && inner.length >= 3 && this.twoStage(src, dst, inner, values, srcBase, dstBase)) return;
    // the two longest dims with non-negative strides become the DMA's rows and planes; the rest are loops
    const order = inner.map((_, i) => i).filter((i) => inner[i]!.s >= 0 && inner[i]!.d >= 0).sort((a, b) => inner[b]!.n - inner[a]!.n || b - a);
    const [rowsAt, planesAt] = [order[0] ?? -1, order[1] ?? -1];
    const rowsDim = rowsAt >= 0 ? inner[rowsAt] : undefined;
    const planesDim = planesAt >= 0 ? inner[planesAt] : undefined;
    const outer = inner.filter((_, i) => i !== rowsAt && i !== planesAt);
    const total = sizeOf(outer.map((o) => o.n));
    for (let k = 0; k < total; k++) {
      let [so, dOff, rem] = [srcBase, dstBase, k];
      for (let i = outer.length - 1; i >= 0; i--) {
        const o = outer[i]!;
        const idx = rem % o.n;
        rem = Math.floor(rem / o.n);
        so += idx * o.s;
        dOff += idx * o.d;
      }
      this.emit({
        kind: 'dma',
        src,
        dst,
        srcOffset: so,
        dstOffset: dOff,
        values,
        rows: rowsDim?.n ?? 1,
        srcStride: rowsDim?.s ?? values,
        dstStride: rowsDim?.d ?? values,
        ...(planesDim ? { planes: { count: planesDim.n, srcStride: planesDim.s, dstStride: planesDim.d } } : {}),
      });
    }
  }

  /**
   * A gather of [outer..., rows, values] runs (the windows of a pooling or an im2col slice)
   * in a few DMAs instead of one per outer index: first the contiguous span of every outer
   * index (itself a strided copy, so this recurses) into a staging buffer whose rows have
   * one uniform stride, then one 2-D DMA out of it. Applies when runs do not overlap, the
   * destination is contiguous across the outer dims and rows, and there are > 2 runs.
   */
  private twoStage(src: string, dst: string, dims: readonly { n: number; s: number; d: number }[], values: number, srcBase: number, dstBase: number): boolean {
    const r = dims[dims.length - 1]!;
    const outer = dims.slice(0, -1);
    const count = sizeOf(outer.map((o) => o.n));
    if (count <= 2 || r.s < values || r.d < values || outer.some((o) => o.s < 0)) return false;
    const rowStride = r.n * r.s;
    const dstStrides = stridesOf([...outer.map((o) => o.n), r.n]).map((v) => v * r.d);
    if (outer.some((o, i) => o.d !== dstStrides[i])) return false;
    const span = (r.n - 1) * r.s + values;
    // worth it only when the latency saved exceeds the extra bytes staged
    const { dmaLatencyCycles: latency } = this.core;
    const valuesPerCycle = dmaBytesPerCycle(this.core) / 4;
    const direct = count * (latency + (r.n * values) / valuesPerCycle);
    const staged = 3 * latency + (count * (span + r.n * values)) / valuesPerCycle;
    if (staged >= direct) return false;
    // NOTE: staging lives in HBM: it can be much larger than the data (it keeps the gaps).
    const tmp = this.acquire(count * rowStride, 'hbm');
    this.copy(src, tmp, [...outer.map((o) => o.n), span], [...outer.map((o) => o.s), 1], srcBase, [...stridesOf(outer.map((o) => o.n)).map((v) => v * rowStride), 1], 0);
    this.emit({ kind: 'dma', src: tmp, dst, dstOffset: dstBase, values, rows: count * r.n, srcStride: r.s, dstStride: r.d });
    this.release(tmp);
    return true;
  }

  /** Copies a whole value (the smaller of the two buffers' current sizes) with one DMA. */
  copyAll(src: string, dst: string): void {
    this.emit({ kind: 'dma', src, dst, values: Math.min(this.size(src), this.size(dst)) });
  }

  /**
   * dst = transpose(src) where src has `dims` and out dim i = src dim perm[i].
   * If the last dim moves, an XLU transpose of the 2-D view [dims..j | j+1..] (in vector
   * memory) first brings src dim j = perm[last] to the end; the rest is a strided copy.
   */
  transpose(src: string, dims: readonly number[], perm: readonly number[], dst: string): void {
    const n = dims.length;
    const j = perm[n - 1]!;
    if (j === n - 1) {
      const s = stridesOf(dims);
      this.copy(src, dst, perm.map((p) => dims[p]!), perm.map((p) => s[p]!), 0, stridesOf(perm.map((p) => dims[p]!)), 0);
      return;
    }
    const rows = sizeOf(dims.slice(0, j + 1));
    const cols = sizeOf(dims.slice(j + 1));
    const t = rows * cols > this.transposeChunk && this.memoryOf.get(src) === 'hbm' ? this.transposeByBlocks(src, rows, cols) : this.transposeWhole(src, rows, cols);
    const order = [...dims.keys()].slice(j + 1).concat([...dims.keys()].slice(0, j + 1)); // t's dims, as src dims
    const curDims = order.map((d) => dims[d]!);
    this.transpose(t, curDims, perm.map((p) => order.indexOf(p)), dst);
    this.release(t);
  }

  /** x[R, C] -> [C, R] with one XLU transpose in vector memory. */
  private transposeWhole(src: string, rows: number, cols: number): string {
    let x = src;
    if (this.memoryOf.get(src) !== 'vmem') {
      x = this.acquire(rows * cols);
      this.copyAll(src, x);
    }
    const t = this.acquire(rows * cols);
    this.emit({ kind: 'vpu-transpose', x, out: t, rows, cols });
    if (x !== src) this.release(x);
    return t;
  }

  /**
   * x[R, C] (in HBM) -> [C, R] in HBM, one tile of rows x columns at a time through vector
   * memory. Every tile has the same size (the last ones overlap their neighbours and rewrite
   * identical values), so all tiles share two scratch buffers.
   */
  private transposeByBlocks(src: string, rows: number, cols: number): string {
    const t = this.acquire(rows * cols, 'hbm');
    // near-square tiles: a thin tile would turn one side's DMA into single-value rows
    const rb = Math.min(rows, this.transposeChunk >= TRANSPOSE_CHUNK_VALUES ? 256 : Math.max(1, Math.floor(Math.sqrt(this.transposeChunk))));
    const cb = Math.min(cols, Math.max(1, Math.floor(this.transposeChunk / rb)));
    for (let r = 0; r < rows; r += rb) {
      const r0 = Math.min(r, rows - rb);
      for (let c = 0; c < cols; c += cb) {
        const c0 = Math.min(c, cols - cb);
        const [x, y] = [this.acquire(rb * cb), this.acquire(rb * cb)];
        this.emit({ kind: 'dma', src, dst: x, srcOffset: r0 * cols + c0, values: cb, rows: rb, srcStride: cols, dstStride: cb });
        this.emit({ kind: 'vpu-transpose', x, out: y, rows: rb, cols: cb });
        this.emit({ kind: 'dma', src: y, dst: t, dstOffset: c0 * rows + r0, values: rb, rows: cb, srcStride: rb, dstStride: rows });
        this.release(x, y);
      }
    }
    return t;
  }
}
