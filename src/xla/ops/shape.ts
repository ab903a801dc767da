/**
 * @module xla/ops/shape
 * Data-movement ops: broadcast, reshape, transpose, reverse, slice, pad, concatenate, iota.
 * None of them computes a new value, so their reference evaluation is exact and their
 * gradients are linear (the transpose of the movement).
 *
 * Imports ./types and vpu/array (costs). Cost model: a reshape of a row-major array is a
 * bitcast (free); every other movement is a copy through vector memory, one VPU op per vreg
 * of the result, plus the HBM traffic of operand and result.
 */
import { vregCount } from '../../vpu/array.ts';
import type { TensorCoreConfig } from '../../tpu/config.ts';
import type { OpAttrs, Shape } from '../hlo.ts';
import { ShapeRuleError, checkDims, costOf, linear, nonDifferentiable, sizeOf, stridesOf, trafficOf, type OpCost, type OpDef } from './types.ts';

/**
 * Calls `visit(outFlat, inFlat)` for every element of an output of `dims`, where the input
 * offset is `base + sum(idx[d] * inStrides[d])` (inStrides may be 0 or negative).
 */
export function forEachStrided(
  dims: readonly number[],
  inStrides: readonly number[],
  base: number,
  visit: (outFlat: number, inFlat: number) => void,
): void {
  const rank = dims.length;
  const total = sizeOf(dims);
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  let inFlat = base;
  for (let o = 0; o < total; o++) {
    visit(o, inFlat);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      inFlat += inStrides[d]!;
      if (idx[d]! < dims[d]!) break;
      inFlat -= inStrides[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
}

/** Gathers `src` into a new array of `dims` with the given input strides. */
export function gatherStrided(src: Float32Array, dims: readonly number[], inStrides: readonly number[], base = 0): Float32Array {
  const out = new Float32Array(sizeOf(dims));
  forEachStrided(dims, inStrides, base, (o, i) => {
    out[o] = src[i]!;
  });
  return out;
}

/** Transposes row-major data of `dims` by `perm` (out dim i = in dim perm[i]). */
export function transposeData(src: Float32Array, dims: readonly number[], perm: readonly number[]): Float32Array {
  const s = stridesOf(dims);
  return gatherStrided(
    src,
    perm.map((p) => dims[p]!),
    perm.map((p) => s[p]!),
  );
}

function checkPermutation(perm: readonly number[], rank: number, what: string): void {
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new ShapeRuleError(`${what} [${perm.join(',')}] is not a permutation of 0..${rank - 1}`);
  }
}

/** Inverse of a permutation. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function moveCost(inputs: readonly Shape[], shape: Shape, _attrs: unknown, config: TensorCoreConfig): OpCost {
  return costOf('vpu', vregCount(sizeOf(shape.dims), config.vpu) * config.vpu.aluCycles, trafficOf(inputs, shape), config);
}

function sliceShape(x: Shape, a: OpAttrs['slice']): Shape {
  const rank = x.dims.length;
  if (a.start.length !== rank || a.limit.length !== rank || a.strides.length !== rank) throw new ShapeRuleError(`slice start/limit/strides need ${rank} entries`);
  const dims = x.dims.map((d, i) => {
    const [s, l, st] = [a.start[i]!, a.limit[i]!, a.strides[i]!];
    if (!(s >= 0 && s <= l && l <= d && st >= 1)) throw new ShapeRuleError(`slice dim ${i}: [${s}:${l}:${st}] does not fit size ${d}`);
    return Math.ceil((l - s) / st);
  });
  return { dims, dtype: x.dtype };
}

function padShape(x: Shape, a: OpAttrs['pad']): Shape {
  const rank = x.dims.length;
  if (a.low.length !== rank || a.high.length !== rank || a.interior.length !== rank) throw new ShapeRuleError(`pad low/high/interior need ${rank} entries`);
  checkDims([...a.low, ...a.high, ...a.interior], 'pad amounts');
  return { dims: x.dims.map((d, i) => a.low[i]! + a.high[i]! + d + Math.max(0, d - 1) * a.interior[i]!), dtype: x.dtype };
}

/** The data-movement family, keyed by op name. */
export const shapeOps: { readonly [K in 'broadcast' | 'reshape' | 'transpose' | 'reverse' | 'slice' | 'pad' | 'concatenate' | 'iota']: OpDef<K> } = {
  broadcast: {
    name: 'broadcast',
    arity: 1,
    shape: ([x], a) => {
      checkDims(a.dims, 'broadcast dims');
      if (a.dimensions.length !== x!.dims.length) throw new ShapeRuleError(`broadcast dimensions={${a.dimensions.join(',')}} must map all ${x!.dims.length} operand dims`);
      a.dimensions.forEach((o, i) => {
        if (a.dims[o] !== x!.dims[i]) throw new ShapeRuleError(`broadcast operand dim ${i} (${x!.dims[i]}) != result dim ${o} (${a.dims[o]})`);
      });
      return { dims: a.dims, dtype: x!.dtype };
    },
    evaluate: ([x], a, shape) => {
      const s = stridesOf(x!.shape.dims);
      const inStrides = shape.dims.map(() => 0);
      a.dimensions.forEach((o, i) => (inStrides[o] = s[i]!));
      return gatherStrided(x!.data, shape.dims, inStrides);
    },
    // d x = sum of g over the broadcast dims (then reorder if `dimensions` was not increasing)
    vjp: linear((b, g, a) => {
      const summed = g.shape.dims.map((_, i) => i).filter((i) => !a.dimensions.includes(i));
      const r = summed.length > 0 ? b.reduce(g, summed, 'sum') : g;
      const order = [...a.dimensions].sort((p, q) => p - q);
      const perm = a.dimensions.map((d) => order.indexOf(d));
      return [perm.every((p, i) => p === i) ? r : b.transpose(r, perm)];
    }),
    cost: moveCost,
  },
  reshape: {
    name: 'reshape',
    arity: 1,
    shape: ([x], a) => {
      checkDims(a.dims, 'reshape dims');
      if (sizeOf(a.dims) !== sizeOf(x!.dims)) throw new ShapeRuleError(`reshape to [${a.dims.join(',')}] changes the element count`);
      return { dims: a.dims, dtype: x!.dtype };
    },
    evaluate: ([x]) => x!.data.slice(),
    vjp: linear((b, g, _a, [x]) => [b.reshape(g, x!.dims)]),
    cost: (_i, _s, _a, config) => costOf('none', 0, 0, config),
  },
  transpose: {
    name: 'transpose',
    arity: 1,
    shape: ([x], a) => {
      checkPermutation(a.permutation, x!.dims.length, 'transpose permutation');
      return { dims: a.permutation.map((p) => x!.dims[p]!), dtype: x!.dtype };
    },
    evaluate: ([x], a) => transposeData(x!.data, x!.shape.dims, a.permutation),
    vjp: linear((b, g, a) => [b.transpose(g, inversePermutation(a.permutation))]),
    cost: moveCost,
  },
  reverse: {
    name: 'reverse',
    arity: 1,
    shape: ([x], a) => {
      if (a.dimensions.some((d) => d < 0 || d >= x!.dims.length)) throw new ShapeRuleError(`reverse dimensions {${a.dimensions.join(',')}} out of range`);
      return x!;
    },
    evaluate: ([x], a) => {
      const dims = x!.shape.dims;
      const s = stridesOf(dims);
      let base = 0;
      const inStrides = s.map((st, d) => {
        if (!a.dimensions.includes(d)) return st;
        base += (dims[d]! - 1) * st;
        return -st;
      });
      return gatherStrided(x!.data, dims, inStrides, base);
    },
    vjp: linear((b, g, a) => [b.reverse(g, a.dimensions)]),
    cost: moveCost,
  },
  slice: {
    name: 'slice',
    arity: 1,
    shape: ([x], a) => sliceShape(x!, a),
    evaluate: ([x], a, shape) => {
      const s = stridesOf(x!.shape.dims);
      const base = a.start.reduce((acc, st, i) => acc + st * s[i]!, 0);
      return gatherStrided(x!.data, shape.dims, s.map((st, i) => st * a.strides[i]!), base);
    },
    // d x = g scattered back: pad with the skipped elements as interior padding
    vjp: linear((b, g, a, [x]) => {
      const high = x!.dims.map((d, i) => d - (a.start[i]! + Math.max(0, g.shape.dims[i]! - 1) * a.strides[i]! + 1));
      return [b.pad(g, { low: a.start, high, interior: a.strides.map((s) => s - 1) })];
    }),
    cost: moveCost,
  },
  pad: {
    name: 'pad',
    arity: 1,
    shape: ([x], a) => padShape(x!, a),
    evaluate: ([x], a, shape) => {
      const out = new Float32Array(sizeOf(shape.dims)).fill(a.value);
      const os = stridesOf(shape.dims);
      const base = a.low.reduce((acc, l, i) => acc + l * os[i]!, 0);
      const src = x!.data;
      // scatter: element idx of x goes to low + idx * (interior + 1)
      forEachStrided(x!.shape.dims, os.map((st, i) => st * (a.interior[i]! + 1)), base, (i, o) => {
        out[o] = src[i]!;
      });
      return out;
    },
    vjp: linear((b, g, a, [x]) => [
      b.slice(g, {
        start: a.low,
        limit: x!.dims.map((d, i) => a.low[i]! + Math.max(0, d - 1) * (a.interior[i]! + 1) + (d > 0 ? 1 : 0)),
        strides: a.interior.map((n) => n + 1),
      }),
    ]),
    cost: moveCost,
  },
  concatenate: {
    name: 'concatenate',
    arity: 'variadic',
    shape: (inputs, a) => {
      const first = inputs[0];
      if (!first) throw new ShapeRuleError('concatenate needs at least one operand');
      const d = a.dimension;
      if (d < 0 || d >= first.dims.length) throw new ShapeRuleError(`concatenate dimension ${d} out of range`);
      let total = 0;
      for (const s of inputs) {
        if (s.dtype !== first.dtype || s.dims.length !== first.dims.length || s.dims.some((n, i) => i !== d && n !== first.dims[i])) {
          throw new ShapeRuleError(`concatenate operands must agree except in dimension ${d}`);
        }
        total += s.dims[d]!;
      }
      return { dims: first.dims.map((n, i) => (i === d ? total : n)), dtype: first.dtype };
    },
    evaluate: (inputs, a, shape) => {
      const out = new Float32Array(sizeOf(shape.dims));
      const os = stridesOf(shape.dims);
      let offset = 0;
      for (const x of inputs) {
        forEachStrided(x.shape.dims, os, offset * os[a.dimension]!, (i, o) => {
          out[o] = x.data[i]!;
        });
        offset += x.shape.dims[a.dimension]!;
      }
      return out;
    },
    vjp: linear((b, g, a, inputs) => {
      let offset = 0;
      return inputs.map((x) => {
        const start = g.shape.dims.map((_, i) => (i === a.dimension ? offset : 0));
        offset += x.dims[a.dimension]!;
        const limit = g.shape.dims.map((n, i) => (i === a.dimension ? offset : n));
        return b.slice(g, { start, limit });
      });
    }),
    cost: moveCost,
  },
  iota: {
    name: 'iota',
    arity: 0,
    shape: (_i, a) => {
      checkDims(a.shape.dims, 'iota dims');
      if (a.dimension < 0 || a.dimension >= a.shape.dims.length) throw new ShapeRuleError(`iota dimension ${a.dimension} out of range`);
      return a.shape;
    },
    evaluate: (_i, a, shape) => {
      const out = new Float32Array(sizeOf(shape.dims));
      const s = stridesOf(shape.dims);
      const n = shape.dims[a.dimension]!;
      for (let i = 0; i < out.length; i++) out[i] = Math.floor(i / s[a.dimension]!) % n;
      return out;
    },
    vjp: nonDifferentiable(),
    cost: (_i, shape, _a, config) => costOf('vpu', vregCount(sizeOf(shape.dims), config.vpu), trafficOf([], shape), config),
  },
};
