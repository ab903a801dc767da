/**
 * @module layers/conv-depthwise
 * DepthwiseConv2D (TensorFlow.js's `depthwiseConv2d`, Keras's DepthwiseConv2D): each input
 * channel convolved with its own `depthMultiplier` KH x KW filters, NHWC input, kernel
 * `depthwise_kernel` [KH, KW, C, M], output channels C*M ordered (c, m); 'same' or 'valid'
 * padding by TensorFlow's rules, strides, dilation, optional bias and activation. `call`
 * emits xla/compose-depthwise's composition (multiply-adds over the window on the VPU).
 *
 * Imports xla (the composition, builder types), ./layer, ./shape, ./conv (padding rules),
 * ./activations, ./initializers, ./errors.
 */
import { depthwiseConv2d, type Op } from '../xla/index.ts';
import { ACTIVATIONS, activationName, type ActivationName } from './activations.ts';
import { outSize, paddingName, type Padding } from './conv.ts';
import { glorotUniform, zeros, type Initializer } from './initializers.ts';
import { Layer, ShapeProblem, singleShape, type CallContext, type LayerArgs, type LayerWeight } from './layer.ts';
import { pair, positiveInt, shapeText, type LayerShape } from './shape.ts';

/** Options of `depthwiseConv2d` (TensorFlow.js's names). */
export interface DepthwiseConv2DArgs extends LayerArgs {
  readonly kernelSize: number | readonly [number, number];
  /** Filters per input channel (M). Default 1. */
  readonly depthMultiplier?: number;
  /** Default 1. */
  readonly strides?: number | readonly [number, number];
  /** Default 'valid' (as Keras). */
  readonly padding?: Padding;
  /** Filter dilation. Default 1. */
  readonly dilationRate?: number | readonly [number, number];
  /** Default 'linear'. */
  readonly activation?: ActivationName;
  /** Default true. */
  readonly useBias?: boolean;
  /** Default glorotUniform. */
  readonly depthwiseInitializer?: Initializer;
  /** Default zeros. */
  readonly biasInitializer?: Initializer;
}

/** Depthwise 2-D convolution layer. */
export class DepthwiseConv2D extends Layer {
  readonly className = 'DepthwiseConv2D';
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  depthwiseKernel: LayerWeight | undefined;
  bias: LayerWeight | undefined;
  private readonly init: { kernel: Initializer; bias: Initializer };

  constructor(args: DepthwiseConv2DArgs) {
    super(args, 'depthwise_conv2d');
    const where = `depthwiseConv2d '${this.name}'`;
    this.kernelSize = pair(args.kernelSize, `${where} kernelSize`);
    this.depthMultiplier = positiveInt(args.depthMultiplier ?? 1, `${where} depthMultiplier`);
    this.strides = pair(args.strides ?? 1, `${where} strides`);
    this.padding = paddingName(args.padding, where);
    this.dilationRate = pair(args.dilationRate ?? 1, `${where} dilationRate`);
    this.activation = activationName(args.activation ?? 'linear');
    this.useBias = args.useBias ?? true;
    this.init = { kernel: args.depthwiseInitializer ?? glorotUniform, bias: args.biasInitializer ?? zeros };
  }
  private check(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const s = singleShape(inputShape, 'DepthwiseConv2D');
    if (s.length !== 4 || s.slice(1).some((d) => d === null)) throw new ShapeProblem(`expects [batch, height, width, channels], got ${shapeText(s)}`);
    return s;
  }
  protected override buildWeights(inputShape: LayerShape | readonly LayerShape[]): void {
    const c = this.check(inputShape)[3] as number;
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [...this.kernelSize, c, this.depthMultiplier], this.init.kernel);
    if (this.useBias) this.bias = this.addWeight('bias', [c * this.depthMultiplier], this.init.bias);
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const [batch, h, w, c] = this.check(inputShape) as [number | null, number, number, number];
    // a dilated window spans (k - 1) * d + 1 pixels
    const span = (i: 0 | 1): number => (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
    const ho = outSize(h, span(0), this.strides[0], this.padding, 'kernel height');
    const wo = outSize(w, span(1), this.strides[1], this.padding, 'kernel width');
    return [batch, ho, wo, c * this.depthMultiplier];
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const { b } = ctx;
    return b.withSource(this.name, () => {
      // x: [B, H, W, C], depthwise_kernel: [KH, KW, C, M] -> y: [B, Ho, Wo, C*M]
      let y = depthwiseConv2d(b, x!, ctx.weight(this.depthwiseKernel!), {
        strides: this.strides,
        padding: this.padding,
        dilation: this.dilationRate,
        precision: ctx.precision,
      });
      if (this.bias) y = b.add(y, b.broadcast(ctx.weight(this.bias), y.shape.dims, [3]));
      return ACTIVATIONS[this.activation](b, y);
    });
  }
  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      depthMultiplier: this.depthMultiplier,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
    };
  }
}
