/**
 * @module data/collate
 * Stacking a list of elements into one batch, as tf.data's `batch` stacks tensors.
 * Imports ./errors only.
 *
 * Rules: numbers -> Float64Array; bigints -> BigInt64Array; typed arrays of equal length ->
 * one typed array of the same kind, concatenated (row-major [B, ...]); plain objects ->
 * the same keys, each collated; anything else (strings, arrays, byte lists) -> an array.
 * Typed arrays of different lengths cannot be stacked: DataError (TensorFlow refuses too).
 */
import { DataError } from './errors.ts';

type TypedArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Uint8ClampedArray | BigInt64Array | BigUint64Array;

/** The batched form of an element type T (see the module rules). */
export type Batched<T> = T extends number
  ? Float64Array
  : T extends bigint
    ? BigInt64Array
    : T extends TypedArray
      ? T
      : T extends readonly unknown[]
        ? T[]
        : T extends string
          ? T[]
          : T extends object
            ? { -readonly [K in keyof T]: Batched<T[K]> }
            : T[];

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

function stackTyped(xs: readonly TypedArray[], path: string): TypedArray {
  const first = xs[0]!;
  const n = first.length;
  const Ctor = first.constructor as new (len: number) => TypedArray;
  const out = new Ctor(n * xs.length);
  xs.forEach((x, i) => {
    if (x.constructor !== Ctor || x.length !== n) {
      throw new DataError(`batch: cannot stack ${path || 'elements'}: element 0 is ${Ctor.name}(${n}), element ${i} is ${x.constructor.name}(${x.length})`);
    }
    (out as Float32Array).set(x as Float32Array, i * n);
  });
  return out;
}

function collateAt(xs: readonly unknown[], path: string): unknown {
  const first = xs[0];
  if (typeof first === 'number') return Float64Array.from(xs as number[]);
  if (typeof first === 'bigint') return BigInt64Array.from(xs as bigint[]);
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) return stackTyped(xs as TypedArray[], path);
  if (isPlainObject(first)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collateAt(
        xs.map((x) => (x as Record<string, unknown>)[key]),
        path ? `${path}.${key}` : key,
      );
    }
    return out;
  }
  return [...xs];
}

/** Stacks `xs` (at least one element) into a batch. */
export function collate<T>(xs: readonly T[]): Batched<T> {
  if (xs.length === 0) throw new DataError('batch: cannot collate an empty batch');
  return collateAt(xs, '') as Batched<T>;
}
