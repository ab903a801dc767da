/**
 * @module cli/allreduce
 * `tpusim allreduce`: one all-reduce over a ring of cores or a torus of chips, with its
 * simulated time, achieved bandwidth, the alpha-beta model, and how long the host took.
 */
import type { Command } from 'commander';
import {
  DEFAULT_CORE_CONFIG,
  DEFAULT_LINK_CONFIG,
  allReduce,
  allReduceModelSeconds,
  allReduceTiming,
  parseTopology,
  topologyCores,
  topologyDims,
  type AllReduceOptions,
  type AllReduceTiming,
} from '../tpu/index.ts';
import { UsageError, parseChoice, parsePositiveInt, parseSize } from './errors.ts';
import { CORE_HBM, checkFits, formatBytes, hostMemory } from './limits.ts';
import { emit } from './output.ts';

const CORES_PER_CHIP = 2;
/** Above this much host memory for all cores' buffers, `--mode auto` runs timing-only. */
const AUTO_DATA_LIMIT_BYTES = 512 * 2 ** 20;

/**
 * Parses `--bytes`: a size (./errors.ts `parseSize`) that a simulated core's HBM holds, a
 * multiple of 4 (f32 values).
 * @example parseBytes('4MB', '--bytes') // 4000000
 */
export function parseBytes(text: string, option: string): number {
  const bytes = parseSize(text, option);
  checkFits(`${option} ${text} per core`, bytes, CORE_HBM);
  if (bytes % 4 !== 0) throw new UsageError(`${option} must be a multiple of 4 bytes (f32 values); got '${text}' = ${bytes} bytes`);
  return bytes;
}

/** What `tpusim allreduce` reports. */
export interface AllReduceReport {
  readonly cores: number;
  readonly topology: string;
  readonly dims: readonly number[];
  readonly bytes: number;
  readonly mode: 'data' | 'timing';
  /** Whether both directions of every link were used. */
  readonly bidirectional: boolean;
  readonly simulatedSeconds: number;
  readonly simulatedCycles: number;
  readonly modelSeconds: number;
  /** bytes / simulated time. */
  readonly algorithmBytesPerSecond: number;
  /** 2(n-1)/n x bytes / simulated time, comparable to one link's bandwidth. */
  readonly busBytesPerSecond: number;
  readonly messages: number;
  readonly hops: number;
  /** Data mode: whether every core ended bit-identical. */
  readonly coresIdentical: boolean | null;
  readonly hostSeconds: number;
}

/** Deterministic inputs, one buffer per core (an LCG in [-0.5, 0.5)). */
function makeInputs(nodes: number, values: number): Float32Array[] {
  let seed = 12345;
  return Array.from({ length: nodes }, () => {
    const b = new Float32Array(values);
    for (let i = 0; i < values; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      b[i] = seed / 2 ** 32 - 0.5;
    }
    return b;
  });
}

/** Runs the all-reduce (host time excludes making the inputs and checking the outputs). */
function runOnce(
  values: number,
  dims: readonly number[],
  mode: 'data' | 'timing',
  options: AllReduceOptions,
): { timing: AllReduceTiming; identical: boolean | null; hostSeconds: number } {
  const buffers = mode === 'data' ? makeInputs(dims.reduce((a, b) => a * b, 1), values) : [];
  const t0 = performance.now();
  const timing = mode === 'data' ? allReduce(buffers, dims, DEFAULT_LINK_CONFIG, options) : allReduceTiming(values, dims, DEFAULT_LINK_CONFIG, options);
  const hostSeconds = (performance.now() - t0) / 1e3;
  if (mode === 'timing') return { timing, identical: null, hostSeconds };
  const first = new Uint32Array(buffers[0]!.buffer);
  const identical = buffers.every((b) => new Uint32Array(b.buffer).every((v, i) => v === first[i]));
  return { timing, identical, hostSeconds };
}

