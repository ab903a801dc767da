/**
 * @module xla/ops/reduce
 * Reductions: reduce (sum, max over chosen dims), reduce-window (max and sum pooling;
 * average pooling is sum pooling times 1/window in the builder), select-and-scatter (the
 * max-pool gradient).
 *
 * Imports vpu/reduce (the order that defines a reduction's bits, and its cost) and ./types.
 *
 * ## The order of a reduce (this comment is the spec; ../evaluate.ts points here)
 * A reduce over `dimensions` of x is computed by the VPU's `reduce` on a 2-D view:
 * - every dimension reduced: the flat array, axis 'all';
 * - the reduced dims are a leading prefix (e.g. the batch dim of a bias gradient):
 *   x viewed as [R = prod(reduced), C = prod(kept)], axis 0;
 * - otherwise: x transposed to [kept..., reduced...], viewed as [prod(kept), prod(reduced)],
 *   axis 1.
 * The VPU documents the order inside each case (tile folds, then a halving tree), so a
 * lowered reduce gives the same bits as the reference.
 *
 * reduce-window and select-and-scatter fold each window's elements in row-major window
 * order starting from the identity (-0 for sum, -Inf for max); padding contributes nothing.
 * select-and-scatter picks, per window, the first maximal element of x (XLA's GE select),
 * and adds the source value there; overlapping windows add in window order.
 */
import { arrayCycles, vregCount } from '../../vpu/array.ts';
import { REDUCE_FNS, REDUCE_IDENTITY, reduce, reduceCycles, type ReduceAxis } from '../../vpu/reduce.ts';
import type { Op, XlaBuilder } from '../builder.ts';
import type { OpAttrs, Shape, WindowAttrs } from '../hlo.ts';
import { forEachStrided, transposeData } from './shape.ts';
import { ShapeRuleError, costOf, nonDifferentiable, sizeOf, stridesOf, trafficOf, type OpDef } from './types.ts';

/** How a reduce maps onto the VPU's 2-D reduction (see the module doc). */
export interface ReducePlan {
  /** Permutation applied first (identity when none is needed). */
  readonly permutation: readonly number[];
  readonly rows: number;
  readonly cols: number;
  readonly axis: ReduceAxis;
}

/** Plans a reduce of `dims` over `dimensions`. */
export function reducePlan(dims: readonly number[], dimensions: readonly number[]): ReducePlan {
  const rank = dims.length;
  const reduced = [...dimensions].sort((a, b) => a - b);
  const kept = dims.map((_, i) => i).filter((i) => !reduced.includes(i));
  const identity = dims.map((_, i) => i);
  const prod = (ds: number[]): number => ds.reduce((acc, d) => acc * dims[d]!, 1);
  if (kept.length === 0) return { permutation: identity, rows: 1, cols: sizeOf(dims), axis: 'all' };
  if (reduced.every((d, i) => d === i)) return { permutation: identity, rows: prod(reduced), cols: prod(kept), axis: 0 };
  const permutation = [...kept, ...reduced];
  return { permutation: permutation.length === rank ? permutation : identity, rows: prod(kept), cols: prod(reduced), axis: 1 };
}

function windowShape(x: Shape, a: WindowAttrs): Shape {
  const rank = x.dims.length;
  if (a.window.length !== rank || a.strides.length !== rank || a.padding.length !== rank) {
    throw new ShapeRuleError(`window, strides and padding need ${rank} entries (one per dim)`);
  }
  const dims = x.dims.map((d, i) => {
    const [lo, hi] = a.padding[i]!;
    const w = a.window[i]!;
    const s = a.strides[i]!;
    if (!(w >= 1 && s >= 1 && lo >= 0 && hi >= 0)) throw new ShapeRuleError(`window dim ${i}: size ${w}, stride ${s}, padding ${lo},${hi} invalid`);
    if (d + lo + hi < w) throw new ShapeRuleError(`window dim ${i}: size ${w} larger than padded input ${d + lo + hi}`);
    return Math.floor((d + lo + hi - w) / s) + 1;
  });
  return { dims, dtype: x.dtype };
}

