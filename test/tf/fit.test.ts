/** model.fit / fitDataset / evaluate / predict with TF.js's arguments, logs, callbacks and History. */
import { describe, expect, it } from 'vitest';
import { Dataset } from '../../src/data/index.ts';
import * as tf from '../../src/tf/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';
import { progressLogger } from '../../src/tf/callbacks.ts';

const N = 24;
const r = new SeededRandom(7);
const X = Array.from({ length: N * 4 }, () => 2 * r.next() - 1);
const LABELS = Array.from({ length: N }, (_, i) => (X[4 * i]! > 0 ? 1 : 0) + (X[4 * i + 1]! > 0 ? 1 : 0));
const xs = () => tf.tensor2d(X, [N, 4]);
const ys = () => tf.oneHot(LABELS, 3);

function mlp(compile: Partial<tf.ModelCompileArgs> = {}): tf.Sequential {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  m.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'], ...compile });
  return m;
}

describe('model.fit', () => {
  it("returns TF.js's History: per-epoch loss, acc, val_loss, val_acc; example-weighted means", async () => {
    const m = mlp();
    const h = await m.fit(xs(), ys(), { batchSize: 8, epochs: 3, validationSplit: 0.25, verbose: 0 });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(h.history)).toEqual(['val_loss', 'val_acc', 'loss', 'acc']);
    expect(h.history.loss![2]).toBeLessThan(h.history.loss![0]!);
    expect(h.params).toMatchObject({ epochs: 3, samples: 18, steps: 3, batchSize: 8, doValidation: true, metrics: ['loss', 'acc', 'val_loss', 'val_acc'] });
    // val logs are the evaluation of the held-out last 6 examples with the epoch's final weights
    const tail = [tf.tensor2d(X.slice(18 * 4), [6, 4]), tf.oneHot(LABELS.slice(18), 3)] as const;
    const [loss, acc] = m.evaluate(tail[0], tail[1]) as tf.Tensor[];
    expect(loss!.shape).toEqual([]);
    expect(() => loss!.dataSync()).toThrow(/is still being computed on the simulated TPU; read it with await tensor.data\(\)/);
    expect((await loss!.data())[0]).toBeCloseTo(h.history.val_loss![2]!, 6);
    expect((await acc!.data())[0]).toBeCloseTo(h.history.val_acc![2]!, 6);
    expect(loss!.dataSync()[0]).toBeCloseTo(h.history.val_loss![2]!, 6);
  });

  it('calls every hook in order with TF.js logs, awaiting async ones', async () => {
    const events: string[] = [];
    const m = mlp({ metrics: ['categoricalAccuracy'] });
    await m.fit(xs(), ys(), {
      batchSize: 16,
      epochs: 2,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onTrainBegin: () => void events.push('trainBegin'),
        onEpochBegin: async (e) => {
          await new Promise((res) => setTimeout(res, 1));
          events.push(`epochBegin ${e}`);
        },
        onBatchBegin: (b, logs) => void events.push(`batchBegin ${b} ${Object.keys(logs!).length}`),
        onBatchEnd: (b, logs) => void events.push(`batchEnd ${b} ${Object.keys(logs!).join(',')}`),
        onEpochEnd: (e, logs) => void events.push(`epochEnd ${e} ${Object.keys(logs!).join(',')}`),
        onTrainEnd: () => void events.push('trainEnd'),
      },
    });
    const epoch = (e: number) => [`epochBegin ${e}`, 'batchBegin 0 0', 'batchEnd 0 batch,size,loss,categoricalAccuracy', 'batchBegin 1 0', 'batchEnd 1 batch,size,loss,categoricalAccuracy', `epochEnd ${e} loss,categoricalAccuracy`];
    expect(events).toEqual(['trainBegin', ...epoch(0), ...epoch(1), 'trainEnd']);
  });

  it("verbose 1 prints tfjs-node's epoch lines, and a bar redrawn per batch on a terminal", async () => {
    const lines: string[] = [];
    await mlp().fit(xs(), ys(), { batchSize: 12, epochs: 2, verbose: 0, validationSplit: 0.5, callbacks: progressLogger({ write: (t) => void lines.push(t), tty: false }) });
    expect(lines.join('')).toMatch(/^Epoch 1 \/ 2\n\d+ms \d+us\/step - loss=\d\.\d+ acc=\d\.\d+ val_loss=\d\.\d+ val_acc=\d\.\d+\nEpoch 2 \/ 2\n/);
    const tty: string[] = [];
    await mlp().fit(xs(), ys(), { batchSize: 12, epochs: 1, verbose: 0, callbacks: progressLogger({ write: (t) => void tty.push(t), tty: true }) });
    expect(tty[1]).toMatch(/^\r\[={15}> {14}\] 1\/2 loss=\d\.\d+ acc=\d\.\d+\x1b\[K$/);
    expect(tty[2]).toMatch(/^\r\[={30}\] 2\/2 /);
    expect(tty[3]).toMatch(/^\r\x1b\[K\d+ms /);
  });

  it('earlyStopping stops when the monitored log stops improving', async () => {
    const m = mlp({ optimizer: tf.train.sgd(1e-30) });
    const stop = tf.callbacks.earlyStopping({ monitor: 'loss', patience: 2 });
    const h = await m.fit(xs(), ys(), { epochs: 20, verbose: 0, callbacks: [stop] });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(stop.stoppedEpoch).toBe(2);
    const missing = tf.callbacks.earlyStopping({ monitor: 'val_acc' });
    await expect(mlp().fit(xs(), ys(), { epochs: 2, verbose: 0, callbacks: missing })).rejects.toThrow("tf.callbacks.earlyStopping: fit logs have no 'val_acc' (they have loss, acc)");
  });

  it('shuffles with a seed: the same fit twice gives the same bits; fitDataset on the same batches too', async () => {
    const a = await mlp().fit(xs(), ys(), { batchSize: 8, epochs: 2, verbose: 0 });
    const b = await mlp().fit(xs(), ys(), { batchSize: 8, epochs: 2, verbose: 0 });
    const c = await mlp().fit(xs(), ys(), { batchSize: 8, epochs: 2, verbose: 0, shuffle: false });
    expect(b.history).toEqual(a.history);
    expect(c.history.loss).not.toEqual(a.history.loss);
    const elements = LABELS.map((l, i) => ({ xs: Float32Array.from(X.slice(4 * i, 4 * i + 4)), ys: Float32Array.from([0, 1, 2].map((k) => (k === l ? 1 : 0))) }));
    const m = mlp();
    const d = await m.fitDataset(Dataset.from(elements).batch(8), { epochs: 2, verbose: 0, validationData: [xs(), ys()] });
    expect(d.history.loss).toEqual(c.history.loss);
    expect(d.history.acc).toEqual(c.history.acc);
    const [vl] = (await m.evaluateDataset(Dataset.from(elements).batch(8))) as tf.Tensor[]; // settled: dataSync works
    expect(vl!.dataSync()[0]).toBeCloseTo(d.history.val_loss![1]!, 6);
  });

  it('fitDataset takes batchesPerEpoch and validationBatches', async () => {
    const batches = Array.from({ length: 3 }, (_, b) => ({ xs: xs().dataSync().slice(b * 32, b * 32 + 32), ys: ys().dataSync().slice(b * 24, b * 24 + 24) }));
    let seen = 0;
    const m = mlp();
    const h = await m.fitDataset(batches, { epochs: 2, batchesPerEpoch: 2, validationData: batches, validationBatches: 1, verbose: 0, callbacks: { onBatchEnd: () => void seen++ } });
    expect([seen, h.params!.steps]).toEqual([4, 2]);
    const [first] = (await m.evaluateDataset(batches, { batches: 1 })) as tf.Tensor[];
    expect(first!.dataSync()[0]).toBeCloseTo(h.history.val_loss![1]!, 6);
  });

  it('sparse labels, two cores, predict and evaluate give tensors with shapes', async () => {
    const m = mlp({ loss: 'sparse_categorical_crossentropy', metrics: 'acc', strategy: tf.tpu.strategy({ cores: 2, threads: 1 }) });
    const h = await m.fit(xs(), tf.tensor1d(LABELS, 'int32'), { batchSize: 8, epochs: 1, verbose: 0, validationData: [xs(), tf.tensor1d(LABELS)] });
    expect(Object.keys(h.history)).toEqual(['val_loss', 'val_acc', 'loss', 'acc']);
    const p = m.predict(xs());
    expect(p.shape).toEqual([N, 3]);
    const rows = (await p.array()) as number[][];
    rows.forEach((row) => expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5));
    const noMetrics = mlp({ metrics: [] });
    expect((noMetrics.evaluate(xs(), ys()) as tf.Tensor).shape).toEqual([]);
  });

  it('top-k accuracy: evaluate counts labels among the k highest predictions, as the host does', async () => {
    const m = mlp({ loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', tf.tpu.topK(2)] });
    const h = await m.fit(xs(), tf.tensor1d(LABELS), { batchSize: 8, epochs: 2, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'acc', 'sparseTopKCategoricalAccuracy']);
    const probs = (await m.predict(xs()).array()) as number[][];
    const top2 = probs.filter((p, i) => p.filter((v) => v > p[LABELS[i]!]!).length < 2).length / N;
    const top1 = probs.filter((p, i) => p.filter((v) => v > p[LABELS[i]!]!).length < 1).length / N;
    const [, acc, topK] = m.evaluate(xs(), tf.tensor1d(LABELS)) as tf.Tensor[];
    expect((await acc!.data())[0]).toBeCloseTo(top1, 6);
    expect((await topK!.data())[0]).toBeCloseTo(top2, 6);
    const five = mlp({ metrics: ['topKCategoricalAccuracy'] });
    expect((await five.fit(xs(), ys(), { epochs: 1, verbose: 0 })).history.topKCategoricalAccuracy).toEqual([1]);
    expect(() => mlp({ metrics: [tf.tpu.topK(2), tf.tpu.topK(3)] })).toThrow('model.compile: metrics ask for top-k with k = 2 and 3; tpusim counts one k per model');
  });

  it('getWeights / setWeights in TF.js order (trainable, then moving statistics)', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 2], [2], [2], [2], [2, 2], [2], [2], [2]]);
    const ws = m.getWeights().map((w, i) => tf.tensor(Array.from(w.dataSync(), (_, j) => 0.1 * i + 0.01 * j + (i === 7 ? 1 : 0)), w.shape));
    m.setWeights(ws);
    expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(ws.map((w) => Array.from(w.dataSync())));
    expect(m.model.getLayer(m.layers[1]!.name).weights.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(() => m.setWeights(ws.slice(1))).toThrow('model.setWeights: got 7 weights, the model has 8');
    expect(() => m.setWeights([tf.zeros([2, 3]), ...ws.slice(1)])).toThrow(/model.setWeights: weights\[0\] has shape \[2,3\], weight '.*\/kernel' needs \[3,2\]/);
  });

  it('errors name the call and the argument', async () => {
    const m = mlp();
    await expect(m.fit(tf.tensor2d(X.slice(0, 20), [4, 5]), ys())).rejects.toThrow('model.fit: x has shape [4,5], the model\'s input is [null,4]');
    await expect(m.fit(xs(), tf.oneHot(LABELS.slice(1), 3))).rejects.toThrow("model.fit: y has shape [23,3]; loss 'categoricalCrossentropy' with 24 examples needs [24,3] (one-hot) or [24] (class indices)");
    await expect(m.fit(xs(), ys(), { validationSplit: 1.5 })).rejects.toThrow('model.fit: validationSplit must be in (0, 1), got 1.5');
    await expect(m.fit(xs(), ys(), { batchsize: 8 } as never)).rejects.toThrow("model.fit: unknown or unsupported option 'batchsize'");
    await expect(m.fit(X as never, ys())).rejects.toThrow('model.fit: x must be a tensor (tf.tensor, tf.tensor2d, ...), got an array of numbers');
    await expect(mlp({ strategy: tf.tpu.strategy({ cores: 8, threads: 1 }) }).fit(xs(), ys(), { batchSize: 20 })).rejects.toThrow(
      'model.fit: batchSize 20 with 24 training examples gives a batch of 20, which does not split over 8 cores',
    );
    expect(() => m.predict(tf.tensor2d([[1, 2]]))).toThrow("model.predict: x has shape [1,2], the model's input is [null,4]");
    await expect(tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [4] })] }).fit(xs(), ys())).rejects.toThrow('model.fit: compile() the model first');
    await expect(m.fitDataset([{ a: 1 }] as never, { epochs: 1, verbose: 0 })).rejects.toThrow('model.fitDataset: dataset element 0 is not an {xs, ys} batch (got keys a)');
    const sparse = mlp({ loss: 'sparseCategoricalCrossentropy', strategy: tf.tpu.strategy({ cores: 8, threads: 1 }) });
    await expect(sparse.fit(xs(), tf.tensor1d(LABELS.map((l, i) => (i === 5 ? 3 : l))))).rejects.toThrow('model.fit: y[5] = 3 is not a class index in [0, 3)');
    await expect(sparse.fitDataset([{ xs: X.slice(0, 20), ys: [0, 1, 2, 0, 1] }], { epochs: 1, verbose: 0 })).rejects.toThrow(
      'model.fitDataset: global batch 5 does not split evenly over 8 cores',
    );
    await expect(sparse.fitDataset([{ xs: X.slice(0, 32), ys: [0, 1, 2, 0, 1, 7, 0, 0] }], { epochs: 1, verbose: 0 })).rejects.toThrow('model.fitDataset: label 7 is not a class index in [0, 3)');
  });
});
