/**
 * @module tf/models
 * The model constructors with TensorFlow.js's arguments: `tf.sequential({layers, name})`,
 * `tf.input({shape})`, `tf.model({inputs, outputs, name})`. Each checks its arguments and
 * names the call and the argument when one is wrong ("tf.sequential: layers[2] is not a
 * layer").
 *
 * Imports ../layers (model, input, SymbolicTensor), ./model, ./errors.
 */
import { input as kerasInput, model as kerasModel, SymbolicTensor, type Layer } from '../layers/index.ts';
import { TfError } from './errors.ts';
import { LayersModel } from './model.ts';
import { Sequential } from './sequential.ts';
import { checkKeys } from './train-args.ts';

/** Options of `tf.sequential`. */
export interface SequentialArgs {
  readonly layers?: readonly Layer[];
  readonly name?: string;
}

/**
 * A linear stack of layers; the first needs an `inputShape`.
 * @example tf.sequential({ layers: [tf.layers.dense({ units: 10, activation: 'softmax', inputShape: [784] })] })
 */
export function sequential(config: SequentialArgs = {}): Sequential {
  if (Array.isArray(config)) throw new TfError('tf.sequential: pass the layers as {layers: [...]}, not as an array');
  checkKeys('tf.sequential', config, ['layers', 'name']);
  if (config.layers !== undefined && !Array.isArray(config.layers)) {
    throw new TfError(`tf.sequential: layers must be an array of layers, got ${typeof config.layers}`);
  }
  return new Sequential(config);
}

/** Options of `tf.input`. */
export interface InputConfig {
  /** Per-example shape (no batch). */
  readonly shape?: readonly number[];
  /** The shape with the batch first (its batch size is not kept). */
  readonly batchShape?: readonly (number | null)[];
  readonly name?: string;
  readonly dtype?: 'float32';
  readonly sparse?: false;
}

/** A symbolic input of a functional model. @example const x = tf.input({ shape: [28, 28, 1] }) */
export function input(config: InputConfig): SymbolicTensor {
  checkKeys('tf.input', config, ['shape', 'batchShape', 'name', 'dtype', 'sparse']);
  if (config.dtype !== undefined && config.dtype !== 'float32') {
    throw new TfError(`tf.input: dtype '${String(config.dtype)}' is not supported (tpusim models take 'float32')`);
  }
  if (config.shape !== undefined && config.batchShape !== undefined) throw new TfError('tf.input: give shape or batchShape, not both');
  const shape = config.shape ?? config.batchShape?.slice(1);
  if (!Array.isArray(shape)) throw new TfError('tf.input: shape is required, e.g. {shape: [784]}');
  shape.forEach((d, i) => {
    if (!(Number.isSafeInteger(d) && (d as number) > 0)) {
      throw new TfError(`tf.input: shape[${i}] must be a positive integer, got ${String(d)} (tpusim needs every dimension but the batch)`);
    }
  });
  return kerasInput({ shape: shape as number[], ...(config.name !== undefined ? { name: config.name } : {}) });
}

/** Options of `tf.model`. */
export interface ContainerArgs {
  readonly inputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly outputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly name?: string;
}

function symbolic(arg: string, v: unknown): void {
  const list = Array.isArray(v) ? v : [v];
  list.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new TfError(`tf.model: ${Array.isArray(v) ? `${arg}[${i}]` : arg} is not a symbolic tensor (from tf.input or layer.apply)`);
    }
  });
  if (list.length !== 1) throw new TfError(`tf.model: ${arg} has ${list.length} tensors; tpusim models have one input and one output`);
}

/**
 * A functional model from symbolic inputs to outputs.
 * @example const x = tf.input({ shape: [4] }); const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(x) })
 */
export function model(args: ContainerArgs): LayersModel {
  checkKeys('tf.model', args, ['inputs', 'outputs', 'name']);
  symbolic('inputs', args?.inputs);
  symbolic('outputs', args?.outputs);
  return new LayersModel(kerasModel({ inputs: args.inputs, outputs: args.outputs, ...(args.name !== undefined ? { name: args.name } : {}) }));
}
