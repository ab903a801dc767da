/**
 * The op table's shape rules refuse what no graph may hold, each with a ShapeRuleError that
 * names the attribute and the value (the builder and verifier wrap it into a user-facing
 * ShapeError); the rng's values and a fusion's cost, checked where they are defined.
 */
import { describe, expect, it } from 'vitest';
import { XlaBuilder, bf16, f32, s32 } from '../../src/xla/builder.ts';
import { toDType } from '../../src/xla/ops/elementwise.ts';
import { arrayCycles } from '../../src/vpu/array.ts';
import type { OpAttrs, OpName, Shape } from '../../src/xla/hlo.ts';
import { fusedCost, opDef } from '../../src/xla/ops/index.ts';
import { rngBits, rngUniform } from '../../src/xla/ops/source.ts';
import { ShapeError, ShapeRuleError, costOf } from '../../src/xla/ops/types.ts';
import { DEFAULT_CORE_CONFIG } from '../../src/tpu/config.ts';
import { mxuCycles } from '../../src/mxu/cycles.ts';
import { thrownBy } from '../thrown.ts';

/** The error a shape rule throws for these operands and attrs. */
function refusal<K extends OpName>(op: K, inputs: readonly Shape[], attrs: Partial<OpAttrs[K]>): Error {
  return thrownBy(() => opDef(op).shape(inputs, attrs as OpAttrs[K]));
}

describe('shape rules refuse bad operands and attributes, naming them', () => {
  it('elementwise operands of different dtype, rank or size', () => {
    for (const other of [s32([2, 3]), f32([2, 3, 1]), f32([2, 4])]) {
      const e = refusal('add', [f32([2, 3]), other], {});
      expect(e).toBeInstanceOf(ShapeRuleError);
      expect([e.name, e.message]).toEqual(['ShapeRuleError', 'operands must have equal shapes']);
    }
    expect(opDef('add').shape([f32([2, 3]), f32([2, 3])], {} as never)).toEqual(f32([2, 3]));
  });

  it('parameters: a negative or fractional index, negative or fractional dims', () => {
    for (const index of [-1, 1.5]) expect(refusal('parameter', [], { index, shape: f32([2]) }).message).toBe(`parameter index must be a non-negative integer, got ${index}`);
    expect(refusal('parameter', [], { index: 0, shape: f32([2, -1]) }).message).toBe('parameter dims must be non-negative integers, got [2,-1]');
    expect(refusal('parameter', [], { index: 0, shape: f32([0.5]) }).message).toBe('parameter dims must be non-negative integers, got [0.5]');
    expect(opDef('parameter').shape([], { index: 0, shape: f32([0, 2]) } as never)).toEqual(f32([0, 2]));
  });

  it('constants: values that neither fill the shape nor are one fill value; bad dims', () => {
    expect(refusal('constant', [], { value: [1, 2, 3], shape: f32([2]) }).message).toBe('constant has 3 values; shape needs 2 (or 1 to fill)');
    expect(refusal('constant', [], { value: [1], shape: f32([-2]) }).message).toBe('constant dims must be non-negative integers, got [-2]');
    expect(opDef('constant').shape([], { value: [7], shape: f32([2, 2]) } as never)).toEqual(f32([2, 2]));
  });

  it('rng: only f32 values, whole dims', () => {
    expect(refusal('rng', [], { seed: 1, shape: s32([4]) }).message).toBe('rng makes f32 values, not s32');
    expect(refusal('rng', [], { seed: 1, shape: f32([1.5]) }).message).toBe('rng dims must be non-negative integers, got [1.5]');
  });

  it('all-reduce: a positive whole number of replicas', () => {
    for (const replicas of [0, 2.5, NaN]) expect(refusal('all-reduce', [f32([3])], { replicas }).message).toBe(`replicas must be a positive integer, got ${replicas}`);
    expect(opDef('all-reduce').shape([f32([3])], { replicas: 8 } as never)).toEqual(f32([3]));
  });

  it('fusion: one output, as many operands as the computation has parameters', () => {
    const b = new XlaBuilder('fused');
    const x = b.parameter(0, f32([2]), 'x');
    const two = b.build([b.exp(x), b.negate(x)]).entry;
    expect(refusal('fusion', [f32([2])], { computation: two }).message).toBe('fused computation fused must have one output');
    const c = new XlaBuilder('fused');
    const one = c.build(c.exp(c.parameter(0, f32([2]), 'x'))).entry;
    expect(refusal('fusion', [f32([2]), f32([2])], { computation: one }).message).toBe('fused computation fused takes 1 operands, got 2');
  });

  it('the builder refuses with a one-line, user-facing ShapeError', () => {
    const b = new XlaBuilder('f');
    const e = thrownBy(() => b.add(b.parameter(0, f32([2]), 'x'), b.parameter(1, f32([3]), 'y')));
    expect(e).toBeInstanceOf(ShapeError);
    expect([e.name, (e as ShapeError).userFacing]).toEqual(['ShapeError', true]);
    expect(e.message).toMatch(/\[2\] and \[3\] do not broadcast/);
  });
});

