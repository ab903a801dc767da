/**
 * Training-step benchmark: the codelab's squeeze-fast (27,212 parameters) trained with Adam
 * on a global batch of 128 split over 8 simulated TensorCores (one SPMD step per batch:
 * gradients all-reduced on the simulated interconnect, weights resident in each core's
 * HBM; every FLOP through the simulated MXU and VPU with TPU numerics), at 64 x 64 and at
 * the codelab's 192 x 192, against TensorFlow.js training the same model on the same seeded
 * batches in the same run: its 'wasm' backend (one thread; its missing Conv2DBackpropFilter
 * kernel is registered by bench/peers/tfjs-train.ts, as one forward convolution of the
 * batch <-> channel swapped operands, and said so) and its 'cpu' backend (64 px only: a
 * step takes minutes).
 *
 *   npm run bench -- train-step            (add --no-cpu to skip the cpu peer, --steps N)
 *
 * Every configuration runs in its own process (bench/probes/tpusim-train.ts and the peer's
 * CLI), so peak memory and JIT state are its own. tpusim runs on 1 and on 2 host threads;
 * their final weights must have the same bits. Also printed: the simulated step on one core
 * (timing-only: cycles per unit, compute- or memory-bound, HBM traffic), and the simulated
 * v2-8 epoch of the codelab (2,935 training images, 23 steps of 128 at 192 px) beside the
 * codelab's "3 seconds per epoch on TPU". Writes bench/results/train-step.json with the
 * host's load average before and after each run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOSSES, adam, compileTrainStep, preset } from '../src/layers/index.ts';
import { compile, lower, runLowered } from '../src/xla/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const argValue = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = argValue('steps', 4);
const withCpu = !process.argv.includes('--no-cpu');
const BATCH = 128;
const CORES = 8;
const CODELAB_TRAIN_IMAGES = 2935;

interface Run {
  readonly name: string;
  readonly imageSize: number;
  readonly imagesPerSecond: number | null;
  readonly msPerStep: readonly number[];
  readonly firstLoss: number | null;
  readonly peakRssBytes: number | null;
  readonly weightsSha256?: string;
  readonly simulatedSecondsPerStep?: number;
  readonly note?: string;
  readonly load: { readonly before: number; readonly after: number };
  readonly error?: string;
}

/** Runs a TypeScript script in a fresh Node process and parses the last line of its stdout as JSON. */
function child(script: string, args: readonly string[]): { json: Record<string, unknown> | null; error?: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, script), ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0) return { json: null, error: (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`).slice(0, 300) };
  try {
    return { json: JSON.parse(last) as Record<string, unknown> };
  } catch {
    return { json: null, error: `unreadable output: ${last.slice(0, 200)}` };
  }
}

function tpusim(imageSize: number, threads: number): Run {
  const before = loadavg()[0]!;
  const { json, error } = child('probes/tpusim-train.ts', ['--image-size', `${imageSize}`, '--cores', `${CORES}`, '--batch', `${BATCH}`, '--threads', `${threads}`, '--steps', `${steps}`]);
  const load = { before, after: loadavg()[0]! };
  const name = `tpusim, ${CORES} simulated cores, ${threads} host thread${threads === 1 ? '' : 's'}`;
  if (!json) return { name, imageSize, imagesPerSecond: null, msPerStep: [], firstLoss: null, peakRssBytes: null, load, error: error! };
  return {
    name,
    imageSize,
    imagesPerSecond: json.imagesPerSecond as number,
    msPerStep: json.msPerStep as number[],
    firstLoss: (json.losses as number[])[0]!,
    peakRssBytes: json.peakRssBytes as number,
    weightsSha256: json.weightsSha256 as string,
    simulatedSecondsPerStep: json.simulatedSecondsPerStep as number,
    load,
  };
}

function tfjs(backend: 'wasm' | 'cpu', imageSize: number, timed: number): Run {
  const before = loadavg()[0]!;
  const { json, error } = child('peers/tfjs-train.ts', ['--backend', backend, '--image-size', `${imageSize}`, '--batch', `${BATCH}`, '--steps', `${timed}`, '--warmup', backend === 'cpu' ? '0' : '1']);
  const load = { before, after: loadavg()[0]! };
  const name = backend === 'wasm' ? 'TensorFlow.js wasm (SIMD, 1 thread)' : 'TensorFlow.js cpu';
  if (!json) return { name, imageSize, imagesPerSecond: null, msPerStep: [], firstLoss: null, peakRssBytes: null, load, error: error! };
  const registered = json.registered as string[];
  return {
    name,
    imageSize,
    imagesPerSecond: json.imagesPerSecond as number,
    msPerStep: json.msPerStep as number[],
    firstLoss: (json.losses as number[])[0]!,
    peakRssBytes: null,
    ...(registered.length > 0 ? { note: `kernels added by the bench: ${registered.join(', ')}` } : {}),
    load,
  };
}

/** The simulated training step of one core at 192 px (batch 16: 128 over 8 cores), timing only. */
function simulatedStep(imageSize: number, perCore: number) {
  const model = preset('squeeze-fast', { imageSize });
  const step = compileTrainStep({ model, loss: LOSSES.sparseCategoricalCrossentropy, optimizer: adam(), precision: 'default', batch: perCore, replicas: 1 });
  const l = lower(compile(step.module).module);
  const zeros = l.params.map((p) => new Float32Array(l.program.buffers.find((b) => b.name === p)!.values));
  const p = runLowered(l, zeros, { execute: false }).profile;
  return {
    imageSize,
    perCoreBatch: perCore,
    instructions: l.program.instructions.length,
    cycles: p.totalCycles,
    microseconds: p.seconds * 1e6,
    busyCycles: { mxu: p.units.mxu.busyCycles, vpu: p.units.vpu.busyCycles, dma: p.units.dma.busyCycles },
    bound: p.bound,
    hbmMiB: p.ops.reduce((a, o) => a + o.bytes, 0) / 2 ** 20,
    mxuUtilisation: p.mxuUtilisation,
  };
}

const runs: Run[] = [];
for (const size of [64, 192]) {
  runs.push(tpusim(size, 1), tpusim(size, 2), tfjs('wasm', size, Math.max(2, steps - 1)));
  if (size === 64 && withCpu) runs.push(tfjs('cpu', size, 1));
}
const sim = simulatedStep(192, BATCH / CORES);
const epochSteps = Math.ceil(CODELAB_TRAIN_IMAGES / BATCH);
const at192 = runs.find((r) => r.imageSize === 192 && r.simulatedSecondsPerStep !== undefined);
const epochSeconds = at192?.simulatedSecondsPerStep !== undefined ? epochSteps * at192.simulatedSecondsPerStep : null;

const fmt = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '-' : x.toFixed(d));
console.log(`train-step: squeeze-fast, Adam, global batch ${BATCH}; tpusim on ${CORES} simulated cores; medians of the timed steps`);
for (const size of [64, 192]) {
  const wasm = runs.find((r) => r.imageSize === size && r.name.includes('wasm'));
  console.log(`\n${size} x ${size}`);
  console.log(`${'run'.padEnd(44)} ${'images/s'.padStart(9)} ${'x wasm'.padStart(7)} ${'peak RSS'.padStart(9)} ${'load'.padStart(9)}  first loss`);
  for (const r of runs.filter((x) => x.imageSize === size)) {
    const ratio = r.imagesPerSecond !== null && wasm?.imagesPerSecond ? r.imagesPerSecond / wasm.imagesPerSecond : null;
    const rss = r.peakRssBytes === null ? '-' : `${(r.peakRssBytes / 2 ** 30).toFixed(2)} GB`;
    console.log(`${r.name.padEnd(44)} ${fmt(r.imagesPerSecond).padStart(9)} ${fmt(ratio, 2).padStart(7)} ${rss.padStart(9)} ${`${fmt(r.load.before, 2)}/${fmt(r.load.after, 2)}`.padStart(9)}  ${fmt(r.firstLoss, 4)}${r.error ? `  FAILED: ${r.error}` : ''}${r.note ? `  (${r.note})` : ''}`);
  }
  const [one, two] = runs.filter((r) => r.imageSize === size && r.weightsSha256 !== undefined);
  if (one && two) console.log(`tpusim 1 vs 2 host threads: ${one.weightsSha256 === two.weightsSha256 ? 'the same weight bits' : 'DIFFERENT weight bits'}`);
}
console.log(`\nsimulated step, one core of the v2-8 at 192 px (batch ${sim.perCoreBatch}): ${sim.cycles} cycles = ${sim.microseconds.toFixed(0)} us, ${sim.bound}-bound (busy: MXU ${sim.busyCycles.mxu}, VPU ${sim.busyCycles.vpu}, DMA ${sim.busyCycles.dma} cycles), HBM traffic ${sim.hbmMiB.toFixed(0)} MiB, ${sim.instructions} instructions`);
console.log(`simulated v2-8 epoch of the codelab at 192 px (${epochSteps} steps of ${BATCH}): ${fmt(epochSeconds, 3)} s (the codelab: "3 seconds per epoch on TPU")`);

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'train-step.json'),
  `${JSON.stringify({ bench: 'train-step', node: process.version, date: new Date().toISOString(), batch: BATCH, cores: CORES, runs, simulatedStep: sim, simulatedEpochSeconds: epochSeconds, epochSteps }, null, 2)}\n`,
);
