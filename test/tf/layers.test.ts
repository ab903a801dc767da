/** tf.layers.*, tf.sequential / tf.model / tf.input and compile: TF.js's names and errors. */
import { describe, expect, it } from 'vitest';
import * as tf from '../../src/tf/index.ts';

const mlp = () =>
  tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });

describe('tf.layers factories', () => {
  it("take TF.js's option names and build tpusim layers", () => {
    const c = tf.layers.conv2d({ filters: 4, kernelSize: [3, 3], strides: 1, padding: 'same', dataFormat: 'channelsLast', dilationRate: 1, kernelInitializer: 'glorotUniform', batchInputShape: [null, 8, 8, 3] });
    expect([c.className, c.filters, c.inputShape]).toEqual(['Conv2D', 4, [8, 8, 3]]);
    expect(tf.layers.dense({ units: 2, inputDim: 5 }).inputShape).toEqual([5]);
    const m = tf.sequential({
      layers: [
        c,
        tf.layers.batchNormalization({ axis: -1, momentum: 0.9 }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.dropout({ rate: 0.25, seed: 3 }),
        tf.layers.averagePooling2d({ poolSize: [2, 2] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    expect(m.layers.map((l) => l.className)).toEqual(['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Activation', 'Dropout', 'AveragePooling2D', 'Flatten', 'Dense']);
    expect(m.model.outputShape).toEqual([null, 3]);
  });

  it('take kernelInitializer and biasInitializer by name, drawing from the model seed', () => {
    const make = (init: string) =>
      tf.sequential({ layers: [tf.layers.dense({ units: 64, inputShape: [100], kernelInitializer: init, biasInitializer: 'ones' })] }).getWeights();
    const [he, bias] = make('heNormal');
    const v = Array.from(he!.dataSync());
    const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    expect(std).toBeGreaterThan(0.9 * Math.sqrt(2 / 100));
    expect(std).toBeLessThan(1.1 * Math.sqrt(2 / 100));
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual((2 * Math.sqrt(2 / 100)) / 0.8796256610342398 + 1e-6);
    expect(Array.from(bias!.dataSync()).every((b) => b === 1)).toBe(true);
    expect(Array.from(make('heNormal')[0]!.dataSync())).toEqual(v);
    const u = Array.from(make('varianceScaling')[0]!.dataSync());
    expect(u).not.toEqual(v);
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: 'heUniform', inputShape: [4, 4, 1] });
    expect(tf.sequential({ layers: [c] }).getWeights()[0]!.dataSync().every((x) => Math.abs(x) <= Math.sqrt(6 / 9))).toBe(true);
  });

  it('refuse what tpusim does not compute, naming the call, the option and its value', () => {
    expect(() => tf.layers.dense({ units: 2, activation: 'elu' })).toThrow("tf.layers.dense: activation 'elu' is not supported (tpusim has linear, relu, relu6, sigmoid, softmax, tanh)");
    expect(() => tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 })).toThrow('tf.layers.conv2d: dilationRate 2 is not supported (tpusim computes 1)');
    expect(() => tf.layers.dense({ units: 2, kernelInitializer: 'orthogonal' })).toThrow("tf.layers.dense: kernelInitializer 'orthogonal' is not supported (tpusim has glorotUniform, zeros, ones, glorotNormal, heNormal");
    expect(() => tf.layers.batchNormalization({ gammaInitializer: 'zeros' } as never)).toThrow("tf.layers.batchNormalization: gammaInitializer 'zeros' is not supported (tpusim computes 'ones')");
    expect(() => tf.layers.dense({ units: 2, foo: 1 } as never)).toThrow("tf.layers.dense: unknown option 'foo'");
    expect(() => tf.layers.dense({ units: 0 })).toThrow(/^tf\.layers\.dense: dense '.*' units must be a positive integer, got 0/);
    expect(() => tf.layers.batchNormalization({ axis: 1 })).toThrow('tf.layers.batchNormalization: axis 1 is not supported');
    expect(() => tf.layers.maxPooling2d({ padding: 'causal' as 'same' })).toThrow("tf.layers.maxPooling2d: padding 'causal' is not supported");
  });
});

describe('tf.sequential, tf.input, tf.model', () => {
  it('sequential() + add builds as it goes; shape errors come at add', () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [2, 2] }));
    m.add(tf.layers.dense({ units: 3 }));
    expect(m.layers.length).toBe(2);
    expect(m.countParams()).toBe(4 * 3 + 3);
    expect(() => m.add(tf.layers.conv2d({ filters: 1, kernelSize: 1 }))).toThrow(/cannot take the output of .* expects \[batch, height, width, channels\]/);
  });

  it('errors name the call and the argument', () => {
    expect(() => tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] }), tf.layers.dense({ units: 2 }), 'dense' as never] })).toThrow('tf.sequential: layers[2] is not a layer (got string)');
    expect(() => tf.sequential({ layers: [tf.layers.dense({ units: 2 })] })).toThrow('tf.sequential: layers[0]: the first layer of a sequential model needs an inputShape');
    expect(() => tf.sequential([] as never)).toThrow('tf.sequential: pass the layers as {layers: [...]}');
    expect(() => tf.sequential().add({} as never)).toThrow('sequential.add: layer is not a layer (got Object)');
    expect(() => tf.input({ shape: [null as never, 3] })).toThrow('tf.input: shape[0] must be a positive integer, got null');
    expect(() => tf.model({ inputs: 3 as never, outputs: tf.input({ shape: [1] }) })).toThrow('tf.model: inputs is not a symbolic tensor');
    expect(() => tf.layers.dense({ units: 2, name: 'd' }).apply(tf.tensor2d([[1, 2]]) as never)).toThrow(
      "layer 'd' (Dense): apply takes symbolic tensors (from input() or another layer's apply), got Tensor; to compute on values, put the layer in a model and call predict",
    );
  });

  it('functional models: input, apply, concatenate, model', () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(x);
    const b = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x);
    const y = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d().apply(tf.layers.concatenate().apply([a, b])));
    const m = tf.model({ inputs: x, outputs: y, name: 'fire' });
    expect([m.name, m.layers[0]!.className, m.outputs[0]!.shape]).toEqual(['fire', 'InputLayer', [null, 2]]);
  });
});

