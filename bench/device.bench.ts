/**
 * Device benchmark: how fast the host simulates the VPU, all-reduce and a TensorCore
 * program, and the simulated times they report. Peers in the same run: a plain JS loop for
 * the VPU ops (what the VPU must not be much slower than), and the timing-only all-reduce
 * against the data-moving one. Writes bench/results/device.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Board, DEFAULT_LINK_CONFIG, ParallelBoard, TensorCore, allReduce, allReduceTiming, systemPreset, type Program } from '../src/tpu/index.ts';
import { binary, reduce, unary } from '../src/vpu/index.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time (ms) of `runs` calls after one warm-up. */
function time(fn: () => void, runs = 5): number {
  fn();
  const ts: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const N = 1 << 22;
const a = new Float32Array(N).map((_, i) => Math.sin(i));
const b = new Float32Array(N).map((_, i) => Math.cos(i));
const out = new Float32Array(N);
const vpuRows = [
  { name: 'vpu add (binary)', ms: time(() => binary('add', a, b)) },
  { name: 'vpu add into a preallocated out', ms: time(() => binary('add', a, b, { out })) },
  { name: 'peer: plain JS loop f32 add', ms: time(() => { for (let i = 0; i < N; i++) out[i] = Math.fround(a[i]! + b[i]!); }) },
  { name: 'vpu exp (unary)', ms: time(() => unary('exp', a)) },
  { name: 'peer: plain JS loop f32 exp', ms: time(() => { for (let i = 0; i < N; i++) out[i] = Math.fround(Math.exp(a[i]!)); }) },
  { name: 'vpu reduce sum axis 1 [4096, 1024]', ms: time(() => reduce('sum', a, { rows: 4096, cols: 1024, axis: 1 })) },
].map((r) => ({ ...r, valuesPerSecond: N / (r.ms / 1e3) }));

const link = DEFAULT_LINK_CONFIG;
const cases = [
  { name: '8-core ring, 4 MB, data', dims: [8], values: 1e6, data: true },
  { name: '8-core ring, 4 MB, data, bidirectional', dims: [8], values: 1e6, data: true, bidirectional: true },
  { name: '8-core ring, 4 MB, timing only', dims: [8], values: 1e6, data: false },
  { name: '16x16 torus (512 cores), 4 MB, timing only', dims: [32, 16], values: 1e6, data: false },
  { name: '16x16 torus (512 cores), 4 MB, timing, bidirectional', dims: [32, 16], values: 1e6, data: false, bidirectional: true },
  { name: '16x16 torus (512 cores), 64 KB, data', dims: [32, 16], values: 16384, data: true },
  { name: '16x16 torus (512 cores), 100 MB, timing only', dims: [32, 16], values: 25e6, data: false },
];
const allReduceRows = cases.map((c) => {
  const nodes = c.dims.reduce((x, y) => x * y, 1);
  const bufs = c.data ? Array.from({ length: nodes }, (_, i) => new Float32Array(c.values).fill(i)) : [];
  let simulatedSeconds = 0;
  const ms = time(() => {
    const options = { bidirectional: c.bidirectional ?? false };
    simulatedSeconds = (c.data ? allReduce(bufs, c.dims, link, options) : allReduceTiming(c.values, c.dims, link, options)).seconds;
  }, 3);
  return { name: c.name, bytes: 4 * c.values, cores: nodes, simulatedMicroseconds: simulatedSeconds * 1e6, hostMs: ms };
});

const [m, k, n] = [1024, 1024, 1024];
const program: Program = {
  buffers: [
    { name: 'x_hbm', memory: 'hbm', values: m * k },
    { name: 'w_hbm', memory: 'hbm', values: k * n },
    { name: 'x', memory: 'vmem', values: m * k },
    { name: 'w', memory: 'vmem', values: k * n },
    { name: 'z', memory: 'vmem', values: m * n },
    { name: 'h', memory: 'vmem', values: m * n },
  ],
  instructions: [
    { kind: 'dma', src: 'x_hbm', dst: 'x' },
    { kind: 'dma', src: 'w_hbm', dst: 'w' },
    { kind: 'matmul', a: 'x', b: 'w', out: 'z', shape: { m, k, n }, deps: [0, 1] },
    { kind: 'vpu-unary', op: 'tanh', x: 'z', out: 'h', deps: [2] },
    { kind: 'all-reduce', buffer: 'h', deps: [3] },
  ],
};
const core = new TensorCore();
core.load(program);
core.write('x_hbm', a.subarray(0, m * k));
core.write('w_hbm', b.subarray(0, k * n));
let profile = core.run();
const coreMs = time(() => (profile = core.run()), 3);
// every core gets real operands (an all-zero board would time the kernels on zeros)
const writes = Array.from({ length: 8 }, (_, i) => [
  [i, 'x_hbm', a.subarray(0, m * k)] as const,
  [i, 'w_hbm', b.subarray(0, k * n)] as const,
]).flat();
const board = new Board(systemPreset('v2-8'));
board.load(program);
let boardCycles = 0;
const boardMs = time(() => (boardCycles = board.run({ writes, profile: false }).totalCycles), 1);
const boardTimingMs = time(() => board.run({ execute: false, profile: false }), 3);
const parallel = await ParallelBoard.create(systemPreset('v2-8'), 2);
await parallel.load(program);
await parallel.run({ writes, profile: false }); // warm up the workers' JIT and WASM
const t0 = performance.now();
const parallelCycles = (await parallel.run({ writes, profile: false })).totalCycles;
const parallelMs = performance.now() - t0;
await parallel.close();
const programRows = [
  { name: 'core: dma, 1024^3 matmul, tanh (data)', simulatedCycles: profile.totalCycles, mxuUtilisation: profile.mxuUtilisation, hostMs: coreMs },
  { name: 'v2-8 board: same on 8 cores + all-reduce (data)', simulatedCycles: boardCycles, mxuUtilisation: null, hostMs: boardMs },
  { name: 'v2-8 ParallelBoard, 2 worker threads (data)', simulatedCycles: parallelCycles, mxuUtilisation: null, hostMs: parallelMs },
  { name: 'v2-8 board: same, timing only', simulatedCycles: boardCycles, mxuUtilisation: null, hostMs: boardTimingMs },
];

console.log(`VPU ops on ${N} values (median ms, values/s)`);
for (const r of vpuRows) console.log(`${r.name.padEnd(40)} ${r.ms.toFixed(1).padStart(8)} ms ${(r.valuesPerSecond / 1e6).toFixed(0).padStart(6)} M/s`);
console.log('all-reduce (simulated time, host time)');
for (const r of allReduceRows) console.log(`${r.name.padEnd(48)} ${r.simulatedMicroseconds.toFixed(2).padStart(10)} us simulated ${r.hostMs.toFixed(1).padStart(9)} ms host`);
console.log('programs');
for (const r of programRows) console.log(`${r.name.padEnd(48)} ${String(r.simulatedCycles).padStart(10)} cycles ${r.hostMs.toFixed(1).padStart(9)} ms host`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/device.json', `${JSON.stringify({ bench: 'device', node: process.version, vpu: vpuRows, allReduce: allReduceRows, programs: programRows }, null, 2)}\n`);
