/**
 * The importer against an independent float64 interpreter of the TensorFlow ops
 * (./tf-reference.ts), on graphs built here: batch norms (TF-Slim's unfused pattern and
 * FusedBatchNormV3) folded into Conv2D and depthwise convs give the unfolded graph's values;
 * TensorFlow's 'SAME' padding with stride 2 on even sizes (0 before, 1 after); depthwise
 * with a depth multiplier; a conv read by two consumers is not folded; a per-channel
 * constant after a pool; a cut at an inner node; and the errors, each naming the node.
 * Models run on the simulated TPU at 'highest' precision (f32-accurate).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Conv2D, DepthwiseConv2D, loadModel, saveModel, type Model } from '../../src/layers/index.ts';
import { convertGraph, GraphImportError, type TfGraph, type TfNode } from '../../src/tfgraph/index.ts';
import { constF, constI, convNodes, fusedBatchNorm, ints, node, placeholder, str, unfusedBatchNorm, values, viaWire } from './graphs.ts';
import { tfjs } from '../layers/tfjs.ts';
import { evaluateTf, type T64 } from './tf-reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'tpusim-tfgraph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Model output vs the reference on `batch` seeded images; returns the largest error relative to the largest reference value. */
async function compare(m: Model, g: TfGraph, output: string, o: { batch?: number; scale?: number; offset?: number } = {}): Promise<{ err: number; ref: T64; got: Float32Array }> {
  const [, h, w, c] = m.inputShape as [null, number, number, number];
  const batch = o.batch ?? 2;
  const x = Float32Array.from(values(99, batch * h * w * c, 0, 1));
  const ref = evaluateTf(g, output, { dims: [batch, h, w, c], data: Float64Array.from(x, (v) => v * (o.scale ?? 1) + (o.offset ?? 0)) });
  const got = await m.predict(x, { precision: 'highest' });
  expect(got.length).toBe(ref.data.length);
  const top = Math.max(...ref.data.map(Math.abs));
  const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - ref.data[i]!))) / top;
  return { err, ref, got };
}

/** input [1, 8, 8, 3] -> conv 3x3/2 (4) + unfused BN + Relu6 -> depthwise 3x3/2 (M 2) + FusedBatchNormV3 + Relu -> conv 1x1 (5) + BiasAdd -> AvgPool 2x2 -> Squeeze -> Softmax. */
function mobileNetLike(): TfNode[] {
  return [
    placeholder('input', [1, 8, 8, 3]),
    ...convNodes({ name: 'c0', x: 'input', op: 'Conv2D', filter: [3, 3, 3, 4], seed: 1, stride: 2 }),
    ...unfusedBatchNorm('c0', 'c0/conv', 4, 10),
    node('c0/Relu6', 'Relu6', ['c0/BatchNorm/batchnorm/add_1']),
    ...convNodes({ name: 'dw', x: 'c0/Relu6', op: 'DepthwiseConv2dNative', filter: [3, 3, 4, 2], seed: 2, stride: 2 }),
    ...fusedBatchNorm('dw/bn', 'dw/conv', 8, 20),
    node('dw/Relu', 'Relu', ['dw/bn']),
    ...convNodes({ name: 'pw', x: 'dw/Relu', op: 'Conv2D', filter: [1, 1, 8, 5], seed: 3 }),
    constF('pw/biases', [5], values(4, 5)),
    node('pw/BiasAdd', 'BiasAdd', ['pw/conv', 'pw/biases'], { data_format: str('NHWC') }),
    node('pool', 'AvgPool', ['pw/BiasAdd'], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: str('VALID'), data_format: str('NHWC') }),
    node('squeeze', 'Squeeze', ['pool'], { squeeze_dims: ints([1, 2]) }),
    node('softmax', 'Softmax', ['squeeze']),
  ];
}

