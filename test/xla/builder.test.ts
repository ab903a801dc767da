import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32, samePadding } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import { ShapeError } from '../../src/xla/ops/index.ts';
import { thrownBy } from '../thrown.ts';

describe('XlaBuilder', () => {
  it('reports a shape mismatch with the op, the source and both shapes', () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([32, 784]), 'x');
    const w = b.parameter(1, f32([100, 128]), 'w');
    const err = thrownBy(() => b.withSource('dense_1', () => b.dot(x, w)));
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.message).toBe("dot (source 'dense_1'): contracting dims differ: lhs dim 1 is 784, rhs dim 0 is 100; operands f32[32,784] and f32[100,128]");
  });

  it('broadcasts numbers and lower ranks like NumPy, emitting explicit HLO', () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([2, 3]), 'x');
    const bias = b.constant([10, 20, 30], [3]);
    const col = b.constant([1, 2], [2, 1]);
    const y = b.add(b.add(b.multiply(x, 2), bias), col);
    const [out] = evaluate(b.build(y), [[1, 2, 3, 4, 5, 6]]);
    expect(Array.from(out!.data)).toEqual([13, 25, 37, 20, 32, 44]);
    expect(() => b.add(x, b.constant([1, 2], [2]))).toThrow(/do not broadcast/);
  });

  it('computes TensorFlow same padding', () => {
    expect(samePadding(6, 3, 2)).toEqual([0, 1]);
    expect(samePadding(5, 3, 1)).toEqual([1, 1]);
    expect(samePadding(224, 7, 2)).toEqual([2, 3]);
  });

  it('builds softmax whose rows sum to one and a cross-entropy that matches the formula', () => {
    const b = new XlaBuilder('sm');
    const x = b.parameter(0, f32([2, 3]), 'x');
    const labels = b.parameter(1, f32([2, 3]), 'y');
    const m = b.build([b.softmax(x), b.softmaxCrossEntropy(x, labels)]);
    const logits = [1, 2, 3, -1, 0, 4];
    const [p, loss] = evaluate(m, [logits, [0, 0, 1, 1, 0, 0]]);
    expect(p!.data[0]! + p!.data[1]! + p!.data[2]!).toBeCloseTo(1, 6);
    const lse = (a: number[]) => Math.log(a.reduce((s, v) => s + Math.exp(v), 0));
    const expected = (lse([1, 2, 3]) - 3 + (lse([-1, 0, 4]) + 1)) / 2;
    expect(loss!.data[0]).toBeCloseTo(expected, 5);
  });

  it('continues an existing computation with new ids', () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([2]), 'x');
    const c = b.computation(b.exp(x));
    const b2 = XlaBuilder.from(c);
    const y = b2.negate(b2.op(1));
    expect(y.id).toBe(2);
  });
});
