/**
 * The compiled steps' contract (src/layers/step.ts module doc), checked on the HLO itself:
 * the training step's signature (parameters in order and by name, outputs, aliases, device
 * variables), where its instructions are attributed (the rows of `tpusim compile` and the
 * profile: loss, accuracy, top-k accuracy, the optimizer, the all-reduce, the states), one
 * combined all-reduce on R replicas and none on one, and the top-k count of the training and
 * evaluation steps against a count written out here. Values of the loss, gradients and
 * updates are checked elsewhere (losses, optimizers, data-parallel tests).
 */
import { describe, expect, it } from 'vitest';
import {
  adam,
  batchNormalization,
  categoricalCrossentropy,
  compileEvalStep,
  compilePredictStep,
  compileTrainStep,
  conv2d,
  dense,
  globalAveragePooling2d,
  sequential,
  sgd,
  sparseCategoricalCrossentropy,
  variableName,
  TRAIN_INPUTS,
  type Model,
} from '../../src/layers/index.ts';
import { compileGradStep } from '../../src/layers/step.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import type { HloModule } from '../../src/xla/hlo.ts';
import { uniform } from './seeded.ts';

/** conv -> batch norm -> global average pool -> dense softmax of 4 classes. */
function bnNet(): Model {
  return sequential(
    [
      conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [4, 4, 2] }),
      batchNormalization({ momentum: 0.9 }),
      globalAveragePooling2d(),
      dense({ units: 4, activation: 'softmax' }),
    ],
    { seed: 5 },
  );
}

const params = (m: HloModule) =>
  m.entry.instructions.flatMap((i) => (i.op === 'parameter' ? [{ index: i.attrs.index, name: i.name, dims: i.shape.dims }] : [])).sort((a, b) => a.index - b.index);
const sources = (m: HloModule): Set<string | undefined> => new Set(m.entry.instructions.map((i) => i.metadata?.source));
const ops = (m: HloModule, op: string) => m.entry.instructions.filter((i) => i.op === op);

const spec = (model: Model, replicas: number, topK?: number) => ({
  model,
  loss: sparseCategoricalCrossentropy(),
  optimizer: adam(),
  precision: 'default' as const,
  batch: 4,
  replicas,
  ...(topK !== undefined ? { topK } : {}),
});

describe('the training step (one SPMD module)', () => {
  it('takes (x, labels, noise, lr, trainable..., frozen..., slots...) and aliases every update onto its parameter', () => {
    const model = bnNet();
    const step = compileTrainStep(spec(model, 2));
    expect(step.module.name).toBe(`${model.name}_train`);
    const trainable = model.trainableWeights.map((w) => w.fullName);
    const frozen = model.nonTrainableWeights.map((w) => w.fullName);
    const slots = trainable.flatMap((w) => [`${w}/m`, `${w}/v`]);
    expect(params(step.module).map((p) => p.name)).toEqual(['x', 'labels', 'noise', 'lr', ...trainable, ...frozen, ...slots]);
    expect(params(step.module).map((p) => p.index)).toEqual(params(step.module).map((_, i) => i));
    expect(params(step.module)[TRAIN_INPUTS.x]!.dims).toEqual([4, 4, 4, 2]);
    expect(params(step.module)[TRAIN_INPUTS.labels]!.dims).toEqual([4]);
    expect(params(step.module)[TRAIN_INPUTS.noise]!.dims).toEqual([]);
    // device variables: weights by name, slots by name/slot (the names checkpoints keep)
    const w0 = model.trainableWeights[0]!;
    expect(variableName(w0)).toBe(`var:${w0.fullName}`);
    expect(variableName(w0, 'm')).toBe(`var:${w0.fullName}/m`);
    const names = [...model.trainableWeights, ...model.nonTrainableWeights].map((w) => variableName(w));
    const slotNames = model.trainableWeights.flatMap((w) => [variableName(w, 'm'), variableName(w, 'v')]);
    expect([...step.variables.entries()].sort((a, b) => a[0] - b[0])).toEqual([...names, ...slotNames].map((n, i) => [4 + i, n]));
    // outputs: loss, correct, new trainable, new slots, new states (batch norm's moving mean and variance)
    expect(step.states.map((w) => w.fullName)).toEqual(frozen);
    const nT = trainable.length;
    expect(step.module.entry.outputs).toHaveLength(2 + nT * 3 + frozen.length);
    expect(step.module.aliases).toEqual([
      ...trainable.map((_, i) => ({ output: 2 + i, param: 4 + i })),
      ...slots.map((_, i) => ({ output: 2 + nT + i, param: 4 + nT + frozen.length + i })),
      ...frozen.map((_, i) => ({ output: 2 + 3 * nT + i, param: 4 + nT + i })),
    ]);
    expect(step.topKOutput).toBeUndefined();
    // one-hot labels come in as [B, classes]
    const onehot = compileTrainStep({ ...spec(model, 1), loss: categoricalCrossentropy() });
    expect(params(onehot.module)[TRAIN_INPUTS.labels]).toEqual({ index: 1, name: 'labels', dims: [4, 4] });
  });

  it('attributes its instructions: loss, accuracy, the optimizer, the all-reduce and the states', () => {
    const step = compileTrainStep(spec(bnNet(), 2));
    const s = sources(step.module);
    for (const name of ['loss', 'accuracy', 'loss/grad', 'adam', 'all-reduce', 'states']) expect(s, name).toContain(name);
    expect(s).not.toContain('top-k accuracy');
    for (const a of ops(step.module, 'all-reduce')) expect(a.metadata?.source).toBe('all-reduce');
  });

  it('sums gradients and states in ONE all-reduce on R replicas (XLA all-reduce combining), none on one replica', () => {
    const model = bnNet();
    const size = (ws: readonly { shape: readonly number[] }[]) => ws.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
    const eight = compileTrainStep(spec(model, 8));
    const ar = ops(eight.module, 'all-reduce');
    expect(ar).toHaveLength(1);
    expect(ar[0]!.shape.dims).toEqual([size(model.trainableWeights) + size(model.nonTrainableWeights)]);
    expect(ar[0]!.op === 'all-reduce' && ar[0]!.attrs.replicas).toBe(8);
    expect(ops(compileTrainStep(spec(model, 1)).module, 'all-reduce')).toHaveLength(0);
    // a single value to sum goes in as it is (no concatenation of one operand)
    const plain = sequential([dense({ units: 3, useBias: false, activation: 'softmax', inputShape: [5] })], { seed: 1 });
    const one = compileTrainStep({ ...spec(plain, 2), optimizer: sgd() });
    expect(ops(one.module, 'all-reduce')).toHaveLength(1);
    expect(ops(one.module, 'concatenate')).toHaveLength(0);
  });

  it('compiles a model with nothing to train or sum on R replicas (no all-reduce at all)', () => {
    const model = sequential([dense({ units: 3, activation: 'softmax', inputShape: [5] })], { seed: 2 });
    model.layers.forEach((l) => (l.trainable = false));
    const step = compileTrainStep(spec(model, 4));
    expect(ops(step.module, 'all-reduce')).toHaveLength(0);
    expect(step.trainable).toHaveLength(0);
    expect(step.module.entry.outputs).toHaveLength(2);
  });
});

