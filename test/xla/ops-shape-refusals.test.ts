/**
 * Every shape rule of the data-movement, reduction and linear-algebra ops refuses each way an
 * attribute or operand can be wrong (each clause of each check on its own), with the message
 * that names it; and takes the edge cases that are right (empty slices, a window exactly as
 * large as its padded input). Called on the op table directly: the builder checks some of
 * these earlier, so graphs built through it would not reach them.
 */
import { describe, expect, it } from 'vitest';
import { f32, pred, s32 } from '../../src/xla/builder.ts';
import type { OpAttrs, OpName, Shape } from '../../src/xla/hlo.ts';
import { opDef } from '../../src/xla/ops/index.ts';
import { ShapeRuleError } from '../../src/xla/ops/types.ts';
import { thrownBy } from '../thrown.ts';

type Case = readonly [op: OpName, inputs: readonly Shape[], attrs: object, message: string];

const x24 = f32([2, 4]);
const img = f32([1, 4, 4, 1]);
const win = (over: object = {}) => ({ window: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: [[0, 0], [0, 0], [0, 0], [0, 0]], kind: 'max', ...over });
const dot = (over: object = {}) => ({ lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [], precision: 'highest', ...over });
const conv = (over: object = {}) => ({ strides: [1, 1], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1], precision: 'highest', ...over });

