/**
 * One tpusim training run for the train-step benchmark, in its own process (so its peak
 * memory and JIT state are its own): the codelab's squeeze-fast preset, Adam 1e-3, sparse
 * categorical cross-entropy, global batch `--batch` split over `--cores` simulated
 * TensorCores (one SPMD step per batch: gradients all-reduced on the simulated
 * interconnect, weights resident in HBM), simulated by `--threads` host threads, on the
 * same seeded synthetic batches as the TensorFlow.js peer (bench/peers/tfjs-train.ts).
 *
 *   npx tsx bench/probes/tpusim-train.ts --image-size 192 --cores 8 --batch 128 --threads 2 --steps 4 --json
 *
 * Prints (with --json, one line) images/s (median of the timed steps after the warm-up
 * step, which compiles), every step's host ms and loss, simulated seconds per step, peak
 * RSS, and a hash of the final weights' bits (equal hashes: equal bits).
 */
import { createHash } from 'node:crypto';
import { adam, preset, tpuStrategy } from '../../src/layers/index.ts';
import { syntheticBatch } from '../peers/tfjs-train.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`tpusim-train: --${name} must be a positive integer`);
  return v;
}

const imageSize = arg('image-size', 64);
const cores = arg('cores', 8);
const batch = arg('batch', 128);
const threads = arg('threads', 1);
const steps = arg('steps', 4);
const warmup = 1;

const model = preset('squeeze-fast', { imageSize, seed: 1 });
model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy: tpuStrategy({ cores, threads }) });
const batches = Array.from({ length: warmup + steps }, (_, i) => syntheticBatch(7919 + i, batch, imageSize));
const ms: number[] = [];
const losses: number[] = [];
let last = performance.now();
const history = await model.fit(batches, {
  epochs: 1,
  callbacks: [
    {
      onBatchEnd: (_step, logs) => {
        const now = performance.now();
        ms.push(now - last);
        losses.push(logs.loss);
        last = now;
      },
    },
  ],
});
const timed = ms.slice(warmup).sort((a, b) => a - b);
const median = timed.length % 2 === 1 ? timed[timed.length >> 1]! : (timed[(timed.length >> 1) - 1]! + timed[timed.length >> 1]!) / 2;
const hash = createHash('sha256');
for (const w of model.weights) hash.update(new Uint8Array(w.value!.buffer, w.value!.byteOffset, w.value!.byteLength));
const result = {
  imageSize,
  cores,
  batch,
  threads: model.trainer!.threadsUsed,
  steps: timed.length,
  imagesPerSecond: (batch * 1000) / median,
  msPerStep: ms.slice(warmup),
  firstStepMs: ms[0],
  losses,
  simulatedSecondsPerStep: history.deviceSeconds[0]! / (warmup + steps),
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  weightsSha256: hash.digest('hex'),
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else console.log(result);
