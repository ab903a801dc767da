/**
 * @module mxu/kernel
 * The MXU's fast functional path: `matmulFast`, the public entry point. It runs on the
 * WebAssembly SIMD kernel (./wasm/kernel.ts via ./wasm-loader.ts), which does the multi-pass
 * precision modes whole (pieces split while packing, one pass per term, combined in WASM),
 * or, on request, on the plain-JS kernel (./kernel-js.ts), whose passes ./precision.ts
 * builds the modes from.
 *
 * Imports ./config, ./precision, ./report (cycles for `mxuMatmul`), and the two pass
 * implementations. Synchronous; with `threads` > 1 the WASM pass shares its row chunks with
 * helper threads (./wasm-loader.ts) and still returns only when C is complete.
 */
import { MxuConfigError, checkShape, type MatmulShape, type MxuConfig, type Precision } from './config.ts';
import { checkFeed, gatherFeed, type FeedPattern } from './feed.ts';
import { jsPass } from './kernel-js.ts';
import { matmulWithPrecision } from './precision.ts';
import { checkAccumulators } from './reference.ts';
import { mxuReport, type MxuReport } from './report.ts';
import { wasmKernel } from './wasm-loader.ts';

/** Which implementation runs the passes: WASM SIMD (default, fast) or plain JS (fallback). */
export type KernelBackend = 'wasm' | 'js';

/** Options of `matmulFast`. */
export interface FastMatmulOptions {
  /** The array: R (`rows`, the fold depth) and the subnormal mode are all the numerics need. */
  readonly config: Pick<MxuConfig, 'rows' | 'subnormals'>;
  /** XLA precision: 1, 3 or 6 bf16 passes. Default 'default'. */
  readonly precision?: Precision;
  /** Default 'wasm'. */
  readonly backend?: KernelBackend;
  /**
   * WASM backend: threads computing each pass, this one plus `threads - 1` helper threads
   * sharing its kernel's memory (started on first use, kept). Default 1. Same bits for any
   * count. NOTE: this thread blocks until the pass is done (it computes chunks too).
   */
  readonly threads?: number;
  /** Passes with fewer MACs than this stay on one thread (default 2^22; 0: always share). */
  readonly minParallelMacs?: number;
  /** A is read from `a` through this address pattern instead of as a dense [M, K] (./feed.ts). */
  readonly feed?: FeedPattern;
  /** The accumulators' values before the matmul ([M, N]; 'default' precision): C = acc + A . B (./reference.ts, step 4). */
  readonly acc?: Float32Array;
  /**
   * C is written here ([M, N]) and this array returned, instead of a new one: a TensorCore
   * writes straight into the destination buffer. May be `acc` itself (the accumulators are
   * read before C is written); must not be `a` or `b` with the 'js' backend.
   */
  readonly out?: Float32Array;
}

/** Checks the shape and both operand lengths (or a's feed pattern), naming whatever is wrong (MxuConfigError). */
export function checkOperandLengths(a: Float32Array, b: Float32Array, shape: MatmulShape, feed?: FeedPattern): void {
  checkShape(shape);
  const { m, k, n } = shape;
  if (feed) {
    const problem = checkFeed(feed, shape, a.length);
    if (problem) throw new MxuConfigError(`operand a: ${problem}`);
  } else if (a.length !== m * k) throw new MxuConfigError(`operand a has ${a.length} values; [m, k] = [${m}, ${k}] needs ${m * k}`);
  if (b.length !== k * n) throw new MxuConfigError(`operand b has ${b.length} values; [k, n] = [${k}, ${n}] needs ${k * n}`);
}

/**
 * Checks the fold depth R. NOTE: the kernel's fold loop never ends with R = 0; configs made
 * by mxuConfig() are checked already, bare objects are checked here.
 */
export function checkFoldDepth(rows: number): void {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new MxuConfigError(`mxu rows must be a positive integer, got ${rows}`);
}

/**
 * C = A . B on the MXU, fast. a: [M, K], b: [K, N], row-major f32. Returns c: [M, N].
 *
 * Equivalence promised (and property-tested in test/mxu/kernel.test.ts): for every input —
 * NaN, +-Inf, -0, subnormals, overflowing and underflowing products included — the result
 * has exactly the bits of `referenceMatmul(a, b, shape, { config, precision })`, and so of
 * the stepped array, which is proven equal to the reference. Whatever the backend. With a
 * `feed`, A is `gatherFeed(a, feed, shape)`; with `acc`, the reference's `acc` option.
 * @example matmulFast(new Float32Array([1, 2]), new Float32Array([3, 4]), { m: 1, k: 2, n: 1 }, { config: { rows: 128, subnormals: 'flush' } }) // [11]
 */
export function matmulFast(a: Float32Array, b: Float32Array, shape: MatmulShape, options: FastMatmulOptions): Float32Array {
  const { feed, acc } = options;
  checkOperandLengths(a, b, shape, feed);
  const { config } = options;
  checkFoldDepth(config.rows);
  const backend = options.backend ?? 'wasm';
  const precision = options.precision ?? 'default';
  if (acc) checkAccumulators(acc, shape, precision);
  if (options.out && options.out.length !== shape.m * shape.n) throw new MxuConfigError(`out has ${options.out.length} values; [m, n] = [${shape.m}, ${shape.n}] needs ${shape.m * shape.n}`);
  const threads = options.threads ?? 1;
  if (!Number.isSafeInteger(threads) || threads < 1) throw new MxuConfigError(`threads must be a positive integer, got ${threads}`);
  const wasmOptions = { rows: config.rows, subnormals: config.subnormals, threads, ...(options.minParallelMacs === undefined ? {} : { minParallelMacs: options.minParallelMacs }) };
  if (backend === 'wasm') {
    // A gathered through the feed while it is packed (no dense copy of A); the multi-pass
    // precisions split, pass and combine inside the kernel too (./wasm-loader.ts)
    const out = options.out ?? new Float32Array(shape.m * shape.n);
    if (precision === 'default') wasmKernel().pass(a, b, shape, wasmOptions, out, { ...(feed ? { feed } : {}), ...(acc ? { acc } : {}) });
    else wasmKernel().precisionPasses(a, b, shape, { ...wasmOptions, precision }, out, feed ? { feed } : {});
    return out;
  }
  // the plain-JS fallback: a dense A, and the modes built from passes by ./precision.ts
  const dense = feed ? gatherFeed(a, feed, shape) : a;
  const c = acc ? jsPass(dense, b, shape, config, undefined, acc) : matmulWithPrecision(dense, b, precision, config.subnormals, (x, y) => jsPass(x, y, shape, config));
  if (!options.out) return c;
  options.out.set(c);
  return options.out;
}

/** Values and timing of one matmul on the MXU. */
export interface MxuMatmulResult {
  /** c: [M, N], the MXU's bits (as `matmulFast`). */
  readonly c: Float32Array;
  /** Cycles, MACs, utilisation, SCALE-Sim counters, simulated time (closed form = stepped). */
  readonly report: MxuReport;
}

/**
 * A matmul with real values and exact cycles: `matmulFast` for C and the closed-form report
 * (`mxuReport`, proven equal to the stepped array's count) for the timing.
 * @example mxuMatmul(a, b, { m: 1024, k: 1024, n: 1024 }, { config: DEFAULT_MXU_CONFIG }).report.cycles // 65917
 */
export function mxuMatmul(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  options: FastMatmulOptions & { readonly config: MxuConfig },
): MxuMatmulResult {
  const c = matmulFast(a, b, shape, options);
  return { c, report: mxuReport(shape, options.config, options.precision ?? 'default') };
}
