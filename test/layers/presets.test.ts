import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, preset, summarize } from '../../src/layers/index.ts';
import { tfjs } from './tfjs.ts';

type Tfl = Awaited<ReturnType<typeof tfjs>>['tfl'];
type TSym = ReturnType<Tfl['input']>;

/** The same models written independently with tfjs-layers. */
function tfjsPreset(tfl: Tfl, name: string, s: number) {
  const conv = (filters: number, kernelSize: number) => tfl.layers.conv2d({ filters, kernelSize, padding: 'same', activation: 'relu' });
  const fire = (x: TSym, sq: number, ex: number, bn?: number): TSym => {
    const n = (t: TSym): TSym => (bn === undefined ? t : (tfl.layers.batchNormalization({ momentum: bn }).apply(t) as TSym));
    const y = n(conv(sq, 1).apply(x) as TSym);
    const y1 = n(conv(ex / 2, 1).apply(y) as TSym);
    const y3 = n(conv(ex / 2, 3).apply(y) as TSym);
    return tfl.layers.concatenate().apply([y1, y3]) as TSym;
  };
  const squeeze = (fires: [number, number][], head: 'gap' | 'flatten', bn?: number) => {
    const x = tfl.input({ shape: [s, s, 3] });
    let y = conv(32, 3).apply(x) as TSym;
    if (bn !== undefined) y = tfl.layers.batchNormalization({ momentum: bn }).apply(y) as TSym;
    fires.forEach(([a, b], i) => {
      if (i > 0) y = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(y) as TSym;
      y = fire(y, a, b, bn);
    });
    y = (head === 'gap' ? tfl.layers.globalAveragePooling2d({}) : tfl.layers.flatten()).apply(y) as TSym;
    return tfl.model({ inputs: x, outputs: tfl.layers.dense({ units: 5, activation: 'softmax' }).apply(y) as TSym });
  };
  switch (name) {
    case 'dense':
      return tfl.sequential({
        layers: [tfl.layers.flatten({ inputShape: [s, s, 3] }), tfl.layers.dense({ units: 128, activation: 'relu' }), tfl.layers.dense({ units: 64, activation: 'relu' }), tfl.layers.dense({ units: 5, activation: 'softmax' })],
      });
    case 'convnet':
      return tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [s, s, 3] }),
          conv(30, 3), tfl.layers.maxPooling2d({ poolSize: 2 }), conv(60, 3), tfl.layers.maxPooling2d({ poolSize: 2 }),
          conv(90, 3), tfl.layers.maxPooling2d({ poolSize: 2 }), conv(110, 3), tfl.layers.maxPooling2d({ poolSize: 2 }),
          conv(130, 3), conv(40, 1), tfl.layers.globalAveragePooling2d({}), tfl.layers.dense({ units: 5, activation: 'softmax' }),
        ],
      });
    case 'little-squeeze':
      return squeeze([[24, 48], [24, 48], [24, 48]], 'gap');
    case 'squeeze-dense':
      return squeeze([[24, 48], [48, 96], [24, 48]], 'flatten');
    case 'squeeze-fast':
      return squeeze([[16, 32], [24, 48], [32, 64]], 'gap');
    case 'squeezenet-bn':
      return squeeze([[24, 48], [48, 96], [64, 128], [48, 96], [24, 48]], 'gap', 0.9);
    default:
      throw new Error(name);
  }
}

describe('presets', () => {
  it.each(PRESET_NAMES)('%s counts its parameters as tfjs-layers does (total and trainable)', async (name) => {
    const { tfl } = await tfjs();
    for (const s of [16, 32]) {
      const ours = preset(name, { imageSize: s });
      const theirs = tfjsPreset(tfl, name, s);
      expect(ours.countParams()).toBe(theirs.countParams());
      const trainable = theirs.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, d) => x * (d ?? 1), 1), 0);
      expect(ours.trainableWeights.reduce((a, w) => a + w.size, 0)).toBe(trainable);
      expect(ours.outputShape).toEqual(theirs.outputs[0]!.shape);
      theirs.dispose();
    }
  });

  it('global-average-pooled presets count the same parameters at any input size', () => {
    for (const name of ['convnet', 'little-squeeze', 'squeeze-fast', 'squeezenet-bn']) {
      expect(preset(name, { imageSize: 16 }).countParams()).toBe(preset(name, { imageSize: 192 }).countParams());
    }
  });

  it('the codelab convnet and squeezenet-bn have their published sizes', () => {
    // convnet: 448 + 4,350 + 16,260 + 48,690 + 89,210 + 128,830 + 5,240 + 205
    expect(preset('convnet').countParams()).toBe(293_233);
    const bn = preset('squeezenet-bn');
    // Batch norm's moving mean and variance are non-trainable: 2 x the channels of every BN.
    const s = summarize(bn);
    const bnChannels = bn.layers.filter((l) => l.className === 'BatchNormalization').reduce((a, l) => a + l.weights[0]!.size, 0);
    expect(s.nonTrainableParams).toBe(2 * bnChannels);
    expect(s.trainableParams + s.nonTrainableParams).toBe(s.totalParams);
  });

  it('an unknown preset lists the valid names', () => {
    expect(() => preset('resnet')).toThrow(/unknown model preset 'resnet'; valid: dense, convnet, little-squeeze/);
  });
});