/** Top-k hits written out: fewer than k classes score strictly higher than the label's. */
function topKRef(pred: Float32Array, labels: Float32Array, classes: number, k: number): number {
  let hits = 0;
  labels.forEach((l, i) => {
    const row = pred.subarray(i * classes, (i + 1) * classes);
    if (row.filter((v) => v > row[l]!).length < k) hits++;
  });
  return hits;
}

describe('the top-k count (StepSpec.topK), last output of the training and evaluation steps', () => {
  const model = bnNet();
  const x = uniform(4 * 4 * 4 * 2, 7);
  const labels = Float32Array.of(0, 3, 1, 2);
  const weights = model.weights.map((w) => w.value!);
  const [pred] = evaluate(compilePredictStep({ model, precision: 'default', batch: 4 }).module, [x, ...weights]);

  it('evaluation: (loss, correct, top-k)', () => {
    const ev = compileEvalStep({ model, loss: sparseCategoricalCrossentropy(), precision: 'default', batch: 4, topK: 2 });
    expect(ev.module.name).toBe(`${model.name}_eval`);
    expect(ev.topKOutput).toBe(2);
    expect(sources(ev.module)).toContain('top-k accuracy');
    const out = evaluate(ev.module, [x, labels, ...weights]);
    expect(out).toHaveLength(3);
    expect(out[2]!.data[0]).toBe(topKRef(pred!.data, labels, 4, 2));
    expect(compileEvalStep({ model, loss: sparseCategoricalCrossentropy(), precision: 'default', batch: 4 }).topKOutput).toBeUndefined();
  });

  it('training: the count goes last, after the aliased outputs', () => {
    const step = compileTrainStep(spec(model, 1, 3));
    const n = step.module.entry.outputs.length;
    expect(step.topKOutput).toBe(n - 1);
    expect(Math.max(...step.module.aliases!.map((a) => a.output))).toBe(n - 2);
    const args = params(step.module).map((p) => {
      if (p.index === TRAIN_INPUTS.x) return x;
      if (p.index === TRAIN_INPUTS.labels) return labels;
      if (p.index === TRAIN_INPUTS.noise) return [0];
      if (p.index === TRAIN_INPUTS.lr) return [0.001];
      const w = model.weights.find((v) => v.fullName === p.name);
      return w ? w.value! : new Float32Array(p.dims.reduce((a, d) => a * d, 1));
    });
    // training mode: batch norm uses the batch's statistics, so the reference is the step's own prediction
    const out = evaluate(step.module, args);
    expect(out[n - 1]!.data[0]).toBeGreaterThanOrEqual(0);
    expect(out[n - 1]!.data[0]).toBeLessThanOrEqual(4);
    const k4 = compileTrainStep(spec(model, 1, 4));
    expect(evaluate(k4.module, args)[k4.topKOutput!]!.data[0]).toBe(4);
  });
});

describe('evaluation and prediction', () => {
  it("run in the precision asked for: every dot and convolution carries it", () => {
    const model = bnNet();
    for (const precision of ['highest', 'high', 'default'] as const) {
      const ev = compileEvalStep({ model, loss: sparseCategoricalCrossentropy(), precision, batch: 2 });
      const pr = compilePredictStep({ model, precision, batch: 2 });
      const gr = compileGradStep({ model, loss: sparseCategoricalCrossentropy(), precision, batch: 2 });
      for (const m of [ev.module, pr.module, gr.module]) {
        const mx = m.entry.instructions.filter((i) => i.op === 'dot' || i.op === 'convolution');
        expect(mx.length).toBeGreaterThan(0);
        for (const i of mx) expect((i.attrs as { precision?: string }).precision ?? 'default').toBe(precision);
      }
    }
    expect(compilePredictStep({ model, precision: 'default', batch: 2 }).module.name).toBe(`${model.name}_predict`);
    expect(compileGradStep({ model, loss: sparseCategoricalCrossentropy(), precision: 'default', batch: 2 }).module.name).toBe(`${model.name}_grad`);
  });
});
