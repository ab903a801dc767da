/**
 * Speed of the stepped systolic array (one thread): PE-updates/s and cycles/s of the array's
 * step on 128 x 128 and a small array, with the peers measured in the same run: the same
 * flat array with its plain JavaScript MAC loop, and a grid of PE objects (the naive
 * per-PE loop). Also whole stepped matmuls (controller + feeder + array) and the closed
 * form. Writes bench/results/stepped.json. Numbers on a shared 2-core machine are noisy:
 * run it more than once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { PeGrid } from '../src/mxu/pe.ts';
import { SystolicArray, type SystolicArrayUnit } from '../src/mxu/array.ts';
import { mxuConfig } from '../src/mxu/config.ts';
import { mxuCycles } from '../src/mxu/cycles.ts';
import { runStepped } from '../src/mxu/stepped.ts';

interface Row {
  name: string;
  rows: number;
  cols: number;
  cycles: number;
  seconds: number;
  cyclesPerSecond: number;
  peUpdatesPerSecond: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Loads one weight tile, then streams valid activations: every PE busy every cycle. */
function primeArray(array: SystolicArrayUnit): void {
  const w = new Float32Array(array.cols);
  for (let r = 0; r < array.rows; r++) {
    w.fill(0.5 + r / 1024);
    array.inWeightRow = { row: r, tile: 0, weights: w };
    array.step();
  }
  for (let r = 0; r < array.rows; r++) {
    array.inAct[r] = 1 + r / 256;
    array.inTile[r] = 0;
  }
}

function measureArray(name: string, make: () => SystolicArrayUnit, cycles: number, runs = 5): Row {
  const times: number[] = [];
  let rows = 0;
  let cols = 0;
  for (let run = 0; run <= runs; run++) {
    const array = make();
    rows = array.rows;
    cols = array.cols;
    primeArray(array);
    const t0 = performance.now();
    for (let i = 0; i < cycles; i++) array.step();
    if (run > 0) times.push((performance.now() - t0) / 1000); // run 0 warms the JIT
  }
  const seconds = median(times);
  return { name, rows, cols, cycles, seconds, cyclesPerSecond: cycles / seconds, peUpdatesPerSecond: (cycles * rows * cols) / seconds };
}

function measureMatmul(name: string, size: { rows: number; cols: number }, shape: { m: number; k: number; n: number }, runs = 5): Row {
  const config = mxuConfig(size);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const a = Float32Array.from({ length: shape.m * shape.k }, rnd);
  const b = Float32Array.from({ length: shape.k * shape.n }, rnd);
  const times: number[] = [];
  let cycles = 0;
  for (let run = 0; run <= runs; run++) {
    const t0 = performance.now();
    cycles = runStepped(a, b, shape, { config }).cycles + 1;
    if (run > 0) times.push((performance.now() - t0) / 1000);
  }
  const seconds = median(times);
  const pes = size.rows * size.cols;
  return { name, ...size, cycles, seconds, cyclesPerSecond: cycles / seconds, peUpdatesPerSecond: (cycles * pes) / seconds };
}

const rows: Row[] = [
  measureArray('array step 128x128, WebAssembly SIMD (default)', () => new SystolicArray(128, 128, 'wasm'), 20000),
  measureArray('array step 128x128, plain JS Math.fround loop', () => new SystolicArray(128, 128, 'js'), 3000),
  measureArray('peer: grid of PE objects 128x128 (naive per-PE loop)', () => new PeGrid(128, 128), 200, 3),
  measureArray('array step 8x8, WebAssembly SIMD', () => new SystolicArray(8, 8, 'wasm'), 200000),
  measureArray('array step 8x8, plain JS', () => new SystolicArray(8, 8, 'js'), 200000),
  measureMatmul('runStepped 512^3 on 128x128 (setup + controller + feeder + array)', { rows: 128, cols: 128 }, { m: 512, k: 512, n: 512 }),
  measureMatmul('runStepped 64^3 on 8x8', { rows: 8, cols: 8 }, { m: 64, k: 64, n: 64 }),
];

const closedCalls = 1e6;
const t0 = performance.now();
let sink = 0;
for (let i = 0; i < closedCalls; i++) sink += mxuCycles({ m: 1 + (i & 1023), k: 1024, n: 1024 }, mxuConfig());
const closedPerSecond = closedCalls / ((performance.now() - t0) / 1000);

console.log('stepped systolic array, one thread, median of runs');
console.log(`${'what'.padEnd(72)} ${'PE-upd/s'.padStart(9)} ${'cycles/s'.padStart(10)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(72)} ${(r.peUpdatesPerSecond / 1e9).toFixed(2).padStart(7)}e9 ${r.cyclesPerSecond.toFixed(0).padStart(10)}`);
}
console.log(`closed form mxuCycles: ${(closedPerSecond / 1e6).toFixed(1)} M calls/s (checksum ${sink % 1000})`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/stepped.json',
  `${JSON.stringify({ bench: 'stepped', node: process.version, rows, closedFormCallsPerSecond: closedPerSecond }, null, 2)}\n`,
);
