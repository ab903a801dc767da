/**
 * The MXU's fast functional kernel against TensorFlow.js, measured in the same run:
 * tpusim on one thread and on 2 threads (the caller + 1 worker; bit-exact TPU numerics: bf16
 * operands, f32 accumulation in the documented order), tfjs-backend-wasm (XNNPACK, f32) and
 * tfjs-backend-cpu (pure JS, f32). Medians of several runs per shape, contenders interleaved
 * round-robin (the machine is shared); GFLOP/s = 2*M*K*N / t.
 * Then, for 1 and for 2 threads, a fresh process runs 1024^3 matmuls with values and cycles
 * (`mxuMatmul` with `threads`; with 2 threads the helper is started first, untimed but
 * reported, as `tpusim matmul --threads 2` does): the first call (cold), the median of 5
 * more (warm), and the extra memory. Writes bench/results/mxu.json.
 *
 *   npm run bench -- mxu
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededOperands } from '../src/cli/matmul.ts';
import { DEFAULT_MXU_CONFIG, type MatmulShape } from '../src/mxu/config.ts';
import { matmulFast, mxuMatmul } from '../src/mxu/kernel.ts';
import { MatmulPool } from '../src/mxu/parallel.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = DEFAULT_MXU_CONFIG;
const SHAPES: readonly MatmulShape[] = [
  { m: 128, k: 128, n: 128 },
  { m: 512, k: 512, n: 512 },
  { m: 1024, k: 1024, n: 1024 },
  { m: 9216, k: 108, n: 42 },
  { m: 2304, k: 216, n: 30 },
];

/** Median and spread of one contender on one shape. */
interface Timing {
  readonly ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
  readonly gflops: number;
  /** Median process CPU time per run (all threads) and GFLOP per CPU-second. */
  readonly cpuMs: number;
  readonly gflopsPerCpuSecond: number;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** A contender's run on one shape (operands prepared beforehand, outside the timing). */
type Run = () => unknown;

/**
 * Times several contenders on one shape, interleaved round-robin so that load from other
 * processes on this shared machine hits them all alike. Each is warmed up once (JIT,
 * tier-up, buffers), then run 3 to 15 times (about 1.5 s each at most, at least 3 runs).
 */
async function timeInterleaved(shape: MatmulShape, runs: readonly Run[]): Promise<Timing[]> {
  const targets: number[] = [];
  for (const run of runs) {
    const t0 = performance.now();
    await run();
    targets.push(Math.max(3, Math.min(15, Math.floor(1500 / (performance.now() - t0)))));
  }
  const samples: number[][] = runs.map(() => []);
  const cpuSamples: number[][] = runs.map(() => []);
  for (let round = 0; round < Math.max(...targets); round++) {
    for (let i = 0; i < runs.length; i++) {
      if (samples[i]!.length >= targets[i]!) continue;
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      await runs[i]!();
      samples[i]!.push(performance.now() - start);
      const cpu = process.cpuUsage(cpu0);
      cpuSamples[i]!.push((cpu.user + cpu.system) / 1000);
    }
  }
  const mflop = (2 * shape.m * shape.k * shape.n) / 1e6;
  return samples.map((xs, i) => {
    const ms = median(xs);
    const cpuMs = median(cpuSamples[i]!);
    return { ms, minMs: Math.min(...xs), maxMs: Math.max(...xs), runs: xs.length, gflops: mflop / ms, cpuMs, gflopsPerCpuSecond: mflop / cpuMs };
  });
}

/** A tfjs matmul on `backend`, with its operand tensors made once (untimed). */
async function tfjsRun(backend: 'wasm' | 'cpu', shape: MatmulShape, a: Float32Array, b: Float32Array): Promise<{ run: Run; dispose: () => void }> {
  await tf.setBackend(backend);
  await tf.ready();
  const ta = tf.tensor2d(a, [shape.m, shape.k]);
  const tb = tf.tensor2d(b, [shape.k, shape.n]);
  const run = async () => {
    // NOTE: tensors belong to the backend that made them; switch before each run.
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    const c = tf.matMul(ta, tb);
    c.dataSync();
    c.dispose();
  };
  return { run, dispose: () => tf.dispose([ta, tb]) };
}

const CONTENDERS = ['tpusim 1 thread', 'tpusim 2 threads', 'tfjs-wasm (XNNPACK)', 'tfjs-cpu'] as const;
type Contender = (typeof CONTENDERS)[number];

async function measureAll(): Promise<{ shape: MatmulShape; results: Record<Contender, Timing> }[]> {
  // NOTE: in Node, tfjs-backend-wasm must be told where its .wasm files are.
  setWasmPaths(`${join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  tf.enableProdMode(); // no "install tfjs-node" banner, no per-op debug checks
  // NOTE: minParallelMacs 0, so the '2 threads' column uses both threads at every shape: with
  // the default threshold (2^22 MACs per pass) 128^3 would run on the calling thread alone,
  // and the column would time one thread under a two-thread name.
  const pool = await MatmulPool.create(2, { minParallelMacs: 0 });
  const rows = [];
  for (const shape of SHAPES) {
    const { a, b } = seededOperands(shape, 7);
    const wasm = await tfjsRun('wasm', shape, a, b);
    const cpu = await tfjsRun('cpu', shape, a, b);
    const timings = await timeInterleaved(shape, [
      () => matmulFast(a, b, shape, { config }),
      () => pool.matmul(a, b, shape, { config }),
      wasm.run,
      cpu.run,
    ]);
    wasm.dispose();
    cpu.dispose();
    const results = Object.fromEntries(CONTENDERS.map((c, i) => [c, timings[i]!])) as Record<Contender, Timing>;
    rows.push({ shape, results });
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  await pool.close();
  return rows;
}

/** What one probe process measured. */
interface Probe {
  readonly threads: number;
  readonly poolStartMs: number;
  readonly coldMs: number;
  readonly warmMs: number;
  readonly warmMinMs: number;
  readonly warmMaxMs: number;
  readonly extraBytes: number;
  readonly cycles: number;
}

/**
 * 1024^3 matmuls with values and cycles in this (fresh) process on `threads` threads: the
 * first call, then the median of 5 more, and the extra memory (RSS growth or peak).
 */
async function memoryProbe(threads: number): Promise<void> {
  const shape = { m: 1024, k: 1024, n: 1024 };
  const { a, b } = seededOperands(shape, 7);
  const rssBefore = process.memoryUsage().rss;
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const p0 = performance.now();
  const pool = threads > 1 ? await MatmulPool.create(threads) : null;
  const poolStartMs = performance.now() - p0;
  const run = () => mxuMatmul(a, b, shape, { config, threads });
  const t0 = performance.now();
  const { report } = run();
  const coldMs = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t1 = performance.now();
    run();
    warm.push(performance.now() - t1);
  }
  const extraBytes = Math.max(process.memoryUsage().rss - rssBefore, process.resourceUsage().maxRSS * 1024 - peakBefore);
  await pool?.close();
  const probe: Probe = { threads, poolStartMs, coldMs, warmMs: median(warm), warmMinMs: Math.min(...warm), warmMaxMs: Math.max(...warm), extraBytes, cycles: report.cycles };
  process.stdout.write(JSON.stringify(probe));
}

function runProbe(threads: number): Probe {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), `--memory-probe=${threads}`], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`memory probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

function printTable(rows: Awaited<ReturnType<typeof measureAll>>): void {
  const head = ['shape (M x K x N)', ...CONTENDERS.map((c) => c.padStart(20))].join(' ');
  console.log(`${head}\n${'-'.repeat(head.length)}`);
  for (const { shape, results } of rows) {
    const cells = CONTENDERS.map((c) => `${results[c].gflops.toFixed(1).padStart(6)} GF ${results[c].ms.toFixed(2).padStart(8)} ms`.padStart(20));
    console.log([`${shape.m} x ${shape.k} x ${shape.n}`.padEnd(17), ...cells].join(' '));
  }
  const single = CONTENDERS.filter((c) => c !== 'tpusim 2 threads');
  console.log(`\nGFLOP per CPU-second, single-threaded contenders (less sensitive to other processes' load):`);
  for (const { shape, results } of rows) {
    const cells = single.map((c) => `${c} ${results[c].gflopsPerCpuSecond.toFixed(1)}`);
    console.log(`${`${shape.m} x ${shape.k} x ${shape.n}`.padEnd(17)} ${cells.join('   ')}`);
  }
}

const probeArg = process.argv.find((x) => x.startsWith('--memory-probe='));
if (probeArg) {
  await memoryProbe(Number(probeArg.split('=')[1]));
} else {
  console.log(`MXU fast kernel vs TensorFlow.js, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; medians, GFLOP/s = 2MKN/t`);
  const loadBefore = loadavg()[0]!;
  const rows = await measureAll();
  printTable(rows);
  const probes = [runProbe(1), runProbe(2)];
  const loadAfter = loadavg()[0]!;
  for (const p of probes) {
    console.log(
      `1024^3 with values and cycles (${p.cycles} cycles), fresh process, ${p.threads} thread(s)` +
        `${p.threads > 1 ? ` (pool start ${p.poolStartMs.toFixed(0)} ms, untimed)` : ''}: ${p.coldMs.toFixed(1)} ms cold, ` +
        `${p.warmMs.toFixed(1)} ms warm (median of 5, ${p.warmMinMs.toFixed(1)}-${p.warmMaxMs.toFixed(1)}), ${(p.extraBytes / 2 ** 20).toFixed(1)} MiB extra memory`,
    );
  }
  console.log(`1-minute load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (2 cores; above ~1 means other processes shared them)`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const json = { bench: 'mxu', node: process.version, cpu: cpus()[0]?.model ?? null, cores: cpus().length, date: new Date().toISOString(), loadavg: { before: loadBefore, after: loadAfter }, rows, probes1024: probes };
  writeFileSync(join(root, 'bench/results/mxu.json'), `${JSON.stringify(json, null, 2)}\n`);
}
