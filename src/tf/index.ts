/**
 * @module tf
 * TensorFlow.js's layers surface on the simulated TPU: code written for
 * `import * as tf from '@tensorflow/tfjs'` runs here with the import changed to
 * `import * as tf from 'tpusim/tf'` (or `'tpusim'`, whose namespaces are supersets). It
 * offers tensors (./tensor), `tf.layers.*` (./layers), `tf.sequential`, `tf.model`,
 * `tf.input`, models with compile/fit/fitDataset/evaluate/predict/save (./model,
 * ./sequential), `tf.train.*`, `tf.callbacks.*`, `tf.data` (../data plus array, generator,
 * zip), `tf.loadLayersModel`; and, kept explicit, `tf.tpu` (strategy, precision and engine
 * defaults, topK). A plain list of export lines.
 *
 * @example
 * import * as tf from 'tpusim/tf';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
 * model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
 * const history = await model.fit(tf.tensor2d(xs, [n, 4]), tf.oneHot(labels, 3), { epochs: 5, verbose: 0 });
 */
export { Tensor, dispose, oneHot, ones, scalar, tensor, tensor1d, tensor2d, tensor3d, tensor4d, tidy, zeros, type DataType, type NestedArray, type TensorLike, type TypedArray } from './tensor.ts';
export * as layers from './layers.ts';
export { input, model, sequential } from './models.ts';
export { Sequential } from './sequential.ts';
export { LayersModel, type DatasetLike, type ModelCompileArgs, type ModelFitArgs, type ModelFitDatasetArgs, type SaveResult } from './model.ts';
export { train } from './names.ts';
export { EarlyStopping, History, callbacks, type CustomCallbackArgs, type EarlyStoppingArgs, type FitParams, type Logs } from './callbacks.ts';
export { loadLayersModel } from './io.ts';
export * as tpu from './tpu.ts';
export * as data from './data.ts';
export { getBackend, ready } from './tpu.ts';
export { TfError } from './errors.ts';
export { SymbolicTensor, Layer } from '../layers/index.ts';
