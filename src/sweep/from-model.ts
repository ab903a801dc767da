/**
 * @module sweep/from-model
 * The layer table of a Keras-style model: its Conv2D and Dense layers as SCALE-Sim topology
 * rows, in graph order, named as Keras names them (conv2d, conv2d_1, ..., dense).
 *
 * Imports layers (Model, Conv2D, Dense) and ./topology.
 *
 * - Conv2D: the row lists the input rows and columns the convolution reads, (Ho - 1) * S + F,
 *   so SCALE-Sim's unpadded rule ceil((H - F + S) / S) gives back Keras's output size: a
 *   'same' layer's padding is counted in (192 px, 6 x 6, stride 2 -> 196), a 'valid' layer's
 *   unread edge is left out. M, K and N are then what tpusim's convolution lowering feeds the
 *   MXU (xla/ops/linalg.ts: M = B * Ho * Wo, K = Fh * Fw * C, N = filters).
 * - Dense on [B, ..., F]: a 1 x 1 convolution with F channels over the middle dims (1 row for
 *   a flat input).
 * Other layers (pooling, batch norm, activations, concatenation) run on the VPU, not the MXU,
 * and are not rows; a layer with weights of another kind is listed in `skipped`.
 */
import { BatchNormalization, Conv2D, Dense, type Model } from '../layers/index.ts';
import type { LayerSpec } from './topology.ts';

/** A model's MXU layers as a table, and the weighted layers it could not place. */
export interface ModelLayers {
  readonly layers: readonly LayerSpec[];
  /** Layers with weights that are neither Conv2D, Dense nor batch norm: 'name (Class)'. */
  readonly skipped: readonly string[];
}

const known = (d: number | null | undefined, what: string): number => {
  if (typeof d !== 'number') throw new Error(`sweep/from-model: ${what} has an unknown size`);
  return d;
};

/** The topology row of a Conv2D node: input [B, H, W, C] -> output [B, Ho, Wo, K]. */
function convRow(layer: Conv2D, output: readonly (number | null)[], input: readonly (number | null)[]): LayerSpec {
  const [kh, kw] = layer.kernelSize;
  const [sh, sw] = layer.strides;
  const ho = known(output[1], `${layer.name} output height`);
  const wo = known(output[2], `${layer.name} output width`);
  return {
    name: layer.name,
    ifmapHeight: (ho - 1) * sh + kh,
    ifmapWidth: (wo - 1) * sw + kw,
    filterHeight: kh,
    filterWidth: kw,
    channels: known(input[3], `${layer.name} input channels`),
    filters: layer.filters,
    strideHeight: sh,
    strideWidth: sw,
  };
}

/** The topology row of a Dense node: input [B, ..., F] -> a 1 x 1 conv over the middle dims. */
function denseRow(layer: Dense, input: readonly (number | null)[]): LayerSpec {
  const dims = input.slice(1).map((d, i) => known(d, `${layer.name} input dim ${i + 1}`));
  const features = dims[dims.length - 1]!;
  const rows = dims.slice(0, -1).reduce((a, d) => a * d, 1);
  return { name: layer.name, ifmapHeight: rows, ifmapWidth: 1, filterHeight: 1, filterWidth: 1, channels: features, filters: layer.units, strideHeight: 1, strideWidth: 1 };
}

/**
 * The MXU layers of a model, in graph order (a layer applied twice gives two rows).
 * @example modelLayers(preset('squeeze-fast', { imageSize: 192 })).layers[0] // conv2d: 196 x 196, 6 x 6, 3 -> 42, stride 2
 */
export function modelLayers(model: Model): ModelLayers {
  const layers: LayerSpec[] = [];
  const skipped: string[] = [];
  for (const node of model.nodes) {
    const l = node.layer;
    const input = node.inputs[0]?.shape;
    if (l instanceof Conv2D && input) layers.push(convRow(l, node.output.shape, input));
    else if (l instanceof Dense && input) layers.push(denseRow(l, input));
    else if (!(l instanceof BatchNormalization) && l.countParams() > 0) skipped.push(`${l.name} (${l.className})`);
  }
  return { layers, skipped };
}
