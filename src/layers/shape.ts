/**
 * @module layers/shape
 * Keras shapes: a list of dimension sizes whose first entry is the batch, `null` while it is
 * unknown (`[null, 192, 192, 3]`). Helpers to print them as Keras does (`(None, 192, 192, 3)`)
 * and to check them.
 *
 * Imports ./errors.
 */
import { LayerConfigError } from './errors.ts';

/** A Keras shape: batch first (null = any), then the per-example dims. */
export type LayerShape = readonly (number | null)[];

/** Prints a shape as Keras's summary does: `(None, 8, 8, 32)`. */
export function formatShape(shape: LayerShape): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** Prints a shape compactly for error messages: `[null,8,8,32]`. */
export function shapeText(shape: LayerShape): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;
}

/** Per-example dims of a shape (everything after the batch), all known. */
export function exampleDims(shape: LayerShape): number[] {
  return shape.slice(1).map((d) => d ?? -1);
}

/** Product of dims (1 for a scalar). */
export function product(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

/** Checks that `v` is a positive integer, naming `what` otherwise. */
export function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new LayerConfigError(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/** A [h, w] pair from a number or a pair, each a positive integer. */
export function pair(v: number | readonly [number, number], what: string): [number, number] {
  const [a, b] = typeof v === 'number' ? [v, v] : v;
  return [positiveInt(a, what), positiveInt(b, what)];
}
