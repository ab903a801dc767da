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
import { lower, runLowered } from '../../src/xla/lower.ts';
import { randomGraph } from './random-graph.ts';

const bits = (xs: readonly Float32Array[]): number[][] => xs.map((x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length)));

function checkLowered(m: HloModule, args: readonly Float32Array[]): void {
  const expected = evaluate(m, args).map((l) => l.data);
  const { outputs } = runLowered(lower(m), args);
  expect(bits(outputs)).toEqual(bits(expected));
}

describe('lowering to a TensorCore program', () => {
  it('is bit-identical to the interpreter on random graphs, unoptimised and compiled', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (s) => {
        const { module, args } = randomGraph(s, 10);
        checkLowered(module, args);
        checkLowered(compile(module).module, args);
      }),
      { seed: 9, numRuns: 40 },
    );
  });

  it('runs the example training step bit-identically', () => {
    const m = compile(convNetTrainStep({ batch: 2, imageSize: 8, filters: [4, 8] })).module;
    const params = m.entry.instructions.flatMap((i) => (i.op === 'parameter' ? [i] : [])).sort((a, b) => a.attrs.index - b.attrs.index);
    const args = params.map((p, k) => Float32Array.from({ length: p.shape.dims.reduce((a, c) => a * c, 1) }, (_, j) => (k === 1 ? (j % 5 === 0 ? 1 : 0) : Math.sin(j * 0.37 + k) * 0.5)));
    checkLowered(m, args);
  });
});
