/**
 * The compiler on the example conv net's training step (conv 3x3x16 -> relu -> maxpool ->
 * conv 3x3x32 stride 2 -> relu -> global average pool -> dense 5 -> softmax cross-entropy,
 * SGD): how long each stage takes on the host (build + autodiff, the pass pipeline,
 * lowering), and what fusion does to the simulated device (cycles and DMA traffic of the
 * lowered program on one TensorCore, fused vs with the fusion pass disabled, measured in
 * the same run). No external compiler is available offline to serve as a peer; the
 * unfused pipeline is the peer for the device numbers.
 * Writes bench/results/xla-compile.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { compile, convNetTrainStep, estimate, lower, runLowered, type HloModule } from '../src/xla/index.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed<T>(fn: () => T, runs = 9): { ms: number; value: T } {
  let value = fn(); // warm up (JIT)
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    value = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), value };
}

function device(m: HloModule): { cycles: number; dmaBytes: number; dmaCycles: number; instructions: number } {
  const l = lower(m);
  const zeros = l.params.map((p) => new Float32Array(l.program.buffers.find((b) => b.name === p)!.values));
  const r = runLowered(l, zeros, { execute: false });
  return { cycles: r.profile.totalCycles, dmaBytes: r.profile.ops.reduce((a, o) => a + o.bytes, 0), dmaCycles: r.profile.units.dma.busyCycles, instructions: l.program.instructions.length };
}

const rows = [];
for (const [batch, imageSize] of [[8, 32], [16, 32]] as const) {
  const build = timed(() => convNetTrainStep({ batch, imageSize }));
  const passes = timed(() => compile(build.value));
  const lowering = timed(() => lower(passes.value.module), 5);
  const unfused = compile(build.value, { disable: ['fusion'] }).module;
  const [df, du] = [device(passes.value.module), device(unfused)];
  const [ef, eu] = [estimate(passes.value.module), estimate(unfused)];
  rows.push({
    batch,
    imageSize,
    hloInstructions: build.value.entry.instructions.length,
    buildAndAutodiffMs: build.ms,
    passesMs: passes.ms,
    lowerMs: lowering.ms,
    totalCompileMs: build.ms + passes.ms + lowering.ms,
    memory: lowering.value.memory,
    fused: { simulatedCycles: df.cycles, dmaBytes: df.dmaBytes, dmaCycles: df.dmaCycles, programInstructions: df.instructions, predictedCycles: ef.cycles, predictedHbmBytes: ef.hbmBytes },
    unfused: { simulatedCycles: du.cycles, dmaBytes: du.dmaBytes, dmaCycles: du.dmaCycles, programInstructions: du.instructions, predictedCycles: eu.cycles, predictedHbmBytes: eu.hbmBytes },
  });
}

const pct = (a: number, b: number): string => `${(100 * (1 - a / b)).toFixed(1)}%`;
console.log('conv-net training step: host compile time (median ms) and the simulated device, fused vs unfused');
console.log('batch size  HLO   build+grad  passes  lower  total ms   sim cycles fused / unfused (cut)   DMA MiB fused / unfused (cut)');
for (const r of rows) {
  console.log(
    `${String(r.batch).padStart(5)} ${String(r.imageSize).padStart(4)} ${String(r.hloInstructions).padStart(5)} ${r.buildAndAutodiffMs.toFixed(1).padStart(11)} ${r.passesMs.toFixed(1).padStart(7)} ${r.lowerMs.toFixed(1).padStart(6)} ${r.totalCompileMs.toFixed(1).padStart(9)}   ` +
      `${r.fused.simulatedCycles} / ${r.unfused.simulatedCycles} (${pct(r.fused.simulatedCycles, r.unfused.simulatedCycles)})   ` +
      `${(r.fused.dmaBytes / 2 ** 20).toFixed(2)} / ${(r.unfused.dmaBytes / 2 ** 20).toFixed(2)} (${pct(r.fused.dmaBytes, r.unfused.dmaBytes)})`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/xla-compile.json', `${JSON.stringify({ bench: 'xla-compile', node: process.version, rows }, null, 2)}\n`);
