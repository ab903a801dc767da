/**
 * A float64 evaluator of HLO, for gradient checks: what each op MEANS in real arithmetic,
 * written from the op semantics (XLA's operation semantics, this project's hlo.ts attrs)
 * without importing any op's `evaluate`, the MXU, the VPU or the bfloat16 module. It is an
 * independent oracle of the math, not of the bits: dots and convolutions are exact sums at
 * every precision, transcendental functions are Math's, `convert` to f32 is the identity.
 * The interpreter (src/xla/evaluate.ts) is f32 with TPU numerics (bf16 MXU operands), too
 * coarse for a 1e-6-class finite-difference check; this one is not.
 *
 * Imports only types from src/xla/hlo.ts, and the rng's counter hash (a data source, not
 * under test: the value of rng is whatever the generator says).
 */
import type { HloInstruction, HloModule } from '../../src/xla/hlo.ts';
import { rngUniform } from '../../src/xla/ops/source.ts';

const size = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/** Row-major strides of `dims`. */
const stridesOf = (dims: readonly number[]): number[] => {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
};

/** The multi-index of flat index `flat` in `dims`. */
const unravel = (flat: number, dims: readonly number[]): number[] => {
  const idx = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = flat % dims[d]!;
    flat = Math.floor(flat / dims[d]!);
  }
  return idx;
};

const ravel = (idx: readonly number[], strides: readonly number[]): number => idx.reduce((a, v, d) => a + v * strides[d]!, 0);

type Value = Float64Array;

/** out[i] = f(i's multi-index) over `dims`. */
const build = (dims: readonly number[], f: (idx: number[]) => number): Value => {
  const out = new Float64Array(size(dims));
  for (let i = 0; i < out.length; i++) out[i] = f(unravel(i, dims));
  return out;
};

const UNARY: Record<string, (x: number) => number> = {
  negate: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
};

const BINARY: Record<string, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  subtract: (x, y) => x - y,
  multiply: (x, y) => x * y,
  divide: (x, y) => x / y,
  maximum: Math.max,
  minimum: Math.min,
};

const COMPARE: Record<string, (x: number, y: number) => boolean> = {
  EQ: (x, y) => x === y,
  NE: (x, y) => x !== y,
  LT: (x, y) => x < y,
  LE: (x, y) => x <= y,
  GT: (x, y) => x > y,
  GE: (x, y) => x >= y,
};

/** Visits every window element of output `o` of a windowed op: input flat index or -1 (padding). */
function windows(inDims: readonly number[], outDims: readonly number[], a: { window: readonly number[]; strides: readonly number[]; padding: readonly (readonly [number, number])[] }, visit: (o: number, i: number) => void): void {
  const inS = stridesOf(inDims);
  for (let o = 0; o < size(outDims); o++) {
    const oi = unravel(o, outDims);
    for (let w = 0; w < size(a.window); w++) {
      const wi = unravel(w, a.window);
      const pos = oi.map((v, d) => v * a.strides[d]! - a.padding[d]![0] + wi[d]!);
      visit(o, pos.every((p, d) => p >= 0 && p < inDims[d]!) ? ravel(pos, inS) : -1);
    }
  }
}

