/**
 * @module cli/matmul
 * `tpusim matmul`: one matmul on the simulated MXU, with real values and exact cycles. On
 * seeded random operands (-m -k -n) or on .npy files (--a --b, result to --out). Prints the
 * per-matmul report (cycles, utilisation, SCALE-Sim counters, simulated time), the host
 * time of the fast kernel, and the error against an f64 reference.
 *
 * Everything is checked before any work: the options, the --out path (a regular file in a
 * writable folder), and the memory the shape needs (./limits.ts).
 *
 * Imports mxu (kernel, parallel, report, stepped, npy, wasm-loader) and ./errors, ./limits,
 * ./output, ./output-path.
 */
import type { Command } from 'commander';
import { PRECISIONS, mxuConfig, type MatmulShape, type MxuConfig, type Precision } from '../mxu/config.ts';
import { matmulFast, type KernelBackend } from '../mxu/kernel.ts';
import { readNpy, writeNpy } from '../mxu/npy.ts';
import { MatmulPool } from '../mxu/parallel.ts';
import { formatReport, mxuReport, type MxuReport } from '../mxu/report.ts';
import { runStepped } from '../mxu/stepped.ts';
import { passThreads, wasmPassBytes } from '../mxu/wasm-loader.ts';
import { UsageError, parseChoice, parsePositiveInt, parseSeed } from './errors.ts';
import { WASM_MEMORY, checkArrayLength, checkFits, checkHostThreads, checkSteppedRun, formatBytes, hostMemory } from './limits.ts';
import { checkOutputFile } from './output-path.ts';
import { emit } from './output.ts';

/** Largest M*N*K whose error is checked on every output; bigger runs sample outputs. */
const FULL_CHECK_MACS = 2 ** 26;
/** Outputs checked against f64 on bigger runs. */
const SAMPLED_OUTPUTS = 4096;

/** Raw option strings, as commander hands them over. */
export interface MatmulCliOptions {
  m?: string;
  k?: string;
  n?: string;
  a?: string;
  b?: string;
  out?: string;
  array: string;
  precision: string;
  subnormals: string;
  overlap: boolean;
  stepped?: boolean;
  threads: string;
  backend: string;
  seed: string;
  json?: boolean;
}

/** What `tpusim matmul` reports (its --json output). */
export interface MatmulRun {
  readonly report: MxuReport;
  /** Threads that computed the values: --threads, but at most one per 4-row block of A. */
  readonly threads: number;
  readonly backend: KernelBackend;
  /** Host wall time of the values (fast kernel), s, and the rate it implies. */
  readonly hostSeconds: number;
  readonly hostGflops: number;
  /** Error vs an f64 matmul of the same f32 operands: max |c - exact|, and relative to sum |a*b|. */
  readonly maxAbsError: number;
  readonly maxRelError: number;
  /** Outputs the error was measured on (all, or a seeded sample of big results). */
  readonly errorOutputs: number;
  readonly nonFiniteOutputs: number;
  /** With --stepped: the stepped array's cycles and whether its bits equal the fast kernel's. */
  readonly stepped: { readonly cycles: number; readonly bitsEqualFast: boolean; readonly hostSeconds: number } | null;
  readonly out: string | null;
}

/** Parses `--array RxC`. */
export function parseArray(text: string): { rows: number; cols: number } {
  const match = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(text);
  if (!match) throw new UsageError(`--array must look like 128x128 (rows x cols), got '${text}'`);
  return { rows: parsePositiveInt(match[1]!, '--array rows'), cols: parsePositiveInt(match[2]!, '--array cols') };
}

/** Seeded uniform operands in [-1, 1) (mulberry32). */
export function seededOperands(shape: MatmulShape, seed: number): { a: Float32Array; b: Float32Array } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
  const a = new Float32Array(shape.m * shape.k);
  for (let i = 0; i < a.length; i++) a[i] = next();
  const b = new Float32Array(shape.k * shape.n);
  for (let i = 0; i < b.length; i++) b[i] = next();
  return { a, b };
}