describe('model.compile', () => {
  it("accepts TF.js's names in any case and snake_case, and tf.train optimizers", () => {
    const m = mlp();
    m.compile({ optimizer: 'Adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
    expect([m.trainer!.optimizer.name, m.trainer!.loss.name]).toEqual(['adam', 'categoricalCrossentropy']);
    m.compile({ optimizer: 'SGD', loss: 'sparseCategoricalCrossentropy', metrics: 'sparse_categorical_accuracy' });
    expect([m.trainer!.optimizer.name, m.trainer!.loss.labels]).toEqual(['sgd', 'sparse']);
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'CategoricalCrossentropy', precision: 'highest', strategy: tf.tpu.strategy({ cores: 2, threads: 1 }) });
    expect([m.trainer!.precision, m.trainer!.strategy.replicas]).toEqual(['highest', 2]);
    m.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy' });
  });

  it('refuses the rest, naming model.compile and the argument', () => {
    const m = mlp();
    expect(() => m.compile({ optimizer: 'adagrad', loss: 'categoricalCrossentropy' })).toThrow("model.compile: optimizer 'adagrad' is not supported");
    expect(() => m.compile({ optimizer: 'adam', loss: 'meanSquaredError' })).toThrow("model.compile: loss 'meanSquaredError' is not supported (tpusim has categoricalCrossentropy, sparseCategoricalCrossentropy)");
    expect(() => m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] })).toThrow("model.compile: metrics[1] 'mse' is not supported");
    expect(() => m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['categoricalAccuracy'] })).toThrow("model.compile: metrics[0] 'categoricalAccuracy' does not fit loss");
    expect(() => m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', precision: 'low' as 'high' })).toThrow(`model.compile: precision "low" is not one of`);
    expect(() => m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', lr: 1 } as never)).toThrow("model.compile: unknown or unsupported option 'lr'");
    expect(() => tf.train.rmsprop(0.1, 0.9, 0.5)).toThrow('tf.train.rmsprop: momentum 0.5 is not supported');
  });
});