describe('convertGraph: values equal the TensorFlow ops', () => {
  it('conv + unfused BN + relu6, depthwise (M 2) + FusedBatchNormV3 + relu, 1x1 conv + bias, pool, squeeze, softmax', async () => {
    const g = viaWire(mobileNetLike());
    const m = convertGraph(g, { inputScale: 2, inputOffset: -1 });
    // every batch norm and bias folded: three convolutions and no elementwise layers
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'Rescaling', 'Conv2D', 'DepthwiseConv2D', 'Conv2D', 'AveragePooling2D', 'Reshape', 'Activation']);
    expect(m.layers.map((l) => (l instanceof Conv2D || l instanceof DepthwiseConv2D ? l.activation : '-'))).toEqual(['-', '-', 'relu6', 'relu', 'linear', '-', '-', '-']);
    expect(m.layers[2]!.name).toBe('c0'); // named after the kernel's scope
    const { err, got } = await compare(m, g, 'softmax', { scale: 2, offset: -1 });
    expect(err).toBeLessThan(1e-5);
    expect(Array.from(got.subarray(0, 5)).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
  });

  it('the folded kernel is W * gamma / sqrt(var + eps) per output channel (c * M + m for a depthwise kernel)', async () => {
    const g = viaWire(mobileNetLike());
    const m = convertGraph(g, { output: 'dw/bn' });
    const dw = m.layers.find((l) => l instanceof DepthwiseConv2D) as DepthwiseConv2D;
    const at = (name: string): Float64Array => {
      const t = g.nodes.find((n) => n.name === name)!.attrs.value!;
      return t.kind === 'tensor' ? Float64Array.from(t.value.values) : new Float64Array();
    };
    const [w, gamma, variance] = [at('dw/weights'), at('dw/bn/gamma'), at('dw/bn/variance')];
    const kernel = dw.depthwiseKernel!.value!;
    // kernel [3, 3, 4, 2]: entry (kh, kw, c, m) feeds output channel c * 2 + m
    for (let i = 0; i < w.length; i++) {
      const k = i % 8;
      expect(kernel[i]).toBeCloseTo((w[i]! * gamma[k]!) / Math.sqrt(variance[k]! + Math.fround(0.001)), 6);
    }
  });

  it("'SAME' with stride 2 on an even size pads 0 before and 1 after (conv, depthwise, max and avg pool)", async () => {
    // a 3x3 all-ones filter over a 4x4 all-ones image, stride 2: output (0, 0) sees 3x3 pixels, (1, 1) sees 2x2
    const ones = [placeholder('x', [1, 4, 4, 1]), constF('w', [3, 3, 1, 1], new Array(9).fill(1))];
    const conv = node('conv', 'Conv2D', ['x', 'w'], { padding: str('SAME'), strides: ints([1, 2, 2, 1]) });
    const m = convertGraph(viaWire([...ones, conv]));
    expect(Array.from(await m.predict(new Float32Array(16).fill(1), { precision: 'highest' }))).toEqual([9, 6, 6, 4]);
    const nodes = [
      placeholder('x', [1, 6, 6, 2]),
      ...convNodes({ name: 'dw', x: 'x', op: 'DepthwiseConv2dNative', filter: [3, 3, 2, 1], seed: 5, stride: 2 }),
      node('max', 'MaxPool', ['dw/conv'], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: str('SAME') }),
      ...convNodes({ name: 'c', x: 'max', op: 'Conv2D', filter: [2, 2, 2, 3], seed: 6, stride: 2 }),
      node('avg', 'AvgPool', ['c/conv'], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 1, 1, 1]), padding: str('SAME') }),
    ];
    const g = viaWire(nodes);
    const deep = convertGraph(g);
    expect(deep.outputShape).toEqual([null, 1, 1, 3]);
    expect((await compare(deep, g, 'avg')).err).toBeLessThan(1e-5);
    const mid = convertGraph(g, { output: 'max' });
    expect(mid.outputShape).toEqual([null, 2, 2, 2]);
    expect((await compare(mid, g, 'max')).err).toBeLessThan(1e-5);
  });

  it('a dilated depthwise conv with depth multiplier 3, VALID padding, a bias, then a batch norm (the bias scaled too)', async () => {
    const nodes = [
      placeholder('x', [1, 7, 7, 2]),
      ...convNodes({ name: 'dw', x: 'x', op: 'DepthwiseConv2dNative', filter: [3, 3, 2, 3], seed: 7, padding: 'VALID', dilation: 2 }),
      constF('dw/biases', [6], values(11, 6, -3, 3)),
      node('dw/BiasAdd', 'BiasAdd', ['dw/conv', 'dw/biases']),
      ...fusedBatchNorm('bn', 'dw/BiasAdd', 6, 40),
    ];
    const g = viaWire(nodes);
    const m = convertGraph(g);
    expect(m.outputShape).toEqual([null, 3, 3, 6]);
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'DepthwiseConv2D']);
    expect((await compare(m, g, 'bn')).err).toBeLessThan(1e-5);
  });

  it('a conv with two consumers is not folded; a per-channel affine after a pool becomes a 1x1 depthwise; tensor Add and Mul', async () => {
    const nodes = [
      placeholder('x', [-1, 4, 4, 2]),
      ...convNodes({ name: 'c', x: 'x', op: 'Conv2D', filter: [3, 3, 2, 3], seed: 8 }),
      constF('s', [3], [2, -1, 0.5]),
      node('scaled', 'Mul', ['c/conv', 's']),
      node('relu', 'Relu', ['c/conv']),
      node('sum', 'AddV2', ['scaled', 'relu']),
      node('pool', 'MaxPool', ['sum'], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: str('VALID') }),
      ...fusedBatchNorm('bn', 'pool', 3, 30),
      node('prod', 'Mul', ['bn', 'pool']),
    ];
    const g = viaWire(nodes);
    const m = convertGraph(g);
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'DepthwiseConv2D', 'Activation', 'Add', 'MaxPooling2D', 'DepthwiseConv2D', 'Multiply']);
    expect((await compare(m, g, 'prod', { batch: 3 })).err).toBeLessThan(1e-5);
  });

  it('Reshape with the batch first (-1 or the graph\'s 1), Squeeze of all unit dims; the model saves and loads with the same outputs', async () => {
    const nodes = [
      placeholder('x', [1, 2, 2, 3]),
      ...convNodes({ name: 'c', x: 'x', op: 'Conv2D', filter: [2, 2, 3, 4], seed: 9, padding: 'VALID' }),
      node('sq', 'Squeeze', ['c/conv']),
      constI('shape', [3], [1, 2, 2]),
      node('r', 'Reshape', ['sq', 'shape']),
      constI('flat', [2], [-1, 4]),
      node('r2', 'Reshape', ['r', 'flat']),
      node('out', 'Softmax', ['r2']),
    ];
    const g = viaWire(nodes);
    const m = convertGraph(g, { inputScale: 255 });
    expect(m.outputShape).toEqual([null, 4]);
    const { err, got } = await compare(m, g, 'out', { scale: 255 });
    expect(err).toBeLessThan(1e-5);
    await saveModel(m, join(dir, 'reshape'));
    const back = await loadModel(join(dir, 'reshape'));
    const x = Float32Array.from(values(99, 2 * 12, 0, 1));
    expect(await back.predict(x, { precision: 'highest' })).toEqual(got);
  });

  it('an imported model saved in the TF.js format loads in tfjs-layers and predicts the same', async () => {
    const { tf, tfl } = await tfjs();
    const m = convertGraph(viaWire(mobileNetLike()), { inputScale: 2, inputOffset: -1 });
    await saveModel(m, join(dir, 'tfjs'));
    const json = JSON.parse(readFileSync(join(dir, 'tfjs', 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'tfjs', json.weightsManifest[0].paths[0]));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
    const x = Float32Array.from(values(5, 2 * 8 * 8 * 3, 0, 1));
    const want = (loaded.predict(tf.tensor(x, [2, 8, 8, 3])) as ReturnType<typeof tf.tensor>).dataSync();
    const got = await m.predict(x, { precision: 'highest' });
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]!) + 1e-6));
    loaded.dispose();
  });
});

