/**
 * Conformance against TensorFlow.js (core + layers, CPU backend) with the same weights:
 * forward outputs of every layer type and configuration within 1e-5 relative in 'highest'
 * precision, and within the bf16 bound in default precision (one bf16 pass: each operand
 * rounded to 8 significant bits, so each product is off by at most 2^-8 relative, and a
 * sum by at most 2^-8 * sum |x||w|; we check |ours - tfjs| <= 2^-7 * max|tfjs| + 1e-6).
 */
import { describe, expect, it } from 'vitest';
import type { Precision } from '../../src/mxu/config.ts';
import {
  activation,
  averagePooling2d,
  batchNormalization,
  concatenate,
  conv2d,
  dense,
  flatten,
  globalAveragePooling2d,
  input,
  maxPooling2d,
  model,
  type Layer,
  type Model,
} from '../../src/layers/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';
import { tfjs } from './tfjs.ts';

type Tfl = Awaited<ReturnType<typeof tfjs>>['tfl'];

interface Case {
  readonly name: string;
  readonly shape: readonly number[];
  /** Our layers and tfjs's, applied one after the other (or as a fire-like branch). */
  readonly ours: () => Layer[];
  readonly theirs: (tfl: Tfl) => { apply(x: ReturnType<Tfl['input']>): unknown }[];
}

const conv = (o: { filters: number; kernelSize: number; strides?: number; padding: 'same' | 'valid'; activation?: 'relu' | 'linear' }) => o;

