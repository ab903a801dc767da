/**
 * Training scripts written against TensorFlow.js (typed with @tensorflow/tfjs-core and
 * -layers, as `import * as tf from '@tensorflow/tfjs'` gives them): build, set seeded
 * weights, compile, fit on a few batches, predict; one saves and loads. The conformance
 * test runs each with tfjs and with tpusim's `tf` namespace in its place.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** What `import * as tf from '@tensorflow/tfjs'` offers. */
export type Tfjs = typeof tfc & typeof tfl;

/** What a script reports: its History (numbers) and its model's predictions. */
export interface ScriptResult {
  readonly history: Record<string, number[]>;
  readonly predictions: number[];
}

/** A script: gets a `tf` namespace and a scratch folder. */
export type Script = (tf: Tfjs, dir: string) => Promise<ScriptResult>;

/** Deterministic data in [-1, 1). */
const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 1.7 + i * 0.37) * Math.cos(i * 0.11 + seed));
/** A class per example, from its first values (so there is something to learn). */
const classes = (x: number[], per: number, k: number): number[] => Array.from({ length: x.length / per }, (_, i) => Math.floor(((x[i * per]! + 1) / 2) * k) % k);
const oneHotRows = (labels: number[], k: number): number[][] => labels.map((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)));

/** Replaces every kernel (rank >= 2) with seeded values; biases and batch norm keep their initial ones. */
function seedWeights(tf: Tfjs, model: tfl.LayersModel, seed: number): void {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  model.setWeights(model.getWeights().map((w) => (w.shape.length < 2 ? w : tf.tensor(Array.from({ length: w.size }, () => next() * 0.8), w.shape))));
}

async function report(history: tfl.History, predictions: tfc.Tensor): Promise<ScriptResult> {
  const h: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(history.history)) h[k] = v.map(Number);
  return { history: h, predictions: Array.from(await predictions.data()) };
}

/** A dense classifier, Adam(0.01), one-hot labels, accuracy, validationSplit. */
export const mlp: Script = async (tf) => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  seedWeights(tf, model, 1);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = values(32 * 4, 1);
  const xs = tf.tensor2d(x, [32, 4]);
  const ys = tf.tensor2d(oneHotRows(classes(x, 4, 3), 3));
  const history = await model.fit(xs, ys, { batchSize: 8, epochs: 3, validationSplit: 0.25, shuffle: false, verbose: 0 });
  return report(history, model.predict(xs) as tfc.Tensor);
};

/** A small convnet: conv2d + maxPooling2d + flatten + dense, SGD, sparse labels, validationData. */
export const convnet: Script = async (tf) => {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 2] }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  seedWeights(tf, model, 2);
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
  const x = values(24 * 72, 2);
  const labels = classes(x, 72, 3);
  const xs = tf.tensor4d(x.slice(0, 16 * 72), [16, 6, 6, 2]);
  const ys = tf.tensor2d(labels.slice(0, 16), [16, 1]);
  const val = [tf.tensor4d(x.slice(16 * 72), [8, 6, 6, 2]), tf.tensor2d(labels.slice(16), [8, 1])] as [tfc.Tensor, tfc.Tensor];
  const history = await model.fit(xs, ys, { batchSize: 8, epochs: 2, shuffle: false, validationData: val, verbose: 0 });
  return report(history, model.predict(val[0]) as tfc.Tensor);
};

