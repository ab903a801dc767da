/**
 * The lowering's blocked paths, forced at small sizes by a small kernel budget: pooling and
 * its gradient block by block, dots tile by tile (every operand layout, streamed or whole
 * contraction), broadcasts to inner dims straight by DMA, and HBM buffers reused after
 * their last use. Each must give the interpreter's bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { compile } from '../../src/xla/compiler.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { HloModule } from '../../src/xla/hlo.ts';
import { lower } from '../../src/xla/lower.ts';
import { runLowered } from '../../src/xla/lowered-runner.ts';
import { indexBlocks } from '../../src/xla/lower-reduce.ts';
import { tileSizes } from '../../src/xla/lower-dot.ts';
import { Rng } from './random-graph.ts';

const bits = (xs: readonly Float32Array[]): number[][] => xs.map((x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length)));
const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function checkLowered(m: HloModule, args: readonly Float32Array[], kernelBudgetValues: number): ReturnType<typeof lower> {
  const expected = evaluate(m, args).map((l) => l.data);
  const l = lower(m, { kernelBudgetValues });
  expect(bits(runLowered(l, args).outputs)).toEqual(bits(expected));
  return l;
}

const vmemValues = (l: ReturnType<typeof lower>): number => l.program.buffers.filter((b) => b.memory === 'vmem').reduce((a, b) => a + b.values, 0);

describe('index blocks', () => {
  it('cover every index, stay in bounds, and hold at most max values (or one innermost row)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 4 }), fc.integer({ min: 1, max: 200 }), (dims, max) => {
        const { dims: bd, starts } = indexBlocks(dims, max);
        expect(size(bd)).toBeLessThanOrEqual(Math.max(max, dims[dims.length - 1] ?? 1));
        const seen = new Set<string>();
        for (const s of starts) {
          s.forEach((v, i) => expect(v + bd[i]!).toBeLessThanOrEqual(dims[i]!));
          for (let k = 0; k < size(bd); k++) {
            const idx = s.map((v, i) => v + (Math.floor(k / size(bd.slice(i + 1))) % bd[i]!));
            seen.add(idx.join(','));
          }
        }
        expect(seen.size).toBe(size(dims));
      }),
      { seed: 21, numRuns: 200 },
    );
  });
});

describe('blocked pooling', () => {
  it('reduce-window (max and sum, strided, padded) and select-and-scatter keep every bit under a tiny budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = new Rng(seed);
        const dims = [r.int(1, 3), r.int(3, 9), r.int(3, 9), r.int(1, 4)];
        const w = r.int(1, 3);
        const s = r.int(1, 3);
        const pad = r.int(0, 1);
        const b = new XlaBuilder('pool');
        const x = b.parameter(0, f32(dims), 'x');
        const mx = b.reduceWindow(x, { kind: 'max', window: [1, w, w, 1], strides: [1, s, s, 1], padding: [[0, 0], [pad, pad], [0, pad], [0, 0]] });
        const sm = b.reduceWindow(x, { kind: 'sum', window: [1, w, 2, 1], strides: [1, s, 1, 1] });
        // select-and-scatter: non-overlapping windows that may leave a remainder uncovered
        const src = b.reduceWindow(x, { kind: 'max', window: [1, w, w, 1], strides: [1, w, w, 1] });
        const grad = b.selectAndScatter(x, b.multiply(src, src), { window: [1, w, w, 1], strides: [1, w, w, 1] });
        const m = b.build([mx, sm, grad]);
        const args = [Float32Array.from({ length: size(dims) }, () => (r.int(0, 4) - 2) * 0.5)]; // ties test the first maximum
        checkLowered(m, args, r.int(8, 200));
      }),
      { seed: 22, numRuns: 40 },
    );
  });

  it('a max-pooling gradient fused with relu\'s gradient (and epilogues that cannot ride on its blocks) keeps every bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = new Rng(seed);
        const w = r.int(1, 3);
        const dims = [r.int(1, 3), w * r.int(1, 4) + r.int(0, 1), w * r.int(1, 4), r.int(1, 4)]; // some leave a remainder
        const b = new XlaBuilder('pool-grad');
        const x = b.parameter(0, f32(dims), 'x');
        const other = b.parameter(1, f32(dims), 'other');
        const y = b.relu(x);
        const pooled = b.reduceWindow(y, { kind: 'max', window: [1, w, w, 1], strides: [1, w, w, 1] });
        const g = b.parameter(2, f32(pooled.shape.dims), 'g'); // the pooled output's gradient
        const sas = (scale: number): ReturnType<typeof b.selectAndScatter> => b.selectAndScatter(y, b.multiply(g, scale), { window: [1, w, w, 1], strides: [1, w, w, 1] });
        const reluGrad = b.select(b.compare(y, 0, 'GT'), sas(0.5), 0); // reads the S&S operand: rides on its blocks
        const mixed = b.add(b.multiply(sas(2), other), b.broadcast(b.sum(other, [0, 1, 2]), dims, [3])); // a broadcast: does not
        const m = compile(b.build([reluGrad, mixed])).module;
        const exact = dims[1]! % w === 0;
        const fused = m.entry.instructions.filter((i) => i.op === 'fusion' && i.attrs.computation.instructions.some((j) => j.op === 'select-and-scatter'));
        expect(fused.length).toBe(exact ? 2 : 0); // a remainder no window covers keeps the S&S on its own
        const args = [Float32Array.from({ length: size(dims) }, () => (r.int(0, 4) - 2) * 0.5), r.array(size(dims)), r.array(size(pooled.shape.dims))];
        checkLowered(m, args, r.int(8, 200));
        checkLowered(m, args, 1 << 18);
      }),
      { seed: 23, numRuns: 30 },
    );
  });

  it('blocks keep vector memory small: a pooling 20 times the budget needs about a block', () => {
    const b = new XlaBuilder('pool');
    const x = b.parameter(0, f32([4, 40, 40, 8]), 'x');
    const pooled = b.maxPool(x, { size: [2, 2] });
    const m = b.build([pooled, b.selectAndScatter(x, pooled, { window: [1, 2, 2, 1], strides: [1, 2, 2, 1] })]);
    const l = checkLowered(m, [new Rng(3).array(51200)], 2400);
    expect(vmemValues(l)).toBeLessThan(2400 * 4);
  });
});

describe('blocked reductions', () => {
  it('reduce over rows (a bias gradient: a tall column at a time) and over columns keeps every bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = new Rng(seed);
        const dims = [r.int(1, 4), r.int(20, 60), r.int(1, 6)];
        const b = new XlaBuilder('reduce');
        const x = b.parameter(0, f32(dims), 'x');
        const m = b.build([b.sum(x, [0, 1]), b.max(x, [0, 1]), b.sum(x, [2]), b.sum(x, [1])]);
        checkLowered(m, [r.array(size(dims))], r.int(8, 120));
      }),
      { seed: 24, numRuns: 25 },
    );
  });
});

describe('tiled dots', () => {
  it('every operand layout, streamed or whole contraction, gives the whole dot\'s bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = new Rng(seed);
        const [M, K, N] = [r.int(1, 60), r.pick([3, 130, 300]), r.int(1, 40)];
        const precision = r.pick(['default', 'high', 'highest'] as const);
        const [lt, rt] = [r.next() < 0.5, r.next() < 0.5];
        const b = new XlaBuilder('dot');
        const lhs = b.parameter(0, f32(lt ? [K, M] : [M, K]), 'lhs');
        const rhs = b.parameter(1, f32(rt ? [N, K] : [K, N]), 'rhs');
        const d = b.dot(lhs, rhs, { lhsContracting: [lt ? 0 : 1], rhsContracting: [rt ? 1 : 0], precision });
        const m = b.build([d]);
        checkLowered(m, [r.array(M * K), r.array(K * N)], r.int(16, 400));
      }),
      { seed: 23, numRuns: 30 },
    );
  });

  it('a dot with a huge result and a short contraction (a dense layer\'s weight gradient) tiles its result', () => {
    const b = new XlaBuilder('dw');
    const x = b.parameter(0, f32([4, 3000]), 'x');
    const g = b.parameter(1, f32([4, 20]), 'g');
    const m = b.build([b.dot(x, g, { lhsContracting: [0], rhsContracting: [0] })]);
    const r = new Rng(4);
    const l = checkLowered(m, [r.array(12000), r.array(80)], 4000);
    expect(vmemValues(l)).toBeLessThan(4000);
  });

  it('tiles fit the budget; a long contraction streams a fold of array rows at a time in default precision', () => {
    for (const [p, precision] of [[{ m: 100000, k: 16, n: 128 }, 'default'], [{ m: 144, k: 589824, n: 16 }, 'default'], [{ m: 5000, k: 700, n: 3000 }, 'high']] as const) {
      const t = tileSizes(p, precision, 2 ** 18, 128);
      expect(t.mb * t.kt * 2 + t.mb * t.nb * 3 + t.kt * t.nb).toBeLessThanOrEqual(2 ** 18);
    }
    expect(tileSizes({ m: 144, k: 589824, n: 16 }, 'default', 2 ** 18, 128)).toEqual({ mb: 144, nb: 16, kt: 128 }); // one tile, K streamed
    expect(tileSizes({ m: 589824, k: 144, n: 16 }, 'default', 2 ** 18, 128).kt).toBe(144); // short K: whole
    expect(tileSizes({ m: 64, k: 5000, n: 64 }, 'highest', 2 ** 18, 128).kt).toBe(5000);
  });
});

describe('broadcasts and HBM reuse', () => {
  it('a broadcast to inner dims (a global pooling gradient) goes by DMA, bit-exactly', () => {
    const b = new XlaBuilder('gap');
    const g = b.parameter(0, f32([3, 7]), 'g');
    const m = b.build([b.broadcast(g, [3, 5, 6, 7], [0, 3])]);
    const l = checkLowered(m, [new Rng(6).array(21)], 40);
    expect(vmemValues(l)).toBe(0);
  });

  it('reuses the HBM buffer of a value after its last use', () => {
    const b = new XlaBuilder('chain');
    let x = b.parameter(0, f32([64, 64]), 'x');
    for (let i = 0; i < 6; i++) x = b.tanh(b.add(b.multiply(x, 1.5), 0.25));
    const m = b.build([x]);
    const l = checkLowered(m, [new Rng(7).array(4096)], 1000);
    const storage = l.program.buffers.filter((d) => d.memory === 'hbm' && d.of === undefined && !l.initial.has(d.name));
    expect(storage.length).toBeLessThanOrEqual(3); // the parameter and two live values' storage, not 19
    expect(l.initial.size).toBe(0); // the fills 1.5 and 0.25 are scalar operands: never loaded
  });
});