const CASES: Case[] = [
  { name: 'dense relu', shape: [13], ours: () => [dense({ units: 7, activation: 'relu' })], theirs: (t) => [t.layers.dense({ units: 7, activation: 'relu' })] },
  { name: 'dense softmax', shape: [6], ours: () => [dense({ units: 5, activation: 'softmax' })], theirs: (t) => [t.layers.dense({ units: 5, activation: 'softmax' })] },
  { name: 'dense sigmoid no bias', shape: [9], ours: () => [dense({ units: 3, activation: 'sigmoid', useBias: false })], theirs: (t) => [t.layers.dense({ units: 3, activation: 'sigmoid', useBias: false })] },
  { name: 'activation tanh', shape: [4, 3], ours: () => [activation({ activation: 'tanh' })], theirs: (t) => [t.layers.activation({ activation: 'tanh' })] },
  ...(
    [
      conv({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      conv({ filters: 3, kernelSize: 3, padding: 'valid' }),
      conv({ filters: 5, kernelSize: 3, strides: 2, padding: 'same' }),
      conv({ filters: 2, kernelSize: 2, strides: 2, padding: 'valid' }),
      conv({ filters: 3, kernelSize: 1, padding: 'same' }),
    ] as const
  ).map((o) => ({
    name: `conv2d k${o.kernelSize} s${o.strides ?? 1} ${o.padding}`,
    shape: [7, 5, 3],
    ours: () => [conv2d({ ...o })],
    theirs: (t: Tfl) => [t.layers.conv2d({ ...o })],
  })),
  ...(['valid', 'same'] as const).flatMap((padding) => [
    { name: `maxPooling2d ${padding}`, shape: [7, 5, 2], ours: () => [maxPooling2d({ poolSize: 2, padding })], theirs: (t: Tfl) => [t.layers.maxPooling2d({ poolSize: 2, padding })] },
    { name: `averagePooling2d 3/2 ${padding}`, shape: [7, 5, 2], ours: () => [averagePooling2d({ poolSize: 3, strides: 2, padding })], theirs: (t: Tfl) => [t.layers.averagePooling2d({ poolSize: 3, strides: 2, padding })] },
  ]),
  { name: 'globalAveragePooling2d', shape: [5, 3, 4], ours: () => [globalAveragePooling2d()], theirs: (t) => [t.layers.globalAveragePooling2d({})] },
  { name: 'flatten + dense', shape: [3, 3, 2], ours: () => [flatten(), dense({ units: 4 })], theirs: (t) => [t.layers.flatten(), t.layers.dense({ units: 4 })] },
  { name: 'batchNormalization (inference)', shape: [3, 3, 4], ours: () => [batchNormalization()], theirs: (t) => [t.layers.batchNormalization({})] },
];

/** Random weights (and BN moving stats) set identically on both sides. */
function randomize(m: Model, seed: number): void {
  const r = new SeededRandom(seed);
  for (const w of m.weights) {
    w.value = Float32Array.from({ length: w.size }, () => (w.name === 'moving_variance' ? 0.5 + r.next() : 2 * r.next() - 1));
  }
}

function tolerance(precision: Precision, expected: Float32Array): (d: number, e: number) => boolean {
  if (precision === 'highest') return (d, e) => d <= 1e-5 * Math.abs(e) + 1e-6;
  const scale = expected.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  // bf16x3 keeps about 16 significant bits of each product.
  if (precision === 'high') return (d) => d <= 2 ** -14 * scale + 1e-6;
  return (d) => d <= 2 ** -7 * scale + 1e-6;
}

describe('forward conformance with tfjs-layers', () => {
  for (const c of CASES) {
    it(`${c.name}: 'highest' within 1e-5 relative, 'high' within 2^-14, default within the bf16 bound`, async () => {
      const { tf, tfl } = await tfjs();
      const x = input({ shape: c.shape });
      let y = x;
      for (const l of c.ours()) y = l.apply(y);
      const ours = model({ inputs: x, outputs: y });
      randomize(ours, 11);
      const tx = tfl.input({ shape: [...c.shape] });
      let ty = tx;
      for (const l of c.theirs(tfl)) ty = l.apply(ty) as typeof tx;
      const theirs = tfl.model({ inputs: tx, outputs: ty });
      theirs.setWeights(ours.weights.map((w) => tf.tensor(w.value!, [...w.shape])));
      const batch = 3;
      const r = new SeededRandom(5);
      const data = Float32Array.from({ length: batch * c.shape.reduce((a, d) => a * d, 1) }, () => 2 * r.next() - 1);
      const expected = (theirs.predict(tf.tensor(data, [batch, ...c.shape])) as ReturnType<typeof tf.tensor>).dataSync() as Float32Array;
      for (const precision of ['highest', 'high', 'default'] as const) {
        const got = await ours.predict(data, { precision });
        expect(got.length).toBe(expected.length);
        const ok = tolerance(precision, expected);
        got.forEach((v, i) => {
          if (!ok(Math.abs(v - expected[i]!), expected[i]!)) expect.fail(`${precision}: output ${i} is ${v}, tfjs ${expected[i]}`);
        });
      }
      theirs.dispose();
    });
  }

  it('a branching fire module (concatenate) matches too', async () => {
    const { tf, tfl } = await tfjs();
    const x = input({ shape: [6, 6, 3] });
    const s = conv2d({ filters: 4, kernelSize: 1, padding: 'same', activation: 'relu' }).apply(x);
    const y = concatenate().apply([conv2d({ filters: 3, kernelSize: 1, padding: 'same' }).apply(s), conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(s)]);
    const ours = model({ inputs: x, outputs: y });
    randomize(ours, 3);
    const tx = tfl.input({ shape: [6, 6, 3] });
    const ts = tfl.layers.conv2d({ filters: 4, kernelSize: 1, padding: 'same', activation: 'relu' }).apply(tx) as typeof tx;
    const ty = tfl.layers.concatenate().apply([tfl.layers.conv2d({ filters: 3, kernelSize: 1, padding: 'same' }).apply(ts) as typeof tx, tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(ts) as typeof tx]) as typeof tx;
    const theirs = tfl.model({ inputs: tx, outputs: ty });
    theirs.setWeights(ours.weights.map((w) => tf.tensor(w.value!, [...w.shape])));
    const r = new SeededRandom(9);
    const data = Float32Array.from({ length: 2 * 108 }, () => r.next());
    const expected = (theirs.predict(tf.tensor(data, [2, 6, 6, 3])) as ReturnType<typeof tf.tensor>).dataSync();
    const got = await ours.predict(data, { precision: 'highest' });
    got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(expected[i]!) + 1e-6));
    theirs.dispose();
  });
});

describe('loss and gradient conformance with tfjs-core', () => {
  it("a conv net's loss and every gradient match tf.grads within 1e-5 relative in 'highest'", async () => {
    const { tf } = await tfjs();
    const { compileGradStep } = await import('../../src/layers/step.ts');
    const { categoricalCrossentropy } = await import('../../src/layers/index.ts');
        const { evaluate } = await import('../../src/xla/index.ts');
    const x = input({ shape: [5, 5, 2] });
    const h = conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    const y = dense({ units: 4, activation: 'softmax' }).apply(globalAveragePooling2d().apply(h));
    const ours = model({ inputs: x, outputs: y });
    randomize(ours, 21);
    const batch = 3;
    const r = new SeededRandom(2);
    const data = Float32Array.from({ length: batch * 50 }, () => r.next());
    const labels = new Float32Array(batch * 4);
    [1, 3, 0].forEach((c, i) => (labels[i * 4 + c] = 1));
    const step = compileGradStep({ model: ours, loss: categoricalCrossentropy(), precision: 'highest', batch });
    const out = evaluate(step.module, [data, labels, [0], ...step.trainable.map((w) => w.value!)]).map((l) => l.data);
    const [k, kb, w, wb] = ours.weights.map((v) => tf.tensor(v.value!, [...v.shape]));
    const f = (k: ReturnType<typeof tf.tensor>, kb: ReturnType<typeof tf.tensor>, w: ReturnType<typeof tf.tensor>, wb: ReturnType<typeof tf.tensor>) => {
      const hh = tf.relu(tf.add(tf.conv2d(tf.tensor4d(data, [batch, 5, 5, 2]), k as never, 1, 'same'), kb));
      const p = tf.softmax(tf.add(tf.matMul(tf.mean(hh, [1, 2]), w as never), wb));
      const clipped = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.tensor2d(labels, [batch, 4]), tf.log(clipped)), -1)));
    };
    const { value, grads } = tf.valueAndGrads((...a: ReturnType<typeof tf.tensor>[]) => f(a[0]!, a[1]!, a[2]!, a[3]!))([k!, kb!, w!, wb!]);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.abs(b) + 1e-7;
    expect(close(out[0]![0]!, value.dataSync()[0]!)).toBe(true);
    grads.forEach((g, i) => {
      const want = g.dataSync();
      out[2 + i]!.forEach((v, j) => {
        if (!close(v, want[j]!)) expect.fail(`gradient ${i} value ${j}: ${v} vs tfjs ${want[j]}`);
      });
    });
  });
});

