/**
 * @module layers/diagnostics
 * Checks of a model's state that explain a training run before it is run. One today:
 * inactive output units. A model whose class scores come out of a ReLU (the codelab's
 * "squeeze it as fast as you can": a ReLU 1x1 conv, global average pooling, softmax) can
 * start with a class unit at 0 for nearly every image; its gradient is 0 wherever it is 0, so
 * that class is learned slowly or never and training stalls well below the codelab's
 * accuracy. Keras does the same with the same code; the codelab's advice is to restart.
 *
 * Imports ./model, ./conv, ./core, ./pooling, ./layer.
 */
import { Conv2D } from './conv.ts';
import { ActivationLayer, Dense } from './core.ts';
import type { SymbolicTensor } from './layer.ts';
import { model, type Model } from './model.ts';
import { GlobalAveragePooling2D } from './pooling.ts';

/** Where a model's class scores come out of a ReLU, and what follows it. */
export interface ReluHead {
  /** The ReLU layer (a conv or dense with activation 'relu'). */
  readonly layer: string;
  /** The per-class scores before the softmax: [units] per image. */
  readonly scores: SymbolicTensor;
  /** The layers from the ReLU to the output, e.g. ['global_average_pooling2d', 'activation']. */
  readonly path: readonly string[];
}

/**
 * The ReLU head of `m` when its output is softmax(scores) with scores a ReLU layer's output,
 * directly or through global average pooling (which is 0 exactly when every position is 0);
 * undefined for any other model.
 */
export function reluHead(m: Model): ReluHead | undefined {
  if (m.outputs.length !== 1) return undefined;
  const out = m.outputs[0]!;
  const softmax = out.layer;
  if (!(softmax instanceof ActivationLayer) || softmax.activation !== 'softmax' || out.node.inputs.length !== 1) return undefined;
  const scores = out.node.inputs[0]!;
  let t = scores;
  const path = [softmax.name];
  if (t.layer instanceof GlobalAveragePooling2D) {
    path.unshift(t.layer.name);
    t = t.node.inputs[0]!;
  }
  const relu = t.layer;
  if (!((relu instanceof Conv2D || relu instanceof Dense) && relu.activation === 'relu')) return undefined;
  return { layer: relu.name, scores, path };
}

/** What `inactiveOutputUnits` found. */
export interface InactiveUnits extends ReluHead {
  /** Output units (class ids) at 0 for at least `threshold` of the images. */
  readonly units: readonly number[];
  /** Per unit: the fraction of images for which it is 0. */
  readonly zeroFraction: readonly number[];
  readonly images: number;
}

/**
 * The output units of `m`'s ReLU head (see `reluHead`) that are exactly 0 for at least
 * `threshold` (default 0.9) of the images `xs` ([N, ...input], row-major) at the model's
 * current weights, computed on the simulated TPU (a forward pass of the layers up to the
 * scores, sharing the model's weights). Undefined when the model has no ReLU head.
 */
export async function inactiveOutputUnits(m: Model, xs: Float32Array, opts: { threshold?: number; batchSize?: number } = {}): Promise<InactiveUnits | undefined> {
  const head = reluHead(m);
  if (!head) return undefined;
  const threshold = opts.threshold ?? 0.9;
  const upToScores = model({ inputs: m.inputs as SymbolicTensor[], outputs: head.scores, name: `${m.name}_scores` });
  const units = head.scores.shape[head.scores.shape.length - 1]!;
  const scores = await upToScores.predict(xs, { batchSize: opts.batchSize ?? 32 });
  const images = scores.length / units;
  const zeroFraction = Array.from({ length: units }, (_, u) => {
    let zeros = 0;
    for (let i = 0; i < images; i++) if (scores[i * units + u] === 0) zeros++;
    return images > 0 ? zeros / images : 0;
  });
  return { ...head, units: zeroFraction.flatMap((f, u) => (f >= threshold ? [u] : [])), zeroFraction, images };
}
