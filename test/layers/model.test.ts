import { describe, expect, it } from 'vitest';
import {
  LayerConfigError,
  LayerShapeError,
  UnknownNameError,
  batchNormalization,
  concatenate,
  conv2d,
  dense,
  dropout,
  flatten,
  globalAveragePooling2d,
  input,
  maxPooling2d,
  model,
  preset,
  sequential,
  summarize,
} from '../../src/layers/index.ts';

describe('functional and sequential models', () => {
  it('branches and concatenates (a fire module) with the right shapes', () => {
    const x = input({ shape: [8, 8, 3] });
    const s = conv2d({ filters: 4, kernelSize: 1, padding: 'same', activation: 'relu' }).apply(x);
    const a = conv2d({ filters: 6, kernelSize: 1, padding: 'same' }).apply(s);
    const b = conv2d({ filters: 6, kernelSize: 3, padding: 'same' }).apply(s);
    const y = concatenate().apply([a, b]);
    expect(y.shape).toEqual([null, 8, 8, 12]);
    const m = model({ inputs: x, outputs: dense({ units: 5 }).apply(globalAveragePooling2d().apply(y)) });
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'Conv2D', 'Conv2D', 'Concatenate', 'GlobalAveragePooling2D', 'Dense']);
    expect(m.outputShape).toEqual([null, 5]);
  });

  it('computes Keras output shapes for strides and padding (odd sizes)', () => {
    const x = input({ shape: [7, 9, 2] });
    expect(conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }).apply(x).shape).toEqual([null, 4, 5, 3]);
    expect(conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }).apply(x).shape).toEqual([null, 3, 4, 3]);
    expect(maxPooling2d({ poolSize: 2 }).apply(x).shape).toEqual([null, 3, 4, 2]);
    expect(maxPooling2d({ poolSize: 2, padding: 'same' }).apply(x).shape).toEqual([null, 4, 5, 2]);
    expect(flatten().apply(x).shape).toEqual([null, 126]);
  });

  it('a shape mismatch fails at build time naming both layers and both shapes', () => {
    const x = input({ shape: [8, 8, 3] });
    const a = conv2d({ name: 'left', filters: 4, kernelSize: 1 }).apply(x);
    const b = maxPooling2d({ name: 'down' }).apply(conv2d({ name: 'right', filters: 4, kernelSize: 1 }).apply(x));
    expect(() => concatenate({ name: 'join' }).apply([a, b])).toThrow(LayerShapeError);
    expect(() => concatenate({ name: 'join2' }).apply([a, b])).toThrow(/'join2' \(Concatenate\) cannot join 'left' \(Conv2D\) \[null,8,8,4\] and 'down' \(MaxPooling2D\) \[null,4,4,4\]/);
    expect(() => sequential([dense({ name: 'd1', units: 4, inputShape: [6] }), conv2d({ name: 'c1', filters: 2, kernelSize: 3 })])).toThrow(
      /layer 'c1' \(Conv2D\) cannot take the output of 'd1' \(Dense\) \[null,4\]: expects \[batch, height, width, channels\]/,
    );
    expect(() => conv2d({ name: 'big', filters: 2, kernelSize: 5 }).apply(input({ shape: [3, 3, 1] }))).toThrow(/kernel height 5 is larger than the input's 3/);
  });

  it('unknown activations list the valid ones; bad configs name the layer', () => {
    expect(() => dense({ units: 3, activation: 'gelu' as never })).toThrow(UnknownNameError);
    expect(() => dense({ units: 3, activation: 'gelu' as never })).toThrow(/unknown activation 'gelu'; valid: linear, relu, relu6, sigmoid, softmax, tanh/);
    expect(() => dense({ name: 'zero', units: 0 })).toThrow(/dense 'zero' units must be a positive integer/);
    expect(() => dropout({ rate: 1 })).toThrow(LayerConfigError);
  });

  it('initialises with Keras defaults, seeded: glorot uniform kernels, zero biases, BN ones/zeros', () => {
    const build = (seed: number) => sequential([dense({ units: 50, inputShape: [30] }), batchNormalization()], { seed });
    const m = build(7);
    const [kernel, bias, gamma, beta, mean, variance] = m.weights.map((w) => w.value!);
    const limit = Math.sqrt(6 / (30 + 50));
    expect(Math.max(...kernel!.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...kernel!.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    const mean0 = kernel!.reduce((a, v) => a + v, 0) / kernel!.length;
    expect(Math.abs(mean0)).toBeLessThan(0.02);
    expect([...bias!].every((v) => v === 0) && [...beta!].every((v) => v === 0) && [...mean!].every((v) => v === 0)).toBe(true);
    expect([...gamma!].every((v) => v === 1) && [...variance!].every((v) => v === 1)).toBe(true);
    expect(build(7).weights[0]!.value).toEqual(kernel);
    expect(build(8).weights[0]!.value).not.toEqual(kernel);
  });

  it('trainable = false moves a layer to the non-trainable count', () => {
    const m = preset('convnet', { imageSize: 16 });
    const before = summarize(m);
    m.layers[1]!.trainable = false;
    const after = summarize(m);
    expect(after.totalParams).toBe(before.totalParams);
    expect(after.nonTrainableParams).toBe(m.layers[1]!.countParams());
  });

  it('getConfig returns the plain configuration', () => {
    const c = conv2d({ name: 'cfg', filters: 8, kernelSize: [3, 1], strides: 2, padding: 'same', activation: 'relu', useBias: false });
    expect(c.getConfig()).toEqual({ name: 'cfg', trainable: true, filters: 8, kernelSize: [3, 1], strides: [2, 2], padding: 'same', activation: 'relu', useBias: false });
  });
});

describe('summary', () => {
  it('prints layer (type), output shape, params and the totals as Keras', () => {
    const m = sequential([conv2d({ name: 'c', filters: 4, kernelSize: 3, inputShape: [6, 6, 3] }), batchNormalization({ name: 'bn' }), flatten({ name: 'f' }), dense({ name: 'd', units: 2 })], { name: 'tiny' });
    const text = m.summary(null);
    expect(text).toContain('Model: "tiny"');
    expect(text).toMatch(/c \(Conv2D\)\s+\(None, 4, 4, 4\)\s+112/);
    expect(text).toMatch(/bn \(BatchNormalization\)\s+\(None, 4, 4, 4\)\s+16/);
    expect(text).toMatch(/d \(Dense\)\s+\(None, 2\)\s+130/);
    expect(text).toContain('Total params: 258');
    expect(text).toContain('Trainable params: 250');
    expect(text).toContain('Non-trainable params: 8');
    const big = preset('squeeze-90', { imageSize: 16 }).summary(null);
    expect(big).toMatch(/Connected to/);
    expect(big).toMatch(/Total params: \d{3},\d{3}/);
  });
});
