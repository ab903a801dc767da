/**
 * @module layers/merge-elementwise
 * Add and Multiply (Keras's merge layers of those names): the elementwise sum or product
 * of two or more inputs of one shape, as a residual connection or a gate; an imported
 * TensorFlow graph's Add and Mul of two activations become these. A shape mismatch is a
 * build-time error naming the shapes.
 *
 * Imports xla (builder types), ./layer, ./shape.
 */
import type { Op } from '../xla/index.ts';
import { Layer, ShapeProblem, type CallContext, type LayerArgs } from './layer.ts';
import { shapeText, type LayerShape } from './shape.ts';

/** The one shape all inputs share (at least two), or a ShapeProblem. */
function sameShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
  const shapes = inputShape as readonly LayerShape[];
  if (!Array.isArray(shapes[0]) || shapes.length < 2) throw new ShapeProblem('takes a list of at least two inputs');
  const first = shapes[0];
  for (const s of shapes) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) throw new ShapeProblem(`inputs ${shapeText(first)} and ${shapeText(s)} differ`);
  }
  return first;
}

/** Sum of its inputs. */
export class Add extends Layer {
  readonly className = 'Add';
  constructor(args: LayerArgs = {}) {
    super(args, 'add');
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return sameShape(inputShape);
  }
  call(ctx: CallContext, inputs: readonly Op[]): Op {
    return ctx.b.withSource(this.name, () => inputs.slice(1).reduce((acc, x) => ctx.b.add(acc, x), inputs[0]!));
  }
}

/** Product of its inputs. */
export class Multiply extends Layer {
  readonly className = 'Multiply';
  constructor(args: LayerArgs = {}) {
    super(args, 'multiply');
  }
  computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    return sameShape(inputShape);
  }
  call(ctx: CallContext, inputs: readonly Op[]): Op {
    return ctx.b.withSource(this.name, () => inputs.slice(1).reduce((acc, x) => ctx.b.multiply(acc, x), inputs[0]!));
  }
}
