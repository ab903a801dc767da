/**
 * @module layers/core
 * The core layers: input, dense, flatten, activation, dropout. Each follows the lifecycle of
 * ./layer.ts and emits HLO through the builder in `call`.
 *
 * Imports xla (builder types), ./layer, ./shape, ./activations, ./initializers, ./errors.
 */
import type { Op } from '../xla/index.ts';
import { ACTIVATIONS, activationName, type ActivationName } from './activations.ts';
import { LayerConfigError } from './errors.ts';
import { glorotUniform, zeros, type Initializer } from './initializers.ts';
import { Layer, ShapeProblem, singleShape, SymbolicTensor, type CallContext, type LayerArgs, type LayerWeight } from './layer.ts';
import { positiveInt, product, shapeText, type LayerShape } from './shape.ts';

/** The source of a functional graph: holds the model's input shape. */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  constructor(
    /** Full shape, batch first (null). */
    readonly shape: LayerShape,
    name?: string,
  ) {
    super(name !== undefined ? { name } : {}, 'input');
  }
  computeOutputShape(): LayerShape {
    return this.shape;
  }
  call(_ctx: CallContext, inputs: readonly Op[]): Op {
    return inputs[0]!;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), batchInputShape: this.shape };
  }
}

/** Options of `input`. */
export interface InputArgs {
  /** Per-example shape, e.g. [192, 192, 3]. */
  readonly shape: readonly number[];
  readonly name?: string;
}

/**
 * A symbolic input of a functional model.
 * @example const x = input({ shape: [8, 8, 3] });
 */
export function input(args: InputArgs): SymbolicTensor {
  args.shape.forEach((d, i) => positiveInt(d, `input shape[${i}]`));
  const layer = new InputLayer([null, ...args.shape], args.name);
  const t = new SymbolicTensor(layer.shape);
  t.node = { layer, inputs: [], output: t };
  return t;
}

/** Options of `dense`. */
export interface DenseArgs extends LayerArgs {
  readonly units: number;
  /** Default 'linear'. */
  readonly activation?: ActivationName;
  /** Default true. */
  readonly useBias?: boolean;
  /** Default glorotUniform. */
  readonly kernelInitializer?: Initializer;
  /** Default zeros. */
  readonly biasInitializer?: Initializer;
}

/** y = activation(x . kernel + bias), on the last axis of x. */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  kernel: LayerWeight | undefined;
  bias: LayerWeight | undefined;
  private readonly init: { kernel: Initializer; bias: Initializer };

  constructor(args: DenseArgs) {
    super(args, 'dense');
    this.units = positiveInt(args.units, `dense '${this.name}' units`);
    this.activation = activationName(args.activation ?? 'linear');
    this.useBias = args.useBias ?? true;
    this.init = { kernel: args.kernelInitializer ?? glorotUniform, bias: args.biasInitializer ?? zeros };
  }
  protected override buildWeights(inputShape: LayerShape | readonly LayerShape[]): void {
    const s = singleShape(inputShape, 'Dense');
    const last = s[s.length - 1];
    if (s.length < 2 || last === null || last === undefined) throw new ShapeProblem(`needs a known last dimension, got ${shapeText(s)}`);
    this.kernel = this.addWeight('kernel', [last, this.units], this.init.kernel);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.init.bias);
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return [...singleShape(inputShape, 'Dense').slice(0, -1), this.units];
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const { b } = ctx;
    return b.withSource(this.name, () => {
      let y = b.dot(x!, ctx.weight(this.kernel!), { precision: ctx.precision }); // [..., units]
      if (this.bias) y = b.add(y, ctx.weight(this.bias));
      return ACTIVATIONS[this.activation](b, y);
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, activation: this.activation, useBias: this.useBias };
  }
}

/** [B, d1, d2, ...] -> [B, d1*d2*...], row-major (as Keras's channels-last flatten). */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(args: LayerArgs = {}) {
    super(args, 'flatten');
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const s = singleShape(inputShape, 'Flatten');
    const rest = s.slice(1);
    if (rest.some((d) => d === null)) throw new ShapeProblem(`needs known dimensions after the batch, got ${shapeText(s)}`);
    return [s[0] ?? null, product(rest as number[])];
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const dims = x!.shape.dims;
    return ctx.b.withSource(this.name, () => ctx.b.reshape(x!, [dims[0]!, product(dims.slice(1))]));
  }
}

/** Options of `activation`. */
export interface ActivationArgs extends LayerArgs {
  readonly activation: ActivationName;
}

/** Applies an activation function. */
export class ActivationLayer extends Layer {
  readonly className = 'Activation';
  readonly activation: ActivationName;
  constructor(args: ActivationArgs) {
    super(args, 'activation');
    this.activation = activationName(args.activation);
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return singleShape(inputShape, 'Activation');
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    return ctx.b.withSource(this.name, () => ACTIVATIONS[this.activation](ctx.b, x!));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}

/** Options of `dropout`. */
export interface DropoutArgs extends LayerArgs {
  /** Fraction of values dropped in training, in [0, 1). */
  readonly rate: number;
}

/** Inverted dropout: in training keeps each value with probability 1 - rate, scaled by 1/(1 - rate). */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  constructor(args: DropoutArgs) {
    super(args, 'dropout');
    if (!(args.rate >= 0 && args.rate < 1)) throw new LayerConfigError(`dropout '${this.name}' rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return singleShape(inputShape, 'Dropout');
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    if (!ctx.training || this.rate === 0) return x!;
    const { b } = ctx;
    return b.withSource(this.name, () => {
      const keep = b.compare(ctx.uniform(x!.shape.dims, this), this.rate, 'GE');
      return b.select(keep, b.multiply(x!, 1 / (1 - this.rate)), 0);
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}
