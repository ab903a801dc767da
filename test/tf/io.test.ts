/** model.save('file://dir') and tf.loadLayersModel('file://dir/model.json'). */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf/index.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tpusim-tf-io-'));
  dirs.push(d);
  return d;
}

describe('save and load', () => {
  it('a trained model saved to file:// loads back and predicts the same bits', async () => {
    const m = tf.sequential({
      layers: [tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [4, 4, 2] }), tf.layers.batchNormalization(), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })],
    });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = tf.tensor4d(Array.from({ length: 8 * 32 }, (_, i) => Math.cos(i)), [8, 4, 4, 2]);
    await m.fit(x, tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1]), { epochs: 2, batchSize: 4, verbose: 0 });
    const dir = await tempDir();
    const saved = await m.save(`file://${dir}`);
    expect(saved.modelArtifactsInfo.modelTopologyType).toBe('JSON');
    expect(saved.modelArtifactsInfo.weightDataBytes).toBe(4 * m.countParams());
    expect((await readdir(dir)).filter((f) => f === 'model.json')).toEqual(['model.json']);
    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(Array.from(await loaded.predict(x).data())).toEqual(Array.from(await m.predict(x).data()));
    expect((await tf.loadLayersModel(dir)).countParams()).toBe(m.countParams());
  });

  it('errors name the call and the argument', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    await expect(m.save('indexeddb://my-model')).rejects.toThrow("model.save: handlerOrURL 'indexeddb://my-model' is not supported (tpusim reads and writes 'file://' paths)");
    await expect(tf.loadLayersModel('https://example.com/model.json')).rejects.toThrow("tf.loadLayersModel: pathOrIOHandler 'https://example.com/model.json' is not supported");
    await expect(tf.loadLayersModel(`file://${await tempDir()}/nothing/model.json`)).rejects.toThrow(/cannot read '.*nothing\/model\.json': no such file/);
  });
});
