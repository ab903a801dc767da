/**
 * DepthwiseConv2D (and the layers an imported graph needs beside it: Reshape, Add,
 * Multiply, the relu6 activation) against TensorFlow.js with the same weights: forward
 * values within 1e-5 relative at 'highest' and the bf16 bound at 'default', through the
 * lowered program on the simulated TensorCore (a dilated conv against tfjs-core's op:
 * tfjs-layers drops the layer's dilationRate); the loss and the gradients of the depthwise
 * kernel and bias against tf.grads; the TensorFlow.js topology read back by tfjs-layers and
 * by tpusim.
 */
import { describe, expect, it } from 'vitest';
import {
  Add,
  DepthwiseConv2D,
  Multiply,
  Reshape,
  activation,
  categoricalCrossentropy,
  dense,
  flatten,
  input,
  model,
  modelFromTopology,
  toTfjs,
  type Model,
} from '../../src/layers/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';
import { tfjs } from './tfjs.ts';

type Opts = { kernelSize: number | [number, number]; strides?: number; padding: 'same' | 'valid'; depthMultiplier?: number; dilationRate?: number; activation?: 'relu6' | 'linear' | 'relu'; useBias?: boolean };

const CASES: { name: string; shape: number[]; o: Opts }[] = [
  { name: 'k3 s1 same relu6', shape: [7, 5, 3], o: { kernelSize: 3, padding: 'same', activation: 'relu6' } },
  { name: 'k3 s2 same on an even size (pads 0 before, 1 after)', shape: [8, 6, 4], o: { kernelSize: 3, strides: 2, padding: 'same' } },
  { name: 'k3 s2 same on an odd size', shape: [7, 7, 2], o: { kernelSize: 3, strides: 2, padding: 'same', useBias: false } },
  { name: 'k[2,3] valid, depthMultiplier 2', shape: [6, 7, 3], o: { kernelSize: [2, 3], padding: 'valid', depthMultiplier: 2 } },
  { name: 'k3 dilation 2 same', shape: [7, 7, 2], o: { kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu' } },
];

function randomize(m: Model, seed: number): void {
  const r = new SeededRandom(seed);
  for (const w of m.weights) w.value = Float32Array.from({ length: w.size }, () => 2 * r.next() - 1);
}

const data = (n: number, seed: number): Float32Array => {
  const r = new SeededRandom(seed);
  return Float32Array.from({ length: n }, () => 2 * r.next() - 1);
};

describe('DepthwiseConv2D conformance with tfjs-layers', () => {
  for (const c of CASES) {
    it(`${c.name}: 'highest' within 1e-5 relative, default within the bf16 bound`, async () => {
      const { tf, tfl } = await tfjs();
      const x = input({ shape: c.shape });
      const ours = model({ inputs: x, outputs: new DepthwiseConv2D(c.o).apply(x) });
      randomize(ours, 11);
      const tx = tfl.input({ shape: c.shape });
      const theirs = tfl.model({ inputs: tx, outputs: tfl.layers.depthwiseConv2d(c.o).apply(tx) as typeof tx });
      theirs.setWeights(ours.weights.map((w) => tf.tensor(w.value!, [...w.shape])));
      const batch = 2;
      const xs = data(batch * c.shape.reduce((a, d) => a * d, 1), 5);
      let want = (theirs.predict(tf.tensor(xs, [batch, ...c.shape])) as ReturnType<typeof tf.tensor>).dataSync() as Float32Array;
      expect(ours.outputs[0]!.shape.slice(1)).toEqual((theirs.outputs[0]!.shape as number[]).slice(1));
      if (c.o.dilationRate !== undefined) {
        // NOTE: tfjs-layers' DepthwiseConv2D drops dilationRate (it calls the op with null), so
        // the dilated case is compared with tfjs-core's op, which takes it.
        const [k, bias] = ours.weights.map((w) => tf.tensor(w.value!, [...w.shape]));
        const y = tf.depthwiseConv2d(tf.tensor4d(xs, [batch, ...c.shape] as never), k as never, c.o.strides ?? 1, c.o.padding, 'NHWC', c.o.dilationRate);
        want = tf.relu(tf.add(y, bias!)).dataSync() as Float32Array;
      }
      const scale = want.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      for (const precision of ['highest', 'default'] as const) {
        const got = await ours.predict(xs, { precision });
        expect(got.length).toBe(want.length);
        got.forEach((v, i) => {
          const tol = precision === 'highest' ? 1e-5 * Math.abs(want[i]!) + 1e-6 : 2 ** -7 * scale + 1e-6;
          if (!(Math.abs(v - want[i]!) <= tol)) expect.fail(`${precision}: output ${i} is ${v}, tfjs ${want[i]}`);
        });
      }
      theirs.dispose();
    });
  }

  it('reshape, add, multiply and relu6 match too', async () => {
    const { tf, tfl } = await tfjs();
    const x = input({ shape: [4, 3, 2] });
    const a = new DepthwiseConv2D({ kernelSize: 3, padding: 'same' }).apply(x);
    const s = new Add().apply([a, x]);
    const p = new Multiply().apply([s, activation({ activation: 'relu6' }).apply(a)]);
    const ours = model({ inputs: x, outputs: new Reshape({ targetShape: [-1, 4] }).apply(p) });
    randomize(ours, 4);
    const tx = tfl.input({ shape: [4, 3, 2] });
    const ta = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(tx) as typeof tx;
    const ts = tfl.layers.add().apply([ta, tx]) as typeof tx;
    const tp = tfl.layers.multiply().apply([ts, tfl.layers.activation({ activation: 'relu6' }).apply(ta) as typeof tx]) as typeof tx;
    const theirs = tfl.model({ inputs: tx, outputs: tfl.layers.reshape({ targetShape: [-1, 4] }).apply(tp) as typeof tx });
    theirs.setWeights(ours.weights.map((w) => tf.tensor(w.value!, [...w.shape])));
    const xs = data(3 * 24, 8).map((v) => 4 * v);
    const want = (theirs.predict(tf.tensor(xs, [3, 4, 3, 2])) as ReturnType<typeof tf.tensor>).dataSync();
    expect(ours.outputs[0]!.shape).toEqual([null, 6, 4]);
    const got = await ours.predict(xs, { precision: 'highest' });
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]!) + 1e-6));
    theirs.dispose();
  });
});

