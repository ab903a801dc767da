/**
 * @module layers/rescaling
 * Rescaling (Keras's and TensorFlow.js's layer of that name): y = x * scale + offset,
 * elementwise on the VPU. An imported network that expects inputs in [-1, 1] (MobileNet)
 * starts with Rescaling(2, -1), so it takes the [0, 1] images tpusim's data pipeline and
 * `tpusim predict` decode, and the preprocessing is part of the saved model.
 *
 * Imports xla (builder types), ./layer, ./errors.
 */
import type { Op } from '../xla/index.ts';
import { LayerConfigError } from './errors.ts';
import { Layer, singleShape, type CallContext, type LayerArgs } from './layer.ts';
import type { LayerShape } from './shape.ts';

/** Options of `rescaling`. */
export interface RescalingArgs extends LayerArgs {
  readonly scale: number;
  /** Default 0. */
  readonly offset?: number;
}

/** y = x * scale + offset. */
export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;
  constructor(args: RescalingArgs) {
    super(args, 'rescaling');
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (!ok(args.scale) || !ok(args.offset ?? 0)) {
      throw new LayerConfigError(`rescaling '${this.name}' scale and offset must be finite numbers, got ${String(args.scale)} and ${String(args.offset)}`);
    }
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return singleShape(inputShape, 'Rescaling');
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const { b } = ctx;
    return b.withSource(this.name, () => {
      const scaled = this.scale === 1 ? x! : b.multiply(x!, this.scale);
      return this.offset === 0 ? scaled : b.add(scaled, this.offset);
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}