/** Operands from .npy files, checked to be 2-D with matching K. */
function npyOperands(aFile: string, bFile: string): { a: Float32Array; b: Float32Array; shape: MatmulShape } {
  const a = readNpy(aFile);
  const b = readNpy(bFile);
  if (a.shape.length !== 2) throw new UsageError(`--a ${aFile}: expected a 2-D array [M, K], got shape (${a.shape.join(', ')})`);
  if (b.shape.length !== 2) throw new UsageError(`--b ${bFile}: expected a 2-D array [K, N], got shape (${b.shape.join(', ')})`);
  const [m, k] = a.shape as [number, number];
  const [kb, n] = b.shape as [number, number];
  if (kb !== k) throw new UsageError(`--b ${bFile}: shape (${kb}, ${n}) does not match --a ${aFile} (${m}, ${k}): K must agree`);
  if (m === 0 || k === 0 || n === 0) throw new UsageError(`--a/--b: empty operands (${m}, ${k}) x (${kb}, ${n})`);
  return { a: a.data, b: b.data, shape: { m, k, n } };
}

/** Extra copies of each operand (its bf16 parts) and passes (each a C) per precision. */
const PRECISION_COPIES: { readonly [p in Precision]: { readonly parts: number; readonly passes: number } } = {
  default: { parts: 0, passes: 1 },
  high: { parts: 2, passes: 3 },
  highest: { parts: 3, passes: 6 },
};

/**
 * Checks a matmul's memory before its operands exist: each array fits a typed array; the
 * WASM kernel's pass (with a precision mode's pieces) fits its 4 GiB; the operands, the JS
 * precision parts and each pass's C (JS kernel, stepped array), the
 * kernel's memory (and the stepped array's state) fit the host limit.
 */
export function checkMatmulFits(shape: MatmulShape, config: MxuConfig, precision: Precision, backend: KernelBackend, stepped: boolean): void {
  const { m, k, n } = shape;
  const subject = `matmul ${m} x ${k} x ${n}`;
  checkArrayLength(`${subject}: A [${m}, ${k}]`, m * k);
  checkArrayLength(`${subject}: B [${k}, ${n}]`, k * n);
  checkArrayLength(`${subject}: C [${m}, ${n}]`, m * n);
  const wasm = backend === 'wasm' ? wasmPassBytes(shape, precision) : 0;
  if (backend === 'wasm') checkFits(`${subject} on the WASM kernel`, wasm, WASM_MEMORY, `A and B staged and packed${precision === 'default' ? '' : ' as bf16 pieces'}, C`);
  // The WASM kernel splits and sums a precision mode's pieces in its own memory (counted
  // above); the JS kernel and the stepped array make JS copies of the parts and passes.
  const { parts, passes } = backend === 'wasm' && !stepped ? PRECISION_COPIES.default : PRECISION_COPIES[precision];
  const operands = 4 * (m * k + k * n);
  const results = 4 * m * n * (passes === 1 ? 1 : passes + 1);
  const madeOf = `A and B ${formatBytes(operands * (1 + parts))}${parts ? ` with their ${parts} bf16 parts` : ''}, C ${formatBytes(results)}${wasm ? `, kernel memory ${formatBytes(wasm)}` : ''}`;
  checkFits(subject, operands * (1 + parts) + results + wasm, hostMemory(), madeOf);
  if (stepped) checkSteppedRun(config, shape, precision, operands * (1 + parts) + results + wasm);
}

