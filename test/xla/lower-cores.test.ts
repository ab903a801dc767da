/**
 * The lowering takes the core as a parameter: random programs (and the shapes that stream
 * or tile their contraction, convolutions, pooling) lowered for a table of core
 * configurations (arrays of 128, 64, 32, 8 and 100 rows, small vector memories) and run on a
 * TensorCore of that configuration give the bits of the interpreter with the same array
 * (fold depth R and subnormal mode are all the numerics depend on).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mxuConfig } from '../../src/mxu/config.ts';
import { TensorCore, coreConfig, type TensorCoreConfig } from '../../src/tpu/index.ts';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { compile } from '../../src/xla/compiler.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { HloModule } from '../../src/xla/hlo.ts';
import { lower } from '../../src/xla/lower.ts';
import { runLowered } from '../../src/xla/lowered-runner.ts';
import { Rng, randomGraph } from './random-graph.ts';

const bits = (xs: readonly Float32Array[]): number[][] => xs.map((x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length)));

/** Core configurations: the TPU v2 core, smaller arrays, and vector memories of a few KiB. */
const CORES: readonly { readonly name: string; readonly core: TensorCoreConfig }[] = [
  { name: '128x128, 16 MiB', core: coreConfig() },
  { name: '64x64, 1 MiB', core: coreConfig({ mxu: mxuConfig({ rows: 64, cols: 64 }), vmemBytes: 2 ** 20 }) },
  { name: '32x16, 64 KiB', core: coreConfig({ mxu: mxuConfig({ rows: 32, cols: 16 }), vmemBytes: 2 ** 16 }) },
  { name: '8x8, 16 KiB, subnormals kept', core: coreConfig({ mxu: mxuConfig({ rows: 8, cols: 8, subnormals: 'keep' }), vmemBytes: 2 ** 14 }) },
  // R = 100 divides no power of two: a fold cut anywhere but at multiples of 100 changes bits
  { name: '100x20, 64 KiB', core: coreConfig({ mxu: mxuConfig({ rows: 100, cols: 20 }), vmemBytes: 2 ** 16 }) },
];

function check(m: HloModule, args: readonly Float32Array[], core: TensorCoreConfig): void {
  const expected = evaluate(m, args, { mxu: { rows: core.mxu.rows, subnormals: core.mxu.subnormals } }).map((l) => l.data);
  const { outputs } = runLowered(lower(m, { core }), args, { core: new TensorCore({ config: core }) });
  expect(bits(outputs)).toEqual(bits(expected));
}

describe('lowering for a given core', () => {
  for (const { name, core } of CORES) {
    it(`random programs, unoptimised and compiled, give the interpreter's bits on a ${name} core`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
          const { module, args } = randomGraph(seed, 10);
          check(module, args, core);
          check(compile(module).module, args, core);
        }),
        { seed: 17, numRuns: 25 },
      );
    });
  }

  it('long contractions, tiled dots, convolutions and pooling keep the bits on every core', () => {
    const b = new XlaBuilder('shapes');
    const x = b.parameter(0, f32([4, 1024]), 'x');
    const w = b.parameter(1, f32([1024, 4]), 'w');
    const img = b.parameter(2, f32([2, 21, 19, 5]), 'img');
    const k = b.parameter(3, f32([3, 3, 5, 7]), 'k');
    const conv = b.convolution(img, k, { padding: 'same', strides: [2, 1] });
    const pooled = b.maxPool(b.relu(conv), { size: [2, 2] });
    const m = b.build([b.dot(x, w), b.dot(b.transpose(x, [1, 0]), b.transpose(x, [1, 0]), { lhsContracting: [0], rhsContracting: [0] }), conv, pooled]);
    const r = new Rng(3);
    const args = [r.array(4096), r.array(4096), r.array(2 * 21 * 19 * 5), r.array(3 * 3 * 5 * 7, 0.5)];
    for (const { core } of CORES) {
      check(m, args, core);
      check(compile(m).module, args, core);
    }
  });
});