/** Runs the all-reduce described by the options and reports it. */
export function allReduceReport(opts: {
  cores: number;
  bytes: number;
  topology: string;
  mode: 'data' | 'timing' | 'auto';
  coresGiven: boolean;
  bidirectional: boolean;
}): AllReduceReport {
  const topology = parseTopology(opts.topology, opts.cores);
  const cores = topologyCores(topology, CORES_PER_CHIP);
  if (topology.kind === 'ring' && (cores < 1 || cores > 512)) throw new UsageError(`--cores must be in 1..512, got ${cores}`);
  if (topology.kind === 'torus' && opts.coresGiven && opts.cores !== cores) {
    throw new UsageError(`--cores ${opts.cores} does not match --topology ${opts.topology} (${cores} cores: ${CORES_PER_CHIP} per chip)`);
  }
  const dims = topologyDims(topology, CORES_PER_CHIP);
  const mode = opts.mode === 'auto' ? (cores * opts.bytes <= AUTO_DATA_LIMIT_BYTES ? 'data' : 'timing') : opts.mode;
  // data mode holds every core's buffer on the host, plus one buffer's worth of messages in flight
  if (mode === 'data') checkFits(`--mode data over ${cores} cores`, (cores + 1) * opts.bytes, hostMemory(), `${cores} buffers of ${formatBytes(opts.bytes)} and the messages; --mode timing moves no data`);
  const options = { bidirectional: opts.bidirectional };
  const { timing, identical, hostSeconds } = runOnce(opts.bytes / 4, dims, mode, options);
  const s = timing.seconds;
  return {
    cores,
    topology: topology.kind === 'ring' ? `ring of ${cores} cores` : `torus of ${topology.x} x ${topology.y} chips (${dims.join(' x ')} cores)`,
    dims,
    bytes: opts.bytes,
    mode,
    simulatedSeconds: s,
    simulatedCycles: Math.ceil(s * DEFAULT_CORE_CONFIG.mxu.clockHz),
    bidirectional: opts.bidirectional,
    modelSeconds: allReduceModelSeconds(opts.bytes, dims, DEFAULT_LINK_CONFIG, options),
    algorithmBytesPerSecond: s > 0 ? opts.bytes / s : 0,
    busBytesPerSecond: s > 0 ? ((2 * (cores - 1)) / cores) * (opts.bytes / s) : 0,
    messages: timing.messages,
    hops: timing.hops,
    coresIdentical: identical,
    hostSeconds,
  };
}

/** Text rendering of an all-reduce report. */
export function renderAllReduce(r: AllReduceReport): string {
  const us = (s: number): string => `${(s * 1e6).toFixed(2)} us`;
  return [
    `all-reduce (sum) of ${r.bytes} bytes per core over a ${r.topology}${r.bidirectional ? ', both link directions' : ''}`,
    `simulated time   ${us(r.simulatedSeconds)} (${r.simulatedCycles} cycles at 700 MHz); alpha-beta model ${us(r.modelSeconds)}`,
    `bandwidth        ${(r.algorithmBytesPerSecond / 1e9).toFixed(2)} GB/s algorithm (bytes / time), ${(r.busBytesPerSecond / 1e9).toFixed(2)} GB/s bus (2(n-1)/n x bytes / time)`,
    `traffic          ${r.messages} messages, ${r.hops} hops on the critical path`,
    `mode             ${r.mode === 'data' ? `data moved; all ${r.cores} cores bit-identical: ${r.coresIdentical ? 'yes' : 'NO'}` : 'timing only (no data moved)'}`,
    `host time        ${(r.hostSeconds * 1e3).toFixed(1)} ms`,
  ].join('\n');
}

/** Adds the `allreduce` command to the program. */
export function registerAllReduce(program: Command): void {
  program
    .command('allreduce')
    .description('run one all-reduce across simulated cores and report its time and bandwidth')
    .option('--cores <n>', 'cores in a ring (a torus sets its own count)', '8')
    .option('--bytes <size>', 'buffer size per core, e.g. 4096, 4MB, 1GiB', '4MB')
    .option('--topology <t>', "'ring' or 'torus:XxY' (chips, 2 cores each, up to 16x16)", 'ring')
    .option('--mode <m>', 'data | timing | auto (timing-only when all buffers exceed 512 MiB)', 'auto')
    .option('--bidirectional', 'send half the buffer each way round every ring (uses both link directions)')
    .option('--json', 'print JSON')
    .action(function (this: Command, opts: { cores: string; bytes: string; topology: string; mode: string; bidirectional?: boolean; json?: boolean }) {
      const report = allReduceReport({
        cores: parsePositiveInt(opts.cores, '--cores'),
        bytes: parseBytes(opts.bytes, '--bytes'),
        topology: opts.topology,
        mode: parseChoice(opts.mode, '--mode', ['data', 'timing', 'auto'] as const),
        coresGiven: this.getOptionValueSource('cores') === 'cli',
        bidirectional: opts.bidirectional ?? false,
      });
      emit(report, opts.json, renderAllReduce);
    });
}
