/**
 * A naive float64 interpreter of the TensorFlow ops the importer takes, written from
 * TensorFlow's op documentation for the tests alone (it shares nothing with src/tfgraph):
 * the oracle an imported model's predictions are checked against. NHWC, batch first.
 * 'SAME' padding: out = ceil(n / s), total = max((out - 1) * s + (k - 1) * d + 1 - n, 0),
 * before = floor(total / 2), the rest after (TensorFlow's rule).
 */
import type { TfGraph, TfNode } from '../../src/tfgraph/graph-def.ts';

/** A float64 tensor. */
export interface T64 {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

const size = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);
const listAttr = (n: TfNode, k: string, fallback: number[]): number[] => {
  const a = n.attrs[k];
  return a?.kind === 'list' ? [...a.value.i] : fallback;
};
const strAttr = (n: TfNode, k: string): string => {
  const a = n.attrs[k];
  return a?.kind === 's' ? a.value : '';
};

/** TensorFlow's 'SAME' padding before the data, and the output size. */
function same(n: number, k: number, s: number, d = 1): { out: number; before: number } {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
  return { out, before: Math.floor(total / 2) };
}

function window(n: TfNode, h: number, w: number, kh: number, kw: number, dil: number[]): { oh: number; ow: number; ph: number; pw: number; sh: number; sw: number } {
  const [, sh, sw] = listAttr(n, 'strides', [1, 1, 1, 1]) as [number, number, number];
  if (strAttr(n, 'padding') === 'SAME') {
    const a = same(h, kh, sh, dil[0]);
    const b = same(w, kw, sw, dil[1]);
    return { oh: a.out, ow: b.out, ph: a.before, pw: b.before, sh, sw };
  }
  return { oh: Math.floor((h - (kh - 1) * dil[0]! - 1) / sh) + 1, ow: Math.floor((w - (kw - 1) * dil[1]! - 1) / sw) + 1, ph: 0, pw: 0, sh, sw };
}

function conv(n: TfNode, x: T64, f: T64, depthwise: boolean): T64 {
  const [B, H, W, C] = x.dims as [number, number, number, number];
  const [KH, KW, , L] = f.dims as [number, number, number, number];
  const dl = listAttr(n, 'dilations', [1, 1, 1, 1]);
  const dil = [dl[1]!, dl[2]!];
  const g = window(n, H, W, KH, KW, dil);
  const K = depthwise ? C * L : L;
  const out = new Float64Array(B * g.oh * g.ow * K);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let k = 0; k < K; k++) {
          let acc = 0;
          for (let u = 0; u < KH; u++)
            for (let v = 0; v < KW; v++) {
              const y = i * g.sh + u * dil[0]! - g.ph;
              const z = j * g.sw + v * dil[1]! - g.pw;
              if (y < 0 || y >= H || z < 0 || z >= W) continue;
              if (depthwise) {
                const c = Math.floor(k / L);
                acc += x.data[((b * H + y) * W + z) * C + c]! * f.data[((u * KW + v) * C + c) * L + (k % L)]!;
              } else {
                for (let c = 0; c < C; c++) acc += x.data[((b * H + y) * W + z) * C + c]! * f.data[((u * KW + v) * C + c) * L + k]!;
              }
            }
          out[((b * g.oh + i) * g.ow + j) * K + k] = acc;
        }
  return { dims: [B, g.oh, g.ow, K], data: out };
}

function pool(n: TfNode, x: T64, kind: 'max' | 'avg'): T64 {
  const [B, H, W, C] = x.dims as [number, number, number, number];
  const [, KH, KW] = listAttr(n, 'ksize', []) as [number, number, number];
  const g = window(n, H, W, KH, KW, [1, 1]);
  const out = new Float64Array(B * g.oh * g.ow * C);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let u = 0; u < KH; u++)
            for (let v = 0; v < KW; v++) {
              const y = i * g.sh + u - g.ph;
              const z = j * g.sw + v - g.pw;
              if (y < 0 || y >= H || z < 0 || z >= W) continue;
              const val = x.data[((b * H + y) * W + z) * C + c]!;
              acc = kind === 'max' ? Math.max(acc, val) : acc + val;
              count++;
            }
          out[((b * g.oh + i) * g.ow + j) * C + c] = kind === 'max' ? acc : acc / count; // TF averages over in-bounds values
        }
  return { dims: [B, g.oh, g.ow, C], data: out };
}

