/**
 * Training-step benchmark: how much host time one compiled squeeze-fast training step takes
 * on the simulated TensorCore (every FLOP through the simulated MXU and VPU, TPU numerics),
 * the simulated device time it reports, and, as peers measured in the same run, the same
 * model's training step in TensorFlow.js on its 'cpu' and 'wasm' backends (real f32 math,
 * no simulation: the yardstick the simulator's overhead is judged by).
 *
 *   npx tsx bench/train-step.bench.ts [--image-size 64] [--batch 8] [--steps 3] [--no-peers]
 *
 * The tpusim step is the whole compiled step on one core (grad module + update module, Adam,
 * sparse categorical cross-entropy): the median of `--steps` steps after a first step that
 * compiles it. A tfjs step is timed once (a cpu-backend step takes minutes). tfjs's wasm
 * backend has no Conv2DBackpropFilter kernel, so its row reports that instead of a time. The default
 * batch of 8 is one core's share of the README's 8-core demo (global batch 64). Every
 * configuration sees the same seeded batches and the same initial weights. Writes
 * bench/results/train-step.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { adam, preset, topology, type BatchLike } from '../src/layers/index.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`train-step bench: --${name} must be a positive integer`);
  return v;
}

const size = arg('image-size', 64);
const batch = arg('batch', 8);
const steps = arg('steps', 3);
const classes = 5;

/** A seeded batch: xs [B, S, S, 3] in [0, 1), ys [B] class ids. */
function makeBatch(seed: number): { xs: Float32Array; ys: Float32Array } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const xs = Float32Array.from({ length: batch * size * size * 3 }, next);
  const ys = Float32Array.from({ length: batch }, () => Math.floor(next() * classes));
  return { xs, ys };
}
const batches = Array.from({ length: steps + 1 }, (_, i) => makeBatch(i + 1));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row {
  readonly name: string;
  readonly hostMsPerStep: number | null;
  readonly imagesPerSecond: number | null;
  /** Simulated device time of one step (tpusim only). */
  readonly simulatedMicroseconds: number | null;
  /** Why a peer could not run, e.g. a kernel its backend lacks. */
  readonly error?: string;
}

/** tpusim: one step per fit call, so each host time is one step's. */
async function tpusimRow(): Promise<Row> {
  const m = preset('squeeze-fast', { imageSize: size, classes, seed: 1 });
  m.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const ms: number[] = [];
  const device: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const data: BatchLike[] = [batches[i]!];
    const h = await m.fit(data, { epochs: 1 });
    if (i === 0) continue; // the first step compiles
    ms.push(h.hostSeconds[0]! * 1e3);
    device.push(h.deviceSeconds[0]!);
  }
  const step = median(ms);
  return { name: 'tpusim, simulated TensorCore (1 core)', hostMsPerStep: step, imagesPerSecond: (batch * 1e3) / step, simulatedMicroseconds: median(device) * 1e6 };
}

/** tfjs-layers on `backend`, same topology and initial weights, Adam. */
async function tfjsRow(backend: 'cpu' | 'wasm'): Promise<Row> {
  await tf.setBackend(backend);
  await tf.ready();
  const m = preset('squeeze-fast', { imageSize: size, classes, seed: 1 });
  const model = await tfl.models.modelFromJSON({ modelTopology: topology(m) as unknown as tf.io.ModelJSON['modelTopology'] } as never);
  model.setWeights(m.weights.map((w) => tf.tensor(w.value!, [...w.shape])));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const ms: number[] = [];
  // NOTE: one step, no warm-up: a tfjs-cpu step takes minutes (naive JS convolution gradients),
  // so JIT warm-up is noise next to it and a second step would only make the bench longer.
  for (let i = 0; i < 1; i++) {
    const b = batches[i]!;
    const [x, y] = [tf.tensor4d(b.xs, [batch, size, size, 3]), tf.tensor1d(b.ys)];
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    ms.push(performance.now() - t0);
    tf.dispose([x, y]);
  }
  model.dispose();
  const step = median(ms);
  return { name: `peer: tfjs-layers, ${backend} backend`, hostMsPerStep: step, imagesPerSecond: (batch * 1e3) / step, simulatedMicroseconds: null };
}

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = () => {}; // tfjs's "use tfjs-node" hint
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

setWasmPaths(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).pathname);
const rows: Row[] = [];
const runs: [string, () => Promise<Row>][] = [
  ['tpusim, simulated TensorCore (1 core)', tpusimRow],
  ['peer: tfjs-layers, cpu backend', () => quietly(() => tfjsRow('cpu'))],
  ['peer: tfjs-layers, wasm backend', () => quietly(() => tfjsRow('wasm'))],
];
const peers = !process.argv.includes('--no-peers');
for (const [name, run] of peers ? runs : runs.slice(0, 1)) {
  try {
    rows.push(await run());
  } catch (err) {
    // NOTE: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train a convnet.
    rows.push({ name, hostMsPerStep: null, imagesPerSecond: null, simulatedMicroseconds: null, error: (err as Error).message.split('\n')[0]! });
  }
  process.stderr.write(`  measured: ${name}\n`);
}

console.log(`squeeze-fast training step, ${size}x${size} images, batch ${batch} (tpusim: median of ${steps} steps after a compiling step; tfjs: one step)`);
for (const r of rows) {
  const sim = r.simulatedMicroseconds === null ? '' : `${r.simulatedMicroseconds.toFixed(1).padStart(10)} us simulated`;
  const host = r.hostMsPerStep === null || r.imagesPerSecond === null ? `unavailable: ${r.error ?? '?'}` : `${r.hostMsPerStep.toFixed(1).padStart(9)} ms/step ${r.imagesPerSecond.toFixed(1).padStart(8)} images/s ${sim}`;
  console.log(`${r.name.padEnd(40)} ${host}`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/train-step.json', `${JSON.stringify({ bench: 'train-step', node: process.version, model: 'squeeze-fast', imageSize: size, batch, steps, rows }, null, 2)}\n`);
