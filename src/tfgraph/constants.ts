/**
 * @module tfgraph/constants
 * Constant folding at import: the values of a graph's `Const` nodes, and of the ops whose
 * inputs are all constants (a frozen graph computes its unfused batch norms' scale and shift
 * this way: Add(variance, epsilon) -> Rsqrt -> Mul(gamma) -> ...). This is weight
 * preparation before the model exists, done once in float64 and rounded to f32 when the
 * weights are set; no model input ever reaches it, so nothing a model computes runs here.
 *
 * Imports ./graph-def (types), ./errors.
 * Invariant: a ConstValue's data has the product of its dims elements.
 */
import { GraphImportError } from './errors.ts';
import type { TfNode } from './graph-def.ts';

/** A constant: dims and row-major float64 values. */
export interface ConstValue {
  readonly kind: 'const';
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** The value of a Const node. */
export function constOf(node: TfNode): ConstValue {
  const v = node.attrs.value;
  if (v?.kind !== 'tensor') throw new GraphImportError(`Const '${node.name}' has no tensor value`);
  return { kind: 'const', dims: v.value.dims, data: Float64Array.from(v.value.values) };
}

/** NumPy broadcasting of two constants with `f` elementwise. */
function broadcast2(node: TfNode, a: ConstValue, b: ConstValue, f: (x: number, y: number) => number): ConstValue {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: readonly number[]): number[] => [...new Array<number>(rank - d.length).fill(1), ...d];
  const [da, db] = [pad(a.dims), pad(b.dims)];
  const dims = da.map((x, i) => {
    const y = db[i]!;
    if (x !== y && x !== 1 && y !== 1) throw new GraphImportError(`${node.op} '${node.name}': constants [${a.dims.join(',')}] and [${b.dims.join(',')}] do not broadcast`);
    return Math.max(x, y);
  });
  const n = dims.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  const index = (flat: number, d: readonly number[]): number => {
    let src = 0;
    let stride = 1;
    let rest = flat;
    const idx: number[] = new Array<number>(rank);
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = rest % dims[i]!;
      rest = Math.floor(rest / dims[i]!);
    }
    for (let i = rank - 1; i >= 0; i--) {
      src += (d[i] === 1 ? 0 : idx[i]!) * stride;
      stride *= d[i]!;
    }
    return src;
  };
  for (let i = 0; i < n; i++) data[i] = f(a.data[index(i, da)]!, b.data[index(i, db)]!);
  return { kind: 'const', dims, data };
}

const BINARY: Readonly<Record<string, (x: number, y: number) => number>> = {
  Add: (x, y) => x + y,
  AddV2: (x, y) => x + y,
  BiasAdd: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  RealDiv: (x, y) => x / y,
  Maximum: Math.max,
  Minimum: Math.min,
};

const UNARY: Readonly<Record<string, (x: number) => number>> = {
  Identity: (x) => x,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Sqrt: Math.sqrt,
  Neg: (x) => -x,
  Reciprocal: (x) => 1 / x,
};

/** Ops this module folds when every input is constant. */
export const FOLDABLE: ReadonlySet<string> = new Set([...Object.keys(BINARY), ...Object.keys(UNARY), 'Reshape', 'Squeeze']);

/** The constant result of `node` on constant inputs. */
export function foldConst(node: TfNode, inputs: readonly ConstValue[]): ConstValue {
  const binary = BINARY[node.op];
  if (binary) return broadcast2(node, inputs[0]!, inputs[1]!, binary);
  const unary = UNARY[node.op];
  if (unary) return { kind: 'const', dims: inputs[0]!.dims, data: inputs[0]!.data.map(unary) };
  if (node.op === 'Reshape') {
    const [x, shape] = inputs as [ConstValue, ConstValue];
    const known = Array.from(shape.data).filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const dims = Array.from(shape.data, (d) => (d === -1 ? x.data.length / known : d));
    if (dims.reduce((p, d) => p * d, 1) !== x.data.length) throw new GraphImportError(`Reshape '${node.name}': cannot reshape [${x.dims.join(',')}] to [${Array.from(shape.data).join(',')}]`);
    return { kind: 'const', dims, data: x.data };
  }
  if (node.op === 'Squeeze') {
    const axes = node.attrs.squeeze_dims?.kind === 'list' ? node.attrs.squeeze_dims.value.i : [];
    const x = inputs[0]!;
    return { kind: 'const', dims: x.dims.filter((d, i) => d !== 1 || (axes.length > 0 && !axes.includes(i) && !axes.includes(i - x.dims.length))), data: x.data };
  }
  throw new GraphImportError(`${node.op} '${node.name}' cannot be folded as a constant`);
}