const REFUSED: readonly Case[] = [
  ['slice', [x24], { start: [0], limit: [2, 4], strides: [1, 1] }, 'slice start/limit/strides need 2 entries'],
  ['slice', [x24], { start: [0, 0], limit: [2], strides: [1, 1] }, 'slice start/limit/strides need 2 entries'],
  ['slice', [x24], { start: [0, 0], limit: [2, 4], strides: [1] }, 'slice start/limit/strides need 2 entries'],
  ['slice', [x24], { start: [-1, 0], limit: [2, 4], strides: [1, 1] }, 'slice dim 0: [-1:2:1] does not fit size 2'],
  ['slice', [x24], { start: [0, 3], limit: [2, 2], strides: [1, 1] }, 'slice dim 1: [3:2:1] does not fit size 4'],
  ['slice', [x24], { start: [0, 0], limit: [2, 5], strides: [1, 1] }, 'slice dim 1: [0:5:1] does not fit size 4'],
  ['slice', [x24], { start: [0, 0], limit: [2, 4], strides: [1, 0] }, 'slice dim 1: [0:4:0] does not fit size 4'],
  ['pad', [x24], { low: [0], high: [0, 0], interior: [0, 0], value: 0 }, 'pad low/high/interior need 2 entries'],
  ['pad', [x24], { low: [0, 0], high: [0], interior: [0, 0], value: 0 }, 'pad low/high/interior need 2 entries'],
  ['pad', [x24], { low: [0, 0], high: [0, 0], interior: [0], value: 0 }, 'pad low/high/interior need 2 entries'],
  ['pad', [x24], { low: [0, -1], high: [0, 0], interior: [0, 0], value: 0 }, 'pad amounts must be non-negative integers, got [0,-1,0,0,0,0]'],
  ['broadcast', [f32([2])], { dims: [2, -1], dimensions: [0] }, 'broadcast dims must be non-negative integers, got [2,-1]'],
  ['broadcast', [f32([2])], { dims: [2, 3], dimensions: [] }, 'broadcast dimensions={} must map all 1 operand dims'],
  ['broadcast', [f32([2])], { dims: [2, 3], dimensions: [1] }, 'broadcast operand dim 0 (2) != result dim 1 (3)'],
  ['reshape', [x24], { dims: [7] }, 'reshape to [7] changes the element count'],
  ['reshape', [x24], { dims: [-2, -4] }, 'reshape dims must be non-negative integers, got [-2,-4]'],
  ['transpose', [f32([2, 3, 4])], { permutation: [0, 1] }, 'transpose permutation [0,1] is not a permutation of 0..2'],
  ['transpose', [f32([2, 3, 4])], { permutation: [0, 0, 1] }, 'transpose permutation [0,0,1] is not a permutation of 0..2'],
  ['transpose', [f32([2, 3, 4])], { permutation: [0, 1, 3] }, 'transpose permutation [0,1,3] is not a permutation of 0..2'],
  ['transpose', [f32([2, 3, 4])], { permutation: [-1, 0, 1] }, 'transpose permutation [-1,0,1] is not a permutation of 0..2'],
  ['transpose', [f32([2, 3, 4])], { permutation: [0.5, 1, 2] }, 'transpose permutation [0.5,1,2] is not a permutation of 0..2'],
  ['reverse', [x24], { dimensions: [2] }, 'reverse dimensions {2} out of range'],
  ['reverse', [x24], { dimensions: [-1] }, 'reverse dimensions {-1} out of range'],
  ['concatenate', [], { dimension: 0 }, 'concatenate needs at least one operand'],
  ['concatenate', [x24, x24], { dimension: 2 }, 'concatenate dimension 2 out of range'],
  ['concatenate', [x24, x24], { dimension: -1 }, 'concatenate dimension -1 out of range'],
  ['concatenate', [x24, s32([2, 4])], { dimension: 1 }, 'concatenate operands must agree except in dimension 1'],
  ['concatenate', [x24, f32([2, 4, 1])], { dimension: 1 }, 'concatenate operands must agree except in dimension 1'],
  ['concatenate', [x24, f32([3, 4])], { dimension: 1 }, 'concatenate operands must agree except in dimension 1'],
  ['iota', [], { dimension: 0, shape: f32([2, -3]) }, 'iota dims must be non-negative integers, got [2,-3]'],
  ['iota', [], { dimension: 2, shape: x24 }, 'iota dimension 2 out of range'],
  ['iota', [], { dimension: -1, shape: x24 }, 'iota dimension -1 out of range'],
  ['reduce', [x24], { dimensions: [0, 0], kind: 'sum' }, 'reduce dimensions={0,0} must be distinct dims of a rank-2 operand'],
  ['reduce', [x24], { dimensions: [2], kind: 'sum' }, 'reduce dimensions={2} must be distinct dims of a rank-2 operand'],
  ['reduce', [x24], { dimensions: [-1], kind: 'sum' }, 'reduce dimensions={-1} must be distinct dims of a rank-2 operand'],
  ['reduce', [x24], { dimensions: [0.5], kind: 'sum' }, 'reduce dimensions={0.5} must be distinct dims of a rank-2 operand'],
  ['reduce-window', [img], win({ window: [1, 2, 2] }), 'window, strides and padding need 4 entries (one per dim)'],
  ['reduce-window', [img], win({ strides: [1, 2, 2] }), 'window, strides and padding need 4 entries (one per dim)'],
  ['reduce-window', [img], win({ padding: [[0, 0]] }), 'window, strides and padding need 4 entries (one per dim)'],
  ['reduce-window', [img], win({ window: [1, 0, 2, 1] }), 'window dim 1: size 0, stride 2, padding 0,0 invalid'],
  ['reduce-window', [img], win({ strides: [1, 0, 2, 1] }), 'window dim 1: size 2, stride 0, padding 0,0 invalid'],
  ['reduce-window', [img], win({ padding: [[0, 0], [-1, 0], [0, 0], [0, 0]] }), 'window dim 1: size 2, stride 2, padding -1,0 invalid'],
  ['reduce-window', [img], win({ padding: [[0, 0], [0, -1], [0, 0], [0, 0]] }), 'window dim 1: size 2, stride 2, padding 0,-1 invalid'],
  ['reduce-window', [img], win({ window: [1, 6, 2, 1], padding: [[0, 0], [1, 0], [0, 0], [0, 0]] }), 'window dim 1: size 6 larger than padded input 5'],
  ['select-and-scatter', [img, f32([1, 2, 1, 1])], win(), 'source must have the windowed shape [1,2,2,1]'],
  ['select', [s32([2, 4]), x24, x24], {}, 'predicate must be pred, got s32'],
  ['select', [pred([2, 3]), x24, x24], {}, 'predicate and values must have equal dims'],
  ['select', [pred([2, 4, 1]), x24, x24], {}, 'predicate and values must have equal dims'],
  ['dot', [x24, f32([4, 3])], dot({ lhsContracting: [2] }), 'lhs batch+contracting dims {2} invalid for rank 2'],
  ['dot', [x24, f32([4, 3])], dot({ lhsContracting: [-1] }), 'lhs batch+contracting dims {-1} invalid for rank 2'],
  ['dot', [x24, f32([4, 3])], dot({ lhsContracting: [1], lhsBatch: [1], rhsBatch: [1] }), 'lhs batch+contracting dims {1,1} invalid for rank 2'],
  ['dot', [x24, f32([4, 3])], dot({ rhsContracting: [2] }), 'rhs batch+contracting dims {2} invalid for rank 2'],
  ['dot', [x24, f32([4, 3])], dot({ lhsBatch: [0] }), 'lhs and rhs need as many batch and contracting dims'],
  ['dot', [x24, f32([4, 3])], dot({ rhsContracting: [0, 1] }), 'lhs and rhs need as many batch and contracting dims'],
  ['dot', [x24, f32([3, 4])], dot(), 'contracting dims differ: lhs dim 1 is 4, rhs dim 0 is 3'],
  ['dot', [f32([2, 3, 4]), f32([5, 4, 6])], dot({ lhsContracting: [2], rhsContracting: [1], lhsBatch: [0], rhsBatch: [0] }), 'batch dims differ: lhs dim 0 is 2, rhs dim 0 is 5'],
  ['dot', [x24, s32([4, 3])], dot(), 'operand types differ (f32 vs s32)'],
  ['convolution', [f32([4, 4, 1]), f32([2, 2, 1, 3])], conv(), 'input must be rank 4 [B, H, W, C]'],
  ['convolution', [img, f32([2, 2, 1])], conv(), 'filter must be rank 4 [KH, KW, C, K]'],
  ['convolution', [img, f32([2, 2, 2, 3])], conv(), 'input channels 1 != filter input channels 2'],
  ['convolution', [img, f32([2, 2, 1, 3])], conv({ strides: [1, 0] }), 'strides and dilations must be positive integers'],
  ['convolution', [img, f32([2, 2, 1, 3])], conv({ lhsDilation: [1.5, 1] }), 'strides and dilations must be positive integers'],
  ['convolution', [img, f32([2, 2, 1, 3])], conv({ rhsDilation: [0, 1] }), 'strides and dilations must be positive integers'],
  ['convolution', [img, f32([5, 2, 1, 3])], conv(), 'the 5x2 window does not fit the padded 4x4 input'],
  ['convolution', [img, f32([2, 5, 1, 3])], conv(), 'the 2x5 window does not fit the padded 4x4 input'],
  ['convolution', [img, s32([2, 2, 1, 3])], conv(), 'operand types differ (f32 vs s32)'],
];