/** A functional fire module (squeeze, two expands, concatenate) with batch norm, 'Adam' by name. */
export const fire: Script = async (tf) => {
  const input = tf.input({ shape: [6, 6, 3] });
  const squeeze = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
  const e1 = tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu' }).apply(squeeze) as tfl.SymbolicTensor;
  const e3 = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(squeeze) as tfl.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([e1, e3]) as tfl.SymbolicTensor;
  const normed = tf.layers.batchNormalization({ momentum: 0.9 }).apply(joined) as tfl.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(normed) as tfl.SymbolicTensor;
  const output = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(pooled) as tfl.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  seedWeights(tf, model, 3);
  model.compile({ optimizer: 'Adam', loss: 'categoricalCrossentropy', metrics: ['categoricalAccuracy'] });
  const x = values(16 * 108, 3);
  const xs = tf.tensor4d(x, [16, 6, 6, 3]);
  const ys = tf.tensor2d(oneHotRows(classes(x, 108, 3), 3));
  const history = await model.fit(xs, ys, { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
  return report(history, model.predict(xs) as tfc.Tensor);
};

/** Trains, saves to file://, loads with tf.loadLayersModel and predicts with the loaded model. */
export const saveAndLoad: Script = async (tf, dir) => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [3] }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
  seedWeights(tf, model, 4);
  model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  const x = values(16 * 3, 4);
  const xs = tf.tensor2d(x, [16, 3]);
  const history = await model.fit(xs, tf.tensor2d(oneHotRows(classes(x, 3, 2), 2)), { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
  await model.save(`file://${dir}`);
  const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
  return report(history, loaded.predict(xs) as tfc.Tensor);
};

/** Records every callback's calls and logs (as `<hook>.<key>` series in the history) and ends with evaluate. */
export const callbacksAndEvaluate: Script = async (tf) => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: 'sigmoid', inputShape: [5] }), tf.layers.dense({ units: 4, activation: 'softmax' })] });
  seedWeights(tf, model, 5);
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = values(24 * 5, 5);
  const xs = tf.tensor2d(x, [24, 5]);
  const ys = tf.tensor2d(oneHotRows(classes(x, 5, 4), 4));
  const seen: Record<string, number[]> = {};
  const record = (hook: string) => async (_n: number | tfl.Logs | undefined, logs?: tfl.Logs) => {
    for (const [k, v] of Object.entries((typeof _n === 'object' ? _n : logs) ?? {})) (seen[`${hook}.${k}`] ??= []).push(Number(v));
    (seen[`${hook}.calls`] ??= []).push(typeof _n === 'number' ? _n : -1);
  };
  const history = await model.fit(xs, ys, {
    batchSize: 10, // 18 training examples: batches of 10 and 8
    epochs: 2,
    shuffle: false,
    validationSplit: 0.25,
    verbose: 0,
    callbacks: { onTrainBegin: record('trainBegin'), onEpochBegin: record('epochBegin'), onBatchBegin: record('batchBegin'), onBatchEnd: record('batchEnd'), onEpochEnd: record('epochEnd'), onTrainEnd: record('trainEnd') },
  });
  const [loss, acc] = model.evaluate(xs, ys, { batchSize: 7 }) as tfc.Tensor[];
  seen['evaluate'] = [(await loss!.data())[0]!, (await acc!.data())[0]!];
  for (const [k, v] of Object.entries(history.history)) seen[`history.${k}`] = v.map(Number);
  return { history: seen, predictions: Array.from(await (model.predict(xs) as tfc.Tensor).data()) };
};

/** tf.callbacks.earlyStopping: the run stops at the same epoch. */
export const earlyStopping: Script = async (tf) => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
  seedWeights(tf, model, 6);
  model.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy', metrics: ['acc'] });
  const x = values(16 * 4, 6);
  const xs = tf.tensor2d(x, [16, 4]);
  const ys = tf.tensor2d(oneHotRows(classes(x, 4, 3), 3));
  const stop = tf.callbacks.earlyStopping({ monitor: 'loss', minDelta: 0.02, patience: 1 });
  const history = await model.fit(xs, ys, { batchSize: 8, epochs: 30, shuffle: false, verbose: 0, callbacks: stop });
  return report(history, model.predict(xs) as tfc.Tensor);
};

/** Every script by name. */
export const SCRIPTS: Readonly<Record<string, Script>> = { mlp, convnet, fire, saveAndLoad, callbacksAndEvaluate, earlyStopping };
