/**
 * @module layers/presets
 * The models of the "Keras and modern convnets, on TPUs" codelab (Martin Gorner's flowers
 * notebooks), each one line for a user: `preset('convnet', {imageSize: 192})`.
 *
 * - dense: flatten and three dense layers (the codelab's first, non-convolutional model).
 * - convnet: the convnet solution notebook (conv 16, 30, pool, 60, pool, 90, pool, 110, pool,
 *   130, 1x1 conv 40, global average pooling, dense softmax).
 * - squeezenet-bn: the squeezenet notebook with batch norm (conv 32 + BN, fire modules
 *   24/48, 48/96, 64/128, 48/96, 24/48 with max pooling between, BN momentum 0.9).
 * - little-squeeze, squeeze-dense, squeeze-fast: smaller squeezenet variants built from the
 *   same fire module (see each definition below).
 *
 * A fire module (squeeze s, expand e): 1x1 conv to s channels, then in parallel a 1x1 conv
 * and a 3x3 conv to e/2 channels each, concatenated: the functional API with branching.
 *
 * Imports ./factories, ./model, ./core, ./layer, ./errors.
 */
import { input } from './core.ts';
import { lookup } from './errors.ts';
import { batchNormalization, concatenate, conv2d, dense, flatten, globalAveragePooling2d, maxPooling2d } from './factories.ts';
import type { SymbolicTensor } from './layer.ts';
import { model, sequential, type Model } from './model.ts';

/** Options of a preset. */
export interface PresetOptions {
  /** Input height = width in pixels. Default 192 (the codelab's). */
  readonly imageSize?: number;
  /** Classes. Default 5 (the flowers). */
  readonly classes?: number;
  /** Initialiser seed. Default 1. */
  readonly seed?: number;
}

interface Sized {
  readonly s: number;
  readonly classes: number;
  readonly seed: number;
}

/** The fire module: squeeze 1x1, then expand 1x1 || 3x3, concatenated; optional batch norm after each conv. */
export function fire(x: SymbolicTensor, squeeze: number, expand: number, bnMomentum?: number): SymbolicTensor {
  const bn = (t: SymbolicTensor): SymbolicTensor => (bnMomentum === undefined ? t : batchNormalization({ momentum: bnMomentum }).apply(t));
  const y = bn(conv2d({ filters: squeeze, kernelSize: 1, padding: 'same', activation: 'relu' }).apply(x));
  const y1 = bn(conv2d({ filters: expand / 2, kernelSize: 1, padding: 'same', activation: 'relu' }).apply(y));
  const y3 = bn(conv2d({ filters: expand / 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(y));
  return concatenate().apply([y1, y3]);
}

/** A squeezenet: stem conv, fire modules with 2x2 max pooling between, then a head. */
function squeezenet(o: Sized, name: string, spec: { stem: number; fires: readonly [number, number][]; bn?: number; head: 'gap' | 'flatten' }): Model {
  const x = input({ shape: [o.s, o.s, 3] });
  let y = conv2d({ filters: spec.stem, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
  if (spec.bn !== undefined) y = batchNormalization({ momentum: spec.bn }).apply(y);
  spec.fires.forEach(([s, e], i) => {
    if (i > 0) y = maxPooling2d({ poolSize: 2 }).apply(y);
    y = fire(y, s, e, spec.bn);
  });
  y = (spec.head === 'gap' ? globalAveragePooling2d() : flatten()).apply(y);
  y = dense({ units: o.classes, activation: 'softmax' }).apply(y);
  return model({ inputs: x, outputs: y, name, seed: o.seed });
}

const BUILDERS = {
  dense: (o: Sized) =>
    sequential(
      [flatten({ inputShape: [o.s, o.s, 3] }), dense({ units: 128, activation: 'relu' }), dense({ units: 64, activation: 'relu' }), dense({ units: o.classes, activation: 'softmax' })],
      { name: 'dense', seed: o.seed },
    ),
  convnet: (o: Sized) =>
    sequential(
      [
        conv2d({ kernelSize: 3, filters: 16, padding: 'same', activation: 'relu', inputShape: [o.s, o.s, 3] }),
        conv2d({ kernelSize: 3, filters: 30, padding: 'same', activation: 'relu' }),
        maxPooling2d({ poolSize: 2 }),
        conv2d({ kernelSize: 3, filters: 60, padding: 'same', activation: 'relu' }),
        maxPooling2d({ poolSize: 2 }),
        conv2d({ kernelSize: 3, filters: 90, padding: 'same', activation: 'relu' }),
        maxPooling2d({ poolSize: 2 }),
        conv2d({ kernelSize: 3, filters: 110, padding: 'same', activation: 'relu' }),
        maxPooling2d({ poolSize: 2 }),
        conv2d({ kernelSize: 3, filters: 130, padding: 'same', activation: 'relu' }),
        conv2d({ kernelSize: 1, filters: 40, padding: 'same', activation: 'relu' }),
        globalAveragePooling2d(),
        dense({ units: o.classes, activation: 'softmax' }),
      ],
      { name: 'convnet', seed: o.seed },
    ),
  'little-squeeze': (o: Sized) => squeezenet(o, 'little_squeeze', { stem: 32, fires: [[24, 48], [24, 48], [24, 48]], head: 'gap' }),
  'squeeze-dense': (o: Sized) => squeezenet(o, 'squeeze_dense', { stem: 32, fires: [[24, 48], [48, 96], [24, 48]], head: 'flatten' }),
  'squeeze-fast': (o: Sized) => squeezenet(o, 'squeeze_fast', { stem: 32, fires: [[16, 32], [24, 48], [32, 64]], head: 'gap' }),
  'squeezenet-bn': (o: Sized) =>
    squeezenet(o, 'squeezenet_bn', { stem: 32, fires: [[24, 48], [48, 96], [64, 128], [48, 96], [24, 48]], bn: 0.9, head: 'gap' }),
} as const satisfies Record<string, (o: Sized) => Model>;

/** The preset names, for the CLI and errors. */
export type PresetName = keyof typeof BUILDERS;

/** All preset names. */
export const PRESET_NAMES = Object.keys(BUILDERS) as PresetName[];

/**
 * Builds a codelab model by name.
 * @example preset('squeeze-fast', { imageSize: 16 }).summary()
 */
export function preset(name: string, options: PresetOptions = {}): Model {
  const build = lookup<(o: Sized) => Model>(BUILDERS, name, 'model preset');
  return build({ s: options.imageSize ?? 192, classes: options.classes ?? 5, seed: options.seed ?? 1 });
}