/** Parses and checks every option, naming the bad one, and checks the run fits before making its operands. */
export function parseMatmulOptions(opts: MatmulCliOptions) {
  if (opts.out !== undefined) checkOutputFile(opts.out, '--out');
  const array = parseArray(opts.array);
  const subnormals = parseChoice(opts.subnormals, '--subnormals', ['flush', 'keep'] as const);
  const config = mxuConfig({ ...array, subnormals, overlap: opts.overlap });
  const precision = parseChoice<Precision>(opts.precision, '--precision', PRECISIONS);
  const threads = parsePositiveInt(opts.threads, '--threads');
  checkHostThreads(threads, '--threads');
  const backend = parseChoice<KernelBackend>(opts.backend, '--backend', ['wasm', 'js']);
  if (backend === 'js' && threads > 1) throw new UsageError('--threads > 1 runs the WASM kernel on helper threads; drop --backend js');
  const seed = parseSeed(opts.seed);
  const stepped = opts.stepped === true;
  const fromFiles = opts.a !== undefined || opts.b !== undefined;
  if (fromFiles) {
    if (opts.a === undefined || opts.b === undefined) throw new UsageError('--a and --b go together (A.npy [M, K] and B.npy [K, N])');
    if (opts.m !== undefined || opts.k !== undefined || opts.n !== undefined) {
      throw new UsageError('-m/-k/-n and --a/--b exclude each other: the shape comes from the .npy files');
    }
    const operands = npyOperands(opts.a, opts.b);
    checkMatmulFits(operands.shape, config, precision, backend, stepped);
    return { config, precision, threads, backend, ...operands };
  }
  if (opts.out !== undefined) throw new UsageError('--out needs --a and --b (it writes their product)');
  if (opts.m === undefined || opts.k === undefined || opts.n === undefined) {
    throw new UsageError('give the shape with -m, -k and -n, or operands with --a A.npy --b B.npy');
  }
  const shape = { m: parsePositiveInt(opts.m, '-m'), k: parsePositiveInt(opts.k, '-k'), n: parsePositiveInt(opts.n, '-n') };
  checkMatmulFits(shape, config, precision, backend, stepped);
  return { config, precision, threads, backend, shape, ...seededOperands(shape, seed) };
}

/** Error of c against an f64 matmul of a and b, on all outputs or a seeded sample. */
export function errorVsF64(a: Float32Array, b: Float32Array, c: Float32Array, shape: MatmulShape) {
  const { m, k, n } = shape;
  const total = m * n;
  const sample = m * n * k <= FULL_CHECK_MACS || total <= SAMPLED_OUTPUTS ? total : SAMPLED_OUTPUTS;
  let maxAbsError = 0;
  let maxRelError = 0;
  let nonFiniteOutputs = 0;
  for (let s = 0; s < sample; s++) {
    // A multiplicative hash spreads the sample over C deterministically.
    const idx = sample === total ? s : Number((BigInt(s) * 2654435761n) % BigInt(total));
    const i = Math.floor(idx / n);
    const j = idx % n;
    let exact = 0;
    let scale = 0;
    for (let kk = 0; kk < k; kk++) {
      const p = a[i * k + kk]! * b[kk * n + j]!;
      exact += p;
      scale += Math.abs(p);
    }
    const got = c[idx]!;
    if (!Number.isFinite(got) || !Number.isFinite(exact)) {
      nonFiniteOutputs++;
      continue;
    }
    const err = Math.abs(got - exact);
    maxAbsError = Math.max(maxAbsError, err);
    if (scale > 0) maxRelError = Math.max(maxRelError, err / scale);
  }
  return { maxAbsError, maxRelError, errorOutputs: sample, nonFiniteOutputs };
}

interface ParsedRun {
  config: MxuConfig;
  precision: Precision;
  threads: number;
  backend: KernelBackend;
  shape: MatmulShape;
  a: Float32Array;
  b: Float32Array;
}

