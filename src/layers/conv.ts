/**
 * @module layers/conv
 * Conv2D: NHWC input, HWIO kernel [KH, KW, C, K], 'same' or 'valid' padding (TensorFlow's
 * rules: 'same' gives ceil(H / stride), the odd pixel of padding going after), strides,
 * optional bias and activation. `call` emits one `convolution` op (numerically im2col + one MXU
 * matmul; the compiler feeds the patches to the MXU straight from vector memory, see
 * xla/lower-conv.ts) plus the bias add and the activation.
 *
 * Imports xla (builder types), ./layer, ./shape, ./activations, ./initializers.
 */
import type { Op } from '../xla/index.ts';
import { ACTIVATIONS, activationName, type ActivationName } from './activations.ts';
import { LayerConfigError } from './errors.ts';
import { glorotUniform, zeros, type Initializer } from './initializers.ts';
import { Layer, ShapeProblem, singleShape, type CallContext, type LayerArgs, type LayerWeight } from './layer.ts';
import { pair, positiveInt, shapeText, type LayerShape } from './shape.ts';

/** Keras padding modes. */
export type Padding = 'same' | 'valid';

/** Checks a padding name. */
export function paddingName(p: string | undefined, where: string): Padding {
  if (p === undefined || p === 'valid' || p === 'same') return p ?? 'valid';
  throw new LayerConfigError(`${where} padding must be 'same' or 'valid', got '${p}'`);
}

/** Output size of one spatial dim; a ShapeProblem when the window does not fit. */
export function outSize(size: number, k: number, stride: number, padding: Padding, what: string): number {
  if (padding === 'same') return Math.ceil(size / stride);
  if (size < k) throw new ShapeProblem(`${what} ${k} is larger than the input's ${size} with 'valid' padding`);
  return Math.floor((size - k) / stride) + 1;
}

/** Options of `conv2d`. */
export interface Conv2DArgs extends LayerArgs {
  readonly filters: number;
  readonly kernelSize: number | readonly [number, number];
  /** Default 1. */
  readonly strides?: number | readonly [number, number];
  /** Default 'valid' (as Keras). */
  readonly padding?: Padding;
  /** Default 'linear'. */
  readonly activation?: ActivationName;
  /** Default true. */
  readonly useBias?: boolean;
  /** Default glorotUniform. */
  readonly kernelInitializer?: Initializer;
  /** Default zeros. */
  readonly biasInitializer?: Initializer;
}

/** 2-D convolution layer. */
export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  kernel: LayerWeight | undefined;
  bias: LayerWeight | undefined;
  private readonly init: { kernel: Initializer; bias: Initializer };

  constructor(args: Conv2DArgs) {
    super(args, 'conv2d');
    const where = `conv2d '${this.name}'`;
    this.filters = positiveInt(args.filters, `${where} filters`);
    this.kernelSize = pair(args.kernelSize, `${where} kernelSize`);
    this.strides = pair(args.strides ?? 1, `${where} strides`);
    this.padding = paddingName(args.padding, where);
    this.activation = activationName(args.activation ?? 'linear');
    this.useBias = args.useBias ?? true;
    this.init = { kernel: args.kernelInitializer ?? glorotUniform, bias: args.biasInitializer ?? zeros };
  }
  private check(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const s = singleShape(inputShape, 'Conv2D');
    if (s.length !== 4 || s.slice(1).some((d) => d === null)) throw new ShapeProblem(`expects [batch, height, width, channels], got ${shapeText(s)}`);
    return s;
  }
  protected override buildWeights(inputShape: LayerShape | readonly LayerShape[]): void {
    const c = this.check(inputShape)[3] as number;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, c, this.filters], this.init.kernel);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.init.bias);
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const [batch, h, w] = this.check(inputShape) as [number | null, number, number, number];
    const ho = outSize(h, this.kernelSize[0], this.strides[0], this.padding, 'kernel height');
    const wo = outSize(w, this.kernelSize[1], this.strides[1], this.padding, 'kernel width');
    return [batch, ho, wo, this.filters];
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const { b } = ctx;
    return b.withSource(this.name, () => {
      // x: [B, H, W, C], kernel: [KH, KW, C, K] -> y: [B, Ho, Wo, K]
      const y = b.conv2d(x!, ctx.weight(this.kernel!), this.bias ? ctx.weight(this.bias) : undefined, {
        strides: this.strides,
        padding: this.padding,
        precision: ctx.precision,
      });
      return ACTIVATIONS[this.activation](b, y);
    });
  }
  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      activation: this.activation,
      useBias: this.useBias,
    };
  }
}
