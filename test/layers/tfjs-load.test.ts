import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LayerConfigError, PRESET_NAMES, dense, loadModel, modelFromTopology, modelJsonPath, preset, saveModel, sequential, type Model } from '../../src/layers/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';
import { tfjs } from './tfjs.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tpusim-load-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** What must survive a save and a load: layer names, classes and output shapes, parameters. */
const structure = (m: Model) => ({
  name: m.name,
  layers: m.nodes.map((n) => [n.layer.name, n.layer.className, n.output.shape, n.layer.countParams(), n.inputs.map((t) => t.layer.name)]),
  params: m.countParams(),
  trainable: m.trainableWeights.map((w) => w.fullName),
});

const randomInputs = (m: Model, n: number, r: SeededRandom) => Float32Array.from({ length: n * (m.inputShape.slice(1) as number[]).reduce((a, d) => a * d, 1) }, () => r.next());

describe('loadModel: a saved model from its folder alone', () => {
  it.each(PRESET_NAMES)('%s round-trips: same layers, shapes, parameters and predictions bit for bit', async (name) => {
    const m = preset(name, { imageSize: 16, seed: 3 });
    const r = new SeededRandom(7);
    // Non-trivial batch norm state, so its inference path is exercised.
    for (const w of m.weights) if (w.name.startsWith('moving')) w.value = Float32Array.from({ length: w.size }, () => (w.name === 'moving_mean' ? 0.1 * r.next() : 0.5 + r.next()));
    const dir = await tempDir();
    await saveModel(m, dir);
    const loaded = await loadModel(dir);
    expect(structure(loaded)).toEqual(structure(m));
    expect(loaded.weights.map((w) => Array.from(w.value!))).toEqual(m.weights.map((w) => Array.from(w.value!)));
    const x = randomInputs(m, 2, r);
    expect(await loaded.predict(x)).toEqual(await m.predict(x));
  });

  it('finds the model in a model folder, a run folder (RUN/model/) or by its model.json', async () => {
    const run = await tempDir();
    const m = sequential([dense({ units: 3, inputShape: [4], name: 'd' })], { name: 'tiny' });
    await saveModel(m, join(run, 'model'));
    expect(await modelJsonPath(run)).toBe(join(run, 'model', 'model.json'));
    expect(await modelJsonPath(join(run, 'model'))).toBe(join(run, 'model', 'model.json'));
    for (const p of [run, join(run, 'model'), join(run, 'model', 'model.json')]) expect((await loadModel(p)).getLayer('d').countParams()).toBe(15);
  });
});