describe('DepthwiseConv2D gradients against tf.grads', () => {
  it("loss and the gradients of depthwise_kernel, bias and the head match within 1e-5 relative at 'highest'", async () => {
    const { tf } = await tfjs();
    const { compileGradStep } = await import('../../src/layers/step.ts');
    const { evaluate } = await import('../../src/xla/index.ts');
    const x = input({ shape: [6, 6, 3] });
    const h = new DepthwiseConv2D({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu6' }).apply(x); // [B, 3, 3, 6]
    const ours = model({ inputs: x, outputs: dense({ units: 4, activation: 'softmax' }).apply(flatten().apply(h)) });
    randomize(ours, 21);
    const batch = 3;
    const xs = data(batch * 108, 2).map((v) => 3 * v);
    const labels = new Float32Array(batch * 4);
    [1, 3, 0].forEach((c, i) => (labels[i * 4 + c] = 1));
    const step = compileGradStep({ model: ours, loss: categoricalCrossentropy(), precision: 'highest', batch });
    const out = evaluate(step.module, [xs, labels, [0], ...step.trainable.map((w) => w.value!)]).map((l) => l.data);
    type Tn = ReturnType<typeof tf.tensor>;
    const f = (k: Tn, kb: Tn, w: Tn, wb: Tn): Tn => {
      const conv = tf.depthwiseConv2d(tf.tensor4d(xs, [batch, 6, 6, 3]), k as never, 2, 'same');
      const hh = tf.clipByValue(tf.add(conv, kb), 0, 6);
      const p = tf.softmax(tf.add(tf.matMul(tf.reshape(hh, [batch, 54]), w as never), wb));
      const clipped = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.tensor2d(labels, [batch, 4]), tf.log(clipped)), -1)));
    };
    const ws = ours.weights.map((v) => tf.tensor(v.value!, [...v.shape]));
    const { value, grads } = tf.valueAndGrads((...a: Tn[]) => f(a[0]!, a[1]!, a[2]!, a[3]!))(ws);
    const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * Math.abs(b) + 1e-7;
    expect(close(out[0]![0]!, value.dataSync()[0]!)).toBe(true);
    grads.forEach((g, i) => {
      const want = g.dataSync();
      expect(out[2 + i]!.length).toBe(want.length);
      out[2 + i]!.forEach((v, j) => {
        if (!close(v, want[j]!)) expect.fail(`gradient of ${ours.weights[i]!.fullName}[${j}]: ${v} vs tfjs ${want[j]}`);
      });
    });
  });
});

describe('DepthwiseConv2D in the TensorFlow.js format', () => {
  it('tfjs-layers and tpusim both read the topology tpusim writes', async () => {
    const { tfl } = await tfjs();
    const x = input({ shape: [5, 5, 2] });
    const d = new DepthwiseConv2D({ kernelSize: [3, 2], strides: 2, padding: 'same', depthMultiplier: 3, dilationRate: 1, activation: 'relu6', name: 'dw' }).apply(x);
    const m = model({ inputs: x, outputs: new Reshape({ targetShape: [-1] }).apply(new Add().apply([d, d])) });
    const { json } = toTfjs(m);
    const theirs = await tfl.models.modelFromJSON(json.modelTopology as never);
    expect(theirs.getLayer('dw').getConfig()).toMatchObject({ kernelSize: [3, 2], strides: [2, 2], padding: 'same', depthMultiplier: 3, activation: 'relu6' });
    const back = modelFromTopology(json);
    const layer = back.layers.find((l) => l.name === 'dw') as DepthwiseConv2D;
    expect(layer.getConfig()).toEqual((m.layers.find((l) => l.name === 'dw') as DepthwiseConv2D).getConfig());
    expect(back.outputs[0]!.shape).toEqual([null, 3 * 3 * 6]);
    theirs.dispose();
  });
});