describe('convertGraph: the cut and the errors', () => {
  it('--output cuts at an inner node: a feature extractor without the head', () => {
    const m = convertGraph(viaWire(mobileNetLike()), { output: 'dw/Relu' });
    expect(m.outputShape).toEqual([null, 2, 2, 8]);
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'DepthwiseConv2D']);
    expect(() => convertGraph(viaWire(mobileNetLike()), { output: 'nope' })).toThrow("--output 'nope': no node of that name in the graph");
  });

  it('--image-size changes the input; a head that no longer fits names the node', () => {
    const g = viaWire(mobileNetLike());
    expect(convertGraph(g, { output: 'dw/Relu', imageSize: 16 }).outputShape).toEqual([null, 4, 4, 8]);
    expect(() => convertGraph(g, { imageSize: 4 })).toThrow(/node 'pool' \(AvgPool\): .*pool height 2 is larger than the input's 1/);
  });

  it('every unsupported op of the cut in one error, by name and type', () => {
    const nodes = [placeholder('x', [1, 4, 4, 2]), node('t', 'Tanh', ['x']), node('m', 'MatMul', ['t', 't']), node('e', 'Erf', ['m'])];
    expect(() => convertGraph(viaWire(nodes))).toThrow(GraphImportError);
    expect(() => convertGraph(viaWire(nodes))).toThrow(/3 node\(s\) use ops tpusim cannot import: 't' \(Tanh\), 'm' \(MatMul\), 'e' \(Erf\)/);
  });

  it('bad attributes and operands name the node', () => {
    const base = [placeholder('x', [1, 4, 4, 2]), constF('w', [1, 1, 2, 2], [1, 0, 0, 1])];
    const bad = (extra: TfNode[], message: RegExp): void => void expect(() => convertGraph(viaWire([...base, ...extra]))).toThrow(message);
    bad([node('c', 'Conv2D', ['x', 'w'], { padding: str('SAME'), strides: ints([1, 1, 1, 1]), data_format: str('NCHW') })], /node 'c' \(Conv2D\): data_format 'NCHW' is not supported/);
    bad([node('c', 'Conv2D', ['x', 'x'], { padding: str('SAME'), strides: ints([1, 1, 1, 1]) })], /node 'c' \(Conv2D\): the filter must be a constant/);
    bad([node('c', 'Conv2D', ['x', 'w'], { padding: str('EXPLICIT'), strides: ints([1, 1, 1, 1]) })], /node 'c' \(Conv2D\): padding 'EXPLICIT' is not supported/);
    bad([node('c', 'Conv2D', ['x', 'w'], { padding: str('SAME'), strides: ints([2, 1, 1, 1]) })], /node 'c' \(Conv2D\): attr 'strides' \[2, 1, 1, 1\] is not supported/);
    bad([constF('s', [3], [1, 2, 3]), node('m', 'Mul', ['x', 's'])], /node 'm' \(Mul\): a constant of shape \[3\] is not per channel for 2 channels/);
    bad([constF('s', [2], [1, 2]), node('d', 'Sub', ['s', 'x'])], /node 'd' \(Sub\): is supported only with a constant second operand/);
    const bn = fusedBatchNorm('bn', 'x', 2, 1);
    const training = { ...bn[4]!, attrs: { ...bn[4]!.attrs, is_training: { kind: 'b', value: true } } } as TfNode;
    bad([...bn.slice(0, 4), training], /node 'bn' \(FusedBatchNormV3\): is_training is true/);
    bad([constI('shape', [2], [4, -1]), node('r', 'Reshape', ['x', 'shape'])], /node 'r' \(Reshape\): target shape \[4, -1\] does not keep the batch dimension first/);
  });
});
