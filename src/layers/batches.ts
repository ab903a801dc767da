/**
 * @module layers/batches
 * Turns what a dataset yields into the step's arguments: `{xs, ys}` (TF.js's names) or a
 * flowers batch `{image, label}` (src/data's collate), x as f32 [B, ...input] and labels as
 * class indices [B] (sparse losses) or one-hot [B, N]. Class indices given to a one-hot loss
 * are expanded on the host (input preparation, like tf.one_hot in the codelab's pipeline).
 *
 * Imports ./errors, ./shape.
 */
import { LayerConfigError } from './errors.ts';
import { product, type LayerShape } from './shape.ts';

/** A batch as a dataset yields it. */
export type BatchLike = { readonly xs: ArrayLike<number>; readonly ys: ArrayLike<number> } | { readonly image: ArrayLike<number>; readonly label: ArrayLike<number> };

/** A batch ready for the step. */
export interface Batch {
  readonly size: number;
  /** [B, ...input] */
  readonly x: Float32Array;
  /** [B] or [B, N] */
  readonly y: Float32Array;
  /** Shard r of R (contiguous examples). */
  shard(r: number, replicas: number): { x: Float32Array; y: Float32Array };
}

/** Converts a dataset element for a model of `inputShape` with `classes` outputs. */
export function batchOf(e: BatchLike, o: { inputShape: LayerShape; classes: number; labels: 'sparse' | 'onehot' }): Batch {
  const xs = 'xs' in e ? e.xs : e.image;
  const ys = 'xs' in e ? e.ys : e.label;
  const per = product(o.inputShape.slice(1) as number[]);
  const size = xs.length / per;
  if (!Number.isInteger(size) || size < 1) throw new LayerConfigError(`a batch of ${xs.length} input values is not a whole number of examples of ${per} values`);
  const x = xs instanceof Float32Array ? xs : Float32Array.from(xs);
  let y: Float32Array;
  if (ys.length === size * o.classes && o.labels === 'onehot') y = ys instanceof Float32Array ? ys : Float32Array.from(ys);
  else if (ys.length === size) {
    const idx = Float32Array.from(ys);
    for (const v of idx) if (!(Number.isInteger(v) && v >= 0 && v < o.classes)) throw new LayerConfigError(`label ${v} is not a class index in [0, ${o.classes})`);
    if (o.labels === 'sparse') y = idx;
    else {
      y = new Float32Array(size * o.classes);
      idx.forEach((c, i) => (y[i * o.classes + c] = 1));
    }
  } else throw new LayerConfigError(`${ys.length} labels for ${size} examples of ${o.classes} classes`);
  const ny = y.length / size;
  return {
    size,
    x,
    y,
    shard: (r, R) => {
      const n = size / R;
      return { x: x.subarray(r * n * per, (r + 1) * n * per), y: y.subarray(r * n * ny, (r + 1) * n * ny) };
    },
  };
}