const ACCEPTED: readonly [op: OpName, inputs: readonly Shape[], attrs: object, dims: readonly number[]][] = [
  ['slice', [x24], { start: [2, 1], limit: [2, 4], strides: [1, 2] }, [0, 2]],
  ['pad', [x24], { low: [1, 0], high: [0, 2], interior: [1, 0], value: 0 }, [4, 6]],
  ['broadcast', [f32([2])], { dims: [3, 2], dimensions: [1] }, [3, 2]],
  ['reshape', [x24], { dims: [8, 1] }, [8, 1]],
  ['transpose', [f32([2, 3, 4])], { permutation: [2, 0, 1] }, [4, 2, 3]],
  ['reverse', [x24], { dimensions: [0, 1] }, [2, 4]],
  ['concatenate', [x24, f32([2, 1])], { dimension: 1 }, [2, 5]],
  ['iota', [], { dimension: 1, shape: x24 }, [2, 4]],
  ['reduce', [x24], { dimensions: [1, 0], kind: 'max' }, []],
  ['reduce-window', [img], win({ window: [1, 5, 2, 1], padding: [[0, 0], [1, 0], [0, 0], [0, 0]] }), [1, 1, 2, 1]],
  ['select', [pred([2, 4]), x24, x24], {}, [2, 4]],
  ['dot', [f32([2, 3, 4]), f32([2, 4, 6])], dot({ lhsContracting: [2], rhsContracting: [1], lhsBatch: [0], rhsBatch: [0] }), [2, 3, 6]],
  ['convolution', [img, f32([4, 4, 1, 3])], conv(), [1, 1, 1, 3]],
];

describe('shape rules', () => {
  it.each(REFUSED.map((c) => [`${c[0]}: ${c[3]}`, c] as const))('refuse %s', (_name, [op, inputs, attrs, message]) => {
    const thrown = thrownBy(() => opDef(op).shape(inputs, attrs as OpAttrs[typeof op]));
    expect(thrown).toBeInstanceOf(ShapeRuleError);
    expect(thrown.message).toBe(message);
  });

  it.each(ACCEPTED.map((c) => [c[0], c] as const))('accept the edge cases of %s', (_name, [op, inputs, attrs, dims]) => {
    expect(opDef(op).shape(inputs, attrs as OpAttrs[typeof op]).dims).toEqual(dims);
  });
});
