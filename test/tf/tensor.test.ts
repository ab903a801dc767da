import { describe, expect, it } from 'vitest';
import { oneHot, scalar, tensor, tensor1d, tensor2d, tensor4d, zeros } from '../../src/tf/tensor.ts';

describe('tf tensors', () => {
  it('hold shape, dtype and row-major values; reads are copies', async () => {
    const t = tensor2d([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect([t.size, t.rank]).toEqual([6, 2]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6]);
    t.dataSync()[0] = 99;
    expect(t.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor([1, 2, 3, 4], [2, -1]).shape).toEqual([2, 2]);
    expect(tensor1d([0, 2], 'int32').dataSync()).toBeInstanceOf(Int32Array);
    expect(scalar(3).arraySync()).toBe(3);
    expect(tensor(5, [2, 2]).arraySync()).toEqual([[5, 5], [5, 5]]);
    expect(zeros([2, 1, 1, 3]).size).toBe(6);
    expect(tensor4d(new Float32Array(12), [1, 2, 2, 3]).reshape([4, 3]).shape).toEqual([4, 3]);
    expect(oneHot(tensor1d([2, 0], 'int32'), 3).arraySync()).toEqual([[0, 0, 1], [1, 0, 0]]);
  });

  it('errors name the call and the argument', () => {
    expect(() => tensor2d([1, 2, 3, 4, 5], [2, 3])).toThrow('tf.tensor2d: values has 5 numbers, shape [2,3] needs 6');
    expect(() => tensor2d([1, 2, 3])).toThrow(/tf\.tensor2d: needs values of rank 2 .* got rank 1/);
    expect(() => tensor([[1, 2], [3]])).toThrow('tf.tensor: values[1] has 1 elements, expected 2');
    expect(() => tensor1d([1.5], 'int32')).toThrow("tf.tensor1d: values[0] = 1.5 is not an integer, as dtype 'int32' needs");
    expect(() => tensor([1], [1], 'bool' as 'int32')).toThrow("tf.tensor: dtype 'bool' is not supported");
    expect(() => tensor([1, 2, 3, 4], [-1, -1])).toThrow('tf.tensor: shape [-1,-1] has more than one -1');
    expect(() => tensor([[1, 2], [3, 4]], [4, 1])).toThrow('tf.tensor: values has shape [2,2], which does not match shape [4,1]');
    const t = tensor1d([1]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => t.dataSync()).toThrow(/dataSync: tensor \d+ \[1\] is disposed/);
  });
});