describe('training-mode gradients through batch norm and max pooling', () => {
  it("match tf.grads within 1e-5 relative in 'highest' (sparse labels)", async () => {
    const { tf } = await tfjs();
    const { compileGradStep } = await import('../../src/layers/step.ts');
    const { sparseCategoricalCrossentropy } = await import('../../src/layers/index.ts');
    const { evaluate } = await import('../../src/xla/index.ts');
    const x = input({ shape: [6, 6, 2] });
    const c = conv2d({ filters: 3, kernelSize: 3, padding: 'valid', activation: 'relu' }).apply(x); // [B, 4, 4, 3]
    const n = batchNormalization({ momentum: 0.9 }).apply(c);
    const p = maxPooling2d({ poolSize: 2 }).apply(n); // [B, 2, 2, 3]
    const y = dense({ units: 3, activation: 'softmax' }).apply(flatten().apply(p));
    const ours = model({ inputs: x, outputs: y });
    randomize(ours, 33);
    const batch = 4;
    const r = new SeededRandom(8);
    const data = Float32Array.from({ length: batch * 72 }, () => r.next());
    const labels = new Float32Array([2, 0, 1, 2]);
    const step = compileGradStep({ model: ours, loss: sparseCategoricalCrossentropy(), precision: 'highest', batch });
    const out = evaluate(step.module, [data, labels, [0], ...step.trainable.map((w) => w.value!), ...step.frozen.map((w) => w.value!)]).map((l) => l.data);
    const T = (w: (typeof ours.weights)[number]) => tf.tensor(w.value!, [...w.shape]);
    const [k, kb, gamma, beta, , , w, wb] = ours.weights.map(T);
    type Tn = ReturnType<typeof tf.tensor>;
    const f = (k: Tn, kb: Tn, gamma: Tn, beta: Tn, w: Tn, wb: Tn) => {
      const h = tf.relu(tf.add(tf.conv2d(tf.tensor4d(data, [batch, 6, 6, 2]), k as never, 1, 'valid'), kb));
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const bn = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-3))), gamma), beta);
      const pooled = tf.maxPool(bn as never, 2, 2, 'valid');
      const probs = tf.softmax(tf.add(tf.matMul(tf.reshape(pooled, [batch, 12]), w as never), wb));
      const clipped = tf.clipByValue(tf.div(probs, tf.sum(probs, -1, true)), 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d([2, 0, 1, 2], 'int32'), 3), tf.log(clipped)), -1)));
    };
    const { value, grads } = tf.valueAndGrads((...a: Tn[]) => f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!))([k!, kb!, gamma!, beta!, w!, wb!]);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.abs(b) + 1e-6;
    expect(close(out[0]![0]!, value.dataSync()[0]!)).toBe(true);
    grads.forEach((g, i) => {
      const want = g.dataSync();
      out[2 + i]!.forEach((v, j) => {
        if (!close(v, want[j]!)) expect.fail(`gradient ${i} value ${j}: ${v} vs tfjs ${want[j]}`);
      });
    });
    // The moving statistics are updated with the batch's (biased) moments.
    const { mean } = tf.moments(tf.relu(tf.add(tf.conv2d(tf.tensor4d(data, [batch, 6, 6, 2]), k as never, 1, 'valid'), kb!)), [0, 1, 2]);
    const movingMean = out[2 + 6]!;
    const m0 = ours.weights[4]!.value!;
    Array.from(mean.dataSync()).forEach((v, j) => expect(close(movingMean[j]!, 0.9 * m0[j]! + 0.1 * v)).toBe(true));
  });
});
