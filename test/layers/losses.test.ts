/**
 * Losses and metrics against Keras's definitions written out here in float64 (plain loops on
 * numbers, not HLO): categorical cross-entropy from probabilities (normalised by their sum,
 * clipped to [eps, 1 - eps] in f32 as Keras does) and from logits (log-softmax), the sparse
 * variant's one-hot labels, the gradient of each loss with respect to the predictions, the
 * accuracy count (a tie for the top counts) and top-k (ties at the boundary count, as
 * tf.math.in_top_k). The HLO runs in the reference interpreter (f32): values agree to 1e-5
 * relative (a handful of f32 roundings per term, a sum of at most 7 terms per example).
 */
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32, gradients, type Op } from '../../src/xla/index.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import {
  EPSILON,
  LOSSES,
  categoricalCrossentropy,
  emitCorrect,
  emitLoss,
  emitTopKCorrect,
  lossOf,
  oneHot,
  sparseCategoricalCrossentropy,
  type Loss,
} from '../../src/layers/losses.ts';
import { uniformList } from './seeded.ts';

const rows = (flat: readonly number[], c: number): number[][] => Array.from({ length: flat.length / c }, (_, i) => flat.slice(i * c, (i + 1) * c));
const oneHotRows = (labels: readonly number[], c: number): number[][] => labels.map((l) => Array.from({ length: c }, (_, j) => (j === l ? 1 : 0)));

/** Keras: p / sum p, clipped to [eps, 1 - eps] (f32 constants), then the mean of -sum y log p. */
function crossEntropyRef(pred: number[][], y: number[][]): number {
  const lo = Math.fround(EPSILON);
  const hi = Math.fround(1 - EPSILON);
  const per = pred.map((p, i) => {
    const s = p.reduce((a, v) => a + v, 0);
    return -p.reduce((a, v, j) => a + y[i]![j]! * Math.log(Math.min(Math.max(v / s, lo), hi)), 0);
  });
  return per.reduce((a, v) => a + v, 0) / pred.length;
}

/** d loss / d pred without clipping: (sum_j y_j / S - y_i / p_i) / B. */
function crossEntropyGradRef(pred: number[][], y: number[][]): number[] {
  return pred.flatMap((p, i) => {
    const s = p.reduce((a, v) => a + v, 0);
    const ys = y[i]!.reduce((a, v) => a + v, 0);
    return p.map((v, j) => (ys / s - y[i]![j]! / v) / pred.length);
  });
}

/** From logits: the mean of -sum y (z - logsumexp z). */
function logitsCrossEntropyRef(z: number[][], y: number[][]): number {
  const per = z.map((r, i) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
    return -r.reduce((a, v, j) => a + y[i]![j]! * (v - lse), 0);
  });
  return per.reduce((a, v) => a + v, 0) / z.length;
}

/** d loss / d z = (softmax(z) sum y - y) / B. */
function logitsGradRef(z: number[][], y: number[][]): number[] {
  return z.flatMap((r, i) => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    const ys = y[i]!.reduce((a, v) => a + v, 0);
    return e.map((v, j) => ((v / s) * ys - y[i]![j]!) / z.length);
  });
}

/** The loss and its gradient w.r.t. the predictions [B, C], in the interpreter. */
function lossAndGrad(loss: Loss, pred: number[][], labels: number[][] | number[]): { loss: number; grad: number[] } {
  const [n, c] = [pred.length, pred[0]!.length];
  const b = new XlaBuilder('loss');
  const p = b.parameter(0, f32([n, c]), 'pred');
  const sparse = typeof labels[0] === 'number';
  const y: Op = sparse ? oneHot(b, b.parameter(1, f32([n]), 'labels'), c) : b.parameter(1, f32([n, c]), 'labels');
  const l = emitLoss(b, loss, p, y);
  const [g] = gradients(b, l, [p]);
  const [lv, gv] = evaluate(b.build([l, g!]), [pred.flat(), (labels as (number | number[])[]).flat()]);
  return { loss: lv!.data[0]!, grad: Array.from(gv!.data) };
}

const close = (got: number, want: number, rel = 1e-5, abs = 1e-7): void => {
  expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + abs);
};

