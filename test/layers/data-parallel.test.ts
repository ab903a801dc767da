/**
 * Data-parallel equivalence: one training step on R simulated cores (each core a shard of B/R
 * examples, gradients all-reduced and divided by R) equals one step on 1 core with the whole
 * global batch B, for every optimizer. "Replicas bit-identical" holds by construction after
 * an all-reduce; this is the check that the replicas agree on the RIGHT value.
 *
 * Why the bounds are what they are. The models here have no batch norm and no dropout (both
 * legitimately depend on the shard), so every example's forward and backward values are the
 * same bits in both runs; B and B/R are powers of two, so the loss mean's 1/B and the 1/R
 * after the all-reduce scale by powers of two, which is exact (no subnormals here). What
 * differs is only the ORDER of the f32 sums over examples: the MXU adds the 16 examples' terms
 * of a weight gradient down one column in k order on 1 core, and 2 per core then the ring's
 * order on 8 cores. Reassociating n f32 terms moves the sum by at most about n ulps of the
 * largest partial sum, far inside the bound stated here: a bf16 resolution of the tensor,
 * 2^-8 of its largest magnitude. A missing or wrong 1/R (a factor 8, or 7/8) is far outside.
 * Where the order is the same the bits are the same: 2 cores of 1 example against 1 core of 2
 * (a sum of two terms is commutative in IEEE arithmetic) give bit-equal gradients.
 *
 * Gradients are observed through a test optimizer whose "update" returns the gradient it is
 * given (the all-reduced, scaled one), so they come out of the very step being checked.
 */
import { describe, expect, it } from 'vitest';
import {
  adam,
  compileTrainStep,
  conv2d,
  dense,
  flatten,
  momentum,
  rmsprop,
  sequential,
  sgd,
  sparseCategoricalCrossentropy,
  tpuEngine,
  variableName,
  TRAIN_INPUTS,
  STEP_OUTPUTS,
  type Model,
  type Optimizer,
} from '../../src/layers/index.ts';
import { uniform } from './seeded.ts';

/** conv 3x3 relu -> flatten -> softmax dense of 3 classes: small, so both runs take milliseconds. */
function convNet(): Model {
  return sequential(
    [
      conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [4, 4, 2] }),
      flatten(),
      dense({ units: 3, activation: 'softmax' }),
    ],
    { seed: 11 },
  );
}

/** Two dense layers: every weight gradient is a contraction over the batch alone. */
function denseNet(): Model {
  return sequential([dense({ units: 5, activation: 'tanh', inputShape: [6] }), dense({ units: 3, activation: 'softmax' })], { seed: 12 });
}

/** The test optimizer: the new "weight" is the gradient the step hands to the optimizer. */
const gradientOut: Optimizer = {
  name: 'gradient-out',
  schedule: () => 0,
  slots: [],
  stepRate: () => 0,
  update: (_b, { g }) => ({ w: g, slots: [] }),
};

interface StepResult {
  /** Mean loss over the global batch (replicas' means averaged, as Trainer does). */
  readonly loss: number;
  /** Per trainable weight: its value after the step on replica 0. */
  readonly weights: Float32Array[];
  /** Per trainable weight, per slot: the slot after the step on replica 0. */
  readonly slots: Float32Array[][];
}

/**
 * One training step of `model` with `optimizer` over `replicas` simulated cores on the global
 * batch (x, y); slots start at `slotInit` (so momentum terms are exercised on step one).
 */
async function oneStep(model: Model, optimizer: Optimizer, replicas: number, batch: { x: Float32Array; y: Float32Array; size: number }, slotInit: (w: number, slot: string, n: number) => Float32Array) {
  const per = batch.size / replicas;
  const step = compileTrainStep({ model, loss: sparseCategoricalCrossentropy(), optimizer, precision: 'default', batch: per, replicas });
  const device = tpuEngine().device({ replicas, threads: 1 });
  for (const w of model.weights) device.setVariable(variableName(w), w.value!);
  step.trainable.forEach((w, i) => optimizer.slots.forEach((s) => device.setVariable(variableName(w, s), slotInit(i, s, w.value!.length))));
  const xPer = batch.x.length / batch.size;
  const lr = Float32Array.of(optimizer.stepRate(0, 0.05));
  const inputs = Array.from({ length: replicas }, (_, r) =>
    new Map([
      [TRAIN_INPUTS.x, batch.x.subarray(r * per * xPer, (r + 1) * per * xPer)],
      [TRAIN_INPUTS.labels, batch.y.subarray(r * per, (r + 1) * per)],
      [TRAIN_INPUTS.noise, Float32Array.of(0)],
      [TRAIN_INPUTS.lr, lr],
    ] as const),
  );
  const run = await device.run(step, inputs);
  const loss = run.outputs.reduce((a, o) => a + o.get(STEP_OUTPUTS.loss)![0]!, 0) / replicas;
  const weights = await Promise.all(step.trainable.map(async (w) => (await device.getVariable(variableName(w)))!));
  const slots = await Promise.all(step.trainable.map((w) => Promise.all(optimizer.slots.map(async (s) => (await device.getVariable(variableName(w, s)))!))));
  // every replica applied the same update (the cheap half of the claim)
  for (let r = 1; r < replicas; r++) {
    for (const [i, w] of step.trainable.entries()) expect(bits((await device.getVariable(variableName(w), r))!), `replica ${r} ${w.fullName}`).toEqual(bits(weights[i]!));
  }
  await device.close();
  return { loss, weights, slots } satisfies StepResult;
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.slice().buffer));
const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Every element of `got` within 2^-8 of `want`'s largest magnitude (a bf16 resolution of the tensor). */
function expectBf16Close(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  const bound = 2 ** -8 * maxAbs(want);
  let worst = 0;
  got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]!))));
  expect(worst, `${what}: worst |8 cores - 1 core| = ${worst} > bound ${bound}`).toBeLessThanOrEqual(bound);
}

