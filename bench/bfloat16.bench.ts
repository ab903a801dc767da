/**
 * Bulk bf16 conversion throughput (values/s): tpusim's bulk loops vs the per-element scalar
 * path, with @petamoriken/float16's Float16Array (f32 -> f16 bulk) as a peer measured in the
 * same run. Writes bench/results/bfloat16.json.
 */
import { Float16Array } from '@petamoriken/float16';
import { mkdirSync, writeFileSync } from 'node:fs';
import { bf16ToF32Array, f32ToBf16Array, roundToBf16Array, toBf16Bits } from '../src/bfloat16/index.ts';

const N = 1 << 22;
const src = new Float32Array(N);
let seed = 12345;
for (let i = 0; i < N; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  src[i] = ((seed / 2 ** 32) - 0.5) * 2 ** ((seed % 60) - 30);
}
const u16 = new Uint16Array(N);
const f32 = new Float32Array(N);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function rate(name: string, fn: () => void, runs = 9): { name: string; valuesPerSecond: number; msPerRun: number } {
  fn(); // warm up (JIT)
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  return { name, valuesPerSecond: N / (ms / 1000), msPerRun: ms };
}

const rows = [
  rate('tpusim f32ToBf16Array (f32 -> bf16 bits)', () => f32ToBf16Array(src, u16)),
  rate('tpusim roundToBf16Array (f32 -> bf16, kept as f32)', () => roundToBf16Array(src, f32)),
  rate('tpusim bf16ToF32Array (bf16 bits -> f32)', () => bf16ToF32Array(u16, f32)),
  rate('tpusim toBf16Bits per element (scalar path)', () => {
    for (let i = 0; i < N; i++) u16[i] = toBf16Bits(src[i]!);
  }, 3),
  rate('peer: Float16Array.from (f32 -> f16, @petamoriken/float16)', () => Float16Array.from(src), 3),
];

console.log(`bulk conversion, ${N} values, median of runs (values/s)`);
for (const r of rows) console.log(`${r.name.padEnd(60)} ${(r.valuesPerSecond / 1e6).toFixed(0).padStart(6)} M/s  ${r.msPerRun.toFixed(2).padStart(8)} ms`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/bfloat16.json', `${JSON.stringify({ bench: 'bfloat16', values: N, node: process.version, rows }, null, 2)}\n`);
