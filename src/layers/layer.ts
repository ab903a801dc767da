/**
 * @module layers/layer
 * The Keras layer lifecycle (house style F): `build(inputShape)` creates the weights and
 * checks the shape, `computeOutputShape` infers the output, `call` emits HLO through the
 * builder, `getConfig` returns the plain configuration. `apply(x)` wires a layer into a
 * functional graph (a `SymbolicTensor` knows the node that made it), building the layer on
 * first use so that a shape mismatch fails right there, naming both layers and both shapes.
 *
 * Imports xla (builder types), mxu/config (precision type), ./shape, ./errors,
 * ./initializers.
 *
 * Invariants: a layer's weights exist once it is built and keep their shapes; values are
 * f32 and owned by the weight (set by the model's seeded initialisation, by training, or by
 * loading); `trainable = false` freezes every weight of the layer.
 */
import type { Precision } from '../mxu/config.ts';
import type { Op, XlaBuilder } from '../xla/index.ts';
import { LayerConfigError, LayerShapeError } from './errors.ts';
import type { Initializer } from './initializers.ts';
import { shapeText, type LayerShape } from './shape.ts';

/** One weight of a layer: its name, shape, initialiser, and value once initialised. */
export class LayerWeight {
  /** Current value (f32, row-major); undefined until the model initialises it. */
  value: Float32Array | undefined = undefined;

  constructor(
    /** The owning layer (its `trainable` flag freezes this weight). */
    readonly layer: Layer,
    /** Keras name, e.g. 'kernel', 'bias', 'moving_mean'. */
    readonly name: string,
    readonly shape: readonly number[],
    readonly initializer: Initializer,
    /** False for state that no gradient updates (batch norm's moving statistics). */
    readonly trainableByKind: boolean,
  ) {}

  /** Full name as Keras prints it: 'dense_1/kernel'. */
  get fullName(): string {
    return `${this.layer.name}/${this.name}`;
  }

  /** Whether the optimizer updates this weight now. */
  get trainable(): boolean {
    return this.trainableByKind && this.layer.trainable;
  }

  /** Number of values. */
  get size(): number {
    return this.shape.reduce((a, d) => a * d, 1);
  }
}

/** What a layer's `call` can use while emitting HLO. */
export interface CallContext {
  readonly b: XlaBuilder;
  /** Training mode: dropout drops, batch norm uses batch statistics and updates its moving ones. */
  readonly training: boolean;
  /** MXU precision of dots and convolutions. */
  readonly precision: Precision;
  /** The HLO value holding a weight. */
  weight(w: LayerWeight): Op;
  /** Records the new value of a non-trainable weight (batch norm's moving statistics). */
  update(w: LayerWeight, value: Op): void;
  /** Uniform [0, 1) values of `dims`, fresh at every step (dropout). */
  uniform(dims: readonly number[], layer: Layer): Op;
}

/** One application of a layer in a graph: its inputs and its output. */
export interface Node {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  readonly output: SymbolicTensor;
}

/** A value in a functional graph: its Keras shape and the node that produces it. */
export class SymbolicTensor {
  private static counter = 0;
  /** Unique id (graph bookkeeping). */
  readonly id = SymbolicTensor.counter++;
  /** Set once, by the node that produces this tensor. */
  node!: Node;

  constructor(readonly shape: LayerShape) {}

  /** The layer that produced this tensor. */
  get layer(): Layer {
    return this.node.layer;
  }
}

/** Options every layer takes. */
export interface LayerArgs {
  /** Unique name; default `<type>_<n>` as Keras (e.g. 'conv2d_3'). */
  readonly name?: string;
  /** Default true; false freezes all weights of the layer. */
  readonly trainable?: boolean;
  /** Per-example input shape (no batch), for the first layer of a sequential model. */
  readonly inputShape?: readonly number[];
}

const nameCounters = new Map<string, number>();

