import { describe, expect, it } from 'vitest';
import {
  LayerConfigError,
  NaNLossError,
  UnknownNameError,
  adam,
  batchNormalization,
  conv2d,
  dense,
  dropout,
  exponentialDecay,
  interpreterEngine,
  maxPooling2d,
  tpuEngine,
  globalAveragePooling2d,
  learningRateScheduler,
  rampUpDecay,
  sequential,
  sgd,
  tpuStrategy,
  type Model,
} from '../../src/layers/index.ts';

/** A separable toy set: 4x4x1 images, bright (class 1) vs dark (class 0), with texture. */
function toy(n: number, seed = 0) {
  const xs = new Float32Array(n * 16);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ys[i] = (i + seed) % 2;
    for (let j = 0; j < 16; j++) xs[i * 16 + j] = (ys[i] ? 0.7 : 0.2) + 0.1 * (((i * 7 + j * 3 + seed) % 5) / 5);
  }
  return { xs, ys };
}

function smallNet(seed = 3, withBn = false): Model {
  return sequential(
    [
      conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [4, 4, 1] }),
      ...(withBn ? [batchNormalization({ momentum: 0.9 })] : []),
      globalAveragePooling2d(),
      dropout({ rate: 0.1 }),
      dense({ units: 2, activation: 'softmax' }),
    ],
    { seed },
  );
}

const bits = (m: Model) => m.weights.map((w) => Array.from(new Uint32Array(w.value!.buffer.slice(0))));

describe('compile and fit', () => {
  it('trains a tiny separable set to 100% accuracy, and evaluate/predict agree', async () => {
    const m = smallNet();
    m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit([toy(16)], { epochs: 25 });
    expect(h.history.accuracy.at(-1)).toBe(1);
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0]!);
    const ev = await m.evaluate([toy(8, 1)]);
    expect(ev.accuracy).toBe(1);
    const p = await m.predict(toy(8, 1).xs);
    expect(p).toHaveLength(16);
    for (let i = 0; i < 8; i++) expect(p[2 * i]! + p[2 * i + 1]!).toBeCloseTo(1, 5);
  });

  it('gives the same bits twice with the same seed (dropout and batch norm included)', async () => {
    const run = async () => {
      const m = smallNet(5, true);
      m.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy' });
      await m.fit([toy(8), toy(8, 1)], { epochs: 3 });
      return bits(m);
    };
    expect(await run()).toEqual(await run());
  });

  it('honours stepsPerEpoch (re-iterating the data) and compiles the step once', async () => {
    const m = smallNet();
    m.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const h = await m.fit([toy(4), toy(4, 1), toy(4, 2)], { epochs: 2, stepsPerEpoch: 5, validationData: [toy(4)], validationSteps: 2 });
    expect(h.steps).toEqual([5, 5]);
    expect(m.trainer!.step).toBe(10);
    expect(h.history.val_loss).toHaveLength(2);
    expect(m.trainer!.compiledCount).toBe(2); // one train step (batch 4) + one eval step
  });

  it('a NaN loss stops fit naming the epoch and the step', async () => {
    const m = smallNet();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const bad = toy(4);
    bad.xs[3] = Number.NaN;
    const err = await m.fit([toy(4), bad], { epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NaNLossError);
    expect((err as NaNLossError).message).toMatch(/loss became NaN at epoch 1, step 2/);
  });

  it('unknown optimizer, loss or metric names list the valid ones', async () => {
    const m = smallNet();
    expect(() => m.compile({ optimizer: 'adagrad', loss: 'categoricalCrossentropy' })).toThrow(/unknown optimizer 'adagrad'; valid: sgd, momentum, nesterov, adam, rmsprop/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse' })).toThrow(UnknownNameError);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse' })).toThrow(/valid: categoricalCrossentropy/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['f1'] })).toThrow(/unknown metric 'f1'/);
    await expect(m.predict(new Float32Array(5))).rejects.toThrow(LayerConfigError);
  });

  it('trainable = false freezes a layer (and its batch norm runs in inference mode)', async () => {
    const m = smallNet(3, true);
    const [conv, bn] = [m.layers[1]!, m.layers[2]!];
    conv.trainable = false;
    bn.trainable = false;
    const before = [conv, bn].flatMap((l) => l.weights.map((w) => w.value!.slice()));
    m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
    await m.fit([toy(8)], { epochs: 2 });
    expect([conv, bn].flatMap((l) => l.weights.map((w) => w.value!))).toEqual(before);
    expect(m.layers.at(-1)!.weights[0]!.value).not.toEqual(before[0]);
  });

  it('batch norm updates its moving statistics in training', async () => {
    const m = smallNet(3, true);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await m.fit([toy(8)], { epochs: 1 });
    const bn = m.layers[2]!;
    expect(Array.from(bn.weights[2]!.value!).some((v) => v !== 0)).toBe(true); // moving mean moved
  });

  it('a learning-rate scheduler callback sets the rate per epoch; schedules follow Keras', async () => {
    const m = smallNet();
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    let afterFirst: number[][] = [];
    const h = await m.fit([toy(4)], {
      epochs: 3,
      callbacks: [learningRateScheduler((e) => (e === 0 ? 0.1 : 0)), { onEpochEnd: (e) => void (e === 0 && (afterFirst = bits(m))) }],
    });
    expect(bits(m)).toEqual(afterFirst); // rate 0 from epoch 1 on: the weights stop moving
    expect(h.history.loss).toHaveLength(3);
    expect(exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5 })(20, 0)).toBeCloseTo(0.25, 12);
    expect(exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5, staircase: true })(19, 0)).toBe(0.5);
    const ramp = rampUpDecay({ start: 0.001, max: 0.01, min: 0.0001, rampupEpochs: 2, sustainEpochs: 1, decay: 0.5 });
    [0.001, 0.0055, 0.01, 0.01, (0.01 - 0.0001) * 0.5 + 0.0001].forEach((v, e) => expect(ramp(0, e)).toBeCloseTo(v, 12));
  });
});

