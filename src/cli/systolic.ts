/**
 * @module cli/systolic
 * `tpusim systolic`: step the systolic array cycle by cycle on seeded operands. With
 * `--trace` it draws every cycle (weights loading, activations moving right, psums moving
 * down, busy PEs, accumulator outputs); without, it prints the per-matmul report of the
 * stepped run, checked against the closed form. `--json` prints the same as data. The run's
 * memory and work are checked before the array is built (./limits.ts `checkSteppedRun`).
 */
import type { Command } from 'commander';
import { PRECISIONS, mxuConfig, type MatmulShape, type MxuConfig, type Precision } from '../mxu/config.ts';
import { mxuCycles } from '../mxu/cycles.ts';
import { referenceMatmul } from '../mxu/reference.ts';
import { formatReport, reportFromCounters, type MxuReport } from '../mxu/report.ts';
import { runStepped } from '../mxu/stepped.ts';
import { randomOperands, renderTrace, traceMatmul } from '../mxu/trace.ts';
import { UsageError, parseChoice, parsePositiveInt, parseSeed } from './errors.ts';
import { checkArrayLength, checkSteppedRun } from './limits.ts';

/** Largest array and run `--trace` will draw. */
export const TRACE_LIMITS = { pes: 256, cycles: 2000 } as const;
/** Largest run checked against the (slow, plain-loop) numerics reference. */
const REFERENCE_CHECK_MACS = 2e7;

/** Raw option strings, as commander hands them over. */
export interface SystolicOptions {
  rows: string;
  cols: string;
  m: string;
  k: string;
  n: string;
  seed: string;
  precision: string;
  overlap: boolean;
  trace?: boolean;
  json?: boolean;
}

/** A run without --trace: the report and how the host did. */
export interface SystolicRun {
  readonly report: MxuReport;
  readonly closedFormCycles: number;
  readonly matchesReference: boolean | null;
  readonly wallSeconds: number;
  readonly peUpdatesPerSecond: number;
}

/** Parses and checks the options, naming the bad one. */
export function parseSystolicOptions(opts: SystolicOptions) {
  const seed = parseSeed(opts.seed);
  const config = mxuConfig({ rows: parsePositiveInt(opts.rows, '--rows'), cols: parsePositiveInt(opts.cols, '--cols'), overlap: opts.overlap });
  const shape: MatmulShape = { m: parsePositiveInt(opts.m, '-m'), k: parsePositiveInt(opts.k, '-k'), n: parsePositiveInt(opts.n, '-n') };
  const precision = parseChoice<Precision>(opts.precision, '--precision', PRECISIONS);
  checkArrayLength(`-m ${shape.m} x -k ${shape.k}: A`, shape.m * shape.k);
  checkArrayLength(`-k ${shape.k} x -n ${shape.n}: B`, shape.k * shape.n);
  // the operands, the stepped result and (small runs) the reference's result
  checkSteppedRun(config, shape, precision, 4 * (shape.m * shape.k + shape.k * shape.n + 2 * shape.m * shape.n));
  if (opts.trace) {
    const cycles = mxuCycles(shape, config, precision);
    if (config.rows * config.cols > TRACE_LIMITS.pes) {
      throw new UsageError(`--trace draws arrays of at most ${TRACE_LIMITS.pes} PEs, got ${config.rows} x ${config.cols}`);
    }
    if (cycles > TRACE_LIMITS.cycles) throw new UsageError(`--trace draws at most ${TRACE_LIMITS.cycles} cycles; this run takes ${cycles}`);
  }
  return { config, shape, precision, seed };
}

/** Runs the stepped array and builds the report (no trace). */
export function runSystolic(config: MxuConfig, shape: MatmulShape, precision: Precision, seed: number): SystolicRun {
  const { a, b } = randomOperands(shape, seed);
  const start = performance.now();
  const res = runStepped(a, b, shape, { config, precision });
  const wallSeconds = (performance.now() - start) / 1000;
  const report = reportFromCounters(shape, config, precision, res.counters);
  let matchesReference: boolean | null = null;
  if (report.macs <= REFERENCE_CHECK_MACS) {
    const ref = new Uint32Array(referenceMatmul(a, b, shape, { config, precision }).buffer);
    matchesReference = new Uint32Array(res.c.buffer).every((x, i) => x === ref[i]);
  }
  const steps = res.cycles + 1;
  return {
    report,
    closedFormCycles: mxuCycles(shape, config, precision),
    matchesReference,
    wallSeconds,
    peUpdatesPerSecond: (steps * config.rows * config.cols) / wallSeconds,
  };
}

/** The text of a run without --trace. */
export function formatSystolicRun(run: SystolicRun): string {
  const ref = run.matchesReference === null ? 'not checked (too large)' : run.matchesReference ? 'yes' : 'NO';
  return [
    formatReport(run.report),
    `closed-form cycles    ${run.closedFormCycles} (${run.closedFormCycles === run.report.cycles ? 'equal to the stepped count' : 'DIFFERENT'})`,
    `matches reference     ${ref}`,
    `host                  ${run.wallSeconds.toFixed(3)} s, ${run.peUpdatesPerSecond.toExponential(2)} PE-updates/s`,
  ].join('\n');
}

/** What the command prints for these options (text or JSON). */
export function systolicOutput(opts: SystolicOptions): string {
  const { config, shape, precision, seed } = parseSystolicOptions(opts);
  if (opts.trace) {
    const { a, b } = randomOperands(shape, seed);
    const trace = traceMatmul(a, b, shape, { config, precision });
    return opts.json ? JSON.stringify(trace, null, 1) : renderTrace(trace);
  }
  const run = runSystolic(config, shape, precision, seed);
  return opts.json ? JSON.stringify(run, null, 2) : formatSystolicRun(run);
}

/** Adds the `systolic` command to the program. */
export function registerSystolic(program: Command): void {
  program
    .command('systolic')
    .description('step the systolic array cycle by cycle on seeded integer operands in [-4, 4]; --trace draws every cycle')
    .option('--rows <R>', 'array rows (contraction depth per weight tile)', '4')
    .option('--cols <C>', 'array columns (outputs per weight tile)', '4')
    .option('-m <M>', 'rows of A streamed through the array', '5')
    .option('-k <K>', 'contraction depth', '4')
    .option('-n <N>', 'columns of B', '4')
    .option('--precision <p>', `matmul precision: ${PRECISIONS.join(' | ')}`, 'default')
    .option('--no-overlap', 'run weight tiles back to back (SCALE-Sim model) instead of double buffering')
    .option('--seed <s>', 'seed of the operands (a positive integer, as in every command)', '1')
    .option('--trace', 'draw the array at the end of every cycle')
    .option('--json', 'print JSON (the trace frames with --trace, else the report)')
    .action((opts: SystolicOptions) => {
      process.stdout.write(`${systolicOutput(opts)}\n`);
    });
}
