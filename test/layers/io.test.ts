import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LayerConfigError, dense, loadWeights, preset, saveModel, sequential, toTfjs } from '../../src/layers/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';
import { tfjs } from './tfjs.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tpusim-layers-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('TensorFlow.js export and import', () => {
  it.each(['convnet', 'squeeze-fast', 'squeeze-90'])('%s exported to model.json + its weights file loads in tfjs-layers and predicts the same', async (name) => {
    const { tf, tfl } = await tfjs();
    const m = preset(name, { imageSize: 16, seed: 4 });
    // Non-trivial batch norm state, so inference mode is really exercised.
    const r = new SeededRandom(1);
    for (const w of m.weights) if (w.name.startsWith('moving')) w.value = Float32Array.from({ length: w.size }, () => (w.name === 'moving_mean' ? 0.1 * r.next() : 0.5 + r.next()));
    const dir = await tempDir();
    await saveModel(m, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect((await readdir(dir)).sort()).toEqual(['model.json', json.weightsManifest[0].paths[0]]); // no temp files left
    const bin = new Uint8Array(await readFile(join(dir, json.weightsManifest[0].paths[0])));
    const loaded = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
    );
    expect(loaded.countParams()).toBe(m.countParams());
    const x = Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => r.next());
    const want = (loaded.predict(tf.tensor(x, [2, 16, 16, 3])) as ReturnType<typeof tf.tensor>).dataSync();
    const got = await m.predict(x, { precision: 'highest' });
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]!) + 1e-6));
    const bf16 = await m.predict(x);
    bf16.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(2e-2));
    loaded.dispose();
  });

  it('imports weights saved by tfjs (by name) and round-trips its own files bit for bit', async () => {
    const { tf, tfl } = await tfjs();
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4], name: 'hidden' }), tfl.layers.dense({ units: 2, name: 'out' })] });
    let artifacts: { weightSpecs?: unknown; weightData?: ArrayBuffer | ArrayBuffer[] } = {};
    await theirs.save(tf.io.withSaveHandler(async (a) => ((artifacts = a as typeof artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const ours = sequential([dense({ units: 3, inputShape: [4], name: 'hidden' }), dense({ units: 2, name: 'out' })]);
    const dir = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['w.bin'], weights: artifacts.weightSpecs }] }));
    await writeFile(join(dir, 'w.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
    await loadWeights(ours, dir);
    const want = theirs.getWeights().map((t) => Array.from(t.dataSync()));
    expect(ours.weights.map((w) => Array.from(w.value!))).toEqual(want);
    const again = sequential([dense({ units: 3, inputShape: [4], name: 'hidden' }), dense({ units: 2, name: 'out' })], { seed: 99 });
    await saveModel(ours, join(dir, 'copy'));
    await loadWeights(again, join(dir, 'copy', 'model.json'));
    expect(again.weights.map((w) => Array.from(w.value!))).toEqual(want);
    theirs.dispose();
  });

  it('a shape mismatch or a missing weight names the weight', async () => {
    const m = sequential([dense({ units: 3, inputShape: [4], name: 'a1' })]);
    const other = sequential([dense({ units: 5, inputShape: [4], name: 'a1' })]);
    const dir = await tempDir();
    await saveModel(other, dir);
    await expect(loadWeights(m, dir)).rejects.toThrow(/weight 'a1\/kernel': the model has \[4,3\], the file has \[4,5\]/);
    const { json } = toTfjs(m);
    expect(json.weightsManifest[0]!.weights.map((w) => w.name)).toEqual(['a1/kernel', 'a1/bias']);
    await expect(loadWeights(m, join(dir, 'nope.json'))).rejects.toThrow(LayerConfigError);
  });
});
