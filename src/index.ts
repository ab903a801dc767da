/**
 * @module tpusim
 * The public API, grouped by module. Anything not exported here (or from a module's
 * `package.json` export) is internal.
 *
 * The root is also TensorFlow.js's layers surface (`import * as tf from 'tpusim'`: see
 * ./tf): `layers`, `tpu` and `data` are supersets (the TF.js layer factories with
 * ../layers' own members; the device module with `strategy` and `setDefaults`; ../data with
 * TF.js's `array`, `generator`, `zip`), and the tf functions
 * (tensors, models, training, loading) are exported by name. `tpusim/tf` is that surface alone.
 */
export * as bfloat16 from './bfloat16/index.ts';
export * as mxu from './mxu/index.ts';
export * as vpu from './vpu/index.ts';
export * as tpu from './tf/root-tpu.ts';
export * as xla from './xla/index.ts';
export * as tfgraph from './tfgraph/index.ts';
export * as layers from './tf/root-layers.ts';
export * as data from './tf/data.ts';
export { Tensor, dispose, oneHot, ones, scalar, tensor, tensor1d, tensor2d, tensor3d, tensor4d, tidy, zeros, type DataType, type NestedArray, type TensorLike, type TypedArray } from './tf/index.ts';
export { LayersModel, Sequential, input, model, sequential, type DatasetLike, type ModelCompileArgs, type ModelFitArgs, type ModelFitDatasetArgs, type SaveResult } from './tf/index.ts';
export { EarlyStopping, History, TfError, callbacks, getBackend, loadLayersModel, ready, train, type CustomCallbackArgs, type EarlyStoppingArgs, type FitParams, type Logs } from './tf/index.ts';
