/**
 * @module layers/merge
 * Concatenate: joins its inputs along one axis (default the last, channels), as the
 * squeezenet fire module does with its 1x1 and 3x3 branches. Every other dimension must
 * agree; a mismatch names both producing layers and both shapes.
 *
 * Imports xla (builder types), ./layer, ./shape.
 */
import type { Op } from '../xla/index.ts';
import { Layer, ShapeProblem, SymbolicTensor, type CallContext, type LayerArgs } from './layer.ts';
import { shapeText, type LayerShape } from './shape.ts';
import { LayerShapeError } from './errors.ts';

/** Options of `concatenate`. */
export interface ConcatenateArgs extends LayerArgs {
  /** Default -1 (the last axis). */
  readonly axis?: number;
}

/** Joins inputs along `axis`. */
export class Concatenate extends Layer {
  readonly className = 'Concatenate';
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    super(args, 'concatenate');
    this.axis = args.axis ?? -1;
  }
  private axisOf(rank: number): number {
    const a = this.axis < 0 ? rank + this.axis : this.axis;
    if (a < 1 || a >= rank) throw new ShapeProblem(`axis ${this.axis} is not a non-batch axis of rank ${rank}`);
    return a;
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const shapes = inputShape as readonly LayerShape[];
    if (!Array.isArray(shapes[0]) || shapes.length < 2) throw new ShapeProblem('takes a list of at least two inputs');
    const first = shapes[0];
    const axis = this.axisOf(first.length);
    let total = 0;
    for (const s of shapes) {
      if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
        throw new ShapeProblem(`${shapeText(first)} and ${shapeText(s)} differ outside axis ${axis}`);
      }
      total += s[axis] ?? 0;
    }
    return first.map((d, i) => (i === axis ? total : d));
  }
  /** Names the two mismatching inputs (not just the first) when the shapes disagree. */
  override apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const inputs = Array.isArray(x) ? (x as readonly SymbolicTensor[]) : [x as SymbolicTensor];
    const first = inputs[0];
    if (first && inputs.length >= 2) {
      const axis = this.axis < 0 ? first.shape.length + this.axis : this.axis;
      const bad = inputs.find((t) => t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== axis && d !== first.shape[i]));
      if (bad) {
        throw new LayerShapeError(
          `layer '${this.name}' (Concatenate) cannot join '${first.layer.name}' (${first.layer.className}) ${shapeText(first.shape)} and '${bad.layer.name}' (${bad.layer.className}) ${shapeText(bad.shape)}: they differ outside axis ${axis}`,
        );
      }
    }
    return super.apply(x);
  }
  call(ctx: CallContext, inputs: readonly Op[]): Op {
    const rank = inputs[0]!.shape.dims.length;
    return ctx.b.withSource(this.name, () => ctx.b.concatenate(inputs, this.axisOf(rank)));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
