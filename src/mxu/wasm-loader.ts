/**
 * @module mxu/wasm-loader
 * Instantiates the compiled kernel (./wasm-module.ts) on this thread and runs one MXU pass on
 * it: copy the raw f32 operands in, round them to bf16 while packing them (in WASM, the rule
 * of bfloat16's `roundToBf16Array`, proven equal by test/mxu/kernel-rounding.test.ts),
 * compute C (on this thread, or in row chunks shared with helper threads on the same shared
 * memory: ./worker.ts), canonicalise NaNs, copy C out. The multi-pass precisions
 * (`precisionPasses`) copy and pack the operands once, split into their bf16 pieces while
 * packing (bfloat16's `splitArray` formulas, in WASM), run one pass per term of
 * ./reference.ts's PASS_ORDER on the packed pieces and sum the terms in WASM in
 * `combinePasses`' order: no JS copy, split or combine on that path.
 *
 * Imports bfloat16 (types), ./config, ./feed, ./reference (PASS_ORDER only: the reference
 * never calls this module), ./wasm-module, ./worker. One instance (with its own shared linear
 * memory and, on request, its own helper threads) per thread, made on first use. Not
 * re-entrant: a pass blocks its thread until every chunk is done (Atomics.wait).
 */
import type { SubnormalMode } from '../bfloat16/index.ts';
import { PIECES, type MatmulShape, type Precision } from './config.ts';
import { feedWords, type FeedPattern } from './feed.ts';
import { PASS_ORDER } from './reference.ts';
import { kernelModule, wasmApi, WasmKernelError, type WasmMemory, type WasmModule } from './wasm-module.ts';
import { CTL_DONE, CTL_FAILED, KernelHelpers, type ChunkJob } from './worker.ts';


interface KernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  packA(src: number, dst: number, m: number, k: number, flush: number, pieces: number, pieceBytes: number): void;
  packAFeed(src: number, dst: number, m: number, k: number, desc: number, table: number, flush: number, pieces: number, pieceBytes: number): void;
  packB(src: number, dst: number, k: number, n: number, flush: number, pieces: number, pieceBytes: number): void;
  matmul(aP: number, bP: number, c: number, m: number, k: number, n: number, rows: number, clear: number): void;
  matmulChunks(ctl: number, gen: number, aP: number, bP: number, c: number, m: number, k: number, n: number, rows: number, chunkBlocks: number, clear: number): void;
  canonicalizeNaNs(ptr: number, count: number): void;
  compactRows(c: number, m: number, n: number, ldc: number): void;
  addPass(t: number, c: number, count: number): void;
  finishPasses(t: number, c: number, count: number): void;
}

const PAGE_BYTES = 65536;
/** The shared memory's maximum (it must be declared): 4 GiB, what wasm32 can address. */
const MAX_PAGES = 65536;
const MAX_BYTES = MAX_PAGES * PAGE_BYTES - PAGE_BYTES;
/** Row blocks (of 4 rows) per chunk at most: one cache chunk of the kernel (MC_BLOCKS). */
const MAX_CHUNK_BLOCKS = 32;

const align64 = (x: number): number => Math.ceil(x / 64) * 64;

/** Where each buffer of one pass lives in linear memory (byte offsets). */
interface Layout {
  /** The 64-byte control block of a threaded pass (see `matmulChunks`). */
  readonly ctl: number;
  /** A feed pattern's i32 words, and its column address table (K i32s). */
  readonly feed: number;
  readonly table: number;
  readonly staging: number;
  /** Packed A (its hi piece in a multi-pass precision; piece p at packedA + p * aPieceBytes). */
  readonly packedA: number;
  readonly aPieceBytes: number;
  /** Packed B, likewise. */
  readonly packedB: number;
  readonly bPieceBytes: number;
  readonly c: number;
  /** The running sum of a multi-pass precision's small terms (padded like C; unused with one piece). */
  readonly t: number;
  readonly end: number;
  /** C's padded width ceil(N/4)*4 and padded height ceil(M/4)*4. */
  readonly cCols: number;
  readonly cRows: number;
}

/**
 * The buffers of one pass. C reuses the staging area (the raw operands are dead once both
 * are packed): less memory, and fewer fresh pages to fault in on a first call. A pass whose
 * A is read through a feed pattern stages the pattern's source (`aValues` values) instead
 * of A, plus the pattern's words and a K-entry column address table. With `pieces` > 1 (a
 * multi-pass precision) each operand's packed buffer holds its pieces one after the other,
 * and the small terms' sum `t` follows.
 */