describe('loadModel: files written by tfjs-layers', () => {
  /** Saves a tfjs model the way tfjs's file handlers lay it out: model.json + one weights shard. */
  async function saveWithTfjs(theirs: { save(h: unknown): Promise<unknown> }, dir: string): Promise<void> {
    const { tf } = await tfjs();
    let a: { modelTopology?: unknown; weightSpecs?: unknown; weightData?: ArrayBuffer | ArrayBuffer[] } = {};
    await theirs.save(tf.io.withSaveHandler(async (artifacts) => ((a = artifacts as typeof a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const data = Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : a.weightData!;
    await mkdir(dir, { recursive: true });
    const json = { format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null, modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(join(dir, 'group1-shard1of1.bin'), new Uint8Array(data));
  }

  /** tfjs's prediction vs ours in f32 ('highest': rel 1e-5) and in one bf16 pass (2e-2). */
  async function expectSamePredictions(theirs: { predict(x: unknown): unknown }, ours: Model): Promise<void> {
    const { tf } = await tfjs();
    const x = randomInputs(ours, 3, new SeededRandom(5));
    const want = (theirs.predict(tf.tensor(x, [3, ...(ours.inputShape.slice(1) as number[])])) as { dataSync(): Float32Array }).dataSync();
    const f32 = await ours.predict(x, { precision: 'highest' });
    f32.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]!) + 1e-6));
    (await ours.predict(x)).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(2e-2));
  }

  it('a Sequential model (conv, batch norm, both poolings, dropout, flatten, dense) loads and predicts as tfjs', async () => {
    const { tf, tfl } = await tfjs();
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' }),
        tfl.layers.batchNormalization({ momentum: 0.9 }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 6, kernelSize: 2, strides: 2, useBias: false, activation: 'tanh' }),
        tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
        tfl.layers.dropout({ rate: 0.25 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 5, activation: 'softmax' }),
      ],
    });
    const bn = theirs.layers[1]!;
    const r = new SeededRandom(2);
    bn.setWeights(bn.getWeights().map((w, i) => tf.tensor(Array.from({ length: w.size }, () => (i === 3 ? 0.5 + r.next() : r.next() - 0.5)), w.shape)));
    const dir = await tempDir();
    await saveWithTfjs(theirs, dir);
    const ours = await loadModel(dir);
    expect(ours.kind).toBe('sequential');
    expect(ours.layers.slice(1).map((l) => l.name)).toEqual(theirs.layers.map((l) => l.name));
    expect(ours.layers[0]!.name).toBe(`${theirs.layers[0]!.name}_input`);
    expect(ours.countParams()).toBe(theirs.countParams());
    expect(ours.outputShape).toEqual(theirs.outputs[0]!.shape);
    await expectSamePredictions(theirs, ours);
    theirs.dispose();
  });

  it('a functional model (two branches, concatenate, global pooling, activation) loads and predicts as tfjs', async () => {
    const { tfl } = await tfjs();
    type T = ReturnType<typeof tfl.input>;
    const x = tfl.input({ shape: [6, 6, 3], name: 'image' });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'squeeze' }).apply(x) as T;
    const b1 = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'e1' }).apply(a) as T;
    const b3 = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'e3' }).apply(a) as T;
    const c = tfl.layers.concatenate({ name: 'cat' }).apply([b1, b3]) as T;
    const g = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as T;
    const y = tfl.layers.activation({ activation: 'softmax', name: 'probs' }).apply(tfl.layers.dense({ units: 3, name: 'logits' }).apply(g) as T) as T;
    const theirs = tfl.model({ inputs: x, outputs: y, name: 'branches' });
    const dir = await tempDir();
    await saveWithTfjs(theirs, dir);
    const ours = await loadModel(join(dir, 'model.json'));
    expect(ours.name).toBe('branches');
    expect(ours.layers.map((l) => l.name)).toEqual(['image', 'squeeze', 'e1', 'e3', 'cat', 'gap', 'logits', 'probs']);
    expect(ours.countParams()).toBe(theirs.countParams());
    await expectSamePredictions(theirs, ours);
    theirs.dispose();
  });
});

