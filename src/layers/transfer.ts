/**
 * @module layers/transfer
 * Transfer learning, as the codelab's first big win: a pretrained backbone (a loaded model,
 * e.g. a MobileNet imported from a TensorFlow frozen graph and cut at its last feature map),
 * frozen (`trainable = false` on each of its layers), then global average pooling and a new
 * dense softmax head. Only the head's weights train; the backbone's pass unchanged through
 * the training step as frozen parameters, and its forward pass still runs on the simulated
 * TPU. `unfreeze` makes the backbone trainable for a second, low-learning-rate phase.
 *
 * Imports ./model, ./layer (types), ./core, ./pooling, ./errors, ./shape.
 * Invariant: the backbone's layers and weights are the returned model's (shared, not copied).
 */
import { Dense } from './core.ts';
import { LayerConfigError } from './errors.ts';
import { model, type Model } from './model.ts';
import { GlobalAveragePooling2D } from './pooling.ts';
import { formatShape } from './shape.ts';

/** Options of `transferModel`. */
export interface TransferArgs {
  /** Classes of the new head. Default 5 (the flowers). */
  readonly classes?: number;
  /** The model's name. Default 'transfer'. */
  readonly name?: string;
  /** Seed of the head's initial weights. Default 1. */
  readonly seed?: number;
}

/** Names of the head's layers (chosen so that they cannot clash with an imported scope). */
export const HEAD_LAYERS = { pool: 'head/global_average_pooling2d', dense: 'head/dense' } as const;

/**
 * The backbone, frozen, with global average pooling and a dense softmax head on its output.
 * @throws LayerConfigError when the backbone's output is not a feature map [B, H, W, C]
 * @example const m = transferModel(await loadModel('mobilenet-features'), { classes: 5 });
 */
export function transferModel(backbone: Model, o: TransferArgs = {}): Model {
  const features = backbone.outputs[0]!;
  if (backbone.outputs.length !== 1 || features.shape.length !== 4) {
    throw new LayerConfigError(
      `the backbone '${backbone.name}' outputs ${formatShape(features.shape)}; a transfer model needs a feature map (None, H, W, C): cut the network before its classifier (tpusim import --output NODE)`,
    );
  }
  for (const l of backbone.layers) l.trainable = false;
  const pooled = new GlobalAveragePooling2D({ name: HEAD_LAYERS.pool }).apply(features);
  const y = new Dense({ name: HEAD_LAYERS.dense, units: o.classes ?? 5, activation: 'softmax' }).apply(pooled);
  return model({ inputs: backbone.inputs[0]!, outputs: y, name: o.name ?? 'transfer', seed: o.seed ?? 1 });
}

/** Makes every layer of the model trainable (the fine-tuning phase after the head has trained). */
export function unfreeze(m: Model): void {
  for (const l of m.layers) l.trainable = true;
}
