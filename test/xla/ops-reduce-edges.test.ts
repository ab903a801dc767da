/**
 * The reduce op's edge cases, evaluated and costed where they are defined: empty operands,
 * no reduced dims, reduced dims given out of order, and the plan that lays a reduce out as
 * rows and columns for the VPU.
 */
import { describe, expect, it } from 'vitest';
import { f32 } from '../../src/xla/builder.ts';
import type { Shape } from '../../src/xla/hlo.ts';
import { opDef } from '../../src/xla/ops/index.ts';
import { reducePlan } from '../../src/xla/ops/reduce.ts';
import type { EvalContext, Literal } from '../../src/xla/ops/types.ts';
import { DEFAULT_CORE_CONFIG } from '../../src/tpu/config.ts';

const lit = (dims: number[], values: number[]): Literal => ({ shape: f32(dims), data: Float32Array.from(values) });
const reduce = (x: Literal, dimensions: number[], kind: 'sum' | 'max') => {
  const attrs = { dimensions, kind };
  const shape: Shape = opDef('reduce').shape([x.shape], attrs);
  return { dims: shape.dims, values: Array.from(opDef('reduce').evaluate([x], attrs, shape, {} as EvalContext)) };
};

describe('reduce edge cases', () => {
  it('an empty operand reduces to the identity of its kind (-0 for a sum: x + -0 is x, -0 included)', () => {
    expect(reduce(lit([0, 3], []), [0], 'sum')).toEqual({ dims: [3], values: [-0, -0, -0] });
    expect(reduce(lit([0, 3], []), [0], 'max')).toEqual({ dims: [3], values: [-Infinity, -Infinity, -Infinity] });
  });

  it('no reduced dims is a fresh copy of the operand', () => {
    const x = lit([2, 2], [1, -2, 3, 4]);
    const attrs = { dimensions: [], kind: 'sum' as const };
    const out = opDef('reduce').evaluate([x], attrs, x.shape, {} as EvalContext);
    expect(Array.from(out)).toEqual([1, -2, 3, 4]);
    expect(out).not.toBe(x.data);
    expect(opDef('reduce').cost([x.shape], x.shape, attrs, DEFAULT_CORE_CONFIG).computeCycles).toBe(0);
    expect(opDef('reduce').cost([f32([0, 3])], f32([3]), { dimensions: [0], kind: 'sum' }, DEFAULT_CORE_CONFIG).computeCycles).toBe(0);
  });

  it('reduced dims in any order give the same result; the plan keeps the kept dims first when reducing inner ones', () => {
    const x = lit([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(reduce(x, [2, 0], 'sum')).toEqual(reduce(x, [0, 2], 'sum'));
    expect(reduce(x, [2, 0], 'sum')).toEqual({ dims: [3], values: [1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12] });
    expect(reducePlan([2, 3, 2], [2, 0])).toEqual({ permutation: [1, 0, 2], rows: 3, cols: 4, axis: 1 });
    expect(reducePlan([2, 3, 2], [1, 0])).toEqual({ permutation: [0, 1, 2], rows: 6, cols: 2, axis: 0 });
    expect(reducePlan([2, 3], [1, 0])).toEqual({ permutation: [0, 1], rows: 1, cols: 6, axis: 'all' });
  });
});