describe('modelFromTopology: Keras files and clear refusals', () => {
  const denseCfg = (name: string, extra: Record<string, unknown> = {}) => ({ name, units: 2, activation: 'linear', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform', config: {} }, kernel_regularizer: null, ...extra });

  it("reads tf.keras 2 files (the converter's model_config, 'Functional', layers in any order)", () => {
    const m = modelFromTopology({
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Functional',
          config: {
            name: 'k2',
            layers: [
              { class_name: 'Dense', name: 'out', config: denseCfg('out'), inbound_nodes: [[['hidden', 0, 0, {}]]] },
              { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'in' }, inbound_nodes: [] },
              { class_name: 'Dense', name: 'hidden', config: denseCfg('hidden', { activation: 'relu', trainable: false }), inbound_nodes: [[['in', 0, 0, {}]]] },
            ],
            input_layers: [['in', 0, 0]],
            output_layers: [['out', 0, 0]],
          },
        },
      },
    });
    expect(m.layers.map((l) => l.name)).toEqual(['in', 'hidden', 'out']);
    expect(m.getLayer('hidden').trainable).toBe(false);
    expect(m.outputShape).toEqual([null, 2]);
  });

  it("reads Keras 3's nodes ({args: [keras tensors]}) and its Sequential with an InputLayer", () => {
    const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, 0] } });
    const f = modelFromTopology({
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'x' }, inbound_nodes: [] },
          { class_name: 'Dense', name: 'a', config: denseCfg('a', { dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } }), inbound_nodes: [{ args: [tensor('x')], kwargs: {} }] },
          { class_name: 'Dense', name: 'b', config: denseCfg('b'), inbound_nodes: [{ args: [tensor('x')], kwargs: {} }] },
          { class_name: 'Concatenate', name: 'c', config: { name: 'c', axis: -1 }, inbound_nodes: [{ args: [[tensor('a'), tensor('b')]], kwargs: {} }] },
        ],
        input_layers: ['x', 0, 0],
        output_layers: ['c', 0, 0],
      },
    });
    expect(f.outputShape).toEqual([null, 4]);
    const s = modelFromTopology({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'inp' } }, { class_name: 'Dense', config: denseCfg('d') }] } });
    expect(s.layers.map((l) => l.name)).toEqual(['inp', 'd']);
  });

  it('an unknown class_name or an unsupported option is one error naming the layer and the option', () => {
    const seq = (layer: Record<string, unknown>) => ({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Flatten', config: { name: 'f', batch_input_shape: [null, 4, 4, 3] } }, layer] } });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ class_name: 'LSTM', config: { name: 'lstm', units: 4 } }, /layer 'lstm' has class_name 'LSTM', which tpusim cannot build \(it has InputLayer, Dense, Conv2D/],
      [{ class_name: 'Dense', config: denseCfg('d', { kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } } }) }, /layer 'd' \(Dense\): option kernel_regularizer = .*L2.* is not supported/],
      [{ class_name: 'Dense', config: denseCfg('d', { activation: 'gelu' }) }, /layer 'd' \(Dense\): option activation = "gelu" is not supported \(tpusim has linear, relu/],
      [{ class_name: 'Dense', config: denseCfg('d', { units_per_head: 3 }) }, /layer 'd' \(Dense\): option units_per_head = 3 is not supported/],
      [{ class_name: 'Dropout', config: { name: 'drop' } }, /layer 'drop' \(Dropout\): option rate is required/],
    ];
    for (const [layer, message] of cases) expect(() => modelFromTopology(seq(layer))).toThrow(message);
    const conv = { class_name: 'Conv2D', config: { name: 'dil', filters: 2, kernel_size: [3, 3], dilation_rate: [2, 2], batch_input_shape: [null, 8, 8, 3] } };
    expect(() => modelFromTopology({ class_name: 'Sequential', config: { layers: [conv] } })).toThrow(/layer 'dil' \(Conv2D\): option dilation_rate = \[2,2\] is not supported/);
    const bn = { class_name: 'BatchNormalization', config: { name: 'bn', axis: 1, batch_input_shape: [null, 8, 8, 3] } };
    expect(() => modelFromTopology({ class_name: 'Sequential', config: { layers: [bn] } })).toThrow(/layer 'bn' \(BatchNormalization\): option axis = 1 is not supported \(tpusim normalises the last axis, 3/);
    const open = { class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: 3, batch_input_shape: [null, null, null, 3] } };
    expect(() => modelFromTopology({ class_name: 'Sequential', config: { layers: [open] } })).toThrow(/option batch_input_shape = \[null,null,null,3\] is not supported \(tpusim needs every dimension/);
    expect(() => modelFromTopology({ class_name: 'Graph', config: {} })).toThrow(LayerConfigError);
  });
});

describe('loadModel: errors name the file and what is wrong', () => {
  it('missing folder or file, bad JSON, unknown layers, weights that do not match', async () => {
    const dir = await tempDir();
    await expect(loadModel(join(dir, 'nope'))).rejects.toThrow(new RegExp(`cannot read the model '${join(dir, 'nope')}': no such file`));
    await expect(loadModel(dir)).rejects.toThrow(/holds no saved model \(no .*model\.json, no .*model\/model\.json\)/);
    await writeFile(join(dir, 'model.json'), '{"modelTopology": ');
    await expect(loadModel(dir)).rejects.toThrow(new RegExp(`'${join(dir, 'model.json')}' is not valid JSON`));

    const m = sequential([dense({ units: 3, inputShape: [4], name: 'a1' })], { name: 'm' });
    await saveModel(m, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const bin = join(dir, json.weightsManifest[0].paths[0]);
    const weights = await readFile(bin);
    await writeFile(bin, weights.subarray(0, 20));
    await expect(loadModel(dir)).rejects.toThrow(/weights files of '.*model\.json' \(.*weights-[0-9a-f]{16}\.bin\) hold 20 bytes; its manifest describes 60/);
    await rm(bin);
    await expect(loadModel(dir)).rejects.toThrow(/cannot read the weights file '.*weights-[0-9a-f]{16}\.bin' \(listed in '.*model\.json'\): no such file/);
    await writeFile(bin, weights);
    json.weightsManifest[0].weights[0].shape = [3, 4];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow(/model\.json': weight 'a1\/kernel': the model has \[4,3\], the file has \[3,4\]/);
    json.weightsManifest[0].weights[0].shape = [4, 3];
    json.modelTopology.config.layers[1].class_name = 'SeparableConv2D';
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow(/model\.json': layer 'a1' has class_name 'SeparableConv2D'/);
  });
});
