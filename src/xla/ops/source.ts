/**
 * @module xla/ops/source
 * Ops that bring values in or move them between cores: parameter, constant, rng (seeded,
 * for dropout), all-reduce. (fusion, which needs the whole registry, lives in ./index.ts.)
 *
 * Imports tpu/config and tpu/collectives (the all-reduce's ring time), vpu/array (costs), ./types.
 *
 * rng: element i of an rng with seed s is u = (h(s, i) >>> 8) / 2^24, uniform in [0, 1) with
 * 24 random bits (exact in f32), where h is the 32-bit murmur3 finaliser of (s * 0x9E3779B1
 * xor i). Counter-based, so any core can compute any slice and a step is reproducible.
 */
import { allReduceTiming } from '../../tpu/collectives.ts';
import { DEFAULT_LINK_CONFIG } from '../../tpu/config.ts';
import { vregCount } from '../../vpu/array.ts';
import type { Shape } from '../hlo.ts';
import { ShapeRuleError, bytesOf, checkDims, costOf, linear, nonDifferentiable, sizeOf, trafficOf, type OpDef } from './types.ts';

/** The rng's counter hash (murmur3 fmix32 of seed and index). */
export function rngBits(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ index) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Element `index` of a uniform [0, 1) rng with `seed`. */
export function rngUniform(seed: number, index: number): number {
  return (rngBits(seed, index) >>> 8) / 2 ** 24;
}

function literalShape(shape: Shape, what: string): Shape {
  checkDims(shape.dims, `${what} dims`);
  return shape;
}

/** The source family, keyed by op name. */
export const sourceOps: { readonly [K in 'parameter' | 'constant' | 'rng' | 'all-reduce']: OpDef<K> } = {
  parameter: {
    name: 'parameter',
    arity: 0,
    shape: (_i, a) => {
      if (!Number.isSafeInteger(a.index) || a.index < 0) throw new ShapeRuleError(`parameter index must be a non-negative integer, got ${a.index}`);
      return literalShape(a.shape, 'parameter');
    },
    evaluate: () => {
      throw new Error('parameters are bound by the interpreter, not evaluated');
    },
    vjp: nonDifferentiable(),
    cost: (_i, _s, _a, config) => costOf('none', 0, 0, config),
  },
  constant: {
    name: 'constant',
    arity: 0,
    shape: (_i, a) => {
      const shape = literalShape(a.shape, 'constant');
      if (a.value.length !== 1 && a.value.length !== sizeOf(shape.dims)) throw new ShapeRuleError(`constant has ${a.value.length} values; shape needs ${sizeOf(shape.dims)} (or 1 to fill)`);
      return shape;
    },
    evaluate: (_i, a, shape) => {
      if (a.value.length === 1) return new Float32Array(sizeOf(shape.dims)).fill(a.value[0]!);
      return Float32Array.from(a.value);
    },
    vjp: nonDifferentiable(),
    cost: (_i, shape, a, config) => costOf('vpu', a.value.length === 1 ? vregCount(sizeOf(shape.dims), config.vpu) : 0, a.value.length === 1 ? bytesOf(shape) : 0, config),
  },
  rng: {
    name: 'rng',
    arity: 0,
    shape: (_i, a) => {
      if (a.shape.dtype !== 'f32') throw new ShapeRuleError(`rng makes f32 values, not ${a.shape.dtype}`);
      return literalShape(a.shape, 'rng');
    },
    evaluate: (_i, a, shape) => {
      const out = new Float32Array(sizeOf(shape.dims));
      for (let i = 0; i < out.length; i++) out[i] = rngUniform(a.seed, i);
      return out;
    },
    vjp: nonDifferentiable(),
    // a hash is about eight integer VALU ops per vreg
    cost: (_i, shape, _a, config) => costOf('vpu', 8 * vregCount(sizeOf(shape.dims), config.vpu) * config.vpu.aluCycles, bytesOf(shape), config),
  },
  'all-reduce': {
    name: 'all-reduce',
    arity: 1,
    shape: ([x], a) => {
      if (!Number.isSafeInteger(a.replicas) || a.replicas < 1) throw new ShapeRuleError(`replicas must be a positive integer, got ${a.replicas}`);
      return x!;
    },
    // On one core (the reference interpreter) the sum over replicas of identical programs
    // is the core's own value; the multi-core executor sums real replicas in ring order.
    evaluate: ([x]) => x!.data.slice(),
    vjp: linear((b, g, a) => [b.allReduce(g, a.replicas)]),
    // the device's own ring model (tpu/collectives), so the compiler's estimate and the board agree
    cost: ([x], shape, a, config) => {
      const seconds = a.replicas === 1 ? 0 : allReduceTiming(sizeOf(x!.dims), [a.replicas], DEFAULT_LINK_CONFIG).seconds;
      return costOf('ici', Math.ceil(seconds * config.mxu.clockHz), trafficOf([x!], shape), config);
    },
  },
};
