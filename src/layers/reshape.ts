/**
 * @module layers/reshape
 * Reshape (Keras's layer of that name): the per-example dims become `targetShape`, row-major,
 * the batch dim kept; one entry may be -1 (inferred). A target whose size differs from the
 * input's is a build-time error naming both shapes.
 *
 * Imports xla (builder types), ./layer, ./shape, ./errors.
 */
import type { Op } from '../xla/index.ts';
import { LayerConfigError } from './errors.ts';
import { Layer, ShapeProblem, singleShape, type CallContext, type LayerArgs } from './layer.ts';
import { shapeText, type LayerShape } from './shape.ts';

/** Options of `reshape`. */
export interface ReshapeArgs extends LayerArgs {
  /** Per-example dims; at most one -1. */
  readonly targetShape: readonly number[];
}

/** [B, ...] -> [B, ...targetShape]. */
export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: readonly number[];
  constructor(args: ReshapeArgs) {
    super(args, 'reshape');
    const t = args.targetShape;
    if (!Array.isArray(t) || t.some((d) => !Number.isSafeInteger(d) || (d < 1 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw new LayerConfigError(`reshape '${this.name}' targetShape must be positive integers with at most one -1, got [${String(t)}]`);
    }
    this.targetShape = [...t];
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const s = singleShape(inputShape, 'Reshape');
    if (s.slice(1).some((d) => d === null)) throw new ShapeProblem(`needs known dimensions after the batch, got ${shapeText(s)}`);
    const size = (s.slice(1) as number[]).reduce((a, d) => a * d, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    const dims = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (dims.reduce((a, d) => a * d, 1) !== size || dims.some((d) => !Number.isInteger(d))) {
      throw new ShapeProblem(`cannot reshape ${shapeText(s)} (${size} values per example) to [${this.targetShape.join(', ')}]`);
    }
    return [s[0] ?? null, ...dims];
  }
  call(ctx: CallContext, [x]: readonly Op[]): Op {
    const out = this.computeOutputShape([null, ...x!.shape.dims.slice(1)]);
    return ctx.b.withSource(this.name, () => ctx.b.reshape(x!, [x!.shape.dims[0]!, ...(out.slice(1) as number[])]));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}
