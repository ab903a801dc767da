/** tf.data: TF.js's array / generator / zip over tpusim's Dataset, feeding fitDataset. */
import { describe, expect, it } from 'vitest';
import * as tf from '../../src/tf/index.ts';

const N = 16;
const rows = Array.from({ length: N }, (_, i) => ({ x: [Math.sin(i), Math.cos(i), Math.sin(2 * i)], y: i % 2 === 0 ? [1, 0] : [0, 1] }));

function model(): tf.Sequential {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })] });
  m.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('tf.data', () => {
  it('array + map to tensors + batch, zip and generator all feed fitDataset as fit does', async () => {
    const want = await model().fit(tf.tensor2d(rows.map((r) => r.x)), tf.tensor2d(rows.map((r) => r.y)), { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
    const mapped = tf.data.array(rows).map((r) => ({ xs: tf.tensor1d(r.x), ys: tf.tensor1d(r.y) })).batch(8);
    const zipped = tf.data.zip({ xs: tf.data.array(rows.map((r) => Float32Array.from(r.x))), ys: tf.data.array(rows.map((r) => Float32Array.from(r.y))) }).batch(8);
    const generated = tf.data
      .generator(function* () {
        for (const r of rows) yield { xs: Float32Array.from(r.x), ys: Float32Array.from(r.y) };
      })
      .batch(8);
    for (const ds of [mapped, zipped, generated]) {
      const h = await model().fitDataset(ds, { epochs: 2, verbose: 0 });
      expect(h.history).toEqual(want.history);
    }
    expect(await tf.data.zip({ a: tf.data.array([1, 2, 3]), b: tf.data.array([4, 5]) }).toArray()).toEqual([{ a: 1, b: 4 }, { a: 2, b: 5 }]);
  });
});