function layout(base: number, { m, k, n }: MatmulShape, aValues = m * k, pieces = 1): Layout {
  const cRows = Math.ceil(m / 4) * 4;
  const cCols = Math.ceil(n / 4) * 4;
  const ctl = align64(base);
  const feed = ctl + 64;
  const table = align64(feed + FEED_WORDS_BYTES);
  const staging = align64(table + k * 4);
  const packedA = align64(staging + Math.max(aValues, k * n, cRows * cCols) * 4);
  const aPieceBytes = align64(cRows * k * 4);
  const packedB = packedA + pieces * aPieceBytes;
  const bPieceBytes = align64(k * cCols * 4);
  const t = packedB + pieces * bPieceBytes;
  const end = pieces > 1 ? t + cRows * cCols * 4 : packedB + k * cCols * 4;
  return { ctl, feed, table, staging, packedA, aPieceBytes, packedB, bPieceBytes, c: staging, t, end, cCols, cRows };
}

/**
 * Bytes of linear memory one matmul of this shape needs (dense A), for callers that check
 * limits first; a multi-pass precision holds every piece of both operands at once.
 */
export function wasmPassBytes(shape: MatmulShape, precision: Precision = 'default'): number {
  return layout(0, shape, shape.m * shape.k, PIECES[precision]).end;
}

/** Room for a feed pattern's words (up to 8 digits each way). */
const FEED_WORDS_BYTES = 4 * (5 + 2 * 16);

/** Where one pass reads its packed operands and writes C (byte offsets), and whether C starts at +0 (1). */
interface PassBuffers {
  readonly ctl: number;
  readonly aP: number;
  readonly bP: number;
  readonly c: number;
  readonly clear: number;
}

/** Options of one pass. */
export interface WasmPassOptions {
  /** Fold depth R (array rows). */
  readonly rows: number;
  /** Subnormal mode of the entry rounding. */
  readonly subnormals: SubnormalMode;
  /** Threads computing C: this one plus `threads - 1` helpers (default 1). */
  readonly threads?: number;
  /** Passes with fewer MACs than this stay on one thread (default 2^22). */
  readonly minParallelMacs?: number;
}

/**
 * The threads that compute one pass of `shape`: the requested count, but at most one per
 * 4-row block of A, and 1 below `minParallelMacs` (default 2^22: waking a helper costs
 * about 0.1 ms).
 */
export function passThreads(shape: MatmulShape, options: Pick<WasmPassOptions, 'threads' | 'minParallelMacs'>): number {
  const { m, k, n } = shape;
  const threads = Math.min(options.threads ?? 1, Math.ceil(m / 4));
  return threads > 1 && m * k * n >= (options.minParallelMacs ?? 2 ** 22) ? threads : 1;
}

/** How a pass reads A and where its accumulators start (see ../feed.ts and ../reference.ts). */
export interface PassOperandsOptions {
  /** A is read from `a` through this pattern instead of as a dense [M, K]. */
  readonly feed?: FeedPattern;
  /** The accumulators' values before the pass ([M, N]); default +0. */
  readonly acc?: Float32Array;
}

/** One thread's instance of the SIMD kernel. */
export class WasmKernel {
  private readonly exports: KernelExports;
  private readonly memory: WasmMemory;
  private helpers: KernelHelpers | undefined;
  private gen = 0;

