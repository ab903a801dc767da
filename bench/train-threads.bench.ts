/**
 * Host time of data-parallel training on 1, 2 (and more) host threads: the squeeze-fast
 * preset on synthetic 32x32 flowers, 256 images, global batch 64 over 8 simulated cores
 * (4 steps + 1 validation batch per epoch), 2 epochs, the same run as
 *   tpusim train --model squeeze-fast --data synthetic --image-size 32 --count 256 --batch 64 --cores 8 --epochs 2 --threads N
 * Epoch 1 includes compiling, lowering and loading the programs (and, with workers, their
 * start-up where it does not overlap compiling); epoch 2 is steady state; "fit" is the
 * whole fit, and "CPU s" the CPU time of every thread during it (the work, whatever the load
 * from other processes). Thread counts (BENCH_THREADS, default 1,2,auto) alternate, BENCH_REPEATS rounds (default 2),
 * so load from other processes hits every count alike. Also checks that every run gives the
 * same losses. Writes bench/results/train-threads.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { synthFlowers } from '../src/data/index.ts';
import { adam, preset, tpuStrategy, type BatchLike } from '../src/layers/index.ts';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const THREADS = (process.env.BENCH_THREADS ?? '1,2,auto').split(',').map((t) => (t === 'auto' ? 'auto' : Number(t)));
const [SIZE, COUNT, BATCH, CORES, EPOCHS] = [32, 256, 64, 8, 2];

interface Run {
  threads: number | 'auto';
  /** The most threads that ran steps. */
  used: number;
  fitSeconds: number;
  /** CPU seconds of the whole process (every thread) during fit: the work, whatever the load. */
  cpuSeconds: number;
  epochSeconds: number[];
  loss: number[];
  load1: number;
}

async function once(threads: number | 'auto'): Promise<Run> {
  const m = preset('squeeze-fast', { imageSize: SIZE, seed: 1 });
  m.compile({ optimizer: adam(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy: tpuStrategy({ cores: CORES, threads }) });
  const batches = (d: ReturnType<typeof synthFlowers>, drop: boolean) => d.batch(BATCH, { dropRemainder: drop }) as unknown as AsyncIterable<BatchLike>;
  const train = batches(synthFlowers({ count: COUNT, size: SIZE, seed: 1 }).shuffle(COUNT, { seed: 1 }).cache(), true);
  const validation = batches(synthFlowers({ count: COUNT / 4, size: SIZE, seed: 1001 }).cache(), false);
  const load1 = loadavg()[0]!;
  const [t0, cpu0] = [performance.now(), process.cpuUsage()];
  const h = await m.fit(train, { epochs: EPOCHS, validationData: validation });
  const fitSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { threads, used: m.trainer!.threadsUsed, fitSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, epochSeconds: h.hostSeconds, loss: h.history.loss, load1 };
}

const runs: Run[] = [];
for (let r = 0; r < REPEATS; r++) for (const t of THREADS) runs.push(await once(t));
const losses = new Set(runs.map((r) => JSON.stringify(r.loss)));
if (losses.size !== 1) throw new Error(`train-threads: losses differ between runs: ${[...losses].join(' vs ')}`);
console.log(`squeeze-fast ${SIZE}x${SIZE}, ${COUNT} images, batch ${BATCH} over ${CORES} cores; host CPUs ${availableParallelism()}; same losses in every run`);
console.log('threads (used)  fit s  CPU s  epoch 1 s (compile)  epoch 2 s   load avg');
for (const r of runs) {
  const name = `${r.threads} (${r.used})`.padStart(14);
  console.log(`${name}  ${r.fitSeconds.toFixed(2).padStart(5)}  ${r.cpuSeconds.toFixed(2).padStart(5)}  ${r.epochSeconds[0]!.toFixed(2).padStart(19)}  ${r.epochSeconds[1]!.toFixed(2).padStart(9)}   ${r.load1.toFixed(1)}`);
}
mkdirSync(new URL('./results', import.meta.url).pathname, { recursive: true });
const out = { bench: 'train-threads', node: process.version, cores: availableParallelism(), model: 'squeeze-fast', imageSize: SIZE, count: COUNT, batch: BATCH, simulatedCores: CORES, runs };
writeFileSync(new URL('./results/train-threads.json', import.meta.url).pathname, `${JSON.stringify(out, null, 2)}\n`);