/** Keras-style automatic names: 'dense', 'dense_1', 'dense_2', ... per base name. */
export function uniqueName(base: string): string {
  const n = nameCounters.get(base) ?? 0;
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * Runs `build` with automatic names counted from zero, as in a fresh Keras session: its
 * first conv2d is 'conv2d', the next 'conv2d_1'. The counters outside are restored after,
 * so names given before and after the call never repeat among themselves.
 * @example withFreshLayerNames(() => sequential([dense({ units: 5, inputShape: [4] })])) // layer 'dense'
 */
export function withFreshLayerNames<T>(build: () => T): T {
  const outside = new Map(nameCounters);
  nameCounters.clear();
  try {
    return build();
  } finally {
    nameCounters.clear();
    for (const [base, n] of outside) nameCounters.set(base, n);
  }
}

/** A problem a layer finds with its input shape; `apply` adds the layer names. */
export class ShapeProblem extends Error {}

/** The Keras layer base class. */
export abstract class Layer {
  /** The Keras class name shown in summaries, e.g. 'Conv2D'. */
  abstract readonly className: string;
  readonly name: string;
  /** False freezes every weight of this layer. */
  trainable: boolean;
  /** Per-example input shape given at construction, if any. */
  readonly inputShape: readonly number[] | undefined;
  private readonly ownWeights: LayerWeight[] = [];
  private builtFor: string | undefined = undefined;

  constructor(args: LayerArgs, baseName: string) {
    this.name = args.name ?? uniqueName(baseName);
    this.trainable = args.trainable ?? true;
    this.inputShape = args.inputShape;
  }

  /** Whether build() has run. */
  get built(): boolean {
    return this.builtFor !== undefined;
  }

  /** All weights, in creation order. */
  get weights(): readonly LayerWeight[] {
    return this.ownWeights;
  }

  /** Number of values in all weights (Keras's "Param #"). */
  countParams(): number {
    return this.ownWeights.reduce((a, w) => a + w.size, 0);
  }

  /** Declares a weight; only from build(). */
  protected addWeight(name: string, shape: readonly number[], init: Initializer, trainable = true): LayerWeight {
    const w = new LayerWeight(this, name, shape, init, trainable);
    this.ownWeights.push(w);
    return w;
  }

  /**
   * Creates the weights for `inputShape` (throwing a ShapeProblem if the layer cannot take
   * it). Subclasses override `buildWeights`; this records the shape.
   */
  build(inputShape: LayerShape | readonly LayerShape[]): void {
    const key = JSON.stringify(inputShape);
    if (this.builtFor !== undefined) {
      if (this.builtFor !== key && this.ownWeights.length > 0) {
        throw new ShapeProblem(`already built for ${this.builtFor.replaceAll('"', '')}`);
      }
      return;
    }
    this.buildWeights(inputShape);
    this.builtFor = key;
  }

  /** Declares the weights for `inputShape`; throws a ShapeProblem if it does not fit. */
  protected buildWeights(_inputShape: LayerShape | readonly LayerShape[]): void {}

  /** The output shape for `inputShape` (throws a ShapeProblem if it does not fit). */
  abstract computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape;

  /** Emits the layer's computation on `inputs` (one op per input tensor). */
  abstract call(ctx: CallContext, inputs: readonly Op[]): Op;

  /** The layer's configuration as plain data (Keras/TF.js `getConfig`). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable };
  }

  /** Applies the layer to one or more symbolic tensors, building it on first use. */
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const inputs = Array.isArray(x) ? (x as readonly SymbolicTensor[]) : [x as SymbolicTensor];
    const bad = inputs.find((t) => !(t instanceof SymbolicTensor));
    if (bad !== undefined) {
      // NOTE: TF.js layers also run eagerly on tensors; tpusim's only build graphs for a model
      const got = bad === null || typeof bad !== 'object' ? String(bad) : ((bad as object).constructor?.name ?? 'an object');
      const advice = 'to compute on values, put the layer in a model and call predict';
      throw new LayerConfigError(`layer '${this.name}' (${this.className}): apply takes symbolic tensors (from input() or another layer's apply), got ${got}; ${advice}`);
    }
    const shapes = inputs.map((t) => t.shape);
    const inputShape = Array.isArray(x) ? shapes : shapes[0]!;
    let outShape: LayerShape;
    try {
      this.build(inputShape);
      outShape = this.computeOutputShape(inputShape);
    } catch (err) {
      if (!(err instanceof ShapeProblem)) throw err;
      const from = inputs.map((t) => `'${t.layer.name}' (${t.layer.className}) ${shapeText(t.shape)}`).join(' and ');
      throw new LayerShapeError(`layer '${this.name}' (${this.className}) cannot take the output of ${from}: ${err.message}`);
    }
    const out = new SymbolicTensor(outShape);
    out.node = { layer: this, inputs, output: out };
    return out;
  }
}

/** The single input shape of a one-input layer (a ShapeProblem for a list). */
export function singleShape(inputShape: LayerShape | readonly LayerShape[], layer: string): LayerShape {
  const first = inputShape[0];
  if (Array.isArray(first) || (inputShape.length > 0 && first !== null && typeof first === 'object')) {
    throw new ShapeProblem(`${layer} takes one input, got ${inputShape.length}`);
  }
  return inputShape as LayerShape;
}
