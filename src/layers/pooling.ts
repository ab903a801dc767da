/**
 * @module layers/pooling
 * MaxPooling2D, AveragePooling2D (reduce-window, run on the VPU) and
 * GlobalAveragePooling2D (mean over H and W), NHWC. Defaults as Keras: pool size 2,
 * strides = pool size, 'valid' padding.
 *
 * Imports xla (builder types), ./layer, ./shape, ./conv (padding rules).
 */
import type { Op } from '../xla/index.ts';
import { outSize, paddingName, type Padding } from './conv.ts';
import { Layer, ShapeProblem, singleShape, type CallContext, type LayerArgs } from './layer.ts';
import { pair, shapeText, type LayerShape } from './shape.ts';

/** Options of the 2-D pooling layers. */
export interface Pooling2DArgs extends LayerArgs {
  /** Default 2. */
  readonly poolSize?: number | readonly [number, number];
  /** Default: the pool size. */
  readonly strides?: number | readonly [number, number];
  /** Default 'valid'. */
  readonly padding?: Padding;
}

function check4d(inputShape: LayerShape | readonly LayerShape[], layer: string): [number | null, number, number, number] {
  const s = singleShape(inputShape, layer);
  if (s.length !== 4 || s.slice(1).some((d) => d === null)) throw new ShapeProblem(`expects [batch, height, width, channels], got ${shapeText(s)}`);
  return s as [number | null, number, number, number];
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  constructor(args: Pooling2DArgs, base: string) {
    super(args, base);
    const where = `${base} '${this.name}'`;
    this.poolSize = pair(args.poolSize ?? 2, `${where} poolSize`);
    this.strides = pair(args.strides ?? this.poolSize, `${where} strides`);
    this.padding = paddingName(args.padding, where);
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const [batch, h, w, c] = check4d(inputShape, this.className);
    return [
      batch,
      outSize(h, this.poolSize[0], this.strides[0], this.padding, 'pool height'),
      outSize(w, this.poolSize[1], this.strides[1], this.padding, 'pool width'),
      c,
    ];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Max over each window. */
export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super(args, 'max_pooling2d');
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    return ctx.b.withSource(this.name, () => ctx.b.maxPool(x!, { size: this.poolSize, strides: this.strides, padding: this.padding }));
  }
}

/** Mean over each window ('same' padding divides by the in-bounds count, as Keras). */
export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super(args, 'average_pooling2d');
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    return ctx.b.withSource(this.name, () => ctx.b.avgPool(x!, { size: this.poolSize, strides: this.strides, padding: this.padding }));
  }
}

/** [B, H, W, C] -> [B, C], the mean over H and W. */
export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  constructor(args: LayerArgs = {}) {
    super(args, 'global_average_pooling2d');
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const [batch, , , c] = check4d(inputShape, this.className);
    return [batch, c];
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    return ctx.b.withSource(this.name, () => ctx.b.globalAvgPool(x!));
  }
}