/** Elementwise with NumPy broadcasting. */
function broadcast(a: T64, b: T64, f: (x: number, y: number) => number): T64 {
  const rank = Math.max(a.dims.length, b.dims.length);
  const da = [...Array<number>(rank - a.dims.length).fill(1), ...a.dims];
  const db = [...Array<number>(rank - b.dims.length).fill(1), ...b.dims];
  const dims = da.map((d, i) => Math.max(d, db[i]!));
  const out = new Float64Array(size(dims));
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let r = flat;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = r % dims[i]!;
      r = Math.floor(r / dims[i]!);
    }
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < rank; i++) {
      ia = ia * da[i]! + (da[i] === 1 ? 0 : idx[i]!);
      ib = ib * db[i]! + (db[i] === 1 ? 0 : idx[i]!);
    }
    out[flat] = f(a.data[ia]!, b.data[ib]!);
  }
  return { dims, data: out };
}

const map = (x: T64, f: (v: number) => number): T64 => ({ dims: x.dims, data: x.data.map(f) });

function softmax(x: T64): T64 {
  const n = x.dims[x.dims.length - 1]!;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length; r += n) {
    const row = x.data.subarray(r, r + n);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    e.forEach((v, i) => (out[r + i] = v / s));
  }
  return { dims: x.dims, data: out };
}

function fusedBatchNorm(n: TfNode, [x, g, b, m, v]: T64[]): T64 {
  const eps = n.attrs.epsilon?.kind === 'f' ? n.attrs.epsilon.value : 1e-4;
  const C = x!.dims[3]!;
  return { dims: x!.dims, data: x!.data.map((val, i) => ((val - m!.data[i % C]!) / Math.sqrt(v!.data[i % C]! + eps)) * g!.data[i % C]! + b!.data[i % C]!) };
}

function reshape(x: T64, shape: T64, batch: number): T64 {
  const want = Array.from(shape.data);
  if (want[0] !== -1) want[0] = batch; // the graph's batch of 1 stands for any batch
  const known = want.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  return { dims: want.map((d) => (d === -1 ? x.data.length / known : d)), data: x.data };
}

/** The value of node `output` for input `x` (the Placeholder's value). */
export function evaluateTf(g: TfGraph, output: string, x: T64): T64 {
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const memo = new Map<string, T64>();
  const value = (name: string): T64 => {
    const key = name.replace(/:0$/, '');
    const hit = memo.get(key);
    if (hit) return hit;
    const n = byName.get(key)!;
    const ins = n.inputs.filter((i) => !i.startsWith('^')).map(value);
    const [a, b] = ins as [T64, T64];
    const ops: Record<string, () => T64> = {
      Placeholder: () => x,
      Const: () => {
        const t = n.attrs.value!;
        if (t.kind !== 'tensor') throw new Error('const');
        return { dims: t.value.dims, data: Float64Array.from(t.value.values) };
      },
      Identity: () => a,
      Conv2D: () => conv(n, a, b, false),
      DepthwiseConv2dNative: () => conv(n, a, b, true),
      Add: () => broadcast(a, b, (p, q) => p + q),
      AddV2: () => broadcast(a, b, (p, q) => p + q),
      BiasAdd: () => broadcast(a, b, (p, q) => p + q),
      Sub: () => broadcast(a, b, (p, q) => p - q),
      Mul: () => broadcast(a, b, (p, q) => p * q),
      Rsqrt: () => map(a, (v) => 1 / Math.sqrt(v)),
      Relu: () => map(a, (v) => Math.max(v, 0)),
      Relu6: () => map(a, (v) => Math.min(Math.max(v, 0), 6)),
      Softmax: () => softmax(a),
      FusedBatchNorm: () => fusedBatchNorm(n, ins),
      FusedBatchNormV3: () => fusedBatchNorm(n, ins),
      AvgPool: () => pool(n, a, 'avg'),
      MaxPool: () => pool(n, a, 'max'),
      Reshape: () => reshape(a, b, x.dims[0]!),
      Squeeze: () => {
        const axes = listAttr(n, 'squeeze_dims', []);
        return { dims: a.dims.filter((d, i) => !(axes.length === 0 ? d === 1 && i > 0 : axes.includes(i))), data: a.data };
      },
    };
    const op = ops[n.op];
    if (!op) throw new Error(`reference: no ${n.op}`);
    const v = op();
    memo.set(key, v);
    return v;
  };
  return value(output);
}
