/**
 * @module layers/losses
 * Losses as HLO, each the batch mean of a per-example value (a scalar), with Keras's names:
 * - categoricalCrossentropy from probabilities (Keras/TF.js: p / sum p, clipped to
 *   [1e-7, 1 - 1e-7], then -sum y log p), or `fromLogits` (stable log-softmax);
 * - sparseCategoricalCrossentropy: the same with integer class labels [B] (one-hot in HLO).
 * And the accuracy metric as a count of correct examples (argmax of prediction = label; a tie
 * for the maximum counts as correct), and top-k accuracy as a count the same way.
 *
 * Imports xla (builder), ./errors.
 */
import { f32, type Op, type XlaBuilder } from '../xla/index.ts';
import { lookup } from './errors.ts';

/** Keras's epsilon for clipping probabilities. */
export const EPSILON = 1e-7;

/** A loss: how labels come in, and the HLO of the scalar mean loss. */
export interface Loss {
  readonly name: string;
  /** 'sparse': labels [B] of class indices; 'onehot': labels [B, N]. */
  readonly labels: 'sparse' | 'onehot';
  /** Whether the model output is logits (no softmax) rather than probabilities. */
  readonly fromLogits: boolean;
}

/** One-hot [B, N] of class indices [B] (as f32), in HLO. */
export function oneHot(b: XlaBuilder, labels: Op, classes: number): Op {
  const n = labels.shape.dims[0]!;
  const iota = b.iota(f32([n, classes]), 1); // [B, N]: 0..N-1 along classes
  const hit = b.compare(iota, b.broadcast(labels, [n, classes], [0]), 'EQ');
  return b.select(hit, 1, 0);
}

/** The scalar mean loss of predictions [B, N] against one-hot labels [B, N]. */
export function emitLoss(b: XlaBuilder, loss: Loss, pred: Op, labels: Op): Op {
  return b.withSource('loss', () => {
    if (loss.fromLogits) return b.softmaxCrossEntropy(pred, labels);
    const [n, c] = pred.shape.dims as [number, number];
    const total = b.broadcast(b.sum(pred, [1]), [n, c], [0]);
    const p = b.minimum(b.maximum(b.divide(pred, total), EPSILON), 1 - EPSILON);
    return b.mean(b.negate(b.sum(b.multiply(labels, b.log(p)), [1])));
  });
}

/** Number of examples whose highest prediction is the labelled class (a scalar). */
export function emitCorrect(b: XlaBuilder, pred: Op, labels: Op): Op {
  return b.withSource('accuracy', () => {
    const [n, c] = pred.shape.dims as [number, number];
    const top = b.compare(pred, b.broadcast(b.max(pred, [1]), [n, c], [0]), 'GE');
    return b.sum(b.multiply(labels, b.select(top, 1, 0)));
  });
}

/**
 * Number of examples whose labelled class is among the `k` highest predictions (a scalar):
 * fewer than k classes score strictly higher, so ties at the boundary count as in the top k,
 * as tf.math.in_top_k does.
 */
export function emitTopKCorrect(b: XlaBuilder, pred: Op, labels: Op, k: number): Op {
  return b.withSource('top-k accuracy', () => {
    const [n, c] = pred.shape.dims as [number, number];
    const labelled = b.broadcast(b.sum(b.multiply(labels, pred), [1]), [n, c], [0]); // [B, N]: the labelled class's score
    const higher = b.sum(b.select(b.compare(pred, labelled, 'GT'), 1, 0), [1]); // [B]
    return b.sum(b.select(b.compare(higher, k, 'LT'), 1, 0));
  });
}

/** Losses by name (Keras's camelCase and snake_case names). */
export const LOSSES = {
  categoricalCrossentropy: { name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: false },
  categorical_crossentropy: { name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: false },
  sparseCategoricalCrossentropy: { name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: false },
  sparse_categorical_crossentropy: { name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: false },
} as const satisfies Record<string, Loss>;

/** A loss by name or object; `{fromLogits: true}` variants via `categoricalCrossentropy({fromLogits})`. */
export function lossOf(spec: string | Loss): Loss {
  return typeof spec === 'string' ? lookup<Loss>(LOSSES, spec, 'loss') : spec;
}

/** Categorical cross-entropy, from probabilities (default) or logits. */
export function categoricalCrossentropy(o: { fromLogits?: boolean } = {}): Loss {
  return { name: 'categoricalCrossentropy', labels: 'onehot', fromLogits: o.fromLogits ?? false };
}

/** Sparse categorical cross-entropy (integer labels), from probabilities or logits. */
export function sparseCategoricalCrossentropy(o: { fromLogits?: boolean } = {}): Loss {
  return { name: 'sparseCategoricalCrossentropy', labels: 'sparse', fromLogits: o.fromLogits ?? false };
}
