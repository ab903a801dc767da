/**
 * @module tf/sequential
 * TensorFlow.js's `Sequential`: a LayersModel (./model.ts) whose tpusim model is built again
 * after every `add` (layers keep their weights), so a shape error comes at `add`, as in
 * TF.js, and names both layers and both shapes. A compiled Sequential compiles again after
 * an `add`. A loaded one (tf.loadLayersModel) keeps its input shape.
 *
 * Imports ../layers (sequential, Layer), ./model, ./errors.
 */
import { sequential as kerasSequential, type Layer, type Model } from '../layers/index.ts';
import { TfError } from './errors.ts';
import { LayersModel } from './model.ts';

/** A linear stack of layers (TF.js's Sequential). */
export class Sequential extends LayersModel {
  private readonly stack: Layer[] = [];
  private readonly givenName: string | undefined;
  /** A loaded model's input shape (its first layer was not given one). */
  private readonly loadedInputShape: number[] | undefined;

  constructor(args: { layers?: readonly Layer[]; name?: string } = {}, model?: Model) {
    super(model);
    this.givenName = args.name ?? model?.name;
    this.loadedInputShape = model ? (model.inputShape.slice(1) as number[]) : undefined;
    if (model) this.stack.push(...model.layers.slice(1));
    (args.layers ?? []).forEach((l, i) => this.push(l, `tf.sequential: layers[${i}]`));
  }

  /** The layers, without the input layer (as TF.js lists a Sequential's). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Appends a layer; its shape is checked against the previous one now. */
  add(layer: Layer): void {
    this.push(layer, 'sequential.add: layer');
  }

  private push(layer: unknown, what: string): void {
    if (!isLayer(layer)) {
      const got = layer === null ? 'null' : typeof layer === 'object' ? (layer.constructor?.name ?? 'an object') : typeof layer;
      throw new TfError(`${what} is not a layer (got ${got})`);
    }
    if (this.stack.length === 0 && layer.inputShape === undefined) {
      throw new TfError(`${what}: the first layer of a sequential model needs an inputShape (or batchInputShape)`);
    }
    this.stack.push(layer);
    const name = this.givenName ?? this.inner?.name;
    try {
      const shape = this.loadedInputShape ? { inputShape: this.loadedInputShape } : {};
      this.inner = kerasSequential(this.stack, { ...shape, ...(name !== undefined ? { name } : {}) });
    } catch (err) {
      this.stack.pop(); // the model stays as it was
      throw err;
    }
    if (this.compiledWith) this.compile(this.compiledWith);
  }
}

/** Whether `v` is a tpusim layer (any of ../layers' classes). */
export function isLayer(v: unknown): v is Layer {
  const l = v as Layer;
  return typeof v === 'object' && v !== null && typeof l.apply === 'function' && typeof l.computeOutputShape === 'function' && typeof l.className === 'string';
}