describe('engines', () => {
  it('the simulated TensorCore (lowered programs) trains to the same bits as the reference interpreter', async () => {
    const run = async (engine: ReturnType<typeof tpuEngine>) => {
      const m = sequential(
        [
          conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [4, 4, 1] }),
          batchNormalization({ momentum: 0.9 }),
          maxPooling2d(),
          globalAveragePooling2d(),
          dropout({ rate: 0.2 }),
          dense({ units: 2, activation: 'softmax' }),
        ],
        { seed: 9 },
      );
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', engine });
      const h = await m.fit([toy(8)], { epochs: 2 });
      return { bits: bits(m), h };
    };
    const tpu = await run(tpuEngine());
    const ref = await run(interpreterEngine());
    expect(tpu.bits).toEqual(ref.bits);
    expect(tpu.h.history.loss).toEqual(ref.h.history.loss);
    expect(tpu.h.deviceSeconds[0]!).toBeGreaterThan(0); // simulated cycles / clock
  });
});

describe('tpuStrategy', () => {
  it('splits the batch over 8 cores, all-reduces, and keeps the replicas bit-identical', async () => {
    const m = smallNet(3, true);
    m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', strategy: tpuStrategy({ cores: 8 }) });
    const h = await m.fit([toy(16)], { epochs: 3 });
    const t = m.trainer!;
    const replica = async (r: number) => {
      const values = await t.replica(r);
      return m.weights.map((w) => Array.from(new Uint32Array(values.get(w)!.slice().buffer)));
    };
    for (let r = 1; r < 8; r++) expect(await replica(r)).toEqual(await replica(0));
    expect(h.history.loss[2]!).toBeLessThan(h.history.loss[0]!);
    expect(h.deviceSeconds[0]!).toBeGreaterThan(0);
    await expect(m.fit([toy(12)], { epochs: 1 })).rejects.toThrow(/global batch 12 does not split evenly over 8 cores/);
  });
});