describe('result element types', () => {
  it('s32 truncates toward zero (NaN is 0), pred is 1 for any non-zero number but NaN, bf16 rounds, f32 keeps', () => {
    expect([2.7, -2.7, NaN, -0.5].map((v) => toDType('s32', v))).toEqual([2, -2, 0, -0]);
    expect([0, -0, NaN, 3, -1e-30, Infinity].map((v) => toDType('pred', v))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(toDType('bf16', 1 + 2 ** -9)).toBe(1);
    expect(toDType('f32', Math.fround(1 + 2 ** -9))).toBe(Math.fround(1 + 2 ** -9));
  });

  // NOTE: the VPU model gives both the same cycles today (one pass per vreg).
  it('a conversion costs the VPU its rounding to bf16, or its widening from bf16', () => {
    const n = 4096;
    const cost = (from: Shape, to: Shape) => opDef('convert').cost([from], to, { dtype: to.dtype } as never, DEFAULT_CORE_CONFIG).computeCycles;
    expect(cost(f32([n]), bf16([n]))).toBe(arrayCycles('to-bf16', n, DEFAULT_CORE_CONFIG.vpu));
    expect(cost(bf16([n]), f32([n]))).toBe(arrayCycles('from-bf16', n, DEFAULT_CORE_CONFIG.vpu));
  });
});

describe('rng values', () => {
  it('are 24-bit uniforms in [0, 1): the top 24 bits of the counter hash over 2^24', () => {
    for (let i = 0; i < 200; i++) {
      const u = rngUniform(3, i);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      expect(u * 2 ** 24).toBe(Math.floor(rngBits(3, i) / 256));
    }
    expect(new Set(Array.from({ length: 100 }, (_, i) => rngBits(3, i))).size).toBe(100);
  });
});

describe('op costs', () => {
  const config = DEFAULT_CORE_CONFIG;
  const highest = { precision: 'highest' } as const;

  it('a dot: one array pass per batch, nothing for an empty contraction; a convolution: its im2col matmul', () => {
    const dot = (l: number[], r: number[], attrs: object) => opDef('dot').cost([f32(l), f32(r)], f32([]), { lhsBatch: [], rhsBatch: [], ...highest, ...attrs } as never, config).computeCycles;
    expect(dot([2, 0], [0, 3], { lhsContracting: [1], rhsContracting: [0] })).toBe(0);
    expect(dot([2, 3, 4], [2, 4, 5], { lhsContracting: [2], rhsContracting: [1], lhsBatch: [0], rhsBatch: [0] })).toBe(2 * mxuCycles({ m: 3, k: 4, n: 5 }, config.mxu, 'highest'));
    expect(dot([2, 3], [3, 0], { lhsContracting: [1], rhsContracting: [0] })).toBe(0);
    // an 8x8x4 window is a 256-deep contraction: two folds of the 128-row array
    const conv = opDef('convolution').cost([f32([1, 9, 9, 4]), f32([8, 8, 4, 4])], f32([1, 2, 2, 4]), { strides: [1, 1], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1], ...highest } as never, config);
    expect(conv.computeCycles).toBe(mxuCycles({ m: 4, k: 8 * 8 * 4, n: 4 }, config.mxu, 'highest'));
    expect(conv.computeCycles).toBeGreaterThan(mxuCycles({ m: 4, k: 128, n: 4 }, config.mxu, 'highest'));
  });

  it('an MXU fusion takes the longer of its MXU and VPU work (the epilogue overlaps); a VPU-only one the sum', () => {
    const b = new XlaBuilder('fused');
    const a = b.parameter(0, f32([256, 256]), 'a');
    const w = b.parameter(1, f32([256, 256]), 'w');
    const d = b.dot(a, w);
    const y = b.tanh(b.exp(d));
    const comp = b.build(y).entry;
    const cost = (op: OpName, ins: Shape[], out: Shape, attrs: unknown) => opDef(op).cost(ins, out, attrs as never, config).computeCycles;
    const dotCycles = comp.instructions.filter((i) => i.op === 'dot').map((i) => cost('dot', [f32([256, 256]), f32([256, 256])], i.shape, i.attrs))[0]!;
    const vpuCycles = cost('exp', [f32([256, 256])], f32([256, 256]), {}) + cost('tanh', [f32([256, 256])], f32([256, 256]), {});
    const io = [f32([256, 256]), f32([256, 256])];
    const traffic = 3 * 256 * 256 * 4;
    expect(fusedCost(comp, io, f32([256, 256]), config)).toEqual(costOf('mxu', Math.max(dotCycles, vpuCycles), traffic, config));
    const e = new XlaBuilder('fused');
    const p = e.parameter(0, f32([256, 256]), 'p');
    const vpuOnly = e.build(e.tanh(e.exp(p))).entry;
    expect(fusedCost(vpuOnly, [f32([256, 256])], f32([256, 256]), config)).toEqual(costOf('vpu', vpuCycles, 2 * 256 * 256 * 4, config));
    expect(dotCycles).toBeGreaterThan(0);
    expect(vpuCycles).toBeGreaterThan(0);
  });
});