/** Global batch of `size` images [size, 4, 4, 2] and labels of 3 classes. */
function convBatch(size: number) {
  return { x: uniform(size * 32, 7, 0, 1), y: Float32Array.from({ length: size }, (_, i) => (i * 5) % 3), size };
}

/** Slots: momentum-like slots in [-0.05, 0.05), second moments (v, ms) positive in [1e-4, 1e-2). */
const slotInit = (i: number, slot: string, n: number): Float32Array =>
  slot === 'v' || slot === 'ms' ? uniform(n, 100 + i, 1e-4, 1e-2) : uniform(n, 200 + i, -0.05, 0.05);

describe('data-parallel equivalence: one step on R cores == one step on 1 core, same global batch', () => {
  it('8 cores x 2 examples == 1 core x 16: the all-reduced, scaled gradients and the loss', async () => {
    const batch = convBatch(16);
    const one = await oneStep(convNet(), gradientOut, 1, batch, slotInit);
    const eight = await oneStep(convNet(), gradientOut, 8, batch, slotInit);
    // the loss: the same 16 per-example losses, summed in another order (f32), and a mean
    expect(Math.abs(eight.loss - one.loss)).toBeLessThanOrEqual(2 ** -16 * one.loss);
    one.weights.forEach((g, i) => {
      expect(maxAbs(g), `gradient ${i} is not trivially zero`).toBeGreaterThan(1e-4);
      expectBf16Close(eight.weights[i]!, g, `gradient ${i}`);
    });
  });

  const optimizers: Record<string, () => Optimizer> = {
    sgd: () => sgd({ learningRate: 0.05 }),
    momentum: () => momentum({ learningRate: 0.05 }),
    nesterov: () => momentum({ learningRate: 0.05, nesterov: true }),
    adam: () => adam({ learningRate: 0.05 }),
    rmsprop: () => rmsprop({ learningRate: 0.05 }),
  };
  for (const [name, make] of Object.entries(optimizers)) {
    it(`8 x 2 == 1 x 16, ${name}: the updated weights and slots`, async () => {
      const batch = convBatch(16);
      const start = convNet().weights.map((w) => w.value!.slice());
      const one = await oneStep(convNet(), make(), 1, batch, slotInit);
      const eight = await oneStep(convNet(), make(), 8, batch, slotInit);
      // the update (w' - w), not w' itself: w' is dominated by w, which hides a wrong step
      one.weights.forEach((w, i) => {
        const d1 = w.map((v, j) => v - start[i]![j]!);
        const d8 = eight.weights[i]!.map((v, j) => v - start[i]![j]!);
        expect(maxAbs(d1), `${name}: weight ${i} moved`).toBeGreaterThan(0);
        // plus one f32 rounding of w' (the delta is measured after w + delta is rounded)
        const ulp = 2 ** -23 * maxAbs(w);
        const worst = d8.reduce((m, v, j) => Math.max(m, Math.abs(v - d1[j]!)), 0);
        expect(worst, `${name}: weight ${i} update`).toBeLessThanOrEqual(2 ** -8 * maxAbs(d1) + 2 * ulp);
      });
      one.slots.forEach((ss, i) => ss.forEach((s, j) => expectBf16Close(eight.slots[i]![j]!, s, `${name}: weight ${i} slot ${j}`)));
    });
  }

  it('bit-equal where the summation order is the same: 2 cores x 1 example == 1 core x 2', async () => {
    const batch = { x: uniform(12, 3), y: Float32Array.of(2, 0), size: 2 };
    const one = await oneStep(denseNet(), gradientOut, 1, batch, slotInit);
    const two = await oneStep(denseNet(), gradientOut, 2, batch, slotInit);
    expect(two.weights.map(bits)).toEqual(one.weights.map(bits));
    // Trainer's mean of the replicas' losses is in f64; rounded to f32 it is the f32 mean
    expect(Math.fround(two.loss)).toBe(one.loss);
  });
});
