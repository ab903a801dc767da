/**
 * Constant folding at import (float64): Const values, broadcasting binary ops, the unary
 * ops of a batch norm's scale (Rsqrt), Reshape with -1, Squeeze with and without axes, and
 * the errors naming the node. Expected values are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { constOf, foldConst, type ConstValue } from '../../src/tfgraph/constants.ts';
import { constF, constI, ints, node } from './graphs.ts';

const c = (dims: number[], data: number[]): ConstValue => ({ kind: 'const', dims, data: Float64Array.from(data) });
const fold = (op: string, inputs: ConstValue[], attrs = {}): { dims: readonly number[]; data: number[] } => {
  const r = foldConst(node('n', op, [], attrs), inputs);
  return { dims: r.dims, data: Array.from(r.data) };
};

describe('constant folding', () => {
  it('Const values as float64, float and int', () => {
    expect(Array.from(constOf(constF('a', [2], [0.1, -2])).data)).toEqual([Math.fround(0.1), -2]);
    expect(constOf(constI('b', [1, 2], [3, -4]))).toEqual({ kind: 'const', dims: [1, 2], data: Float64Array.from([3, -4]) });
    expect(() => constOf(node('k', 'Const'))).toThrow("Const 'k' has no tensor value");
  });

  it('binary ops broadcast as NumPy: scalar, per channel, [2, 1] x [3]', () => {
    expect(fold('Add', [c([3], [1, 2, 3]), c([], [0.5])])).toEqual({ dims: [3], data: [1.5, 2.5, 3.5] });
    expect(fold('Sub', [c([2], [1, 2]), c([1, 1, 2], [10, 20])])).toEqual({ dims: [1, 1, 2], data: [-9, -18] });
    expect(fold('Mul', [c([2, 1], [1, 2]), c([3], [1, 10, 100])])).toEqual({ dims: [2, 3], data: [1, 10, 100, 2, 20, 200] });
    expect(fold('RealDiv', [c([2], [1, 3]), c([2], [4, 4])]).data).toEqual([0.25, 0.75]);
    expect(fold('Maximum', [c([2], [1, 5]), c([], [3])]).data).toEqual([3, 5]);
    expect(() => fold('Add', [c([2], [1, 2]), c([3], [1, 2, 3])])).toThrow("Add 'n': constants [2] and [3] do not broadcast");
  });

  it('a batch norm scale: gamma * rsqrt(var + eps), in float64', () => {
    const scale = foldConst(node('m', 'Mul'), [foldConst(node('r', 'Rsqrt'), [foldConst(node('a', 'Add'), [c([2], [3, 0.25]), c([], [1])])]), c([2], [2, 5])]);
    expect(Array.from(scale.data)).toEqual([1, 5 / Math.sqrt(1.25)]);
  });

  it('Reshape (with -1) and Squeeze (given axes, negative axes, all unit dims)', () => {
    const x = c([1, 2, 1, 3], [1, 2, 3, 4, 5, 6]);
    expect(fold('Reshape', [x, c([2], [-1, 2])]).dims).toEqual([3, 2]);
    expect(() => fold('Reshape', [x, c([2], [4, 2])])).toThrow("Reshape 'n': cannot reshape [1,2,1,3] to [4,2]");
    expect(fold('Squeeze', [x]).dims).toEqual([2, 3]);
    expect(fold('Squeeze', [x], { squeeze_dims: ints([2]) }).dims).toEqual([1, 2, 3]);
    expect(fold('Squeeze', [x], { squeeze_dims: ints([-4]) }).dims).toEqual([2, 1, 3]);
    expect(() => fold('Conv2D', [x, x])).toThrow("Conv2D 'n' cannot be folded as a constant");
  });
});