/** Runs the matmul (values on the fast kernel, cycles in closed form, optionally stepped). */
export async function runMatmul(p: ParsedRun, stepped: boolean, out: string | null): Promise<MatmulRun> {
  const { config, precision, threads, backend, shape, a, b } = p;
  const options = { config, precision, backend };
  // --threads is taken literally (no size threshold: this command measures the kernel); the
  // helpers start before the clock does.
  const pool = threads > 1 ? await MatmulPool.create(threads, { minParallelMacs: 0 }) : null;
  const start = performance.now();
  const c = pool ? await pool.matmul(a, b, shape, options) : matmulFast(a, b, shape, options);
  const hostSeconds = (performance.now() - start) / 1000;
  const report = mxuReport(shape, config, precision);
  let steppedResult: MatmulRun['stepped'] = null;
  if (stepped) {
    const t0 = performance.now();
    const res = runStepped(a, b, shape, { config, precision });
    const cBits = new Uint32Array(c.buffer, c.byteOffset, c.length);
    const bitsEqualFast = new Uint32Array(res.c.buffer, res.c.byteOffset, res.c.length).every((x, i) => x === cBits[i]);
    steppedResult = { cycles: res.cycles, bitsEqualFast, hostSeconds: (performance.now() - t0) / 1000 };
  }
  if (out !== null) writeNpy(out, { shape: [shape.m, shape.n], data: c });
  return {
    report,
    threads: passThreads(shape, { threads, minParallelMacs: 0 }),
    backend,
    hostSeconds,
    hostGflops: (2 * report.macs) / hostSeconds / 1e9,
    ...errorVsF64(a, b, c, shape),
    stepped: steppedResult,
    out,
  };
}

/** The run as text: the report, then the host's side. */
export function formatMatmulRun(r: MatmulRun): string {
  const lines = [formatReport(r.report)];
  const sampled = r.errorOutputs < r.report.shape.m * r.report.shape.n ? ` (${r.errorOutputs} sampled outputs)` : '';
  lines.push(
    `host time         ${(r.hostSeconds * 1000).toFixed(2)} ms on ${r.threads} thread${r.threads > 1 ? 's' : ''} (${r.hostGflops.toFixed(2)} GFLOP/s, ${r.backend} kernel)`,
    `max error vs f64  ${r.maxAbsError.toExponential(3)} absolute, ${r.maxRelError.toExponential(3)} relative to sum |a*b|${sampled}`,
  );
  if (r.nonFiniteOutputs > 0) lines.push(`non-finite        ${r.nonFiniteOutputs} outputs (NaN or Inf; not in the error)`);
  if (r.stepped) {
    const same = r.stepped.bitsEqualFast ? 'bits equal the fast kernel' : 'BITS DIFFER FROM THE FAST KERNEL';
    lines.push(`stepped array     ${r.stepped.cycles} cycles in ${(r.stepped.hostSeconds * 1000).toFixed(1)} ms; ${same}`);
  }
  if (r.out) lines.push(`wrote             ${r.out}`);
  return lines.join('\n');
}

/** Adds the `matmul` command to the program. */
export function registerMatmul(program: Command): void {
  program
    .command('matmul')
    .description('one matmul on the simulated MXU: values (bit-exact TPU numerics), cycles, utilisation, host speed')
    .option('-m <M>', 'rows of A and C (streamed)')
    .option('-k <K>', 'contraction depth')
    .option('-n <N>', 'columns of B and C')
    .option('--a <file>', 'A [M, K] from a float32 .npy file')
    .option('--b <file>', 'B [K, N] from a float32 .npy file')
    .option('--out <file>', 'write C [M, N] to a float32 .npy file')
    .option('--array <RxC>', 'systolic array size', '128x128')
    .option('--precision <p>', `matmul precision: ${PRECISIONS.join(' | ')}`, 'default')
    .option('--subnormals <mode>', 'bf16 subnormal handling on entry: flush | keep', 'flush')
    .option('--no-overlap', 'run weight folds back to back (SCALE-Sim timing)')
    .option('--stepped', 'also run the cycle-level stepped array and compare its bits and cycles')
    .option('--threads <T>', 'threads computing the values, in all (the caller + T-1 helpers on shared WASM memory, at most one per 4 rows of A; same bits for any T)', '1')
    .option('--backend <b>', 'kernel for the values: wasm (SIMD) | js (plain JavaScript, same bits)', 'wasm')
    .option('--seed <S>', 'seed of the random operands (a positive integer, as in every command)', '1')
    .option('--json', 'print JSON')
    .action(async (opts: MatmulCliOptions) => {
      const parsed = parseMatmulOptions(opts);
      const run = await runMatmul(parsed, opts.stepped === true, opts.out ?? null);
      emit(run, opts.json, formatMatmulRun);
    });
}
