import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AutodiffError, gradModule, gradients } from '../../src/xla/autodiff.ts';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import { convNetLoss, convNetTrainStep } from '../../src/xla/examples.ts';
import { verify } from '../../src/xla/verify.ts';
import { checkGrads } from './gradcheck.ts';

describe('autodiff', () => {
  it('differentiates w*w to 2w and sums fan-out', () => {
    const b = new XlaBuilder('f');
    const w = b.parameter(0, f32([3]), 'w');
    const loss = b.sum(b.add(b.multiply(w, w), w));
    const [dw] = gradients(b, loss, [w]);
    const [, g] = evaluate(b.build([loss, dw!]), [[1, 2, 3]]);
    expect(Array.from(g!.data)).toEqual([3, 5, 7]);
  });

  it('gradModule returns the loss and one gradient per float parameter', () => {
    const m = gradModule(convNetLoss({ batch: 1, imageSize: 4, filters: [2, 2] }));
    expect(m.entry.outputs.length).toBe(1 + 8);
    verify(m);
  });

  it('gives zeros for a parameter the loss does not use, and refuses a non-scalar output', () => {
    const b = new XlaBuilder('f');
    const w = b.parameter(0, f32([2]), 'w');
    const u = b.parameter(1, f32([2]), 'u');
    const [, du] = gradients(b, b.sum(b.exp(w)), [w, u]);
    expect(Array.from(evaluate(b.build(du!), [[0, 0], [1, 1]])[0]!.data)).toEqual([0, 0]);
    expect(() => gradients(b, b.exp(w), [w])).toThrow(AutodiffError);
  });

  it('stops at a conversion to integers: no cotangent flows back through an s32 value', () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([3]), 'x');
    const whole = b.convert(b.convert(x, 's32'), 'f32');
    const [dx] = gradients(b, b.sum(b.multiply(whole, x)), [x]);
    const [w, g] = evaluate(b.build([whole, dx!]), [[1.5, -2.5, 3.25]]);
    expect(Array.from(g!.data)).toEqual(Array.from(w!.data)); // d/dx of int(x) * x is int(x) where int is flat
  });

  it("pad's gradient keeps an operand's empty dimension empty", () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([0, 3]), 'x');
    const [dx] = gradients(b, b.sum(b.exp(b.pad(x, { low: [1, 0], high: [2, 1], interior: [1, 0], value: 0.5 }))), [x]);
    const m = b.build(dx!);
    verify(m);
    const [g] = evaluate(m, [[]]);
    expect(g!.shape.dims).toEqual([0, 3]);
    expect(g!.data.length).toBe(0);
  });

  it('a small conv net (conv -> relu -> maxpool -> reshape -> dot -> softmax CE) matches finite differences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        checkGrads(
          {
            params: [f32([2, 6, 6, 2]), f32([3, 3, 2, 3]), f32([27, 4])],
            build: (b, [x, k, w]) => {
              const h = b.relu(b.convolution(x!, k!, { padding: 'same', precision: 'highest' }));
              const p = b.maxPool(h, { size: [2, 2] });
              const logits = b.dot(b.reshape(p, [2, 27]), w!, { precision: 'highest' });
              return b.softmaxCrossEntropy(logits, b.constant([1, 0, 0, 0, 0, 0, 1, 0], [2, 4]));
            },
          },
          seed,
          1e-3,
        );
      }),
      { seed: 21, numRuns: 5 },
    );
  });

  it('builds a verified training step for the example conv net whose loss drops', () => {
    const m = verify(convNetTrainStep({ batch: 2, imageSize: 8, filters: [4, 4], learningRate: 0.5 }));
    expect(m.entry.outputs.length).toBe(7);
    const shapes = m.entry.instructions.filter((i) => i.op === 'parameter').sort((a, b) => (a.op === 'parameter' && b.op === 'parameter' ? a.attrs.index - b.attrs.index : 0)).map((i) => i.shape.dims.reduce((x, y) => x * y, 1));
    let args: Float32Array[] = shapes.map((n, i) => Float32Array.from({ length: n }, (_, j) => (i === 1 ? (j % 5 === 0 ? 1 : 0) : Math.sin(j * (i + 1)) * 0.3)));
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const [loss, ...weights] = evaluate(m, args);
      losses.push(loss!.data[0]!);
      args = [args[0]!, args[1]!, ...weights.map((w) => w.data)];
    }
    expect(losses[2]!).toBeLessThan(losses[0]!);
  });
});
