/**
 * @module layers/normalization
 * BatchNormalization over the last axis (channels), as Keras: gamma (scale) and beta
 * (center) are trainable; moving mean and moving variance are non-trainable state, updated in
 * training as moving = moving * momentum + batch * (1 - momentum) (the batch variance is the
 * biased one, as Keras's). Training mode normalises with the batch statistics; inference with
 * the moving ones. Defaults as Keras: momentum 0.99, epsilon 1e-3, center and scale on.
 *
 * Imports xla (builder types), ./layer, ./shape, ./initializers.
 */
import type { Op } from '../xla/index.ts';
import { LayerConfigError } from './errors.ts';
import { ones, zeros } from './initializers.ts';
import { Layer, ShapeProblem, singleShape, type CallContext, type LayerArgs, type LayerWeight } from './layer.ts';
import { shapeText, type LayerShape } from './shape.ts';

/** Options of `batchNormalization`. */
export interface BatchNormalizationArgs extends LayerArgs {
  /** Default 0.99. */
  readonly momentum?: number;
  /** Default 1e-3. */
  readonly epsilon?: number;
  /** Learn beta (default true). */
  readonly center?: boolean;
  /** Learn gamma (default true). */
  readonly scale?: boolean;
}

/** Batch normalisation on the channel axis. */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: LayerWeight | undefined;
  beta: LayerWeight | undefined;
  movingMean: LayerWeight | undefined;
  movingVariance: LayerWeight | undefined;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new LayerConfigError(`batchNormalization '${this.name}' momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new LayerConfigError(`batchNormalization '${this.name}' epsilon must be positive, got ${this.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
  }
  protected override buildWeights(inputShape: LayerShape | readonly LayerShape[]): void {
    const s = singleShape(inputShape, 'BatchNormalization');
    const c = s[s.length - 1];
    if (s.length < 2 || c === null || c === undefined) throw new ShapeProblem(`needs a known channel (last) dimension, got ${shapeText(s)}`);
    if (this.scale) this.gamma = this.addWeight('gamma', [c], ones);
    if (this.center) this.beta = this.addWeight('beta', [c], zeros);
    this.movingMean = this.addWeight('moving_mean', [c], zeros, false);
    this.movingVariance = this.addWeight('moving_variance', [c], ones, false);
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return singleShape(inputShape, 'BatchNormalization');
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const { b } = ctx;
    return b.withSource(this.name, () => {
      const dims = x!.shape.dims;
      const axes = dims.slice(0, -1).map((_, i) => i); // every axis but channels
      let mean: Op;
      let variance: Op;
      // NOTE: a frozen batch norm runs in inference mode, as Keras 2 does (transfer learning).
      if (ctx.training && this.trainable) {
        mean = b.mean(x!, axes); // [C]
        const centered = b.subtract(x!, mean);
        variance = b.mean(b.multiply(centered, centered), axes); // [C], biased
        const m = this.momentum;
        ctx.update(this.movingMean!, b.add(b.multiply(ctx.weight(this.movingMean!), m), b.multiply(mean, 1 - m)));
        ctx.update(this.movingVariance!, b.add(b.multiply(ctx.weight(this.movingVariance!), m), b.multiply(variance, 1 - m)));
      } else {
        mean = ctx.weight(this.movingMean!);
        variance = ctx.weight(this.movingVariance!);
      }
      let inv = b.rsqrt(b.add(variance, this.epsilon)); // [C]
      if (this.gamma) inv = b.multiply(inv, ctx.weight(this.gamma));
      const y = b.multiply(b.subtract(x!, mean), inv);
      return this.beta ? b.add(y, ctx.weight(this.beta)) : y;
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
