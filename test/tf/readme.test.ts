/**
 * The README's TensorFlow.js-style script, as a user writes it against the package's own
 * exports ('tpusim', 'tpusim/tf'), on fewer and smaller images so it stays fast.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as tf from 'tpusim';
import * as tfOnly from 'tpusim/tf';

it("the README's script runs: sequential, compile on 8 cores, fit with validationSplit, predict, save, load", async () => {
  const n = 32;
  const items = Array.from({ length: n }, (_, i) => tf.data.synthFlowerF32(1, i, 8));
  const images = new Float32Array(n * 8 * 8 * 3);
  items.forEach((it, i) => images.set(it.image, i * 8 * 8 * 3));
  const labels = items.map((it) => it.label);
  const dir = await mkdtemp(join(tmpdir(), 'tpusim-readme-'));
  try {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 3] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.globalAveragePooling2d(),
        tf.layers.dense({ units: 5, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], strategy: tf.tpu.strategy({ cores: 8, threads: 1 }) });
    const xs = tf.tensor4d(images, [n, 8, 8, 3]);
    const ys = tf.tensor1d(labels);
    const history = await model.fit(xs, ys, { batchSize: 8, epochs: 2, validationSplit: 0.25, verbose: 0 });
    expect(Object.keys(history.history)).toEqual(['val_loss', 'val_acc', 'loss', 'acc']);
    expect(history.deviceSeconds.every((s) => s > 0)).toBe(true);
    const probs = await model.predict(xs).data();
    await model.save(`file://${dir}/flowers`);
    const loaded = await tfOnly.loadLayersModel(`file://${dir}/flowers/model.json`);
    expect(Array.from(await loaded.predict(xs).data())).toEqual(Array.from(probs));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
