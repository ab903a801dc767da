/**
 * Small TensorFlow graphs for the importer's tests, built here node by node (never read
 * from ../shared) and passed through the GraphDef wire format: seeded constants, the
 * TF-Slim unfused batch-norm pattern, fused batch norms, and the attrs TensorFlow writes.
 */
import { encodeGraphDef, readGraphDef, type TfAttr, type TfGraph, type TfNode } from '../../src/tfgraph/graph-def.ts';

export const node = (name: string, op: string, inputs: string[] = [], attrs: Record<string, TfAttr> = {}): TfNode => ({ name, op, inputs, attrs });
export const ints = (i: number[]): TfAttr => ({ kind: 'list', value: { s: [], i, f: [] } });
export const str = (value: string): TfAttr => ({ kind: 's', value });

/** Seeded values in [lo, hi). */
export function values(seed: number, n: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}

export const constF = (name: string, dims: number[], vals: number[]): TfNode =>
  node(name, 'Const', [], { dtype: { kind: 'type', value: 'DT_FLOAT' }, value: { kind: 'tensor', value: { dtype: 'float', dims, values: Float32Array.from(vals) } } });
export const constI = (name: string, dims: number[], vals: number[]): TfNode =>
  node(name, 'Const', [], { dtype: { kind: 'type', value: 'DT_INT32' }, value: { kind: 'tensor', value: { dtype: 'int32', dims, values: Int32Array.from(vals) } } });
export const placeholder = (name: string, dims: number[]): TfNode => node(name, 'Placeholder', [], { dtype: { kind: 'type', value: 'DT_FLOAT' }, shape: { kind: 'shape', value: dims } });

/** A Conv2D or DepthwiseConv2dNative node reading its filter through an Identity ("/read"), as a frozen TF-Slim graph does. */
export function convNodes(o: { name: string; x: string; op: 'Conv2D' | 'DepthwiseConv2dNative'; filter: number[]; seed: number; stride?: number; padding?: 'SAME' | 'VALID'; dilation?: number }): TfNode[] {
  const n = o.filter.reduce((a, d) => a * d, 1);
  const s = o.stride ?? 1;
  const d = o.dilation ?? 1;
  return [
    constF(`${o.name}/weights`, o.filter, values(o.seed, n)),
    node(`${o.name}/weights/read`, 'Identity', [`${o.name}/weights`]),
    node(`${o.name}/conv`, o.op, [o.x, `${o.name}/weights/read`], {
      padding: str(o.padding ?? 'SAME'),
      strides: ints([1, s, s, 1]),
      data_format: str('NHWC'),
      ...(d !== 1 ? { dilations: ints([1, d, d, 1]) } : {}),
    }),
  ];
}

/** TF-Slim's unfused batch norm of `x` (C channels): add(var, eps) -> rsqrt -> mul(gamma) -> mul_1(x), mul_2(mean), sub(beta), add_1. */
export function unfusedBatchNorm(name: string, x: string, c: number, seed: number): TfNode[] {
  const bn = `${name}/BatchNorm`;
  return [
    constF(`${bn}/gamma`, [c], values(seed, c, 0.5, 2)),
    constF(`${bn}/beta`, [c], values(seed + 1, c)),
    constF(`${bn}/moving_mean`, [c], values(seed + 2, c)),
    constF(`${bn}/moving_variance`, [c], values(seed + 3, c, 0.2, 3)),
    constF(`${bn}/batchnorm/add/y`, [], [0.001]),
    node(`${bn}/batchnorm/add`, 'Add', [`${bn}/moving_variance`, `${bn}/batchnorm/add/y`]),
    node(`${bn}/batchnorm/Rsqrt`, 'Rsqrt', [`${bn}/batchnorm/add`]),
    node(`${bn}/batchnorm/mul`, 'Mul', [`${bn}/batchnorm/Rsqrt`, `${bn}/gamma`]),
    node(`${bn}/batchnorm/mul_1`, 'Mul', [x, `${bn}/batchnorm/mul`]),
    node(`${bn}/batchnorm/mul_2`, 'Mul', [`${bn}/moving_mean`, `${bn}/batchnorm/mul`]),
    node(`${bn}/batchnorm/sub`, 'Sub', [`${bn}/beta`, `${bn}/batchnorm/mul_2`]),
    node(`${bn}/batchnorm/add_1`, 'Add', [`${bn}/batchnorm/mul_1`, `${bn}/batchnorm/sub`]),
  ];
}

/** FusedBatchNormV3 of `x` in inference mode. */
export function fusedBatchNorm(name: string, x: string, c: number, seed: number, epsilon = 0.001): TfNode[] {
  return [
    constF(`${name}/gamma`, [c], values(seed, c, 0.5, 2)),
    constF(`${name}/beta`, [c], values(seed + 1, c)),
    constF(`${name}/mean`, [c], values(seed + 2, c)),
    constF(`${name}/variance`, [c], values(seed + 3, c, 0.2, 3)),
    node(name, 'FusedBatchNormV3', [x, `${name}/gamma`, `${name}/beta`, `${name}/mean`, `${name}/variance`], {
      epsilon: { kind: 'f', value: epsilon },
      is_training: { kind: 'b', value: false },
      data_format: str('NHWC'),
    }),
  ];
}

/** The graph as TensorFlow would hand it over: encoded to wire bytes and read back. */
export const viaWire = (nodes: TfNode[]): TfGraph => readGraphDef(encodeGraphDef({ nodes }), 'test.pb');