/** The value of one instruction in f64. */
function evalOne(instr: HloInstruction, xs: readonly Value[], dimsOf: (k: number) => readonly number[], args: readonly Value[]): Value {
  const dims = instr.shape.dims;
  const [x, y] = xs;
  switch (instr.op) {
    case 'parameter':
      return args[instr.attrs.index]!;
    case 'constant': {
      const v = instr.attrs.value;
      return v.length === 1 ? new Float64Array(size(dims)).fill(v[0]!) : Float64Array.from(v);
    }
    case 'iota':
      return build(dims, (idx) => idx[instr.attrs.dimension]!);
    case 'rng':
      return build(dims, (idx) => rngUniform(instr.attrs.seed, ravel(idx, stridesOf(dims))));
    case 'negate': case 'exp': case 'log': case 'sqrt': case 'rsqrt': case 'tanh':
      return x!.map(UNARY[instr.op]!);
    case 'add': case 'subtract': case 'multiply': case 'divide': case 'maximum': case 'minimum': {
      const f = BINARY[instr.op]!;
      return x!.map((v, i) => f(v, y![i]!));
    }
    case 'compare': {
      const f = COMPARE[instr.attrs.direction]!;
      return x!.map((v, i) => (f(v, y![i]!) ? 1 : 0));
    }
    case 'select':
      return x!.map((p, i) => (p !== 0 ? y![i]! : xs[2]![i]!));
    case 'convert':
      if (instr.attrs.dtype === 'f32') return x!.slice();
      if (instr.attrs.dtype === 'pred') return x!.map((v) => (v !== 0 ? 1 : 0));
      throw new Error(`eval64: convert to ${instr.attrs.dtype} rounds; not a real-arithmetic op`);
    case 'broadcast': {
      const inS = stridesOf(dimsOf(0));
      return build(dims, (idx) => x![instr.attrs.dimensions.reduce((a, o, i) => a + idx[o]! * inS[i]!, 0)]!);
    }
    case 'reshape':
      return x!.slice();
    case 'transpose': {
      const inS = stridesOf(dimsOf(0));
      // output dim d is input dim perm[d]
      return build(dims, (idx) => x![idx.reduce((a, v, d) => a + v * inS[instr.attrs.permutation[d]!]!, 0)]!);
    }
    case 'reverse': {
      const inS = stridesOf(dims);
      return build(dims, (idx) => x![ravel(idx.map((v, d) => (instr.attrs.dimensions.includes(d) ? dims[d]! - 1 - v : v)), inS)]!);
    }
    case 'slice': {
      const inS = stridesOf(dimsOf(0));
      return build(dims, (idx) => x![ravel(idx.map((v, d) => instr.attrs.start[d]! + v * instr.attrs.strides[d]!), inS)]!);
    }
    case 'pad': {
      const a = instr.attrs;
      const inDims = dimsOf(0);
      const outS = stridesOf(dims);
      const out = new Float64Array(size(dims)).fill(a.value);
      for (let i = 0; i < x!.length; i++) {
        const pos = unravel(i, inDims).map((v, d) => a.low[d]! + v * (a.interior[d]! + 1));
        if (pos.every((p, d) => p >= 0 && p < dims[d]!)) out[ravel(pos, outS)] = x![i]!;
      }
      return out;
    }
    case 'concatenate': {
      const d = instr.attrs.dimension;
      const starts: number[] = [];
      let at = 0;
      xs.forEach((_, k) => (starts.push(at), (at += dimsOf(k)[d]!)));
      return build(dims, (idx) => {
        let k = starts.length - 1;
        while (starts[k]! > idx[d]!) k--;
        const local = idx.slice();
        local[d] = idx[d]! - starts[k]!;
        return xs[k]![ravel(local, stridesOf(dimsOf(k)))]!;
      });
    }
    case 'reduce': {
      const inDims = dimsOf(0);
      const kept = inDims.map((_, i) => i).filter((i) => !instr.attrs.dimensions.includes(i));
      const out = new Float64Array(size(dims)).fill(instr.attrs.kind === 'sum' ? 0 : -Infinity);
      const outS = stridesOf(dims);
      for (let i = 0; i < x!.length; i++) {
        const idx = unravel(i, inDims);
        const o = kept.reduce((a, d, j) => a + idx[d]! * outS[j]!, 0);
        out[o] = instr.attrs.kind === 'sum' ? out[o]! + x![i]! : Math.max(out[o]!, x![i]!);
      }
      return out;
    }
    case 'reduce-window': {
      const sum = instr.attrs.kind === 'sum';
      const out = new Float64Array(size(dims)).fill(sum ? 0 : -Infinity);
      windows(dimsOf(0), dims, instr.attrs, (o, i) => {
        if (i >= 0) out[o] = sum ? out[o]! + x![i]! : Math.max(out[o]!, x![i]!);
      });
      return out;
    }
    case 'select-and-scatter': {
      const out = new Float64Array(size(dims));
      const best = new Array<number>(size(dimsOf(1))).fill(-1);
      windows(dimsOf(0), dimsOf(1), instr.attrs, (o, i) => {
        if (i >= 0 && (best[o] === -1 || x![i]! > x![best[o]!]!)) best[o] = i;
      });
      best.forEach((i, o) => {
        if (i >= 0) out[i] = out[i]! + y![o]!;
      });
      return out;
    }
    case 'dot': {
      const a = instr.attrs;
      const [ld, rd] = [dimsOf(0), dimsOf(1)];
      const [lS, rS] = [stridesOf(ld), stridesOf(rd)];
      const lFree = ld.map((_, i) => i).filter((i) => !a.lhsBatch.includes(i) && !a.lhsContracting.includes(i));
      const rFree = rd.map((_, i) => i).filter((i) => !a.rhsBatch.includes(i) && !a.rhsContracting.includes(i));
      const kDims = a.lhsContracting.map((d) => ld[d]!);
      return build(dims, (idx) => {
        // output index: [batch..., lhs free..., rhs free...]
        const li = new Array<number>(ld.length);
        const ri = new Array<number>(rd.length);
        a.lhsBatch.forEach((d, i) => (li[d] = idx[i]!));
        a.rhsBatch.forEach((d, i) => (ri[d] = idx[i]!));
        lFree.forEach((d, j) => (li[d] = idx[a.lhsBatch.length + j]!));
        rFree.forEach((d, j) => (ri[d] = idx[a.lhsBatch.length + lFree.length + j]!));
        let s = 0;
        for (let k = 0; k < size(kDims); k++) {
          const ki = unravel(k, kDims);
          a.lhsContracting.forEach((d, j) => (li[d] = ki[j]!));
          a.rhsContracting.forEach((d, j) => (ri[d] = ki[j]!));
          s += x![ravel(li, lS)]! * y![ravel(ri, rS)]!;
        }
        return s;
      });
    }
    case 'convolution': {
      // out[n, oh, ow, k] = sum_{i, j, c} xPadDilated[n, oh*sh + i*rdh, ow*sw + j*rdw, c] * w[i, j, c, k]
      const a = instr.attrs;
      const [, H, W, C] = dimsOf(0) as [number, number, number, number];
      const [KH, KW, , K] = dimsOf(1) as [number, number, number, number];
      return build(dims, ([n, oh, ow, k]) => {
        let s = 0;
        for (let i = 0; i < KH; i++) {
          const ph = oh! * a.strides[0] + i * a.rhsDilation[0] - a.padding[0][0];
          if (ph < 0 || ph % a.lhsDilation[0] !== 0 || ph / a.lhsDilation[0] >= H) continue;
          for (let j = 0; j < KW; j++) {
            const pw = ow! * a.strides[1] + j * a.rhsDilation[1] - a.padding[1][0];
            if (pw < 0 || pw % a.lhsDilation[1] !== 0 || pw / a.lhsDilation[1] >= W) continue;
            const base = ((n! * H + ph / a.lhsDilation[0]) * W + pw / a.lhsDilation[1]) * C;
            for (let c = 0; c < C; c++) s += x![base + c]! * y![((i * KW + j) * C + c) * K + k!]!;
          }
        }
        return s;
      });
    }
    case 'all-reduce':
      if (instr.attrs.replicas !== 1) throw new Error('eval64: all-reduce over more than one replica');
      return x!.slice();
    case 'fusion':
      throw new Error('eval64: fusion (formed after autodiff) is not evaluated here');
  }
}

/** Evaluates the entry of `m` in float64; returns its outputs. */
export function evaluate64(m: HloModule, args: readonly Float64Array[]): Float64Array[] {
  const values = new Map<number, Value>();
  const shapes = new Map<number, readonly number[]>();
  for (const instr of m.entry.instructions) {
    const xs = instr.operands.map((o) => values.get(o)!);
    const v = evalOne(instr, xs, (k) => shapes.get(instr.operands[k]!)!, args);
    if (v.length !== size(instr.shape.dims)) throw new Error(`eval64: ${instr.op} gave ${v.length} values for [${instr.shape.dims.join(',')}]`);
    values.set(instr.id, v);
    shapes.set(instr.id, instr.shape.dims);
  }
  return m.entry.outputs.map((o) => values.get(o)!);
}