/**
 * Visits every window: for output element o, calls visit(o, inputFlat | -1 for padding)
 * for each window element in row-major window order.
 */
export function forEachWindow(inDims: readonly number[], outDims: readonly number[], a: WindowAttrs, visit: (o: number, i: number) => void): void {
  const rank = inDims.length;
  const inS = stridesOf(inDims);
  const winCount = sizeOf(a.window);
  const winS = stridesOf(a.window);
  forEachStrided(outDims, outDims.map(() => 0), 0, (o) => {
    let rem = o;
    const origin = new Array<number>(rank);
    for (let d = rank - 1; d >= 0; d--) {
      const n = outDims[d]!;
      origin[d] = (rem % n) * a.strides[d]! - a.padding[d]![0];
      rem = Math.floor(rem / n);
    }
    for (let w = 0; w < winCount; w++) {
      let flat = 0;
      let inside = true;
      for (let d = 0; d < rank; d++) {
        const pos = origin[d]! + (Math.floor(w / winS[d]!) % a.window[d]!);
        if (pos < 0 || pos >= inDims[d]!) inside = false;
        flat += pos * inS[d]!;
      }
      visit(o, inside ? flat : -1);
    }
  });
}

/** Gradient of a sum reduce-window: g dilated by the strides, padded, summed over the window. */
function sumWindowTranspose(b: XlaBuilder, g: Op, a: WindowAttrs, x: Shape): Op {
  const low = x.dims.map((_, i) => a.window[i]! - 1 - a.padding[i]![0]);
  const high = x.dims.map((d, i) => d - 1 - (g.shape.dims[i]! - 1) * a.strides[i]! + a.padding[i]![0]);
  const padded = b.pad(g, { low: low.map((v) => Math.max(0, v)), high: high.map((v) => Math.max(0, v)), interior: a.strides.map((s) => s - 1) });
  const cut = low.some((v) => v < 0) || high.some((v) => v < 0)
    ? b.slice(padded, { start: low.map((v) => Math.max(0, -v)), limit: padded.shape.dims.map((d, i) => d - Math.max(0, -high[i]!)) })
    : padded;
  const ones = x.dims.map(() => 1);
  return b.reduceWindow(cut, { kind: 'sum', window: a.window, strides: ones, padding: x.dims.map(() => [0, 0] as const) });
}

