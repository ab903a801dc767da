/** `import * as tf from 'tpusim'`: the TF.js surface at the root, and every older export kept. */
import { describe, expect, it } from 'vitest';
import * as tf from '../../src/index.ts';
import * as tfOnly from '../../src/tf/index.ts';
import * as kerasLayers from '../../src/layers/index.ts';
import * as device from '../../src/tpu/index.ts';
import * as pipelines from '../../src/data/index.ts';

describe('the root namespace', () => {
  it("is TensorFlow.js's layers surface", () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', inputDim: 3 })] });
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', strategy: tf.tpu.strategy({ cores: 1 }) });
    expect(m).toBeInstanceOf(tf.LayersModel);
    expect(tf.tensor2d([[1, 2]]).shape).toEqual([1, 2]);
    for (const name of ['tensor', 'tensor1d', 'tensor4d', 'sequential', 'model', 'input', 'loadLayersModel', 'train', 'callbacks', 'ready'] as const) expect(typeof tf[name]).not.toBe('undefined');
    expect(tf.getBackend()).toBe('tpusim');
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => void lines.push(l));
    expect(lines.some((l) => /Total params: 8/.test(l))).toBe(true);
    expect(Object.keys(tfOnly.layers).sort()).toEqual(['activation', 'averagePooling2d', 'batchNormalization', 'concatenate', 'conv2d', 'dense', 'dropout', 'flatten', 'globalAveragePooling2d', 'maxPooling2d']);
  });

  it('keeps every member of the older layers, tpu and data namespaces', () => {
    for (const k of Object.keys(kerasLayers)) expect(tf.layers, k).toHaveProperty(k);
    for (const k of Object.keys(device)) expect(tf.tpu, k).toHaveProperty(k);
    for (const k of Object.keys(pipelines)) expect(tf.data, k).toHaveProperty(k);
    expect(typeof tf.data.array).toBe('function');
    expect(typeof tf.layers.preset).toBe('function');
    expect(typeof tf.layers.saveModel).toBe('function');
    expect(tf.layers.tpuStrategy({ cores: 8 }).replicas).toBe(8);
    // the TF.js factories replaced the older ones, which took a subset of their options
    expect(tf.layers.dense({ units: 2, inputDim: 3 }).inputShape).toEqual([3]);
    const m = tf.layers.sequential([tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: tf.layers.ones, activation: 'relu' })]);
    expect(Array.from(m.weights[0]!.value!)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(tf.layers.sequential([tf.layers.dense({ units: 2, inputShape: [3] })]).outputShape).toEqual([null, 2]);
  });
});
