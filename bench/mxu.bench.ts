/**
 * The MXU's fast functional kernel against TensorFlow.js, measured in the same run:
 * tpusim on one thread and on 2 worker threads (bit-exact TPU numerics: bf16 operands, f32
 * accumulation in the documented order), tfjs-backend-wasm (XNNPACK, f32) and
 * tfjs-backend-cpu (pure JS, f32). Medians of several runs per shape; GFLOP/s = 2*M*K*N / t.
 * Then a fresh process runs one 1024^3 matmul with values and cycles, cold, and reports its
 * wall time and extra memory. Writes bench/results/mxu.json.
 *
 *   npm run bench -- mxu
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** Times `fn` after a warm-up: at least 5 runs (3 if one run takes > 1 s), up to 25 or ~2 s. */
async function time(shape: MatmulShape, fn: () => unknown): Promise<Timing> {
  const t0 = performance.now();
  await fn(); // warm-up: JIT, tier-up, buffers
  const warmMs = performance.now() - t0;
  const minRuns = warmMs > 1000 ? 3 : 5;
  const samples: number[] = [];
  const budgetEnd = performance.now() + 2000;
  while (samples.length < minRuns || (samples.length < 25 && performance.now() < budgetEnd)) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  const ms = median(samples);
  return { ms, minMs: Math.min(...samples), maxMs: Math.max(...samples), runs: samples.length, gflops: (2 * shape.m * shape.k * shape.n) / ms / 1e6 };
}

async function tfjsTimer(backend: 'wasm' | 'cpu', shape: MatmulShape, a: Float32Array, b: Float32Array): Promise<Timing> {
  await tf.setBackend(backend);
  await tf.ready();
  const ta = tf.tensor2d(a, [shape.m, shape.k]);
  const tb = tf.tensor2d(b, [shape.k, shape.n]);
  const timing = await time(shape, () => {
    const c = tf.matMul(ta, tb);
    c.dataSync();
    c.dispose();
  });
  ta.dispose();
  tb.dispose();
  return timing;
}

const CONTENDERS = ['tpusim 1 thread', 'tpusim 2 workers', 'tfjs-wasm (XNNPACK)', 'tfjs-cpu'] as const;
type Contender = (typeof CONTENDERS)[number];

async function measureAll(): Promise<{ shape: MatmulShape; results: Record<Contender, Timing> }[]> {
  // NOTE: in Node, tfjs-backend-wasm must be told where its .wasm files are.
  setWasmPaths(`${join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  tf.enableProdMode(); // no "install tfjs-node" banner, no per-op debug checks
  const pool = await MatmulPool.create(2);
  const rows = [];
  for (const shape of SHAPES) {
    const { a, b } = seededOperands(shape, 7);
    const results = {
      'tpusim 1 thread': await time(shape, () => matmulFast(a, b, shape, { config })),
      'tpusim 2 workers': await time(shape, () => pool.matmul(a, b, shape, { config })),
      'tfjs-wasm (XNNPACK)': await tfjsTimer('wasm', shape, a, b),
      'tfjs-cpu': await tfjsTimer('cpu', shape, a, b),
    };
    rows.push({ shape, results });
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  await pool.close();
  return rows;
}

/** One 1024^3 matmul with values and cycles in this (fresh) process: cold wall time and memory. */
function memoryProbe(): void {
  const shape = { m: 1024, k: 1024, n: 1024 };
  const { a, b } = seededOperands(shape, 7);
  const rssBefore = process.memoryUsage().rss;
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const t0 = performance.now();
  const { c, report } = mxuMatmul(a, b, shape, { config });
  const coldMs = performance.now() - t0;
  const t1 = performance.now();
  mxuMatmul(a, b, shape, { config });
  const warmMs = performance.now() - t1;
  const extraBytes = Math.max(process.memoryUsage().rss - rssBefore, process.resourceUsage().maxRSS * 1024 - peakBefore);
  process.stdout.write(JSON.stringify({ coldMs, warmMs, extraBytes, cycles: report.cycles, outputs: c.length }));
}

function runProbe(): { coldMs: number; warmMs: number; extraBytes: number; cycles: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--memory-probe'], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`memory probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { coldMs: number; warmMs: number; extraBytes: number; cycles: number };
}

function printTable(rows: Awaited<ReturnType<typeof measureAll>>): void {
  const head = ['shape (M x K x N)', ...CONTENDERS.map((c) => c.padStart(20))].join(' ');
  console.log(`${head}\n${'-'.repeat(head.length)}`);
  for (const { shape, results } of rows) {
    const cells = CONTENDERS.map((c) => `${results[c].gflops.toFixed(1).padStart(6)} GF ${results[c].ms.toFixed(2).padStart(8)} ms`.padStart(20));
    console.log([`${shape.m} x ${shape.k} x ${shape.n}`.padEnd(17), ...cells].join(' '));
  }
}

if (process.argv.includes('--memory-probe')) {
  memoryProbe();
} else {
  console.log(`MXU fast kernel vs TensorFlow.js, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; medians, GFLOP/s = 2MKN/t`);
  const rows = await measureAll();
  printTable(rows);
  const probe = runProbe();
  console.log(
    `1024^3 with values and cycles (${probe.cycles} cycles), fresh process: ${probe.coldMs.toFixed(1)} ms cold, ` +
      `${probe.warmMs.toFixed(1)} ms warm, ${(probe.extraBytes / 2 ** 20).toFixed(1)} MiB extra memory`,
  );
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const json = { bench: 'mxu', node: process.version, cpu: cpus()[0]?.model ?? null, cores: cpus().length, date: new Date().toISOString(), rows, probe1024: probe };
  writeFileSync(join(root, 'bench/results/mxu.json'), `${JSON.stringify(json, null, 2)}\n`);
}
