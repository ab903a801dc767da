/**
 * The lowering against the reference interpreter: random graphs and the example training
 * step, compiled, lowered to a TensorCore program and run on the simulated core, must give
 * the interpreter's bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/xla/compiler.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import { convNetTrainStep } from '../../src/xla/examples.ts';
import type { HloModule } from '../../src/xla/hlo.ts';
import { lower } from '../../src/xla/lower.ts';
import { runLowered } from '../../src/xla/lowered-runner.ts';
import { Rng, randomGraph } from './random-graph.ts';
import { TensorCore } from '../../src/tpu/core.ts';
import { Emitter } from '../../src/xla/lower-emit.ts';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';

const bits = (xs: readonly Float32Array[]): number[][] => xs.map((x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length)));

function checkLowered(m: HloModule, args: readonly Float32Array[], kernelBudgetValues?: number): void {
  const expected = evaluate(m, args).map((l) => l.data);
  const { outputs } = runLowered(lower(m, kernelBudgetValues === undefined ? {} : { kernelBudgetValues }), args);
  expect(bits(outputs)).toEqual(bits(expected));
}

describe('lowering to a TensorCore program', () => {
  it('is bit-identical to the interpreter on random graphs, unoptimised and compiled', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (s) => {
        const { module, args } = randomGraph(s, 10);
        checkLowered(module, args);
        checkLowered(compile(module).module, args);
        checkLowered(compile(module).module, args, 7); // every kernel cut into tiny chunks
      }),
      { seed: 9, numRuns: 40 },
    );
  });

  it('runs the example training step bit-identically', () => {
    const m = compile(convNetTrainStep({ batch: 2, imageSize: 8, filters: [4, 8] })).module;
    const params = m.entry.instructions.flatMap((i) => (i.op === 'parameter' ? [i] : [])).sort((a, b) => a.attrs.index - b.attrs.index);
    const args = params.map((p, k) => Float32Array.from({ length: p.shape.dims.reduce((a, c) => a * c, 1) }, (_, j) => (k === 1 ? (j % 5 === 0 ? 1 : 0) : Math.sin(j * 0.37 + k) * 0.5)));
    checkLowered(m, args);
    checkLowered(m, args, 300);
  });
});

/** Runs Emitter.transpose on a TensorCore and compares with the interpreter's transpose. */
function checkTranspose(dims: number[], perm: number[]): void {
  const n = dims.reduce((a, b) => a * b, 1);
  const e = new Emitter();
  const src = e.constant('src', Float32Array.from({ length: n }, (_, i) => i + 1));
  const out = e.declare('out', 'hbm', n);
  e.transpose(src, dims, perm, out);
  const core = new TensorCore();
  core.load({ buffers: e.buffers, instructions: e.instructions });
  for (const [name, data] of e.initial) core.write(name, data);
  core.run();
  const m: HloModule = {
    name: 't',
    entry: {
      name: 't',
      instructions: [
        { id: 0, op: 'parameter', operands: [], shape: f32(dims), attrs: { index: 0, shape: f32(dims) } },
        { id: 1, op: 'transpose', operands: [0], shape: f32(perm.map((p) => dims[p]!)), attrs: { permutation: perm } },
      ],
      outputs: [1],
    },
  };
  const expected = evaluate(m, [Float32Array.from({ length: n }, (_, i) => i + 1)])[0]!.data;
  expect(Array.from(core.read('out'))).toEqual(Array.from(expected));
}

describe('strided copies and transposes as DMAs', () => {
  it('move exactly the elements a naive gather moves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = new Rng(seed);
        const rank = r.int(1, 4);
        const dims = Array.from({ length: rank }, () => r.int(1, 5));
        checkTranspose(dims, [...dims.keys()].sort(() => r.next() - 0.5));
      }),
      { seed: 13, numRuns: 60 },
    );
  });

  it('transpose big arrays a block of rows at a time (last block overlapping)', () => {
    checkTranspose([300, 7, 40], [2, 0, 1]);
    checkTranspose([3, 50000], [1, 0]);
    checkTranspose([300, 700], [1, 0]); // tiles in both dims
  });
});

describe('blocked reductions and pooling', () => {
  it('reduce, max pooling and its gradient on arrays larger than a block keep every bit', () => {
    const b = new XlaBuilder('big');
    const x = b.parameter(0, f32([3000, 20]), 'x');
    const y = b.parameter(1, f32([40, 30, 50]), 'y');
    const img = b.parameter(2, f32([3, 130, 130, 4]), 'img');
    const pooled = b.maxPool(img, { size: [2, 2] });
    const avg = b.avgPool(img, { size: [2, 2] });
    const grad = b.selectAndScatter(img, b.multiply(pooled, avg), { window: [1, 2, 2, 1], strides: [1, 2, 2, 1] });
    const m = b.build([b.sum(x, [0]), b.max(x, [1]), b.sum(y, [0, 2]), b.sum(x), grad]);
    const r = new Rng(5);
    checkLowered(m, [r.array(60000), r.array(60000), r.array(3 * 130 * 130 * 4)]);
  });
});

describe('streamed dots', () => {
  it('a dot too big for vector memory streams its contraction fold by fold, bit-exactly', () => {
    const b = new XlaBuilder('grad');
    const x = b.parameter(0, f32([700, 30]), 'x'); // [K, M]: contracted over its first dim
    const g = b.parameter(1, f32([700, 9]), 'g'); // [K, N]
    const w = b.parameter(2, f32([40, 700]), 'w'); // [N, K] for the second dot
    const dw = b.dot(x, g, { lhsContracting: [0], rhsContracting: [0] });
    const dx = b.dot(b.transpose(x, [1, 0]), w, { lhsContracting: [1], rhsContracting: [1] });
    const m = b.build([b.subtract(dw, b.multiply(dw, 0.1)), dx]);
    const r = new Rng(8);
    const args = [r.array(21000), r.array(6300), r.array(28000)];
    checkLowered(m, args, 1000);
    checkLowered(compile(m).module, args, 1000);
  });
});