  constructor(private readonly module: WasmModule) {
    this.memory = new wasmApi.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const instance = new wasmApi.Instance(module, {
      env: {
        memory: this.memory,
        abort: () => {
          throw new WasmKernelError('mxu-kernel.wasm aborted; rebuild it with `npm run build:wasm`');
        },
      },
    });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /** Bytes of linear memory this instance holds (it grows to the largest pass, never shrinks). */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * One MXU pass, c = a . b: operands rounded to bf16 on entry, folds of `rows`, NaNs
   * canonicalised. a: [M, K], b: [K, N]; writes c: [M, N] into `out`.
   */
  pass(a: Float32Array, b: Float32Array, shape: MatmulShape, options: WasmPassOptions, out: Float32Array, operands: PassOperandsOptions = {}): void {
    const { m, k, n } = shape;
    const ex = this.exports;
    const lay = layout(ex.heapBase(), shape, operands.feed ? a.length : m * k);
    this.stageAndPack(a, b, shape, lay, options.subnormals, operands.feed);
    const clear = operands.acc ? 0 : 1;
    if (operands.acc) {
      // the accumulators start at acc: its rows laid out at C's padded row stride
      const c = new Float32Array(ex.memory.buffer, lay.c, lay.cRows * lay.cCols);
      for (let i = 0; i < m; i++) c.set(operands.acc.subarray(i * n, (i + 1) * n), i * lay.cCols);
    }
    this.compute({ ctl: lay.ctl, aP: lay.packedA, bP: lay.packedB, c: lay.c, clear }, shape, options);
    ex.canonicalizeNaNs(lay.c, lay.cRows * lay.cCols);
    this.copyOut(lay, shape, out);
  }

  /**
   * C = A . B at a multi-pass precision, bit for bit ../reference.ts `referenceMatmul`:
   * both operands are copied in and packed once, split into their bf16 pieces on the way
   * (./wasm/kernel.ts `finishRun`); each term of PASS_ORDER is one full pass on the packed
   * pieces; the first small term is computed into t, each further one into C and added to t
   * (`addPass`), and hi.hi last (`finishPasses`: a non-finite t becomes +0, then t + hi.hi,
   * NaNs canonicalised). A pass's own NaNs need no canonicalising: a NaN term makes the
   * small sum non-finite (so +0) or hi.hi NaN, and the final step canonicalises.
   * a: [M, K] (or a feed's source), b: [K, N]; writes c: [M, N] into `out`.
   */
  precisionPasses(
    a: Float32Array,
    b: Float32Array,
    shape: MatmulShape,
    options: WasmPassOptions & { readonly precision: Exclude<Precision, 'default'> },
    out: Float32Array,
    operands: Pick<PassOperandsOptions, 'feed'> = {},
  ): void {
    const ex = this.exports;
    const { precision } = options;
    const lay = layout(ex.heapBase(), shape, operands.feed ? a.length : shape.m * shape.k, PIECES[precision]);
    this.stageAndPack(a, b, shape, lay, options.subnormals, operands.feed, PIECES[precision]);
    const order = PASS_ORDER[precision];
    const count = lay.cRows * lay.cCols;
    order.forEach(([pa, pb], i) => {
      const aP = lay.packedA + pa * lay.aPieceBytes;
      const bP = lay.packedB + pb * lay.bPieceBytes;
      this.compute({ ctl: lay.ctl, aP, bP, c: i === 0 ? lay.t : lay.c, clear: 1 }, shape, options);
      if (i > 0 && i < order.length - 1) ex.addPass(lay.t, lay.c, count);
    });
    ex.finishPasses(lay.t, lay.c, count);
    this.copyOut(lay, shape, out);
  }

  /** Computes one pass on packed operands into buffers.c (padded), on this thread or shared with helpers. */
  private compute(buffers: PassBuffers, shape: MatmulShape, options: WasmPassOptions): void {
    const { m, k, n } = shape;
    const threads = passThreads(shape, options);
    if (threads > 1) this.computeShared(buffers, shape, options.rows, threads);
    else this.exports.matmul(buffers.aP, buffers.bP, buffers.c, m, k, n, options.rows, buffers.clear);
  }

  /** Copies C (at lay.c, padded rows) out as a dense [M, N]. */
  private copyOut(lay: Layout, { m, n }: MatmulShape, out: Float32Array): void {
    if (lay.cCols !== n) this.exports.compactRows(lay.c, m, n, lay.cCols);
    out.set(new Float32Array(this.exports.memory.buffer, lay.c, m * n));
  }

  /**
   * The packed operands of one pass (copies), as ./wasm/kernel.ts lays them out: a rounded
   * to bf16 in blocks of 4 rows, b rounded in column panels. For tests and inspection; `pass`
   * never calls it.
   */
  packOperands(a: Float32Array, b: Float32Array, shape: MatmulShape, subnormals: SubnormalMode): { a: Float32Array; b: Float32Array } {
    const ex = this.exports;
    const lay = layout(ex.heapBase(), shape);
    this.stageAndPack(a, b, shape, lay, subnormals);
    const mem = ex.memory.buffer;
    return {
      a: new Float32Array(mem, lay.packedA, lay.cRows * shape.k).slice(),
      b: new Float32Array(mem, lay.packedB, shape.k * lay.cCols).slice(),
    };
  }

  /**
   * The packed bf16 pieces of a multi-pass precision's operands (copies), hi first, each in
   * `packOperands`' layout; with a feed, `a` is its source. For tests; `precisionPasses` packs
   * the same way and never calls it.
   */
  packPieces(
    a: Float32Array,
    b: Float32Array,
    shape: MatmulShape,
    options: { readonly subnormals: SubnormalMode; readonly pieces: 2 | 3; readonly feed?: FeedPattern },
  ): { a: Float32Array[]; b: Float32Array[] } {
    const ex = this.exports;
    const { pieces, feed } = options;
    const lay = layout(ex.heapBase(), shape, feed ? a.length : shape.m * shape.k, pieces);
    this.stageAndPack(a, b, shape, lay, options.subnormals, feed, pieces);
    const mem = ex.memory.buffer;
    const each = (first: number, bytes: number, values: number) =>
      Array.from({ length: pieces }, (_, p) => new Float32Array(mem, first + p * bytes, values).slice());
    return { a: each(lay.packedA, lay.aPieceBytes, lay.cRows * shape.k), b: each(lay.packedB, lay.bPieceBytes, shape.k * lay.cCols) };
  }

  /** Starts (without waiting) `threads - 1` helper threads; resolves when they are up. */
  startHelpers(threads: number): Promise<void> {
    return this.ensureHelpers(threads).ready();
  }

  private ensureHelpers(threads: number): KernelHelpers {
    this.helpers ??= new KernelHelpers(this.module, this.memory);
    this.helpers.ensure(threads - 1);
    return this.helpers;
  }

  /** Stops this instance's helper threads (a later threaded pass starts new ones). */
  async stopHelpers(): Promise<void> {
    await this.helpers?.close();
  }

  /**
   * C on `threads` threads: helpers are sent the chunk job, this thread claims chunks too,
   * then waits until every chunk is done (a chunk a helper claimed is finished by it).
   */
  private computeShared({ ctl, aP, bP, c, clear }: PassBuffers, { m, k, n }: MatmulShape, rows: number, threads: number): void {
    const blocks = Math.ceil(m / 4);
    // NOTE: about 8 chunks per thread, so the wait for the last chunk (held by a thread the
    // OS descheduled, on a shared machine) is short.
    const chunkBlocks = Math.max(1, Math.min(MAX_CHUNK_BLOCKS, Math.ceil(blocks / (threads * 8))));
    const chunks = Math.ceil(blocks / chunkBlocks);
    this.gen = (this.gen + 1) & 0x7fffffff;
    const mem = this.exports.memory.buffer;
    const words = new Int32Array(mem);
    const base = ctl >> 2;
    Atomics.store(words, base + CTL_DONE, 0);
    Atomics.store(words, base + CTL_FAILED, 0);
    Atomics.store(new BigInt64Array(mem), ctl >> 3, BigInt(this.gen) << 32n); // generation, next chunk 0
    const job: ChunkJob = { ctl, gen: this.gen, aP, bP, c, m, k, n, rows, chunkBlocks, clear };
    this.ensureHelpers(threads).post(job, threads - 1);
    this.exports.matmulChunks(job.ctl, job.gen, job.aP, job.bP, job.c, m, k, n, rows, chunkBlocks, clear);
    for (;;) {
      const done = Atomics.load(words, base + CTL_DONE);
      if (done >= chunks) return;
      if (Atomics.load(words, base + CTL_FAILED) !== 0) throw new WasmKernelError('an mxu helper thread failed during a pass');
      Atomics.wait(words, base + CTL_DONE, done, 1000);
    }
  }

  /**
   * Copies the raw operands into linear memory and packs them (rounding to bf16 on the way,
   * or splitting them into `pieces` bf16 pieces); with a feed, `a` is the pattern's source and A is gathered through it while packing.
   */
  private stageAndPack(
    a: Float32Array,
    b: Float32Array,
    { m, k, n }: MatmulShape,
    lay: Layout,
    subnormals: SubnormalMode,
    feed?: FeedPattern,
    pieces = 1,
  ): void {
    const ex = this.exports;
    this.reserve(lay.end);
    const mem = ex.memory.buffer;
    const flush = subnormals === 'flush' ? 1 : 0;
    if (feed) {
      const words = feedWords(feed);
      if (words.length * 4 > FEED_WORDS_BYTES) throw new WasmKernelError(`a feed pattern has at most 16 digits in all, got ${(words.length - 5) / 2}`);
      new Int32Array(mem, lay.feed, words.length).set(words);
      new Float32Array(mem, lay.staging, a.length).set(a);
      ex.packAFeed(lay.staging, lay.packedA, m, k, lay.feed, lay.table, flush, pieces, lay.aPieceBytes);
    } else {
      new Float32Array(mem, lay.staging, m * k).set(a);
      ex.packA(lay.staging, lay.packedA, m, k, flush, pieces, lay.aPieceBytes);
    }
    new Float32Array(mem, lay.staging, k * n).set(b);
    ex.packB(lay.staging, lay.packedB, k, n, flush, pieces, lay.bPieceBytes);
  }

  private reserve(bytes: number): void {
    if (bytes > MAX_BYTES) {
      throw new WasmKernelError(`matmul needs ${(bytes / 2 ** 30).toFixed(1)} GiB of WASM memory (limit 4 GiB); split it`);
    }
    const have = this.exports.memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      this.exports.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES)); // throws RangeError if it cannot
    } catch {
      throw new WasmKernelError(`cannot grow WASM memory to ${(bytes / 2 ** 20).toFixed(0)} MiB for this matmul`);
    }
  }
}

let kernel: WasmKernel | undefined;

/** This thread's kernel instance, created on first use. */
export function wasmKernel(): WasmKernel {
  kernel ??= new WasmKernel(kernelModule());
  return kernel;
}