/** The reduction family, keyed by op name. */
export const reduceOps: { readonly [K in 'reduce' | 'reduce-window' | 'select-and-scatter']: OpDef<K> } = {
  reduce: {
    name: 'reduce',
    arity: 1,
    shape: ([x], a) => {
      const rank = x!.dims.length;
      if (new Set(a.dimensions).size !== a.dimensions.length || a.dimensions.some((d) => !Number.isInteger(d) || d < 0 || d >= rank)) {
        throw new ShapeRuleError(`reduce dimensions={${a.dimensions.join(',')}} must be distinct dims of a rank-${rank} operand`);
      }
      return { dims: x!.dims.filter((_, i) => !a.dimensions.includes(i)), dtype: x!.dtype };
    },
    evaluate: ([x], a, shape) => {
      const n = sizeOf(shape.dims);
      if (sizeOf(x!.shape.dims) === 0 || a.dimensions.length === 0) {
        return a.dimensions.length === 0 ? x!.data.slice() : new Float32Array(n).fill(REDUCE_IDENTITY[a.kind]);
      }
      const plan = reducePlan(x!.shape.dims, a.dimensions);
      const data = plan.axis === 1 ? transposeData(x!.data, x!.shape.dims, plan.permutation) : x!.data;
      return reduce(a.kind, data, { rows: plan.rows, cols: plan.cols, axis: plan.axis }).out;
    },
    vjp: ({ b, g, inputs, out, attrs }) => {
      const x = inputs[0]!;
      const kept = x.shape.dims.map((_, i) => i).filter((i) => !attrs.dimensions.includes(i));
      const gb = b.broadcast(g, x.shape.dims, kept);
      if (attrs.kind === 'sum') return [gb];
      // max: the cotangent flows to every element equal to the maximum
      const hit = b.compare(x, b.broadcast(out, x.shape.dims, kept), 'EQ');
      return [b.select(hit, gb, b.zerosLike(gb))];
    },
    cost: ([x], shape, a, config) => {
      if (sizeOf(x!.dims) === 0 || a.dimensions.length === 0) return costOf('vpu', 0, trafficOf([x!], shape), config);
      const plan = reducePlan(x!.dims, a.dimensions);
      const transpose = plan.axis === 1 && plan.permutation.some((p, i) => p !== i) ? vregCount(sizeOf(x!.dims), config.vpu) : 0;
      const cycles = transpose + reduceCycles(a.kind, { rows: plan.rows, cols: plan.cols, axis: plan.axis, config: config.vpu });
      return costOf('vpu', cycles, trafficOf([x!], shape), config);
    },
  },
  'reduce-window': {
    name: 'reduce-window',
    arity: 1,
    shape: ([x], a) => windowShape(x!, a),
    evaluate: ([x], a, shape) => {
      const f = REDUCE_FNS[a.kind];
      const out = new Float32Array(sizeOf(shape.dims)).fill(REDUCE_IDENTITY[a.kind]);
      const src = x!.data;
      forEachWindow(x!.shape.dims, shape.dims, a, (o, i) => {
        if (i >= 0) out[o] = f(out[o]!, src[i]!);
      });
      return out;
    },
    vjp: ({ b, g, inputs, attrs }) => {
      const x = inputs[0]!;
      if (attrs.kind === 'sum') return [sumWindowTranspose(b, g, attrs, x.shape)];
      return [b.selectAndScatter(x, g, attrs)];
    },
    cost: ([x], shape, a, config) =>
      costOf('vpu', vregCount(sizeOf(shape.dims), config.vpu) * sizeOf(a.window) * config.vpu.aluCycles, trafficOf([x!], shape), config),
  },
  'select-and-scatter': {
    name: 'select-and-scatter',
    arity: 2,
    shape: ([x, source], a) => {
      const w = windowShape(x!, a);
      if (source!.dims.length !== w.dims.length || source!.dims.some((d, i) => d !== w.dims[i])) {
        throw new ShapeRuleError(`source must have the windowed shape [${w.dims.join(',')}]`);
      }
      return x!;
    },
    evaluate: ([x, source], a, shape) => {
      const out = new Float32Array(sizeOf(shape.dims));
      const src = x!.data;
      const best = new Int32Array(sizeOf(source!.shape.dims)).fill(-1);
      forEachWindow(x!.shape.dims, source!.shape.dims, a, (o, i) => {
        // GE select: the first maximal element wins; NaN never wins over a number
        if (i >= 0 && (best[o] === -1 || src[i]! > src[best[o]!]!)) best[o] = i;
      });
      // NOTE: storing into a Float32Array rounds each sum to f32: one IEEE f32 add per element.
      best.forEach((i, o) => {
        if (i >= 0) out[i] = out[i]! + source!.data[o]!;
      });
      return out;
    },
    // NOTE: the max-pool gradient is not differentiated again (no second derivatives of pooling).
    vjp: nonDifferentiable(),
    cost: (inputs, shape, a, config) =>
      costOf('vpu', arrayCycles('select', sizeOf(shape.dims), config.vpu) * sizeOf(a.window) * 3, trafficOf(inputs, shape), config),
  },
};

/** Attributes of an average pool built from a sum reduce-window (for docs and the builder). */
export type PoolAttrs = Omit<OpAttrs['reduce-window'], 'kind'>;