describe('cross-entropy == Keras in float64 (value and gradient)', () => {
  const [B, C] = [6, 5];
  const labels = [0, 3, 1, 4, 4, 2];
  const y = oneHotRows(labels, C);

  it('from probabilities that do not sum to 1: normalised by their sum', () => {
    const pred = rows(uniformList(B * C, 1, 0.05, 1), C);
    const r = lossAndGrad(categoricalCrossentropy(), pred, y);
    close(r.loss, crossEntropyRef(pred, y));
    crossEntropyGradRef(pred, y).forEach((want, i) => close(r.grad[i]!, want, 1e-5, 1e-6));
  });

  it('clips at eps and at 1 - eps: a zero probability costs -log(1e-7), a perfect one -log(1 - 1e-7), not 0', () => {
    const perfect = labels.map((l) => Array.from({ length: C }, (_, j) => (j === l ? 1 : 0)));
    const r = lossAndGrad(categoricalCrossentropy(), perfect, y);
    expect(r.loss).toBeGreaterThan(0);
    close(r.loss, -Math.log(Math.fround(1 - EPSILON)), 1e-3, 0);
    // clipped: no gradient flows through the clamp
    expect(r.grad.every((g) => g === 0 || Object.is(g, -0))).toBe(true);
    const wrong = labels.map((l) => Array.from({ length: C }, (_, j) => (j === (l + 1) % C ? 1 : 0)));
    close(lossAndGrad(categoricalCrossentropy(), wrong, y).loss, -Math.log(Math.fround(EPSILON)), 1e-5, 0);
  });

  it('from logits: stable log-softmax, also for logits far apart', () => {
    const z = rows(uniformList(B * C, 2, -4, 4), C);
    z[1]![2] = 60;
    z[4]![4] = -70;
    const r = lossAndGrad(categoricalCrossentropy({ fromLogits: true }), z, y);
    close(r.loss, logitsCrossEntropyRef(z, y));
    logitsGradRef(z, y).forEach((want, i) => close(r.grad[i]!, want, 1e-5, 1e-7));
  });

  it('sparse labels give the one-hot loss (probabilities and logits)', () => {
    const pred = rows(uniformList(B * C, 3, 0.05, 1), C);
    const sparse = lossAndGrad(sparseCategoricalCrossentropy(), pred, labels);
    close(sparse.loss, crossEntropyRef(pred, y));
    const z = rows(uniformList(B * C, 4, -3, 3), C);
    close(lossAndGrad(sparseCategoricalCrossentropy({ fromLogits: true }), z, labels).loss, logitsCrossEntropyRef(z, y));
  });

  it('oneHot puts a 1 at each label and 0 elsewhere', () => {
    const b = new XlaBuilder('onehot');
    const out = oneHot(b, b.parameter(0, f32([B]), 'labels'), C);
    expect(Array.from(evaluate(b.build([out]), [labels])[0]!.data)).toEqual(y.flat());
  });
});

describe('loss specs by name and by object', () => {
  it("Keras's camelCase and snake_case names, probabilities by default", () => {
    for (const [name, want] of [
      ['categoricalCrossentropy', { name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: false }],
      ['categorical_crossentropy', { name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: false }],
      ['sparseCategoricalCrossentropy', { name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: false }],
      ['sparse_categorical_crossentropy', { name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: false }],
    ] as const) {
      expect(lossOf(name)).toEqual(want);
    }
    expect(Object.keys(LOSSES)).toHaveLength(4);
    expect(() => lossOf('mse')).toThrow(/unknown loss 'mse'; valid: categoricalCrossentropy, categorical_crossentropy/);
  });

  it('the factories take fromLogits (default false); an object is used as it is', () => {
    expect(categoricalCrossentropy()).toEqual({ name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: false });
    expect(categoricalCrossentropy({ fromLogits: true })).toEqual({ name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: true });
    expect(sparseCategoricalCrossentropy()).toEqual({ name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: false });
    expect(sparseCategoricalCrossentropy({ fromLogits: true })).toEqual({ name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: true });
    const own = sparseCategoricalCrossentropy({ fromLogits: true });
    expect(lossOf(own)).toBe(own);
  });
});

describe('accuracy and top-k counts', () => {
  /** Correct and top-k counts of pred [B, C] against one-hot labels, in the interpreter. */
  function counts(pred: number[][], labels: number[], k: number): { correct: number; topK: number } {
    const [n, c] = [pred.length, pred[0]!.length];
    const b = new XlaBuilder('metrics');
    const p = b.parameter(0, f32([n, c]), 'pred');
    const y = b.parameter(1, f32([n, c]), 'labels');
    const [correct, topK] = evaluate(b.build([emitCorrect(b, p, y), emitTopKCorrect(b, p, y, k)]), [pred.flat(), oneHotRows(labels, c).flat()]);
    return { correct: correct!.data[0]!, topK: topK!.data[0]! };
  }

  /** Reference: correct = label's score is the maximum; in top k = fewer than k scores strictly higher. */
  function countsRef(pred: number[][], labels: number[], k: number): { correct: number; topK: number } {
    let correct = 0;
    let topK = 0;
    pred.forEach((r, i) => {
      const s = r[labels[i]!]!;
      if (s >= Math.max(...r)) correct++;
      if (r.filter((v) => v > s).length < k) topK++;
    });
    return { correct, topK };
  }

  it('count the examples whose label is the top class / among the top k, random scores, k = 1..4', () => {
    const pred = rows(uniformList(40 * 6, 5), 6);
    const labels = uniformList(40, 6, 0, 6).map(Math.floor);
    for (const k of [1, 2, 3, 4]) expect(counts(pred, labels, k)).toEqual(countsRef(pred, labels, k));
  });

  it('ties: a tie for the top counts as correct; a tie at the k-th place counts as in the top k', () => {
    const pred = [
      [0.5, 0.5, 0.1], // label 1 tied for the top
      [0.2, 0.7, 0.2], // label 2 tied for 2nd with label 0
      [0.9, 0.05, 0.05], // label 2 tied for 2nd (fewer than 2 higher)
      [0.1, 0.2, 0.7], // label 0 third
    ];
    const labels = [1, 2, 2, 0];
    expect(counts(pred, labels, 1)).toEqual({ correct: 1, topK: 1 });
    expect(counts(pred, labels, 2)).toEqual({ correct: 1, topK: 3 });
    expect(counts(pred, labels, 2)).toEqual(countsRef(pred, labels, 2));
  });
});
