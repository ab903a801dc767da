/**
 * GraphDef wire bytes: graphs built here (never a file from ../shared) round-trip through
 * encodeGraphDef / readGraphDef with every attribute kind; tensors in tensor_content and in
 * value lists (a single value fills the shape, as TensorFlow's splat constants); bytes
 * hand-written from the protobuf wire format decode as TensorFlow would write them; bad
 * bytes and malformed nodes fail with a GraphDefError naming the file, node and attribute.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphDefError } from '../../src/tfgraph/errors.ts';
import { encodeGraphDef, readGraphDef, type TfGraph, type TfNode } from '../../src/tfgraph/graph-def.ts';

const node = (name: string, op: string, inputs: string[] = [], attrs: TfNode['attrs'] = {}): TfNode => ({ name, op, inputs, attrs });

const GRAPH: TfGraph = {
  nodes: [
    node('input', 'Placeholder', [], { dtype: { kind: 'type', value: 'DT_FLOAT' }, shape: { kind: 'shape', value: [1, 4, 4, 3] } }),
    node('w', 'Const', [], { value: { kind: 'tensor', value: { dtype: 'float', dims: [1, 1, 3, 2], values: Float32Array.from([1, -2, 0.5, 3, -0.25, 7]) } } }),
    node('conv', 'Conv2D', ['input', 'w'], {
      padding: { kind: 's', value: 'SAME' },
      strides: { kind: 'list', value: { s: [], i: [1, 2, 2, 1], f: [] } },
      use_cudnn_on_gpu: { kind: 'b', value: true },
    }),
    node('eps', 'Const', [], { value: { kind: 'tensor', value: { dtype: 'int32', dims: [3], values: Int32Array.from([7]) } } }),
    node('bn', 'FusedBatchNorm', ['conv', '^eps'], { epsilon: { kind: 'f', value: 0.0010000000474974513 }, is_training: { kind: 'b', value: false } }),
    node('shape', 'Const', [], { value: { kind: 'tensor', value: { dtype: 'int64', dims: [2], values: Float64Array.from([-1, 2 ** 40]) } } }),
    node('squeeze', 'Squeeze', ['bn:0'], { squeeze_dims: { kind: 'list', value: { s: [], i: [1, 2], f: [] } }, N: { kind: 'i', value: -3 } }),
  ],
};

describe('readGraphDef', () => {
  it('reads back what encodeGraphDef wrote: ops, inputs (control and :k), every attr kind', () => {
    const g = readGraphDef(encodeGraphDef(GRAPH), 'g.pb');
    expect(g.nodes.map((n) => [n.name, n.op, n.inputs])).toEqual(GRAPH.nodes.map((n) => [n.name, n.op, n.inputs]));
    const by = new Map(g.nodes.map((n) => [n.name, n]));
    expect(by.get('input')!.attrs).toEqual({ dtype: { kind: 'type', value: 'DT_FLOAT' }, shape: { kind: 'shape', value: [1, 4, 4, 3] } });
    expect(by.get('conv')!.attrs.padding).toEqual({ kind: 's', value: 'SAME' });
    expect(by.get('conv')!.attrs.strides).toEqual({ kind: 'list', value: { s: [], i: [1, 2, 2, 1], f: [] } });
    expect(by.get('conv')!.attrs.use_cudnn_on_gpu).toEqual({ kind: 'b', value: true });
    expect(by.get('bn')!.attrs.epsilon).toEqual({ kind: 'f', value: Math.fround(0.001) });
    expect(by.get('squeeze')!.attrs.N).toEqual({ kind: 'i', value: -3 });
    const w = by.get('w')!.attrs.value!;
    expect(w.kind === 'tensor' && [w.value.dtype, w.value.dims, Array.from(w.value.values)]).toEqual(['float', [1, 1, 3, 2], [1, -2, 0.5, 3, -0.25, 7]]);
    const splat = by.get('eps')!.attrs.value!;
    expect(splat.kind === 'tensor' && Array.from(splat.value.values)).toEqual([7, 7, 7]);
    const big = by.get('shape')!.attrs.value!;
    expect(big.kind === 'tensor' && Array.from(big.value.values)).toEqual([-1, 2 ** 40]);
  });

  it('float tensors of any values and shape round-trip bit for bit (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }), fc.integer(), (dims, seed) => {
        const n = dims.reduce((a, d) => a * d, 1);
        const values = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 10 ** ((i % 7) - 3)));
        const g = readGraphDef(encodeGraphDef({ nodes: [node('c', 'Const', [], { value: { kind: 'tensor', value: { dtype: 'float', dims, values } } })] }), 'p.pb');
        const t = g.nodes[0]!.attrs.value!;
        expect(t.kind === 'tensor' && [t.value.dims, Array.from(t.value.values)]).toEqual([dims, Array.from(values)]);
      }),
      { numRuns: 50, seed: 14 },
    );
  });

  it('decodes bytes written by hand from the wire format (float_val list, as older freezers wrote)', () => {
    // GraphDef { node { name: "c" op: "Const" attr { key: "value" value { tensor {
    //   dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 1.5 float_val: -2 } } } } }
    const f = (x: number): number[] => Array.from(new Uint8Array(Float32Array.of(x).buffer));
    const tensor = [0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x02, 0x2a, 0x08, ...f(1.5), ...f(-2)];
    const attrValue = [0x42, tensor.length, ...tensor];
    const entry = [0x0a, 0x05, ...Buffer.from('value'), 0x12, attrValue.length, ...attrValue];
    const nodeDef = [0x0a, 0x01, 0x63, 0x12, 0x05, ...Buffer.from('Const'), 0x2a, entry.length, ...entry];
    const g = readGraphDef(Uint8Array.from([0x0a, nodeDef.length, ...nodeDef]), 'hand.pb');
    const t = g.nodes[0]!.attrs.value!;
    expect(t.kind === 'tensor' && [t.value.dtype, t.value.dims, Array.from(t.value.values)]).toEqual(['float', [2], [1.5, -2]]);
  });
});

describe('readGraphDef errors', () => {
  it('bytes that are not a GraphDef: a GraphDefError naming the file', () => {
    const bytes = encodeGraphDef(GRAPH);
    expect(() => readGraphDef(bytes.subarray(0, bytes.length - 7), 'cut.pb')).toThrow(GraphDefError);
    expect(() => readGraphDef(bytes.subarray(0, bytes.length - 7), 'cut.pb')).toThrow(/^cut\.pb: not a TensorFlow GraphDef/);
    expect(() => readGraphDef(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff]), 'junk.pb')).toThrow(/^junk\.pb: not a TensorFlow GraphDef/);
  });
  it('no nodes (an empty file, or another message), a node without op, a duplicate name', () => {
    expect(() => readGraphDef(new Uint8Array(0), 'empty.pb')).toThrow(/empty\.pb: the GraphDef has no nodes/);
    expect(() => readGraphDef(encodeGraphDef({ nodes: [node('a', '')] }), 'x.pb')).toThrow(/x\.pb: node #0 \('a'\) has no op/);
    expect(() => readGraphDef(encodeGraphDef({ nodes: [node('a', 'Relu'), node('a', 'Relu')] }), 'x.pb')).toThrow(/two nodes are named 'a'/);
  });
  it('a tensor whose bytes do not fit its shape names the node and attr', () => {
    const bad = { kind: 'tensor' as const, value: { dtype: 'float' as const, dims: [2, 2], values: Float32Array.from([1, 2, 3]) } };
    expect(() => readGraphDef(encodeGraphDef({ nodes: [node('k', 'Const', [], { value: bad })] }), 'x.pb')).toThrow(
      "x.pb: node 'k' (Const) attr 'value': tensor_content holds 12 bytes, but float[2,2] needs 16",
    );
  });
});
