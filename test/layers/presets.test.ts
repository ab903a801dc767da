import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, preset, summarize, type PresetName } from '../../src/layers/index.ts';
import { tfjs } from './tfjs.ts';

type Tfl = Awaited<ReturnType<typeof tfjs>>['tfl'];
type T = ReturnType<Tfl['input']>;
type TModel = ReturnType<Tfl['model']>;

/** Keras's automatic names in a fresh session: 'conv2d', 'conv2d_1', ... per class. */
function kerasNames(): (base: string) => string {
  const uid = new Map<string, number>();
  return (base) => {
    const n = uid.get(base) ?? 0;
    uid.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
}

/**
 * The codelab's Keras code, written again with tfjs-layers, line for line (the oracle). Each
 * constructor call takes the next Keras name, in the order the Python code constructs layers,
 * dead layers included; `l.X(...)` returns a function applying the layer, as Python's `l.X(...)(y)`.
 */
function codelab(tfl: Tfl, name: PresetName, s: number): TModel {
  const uid = kerasNames();
  const apply = (layer: { apply(x: T | T[]): unknown }) => (x: T | T[]) => layer.apply(x) as T;
  const l = {
    Input: () => tfl.input({ shape: [s, s, 3], name: 'input_1' }),
    Conv2D: (a: { kernel_size: number; filters: number; strides?: number; activation?: 'relu' }) =>
      apply(tfl.layers.conv2d({ kernelSize: a.kernel_size, filters: a.filters, strides: a.strides ?? 1, padding: 'same', activation: a.activation ?? 'relu', name: uid('conv2d') })),
    MaxPooling2D: () => apply(tfl.layers.maxPooling2d({ poolSize: 2, name: uid('max_pooling2d') })),
    GlobalAveragePooling2D: () => apply(tfl.layers.globalAveragePooling2d({ name: uid('global_average_pooling2d') })),
    Flatten: () => apply(tfl.layers.flatten({ name: uid('flatten') })),
    Dense: (units: number, activation: 'relu' | 'softmax') => apply(tfl.layers.dense({ units, activation, name: uid('dense') })),
    Activation: (activation: 'softmax') => apply(tfl.layers.activation({ activation, name: uid('activation') })),
    BatchNormalization: () => apply(tfl.layers.batchNormalization({ momentum: 0.9, name: uid('batch_normalization') })),
    concatenate: (ts: T[]) => apply(tfl.layers.concatenate({ name: uid('concatenate') }))(ts),
  };
  // def fire(x, squeeze, expand), the codelab's; bn: a batch norm after each conv (squeeze-90)
  const fire = (x: T, squeeze: number, expand: number, bn = false): T => {
    const n = (t: T): T => (bn ? l.BatchNormalization()(t) : t);
    const y = n(l.Conv2D({ filters: squeeze, kernel_size: 1 })(x));
    const y1 = n(l.Conv2D({ filters: Math.floor(expand / 2), kernel_size: 1 })(y));
    const y3 = n(l.Conv2D({ filters: Math.floor(expand / 2), kernel_size: 3 })(y));
    return l.concatenate([y1, y3]);
  };
  const x = l.Input();
  let y: T;
  switch (name) {
    case 'dense':
      y = l.Flatten()(x);
      y = l.Dense(500, 'relu')(y);
      y = l.Dense(50, 'relu')(y);
      y = l.Dense(5, 'softmax')(y);
      break;
    case 'convnet':
      y = x;
      for (let block = 0; block < 4; block++) {
        y = l.Conv2D({ kernel_size: 3, filters: 32 })(y);
        y = l.Conv2D({ kernel_size: 1, filters: 32 })(y);
        y = l.MaxPooling2D()(y);
      }
      y = l.Conv2D({ kernel_size: 3, filters: 16 })(y);
      y = l.Conv2D({ kernel_size: 1, filters: 8 })(y);
      y = l.Flatten()(y);
      y = l.Dense(5, 'softmax')(y);
      break;
    case 'little-squeeze':
      y = fire(x, 25, 50);
      y = l.MaxPooling2D()(y);
      y = fire(y, 25, 50);
      y = l.MaxPooling2D()(y);
      y = fire(y, 25, 50);
      y = l.MaxPooling2D()(y);
      y = l.GlobalAveragePooling2D()(y);
      y = l.Dense(5, 'softmax')(y);
      break;
    case 'squeeze-dense':
      y = l.Conv2D({ kernel_size: 3, filters: 40 })(x);
      y = l.MaxPooling2D()(y);
      y = fire(x, 25, 50); // as the codelab: from x, the two lines above are dead
      y = l.MaxPooling2D()(y);
      y = fire(y, 30, 60);
      y = l.MaxPooling2D()(y);
      y = fire(y, 40, 80);
      y = l.MaxPooling2D()(y);
      y = l.Conv2D({ kernel_size: 1, filters: 10 })(y);
      y = l.Flatten()(y);
      y = l.Dense(5, 'softmax')(y);
      break;
    case 'squeeze-fast':
      y = l.Conv2D({ kernel_size: 6, filters: 42, strides: 2 })(x);
      y = l.MaxPooling2D()(y);
      y = fire(y, 24, 60);
      y = l.MaxPooling2D()(y);
      y = fire(y, 27, 90);
      y = l.MaxPooling2D()(y);
      y = l.Conv2D({ kernel_size: 1, filters: 5 })(y);
      y = l.GlobalAveragePooling2D()(y);
      y = l.Activation('softmax')(y);
      break;
    case 'squeeze-90':
      y = l.Conv2D({ kernel_size: 6, filters: 48, strides: 2 })(x);
      y = l.BatchNormalization()(y);
      y = l.MaxPooling2D()(y);
      y = fire(fire(y, 32, 96, true), 32, 96, true);
      y = l.MaxPooling2D()(y);
      y = fire(fire(y, 48, 128, true), 48, 128, true);
      y = l.MaxPooling2D()(y);
      y = fire(fire(y, 64, 192, true), 64, 192, true);
      y = l.GlobalAveragePooling2D()(y);
      y = l.Dense(5, 'softmax')(y);
      break;
  }
  return tfl.model({ inputs: x, outputs: y });
}

/** [name, class, output shape, params] of every non-input layer, by name. */
type Row = [string, string, (number | null)[], number];
const byName = (rows: Row[]): Row[] => rows.filter((r) => r[1] !== 'InputLayer').sort((a, b) => a[0].localeCompare(b[0]));

describe('presets are the codelab models, as Keras builds them', () => {
  it.each(PRESET_NAMES)('%s: every layer has the name, output shape and params of the codelab code in tfjs-layers (192 and 32 px)', async (name) => {
    const { tfl } = await tfjs();
    for (const s of [192, 32]) {
      const ours = preset(name, { imageSize: s });
      const theirs = codelab(tfl, name, s);
      const oursRows = summarize(ours).rows.map((r): Row => [r.name, r.type, [...r.outputShape], r.params]);
      const theirRows = theirs.layers.map((t): Row => [t.name, t.getClassName(), t.outputShape as (number | null)[], t.countParams()]);
      expect(byName(oursRows), `${name} at ${s} px`).toEqual(byName(theirRows));
      expect(ours.countParams()).toBe(theirs.countParams());
      const trainable = theirs.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, d) => x * (d ?? 1), 1), 0);
      expect(ours.trainableWeights.reduce((a, w) => a + w.size, 0)).toBe(trainable);
      expect(ours.outputShape).toEqual(theirs.outputs[0]!.shape);
      theirs.dispose();
    }
  });

  it('have the headline parameter counts at 192 px', () => {
    const counts = Object.fromEntries(PRESET_NAMES.map((n) => [n, preset(n).countParams()]));
    expect(counts).toEqual({
      dense: 55_321_805, // 110,592 x 500 + 500, 500 x 50 + 50, 50 x 5 + 5
      convnet: 43_389, // 896 + 4 x 1,056 + 3 x 9,248 + 4,624 + 136 + (12 x 12 x 8) x 5 + 5
      'little-squeeze': 21_805,
      'squeeze-dense': 65_125,
      // 6x6x3x42+42 = 4,578; fire(24, 60): 1,032 + 750 + 6,510; fire(27, 90): 1,647 + 1,260 + 10,980; 1x1 to 5: 455
      'squeeze-fast': 27_212,
      'squeeze-90': 262_869,
    });
  });

  it('squeeze-dense is built from x, as Keras does with the codelab code: the dead stem only used up two names', () => {
    const m = preset('squeeze-dense');
    const s = summarize(m);
    expect(s.rows.slice(0, 6).map((r) => r.name)).toEqual(['input_1', 'conv2d_1', 'conv2d_2', 'conv2d_3', 'concatenate', 'max_pooling2d_1']);
    expect(m.layers.some((l) => l.name === 'conv2d' || l.name === 'max_pooling2d')).toBe(false);
    expect(s.rows.find((r) => r.type === 'Flatten')!.outputShape).toEqual([null, 24 * 24 * 10]); // "24x24x10=5760"
  });

  it('squeeze-fast ends with a relu 1x1 conv to 5 channels, global average pooling and a standalone softmax', () => {
    const rows = summarize(preset('squeeze-fast')).rows;
    expect(rows.slice(-3).map((r) => [r.name, r.type, r.outputShape])).toEqual([
      ['conv2d_7', 'Conv2D', [null, 12, 12, 5]],
      ['global_average_pooling2d', 'GlobalAveragePooling2D', [null, 5]],
      ['activation', 'Activation', [null, 5]],
    ]);
    expect(preset('squeeze-fast').getLayer('conv2d').getConfig()).toMatchObject({ kernelSize: [6, 6], strides: [2, 2], filters: 42, activation: 'relu' });
  });

  it('names layers as a fresh Keras session each time, whatever was built before', () => {
    const first = preset('convnet').layers.map((l) => l.name);
    preset('little-squeeze');
    expect(preset('convnet').layers.map((l) => l.name)).toEqual(first);
    expect(first.slice(1, 4)).toEqual(['conv2d', 'conv2d_1', 'max_pooling2d']);
  });

  it('global-average-pooled presets count the same parameters at any input size', () => {
    for (const name of ['little-squeeze', 'squeeze-fast', 'squeeze-90']) {
      expect(preset(name, { imageSize: 16 }).countParams()).toBe(preset(name, { imageSize: 192 }).countParams());
    }
  });

  it("squeeze-90's batch norms keep their moving statistics out of the trainable count", () => {
    const m = preset('squeeze-90');
    const s = summarize(m);
    const bnChannels = m.layers.filter((l) => l.className === 'BatchNormalization').reduce((a, l) => a + l.weights[0]!.size, 0);
    expect(s.nonTrainableParams).toBe(2 * bnChannels);
    expect(s.nonTrainableParams).toBe(2_336);
    expect(s.trainableParams + s.nonTrainableParams).toBe(s.totalParams);
  });

  it('an unknown preset lists the valid names', () => {
    expect(() => preset('resnet')).toThrow(/unknown model preset 'resnet'; valid: dense, convnet, little-squeeze, squeeze-dense, squeeze-fast, squeeze-90$/);
  });
});
