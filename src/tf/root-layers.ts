/**
 * @module tf/root-layers
 * The root package's `layers` namespace (`import { layers } from 'tpusim'`): everything of
 * ../layers (presets, tpuStrategy, saveModel, the layer classes, ...) with the layer
 * factories replaced by TensorFlow.js's (./layers), which take a superset of the options of
 * ../layers' factories. So `tf.layers.dense({units, inputShape})` and
 * `layers.preset('squeeze-fast')` both work from `import * as tf from 'tpusim'`.
 * A plain list of export lines.
 */
export * from '../layers/index.ts';
export { activation, averagePooling2d, batchNormalization, concatenate, conv2d, dense, dropout, flatten, globalAveragePooling2d, maxPooling2d } from './layers.ts';
export type { BatchNormalizationLayerArgs, ConvLayerArgs, DenseLayerArgs, PoolingLayerArgs, TfLayerArgs } from './layers.ts';
