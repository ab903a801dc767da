/**
 * @module data/features
 * Feature specs and `parseSingleExample`, like `tf.io.parse_single_example`: a spec names
 * each feature with a dtype and either a fixed shape (with an optional default) or a
 * variable length; parsing yields typed arrays. Imports ./example and ./errors only.
 *
 * dtype -> array: `float32` -> Float32Array, `int64` -> BigInt64Array, `string` -> Uint8Array[].
 * Invariants: a fixed feature always yields exactly prod(shape) values (row-major); any
 * mismatch throws ExampleParseError naming the feature.
 */
import { decodeExample, type Example, type Feature } from './example.ts';
import { ExampleParseError, type RecordLocation } from './errors.ts';

/** Feature dtypes, as TensorFlow names them (`tf.string` holds bytes). */
export type DType = 'float32' | 'int64' | 'string';

/** The array type a dtype parses to. */
export type ArrayOf<D extends DType> = D extends 'float32' ? Float32Array : D extends 'int64' ? BigInt64Array : Uint8Array[];

/** A fixed-length feature: exactly prod(shape) values, or the default when absent. */
export interface FixedLenFeature<D extends DType = DType> {
  readonly kind: 'fixed';
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly defaultValue?: ArrayOf<D> | (D extends 'string' ? string : D extends 'int64' ? number | bigint : number);
}

/** A variable-length feature: any number of values (TensorFlow returns a SparseTensor). */
export interface VarLenFeature<D extends DType = DType> {
  readonly kind: 'var';
  readonly dtype: D;
}

/** A 1-D sparse value, as `tf.io.VarLenFeature` parses to: indices [n], values [n], dense shape [n]. */
export interface SparseValue<A> {
  readonly indices: Int32Array;
  readonly values: A;
  readonly denseShape: readonly [number];
}

/** A feature spec: name -> feature. */
export type FeatureSpec = Readonly<Record<string, FixedLenFeature | VarLenFeature>>;

/** What parsing with spec S yields. */
export type Parsed<S extends FeatureSpec> = {
  -readonly [K in keyof S]: S[K] extends FixedLenFeature<infer D> ? ArrayOf<D> : S[K] extends VarLenFeature<infer D> ? SparseValue<ArrayOf<D>> : never;
};

/** `tf.io.FixedLenFeature(shape, dtype, default_value)`. */
export function fixedLenFeature<D extends DType>(shape: readonly number[], dtype: D, defaultValue?: FixedLenFeature<D>['defaultValue']): FixedLenFeature<D> {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new RangeError(`fixedLenFeature: bad dimension ${d} in shape [${shape.join(', ')}]`);
  return defaultValue === undefined ? { kind: 'fixed', dtype, shape } : { kind: 'fixed', dtype, shape, defaultValue };
}

/** `tf.io.VarLenFeature(dtype)`. */
export function varLenFeature<D extends DType>(dtype: D): VarLenFeature<D> {
  return { kind: 'var', dtype };
}

const KIND_OF: Record<DType, Feature['kind']> = { float32: 'float', int64: 'int64', string: 'bytes' };
const LIST_NAME: Record<Feature['kind'], string> = { float: 'float_list', int64: 'int64_list', bytes: 'bytes_list' };

type AnyArray = Float32Array | BigInt64Array | Uint8Array[];

function valuesOf(f: Feature, dtype: DType, key: string): AnyArray {
  // An empty Feature (no list set) decodes as an empty bytes list: accept it for any dtype.
  if (f.kind === 'bytes' && f.value.length === 0) return emptyOf(dtype);
  if (f.kind !== KIND_OF[dtype]) {
    throw new ExampleParseError(`is a ${LIST_NAME[f.kind]}, but the spec wants ${dtype}`, { feature: key });
  }
  return f.kind === 'bytes' ? [...f.value] : f.value;
}

function emptyOf(dtype: DType): AnyArray {
  return dtype === 'float32' ? new Float32Array(0) : dtype === 'int64' ? new BigInt64Array(0) : [];
}

function defaultArray(spec: FixedLenFeature, key: string, size: number): AnyArray {
  const d = spec.defaultValue;
  if (d === undefined) throw new ExampleParseError(`is missing and has no default value`, { feature: key });
  if (typeof d === 'number' || typeof d === 'bigint' || typeof d === 'string') {
    // A scalar default fills the whole shape, as TensorFlow broadcasts it.
    if (spec.dtype === 'float32') return new Float32Array(size).fill(Number(d));
    if (spec.dtype === 'int64') return new BigInt64Array(size).fill(BigInt(d));
    const b = new TextEncoder().encode(String(d));
    return Array.from({ length: size }, () => b);
  }
  if (d.length !== size) throw new ExampleParseError(`default value has ${d.length} values, shape [${spec.shape.join(', ')}] needs ${size}`, { feature: key });
  return Array.isArray(d) ? [...d] : d.slice();
}

/**
 * Parses one serialized Example (or an already decoded one) with a feature spec, like
 * `tf.io.parse_single_example`. Features not in the spec are ignored.
 * @param where location used in error messages (file, record index, byte offset)
 * @throws ExampleParseError naming the feature and location
 * @example
 * const spec = { class: fixedLenFeature([], 'int64'), size: fixedLenFeature([2], 'int64') };
 * parseSingleExample(bytes, spec).class // BigInt64Array [3n]
 */
export function parseSingleExample<S extends FeatureSpec>(input: Uint8Array | Example, spec: S, where: RecordLocation = {}): Parsed<S> {
  try {
    const example = input instanceof Uint8Array ? decodeExample(input) : input;
    const out: Record<string, unknown> = {};
    for (const [key, f] of Object.entries(spec)) {
      const feature = Object.hasOwn(example, key) ? example[key] : undefined;
      if (f.kind === 'var') {
        const values = feature ? valuesOf(feature, f.dtype, key) : emptyOf(f.dtype);
        out[key] = { indices: Int32Array.from({ length: values.length }, (_, i) => i), values, denseShape: [values.length] };
        continue;
      }
      const size = f.shape.reduce((a, b) => a * b, 1);
      const values = feature ? valuesOf(feature, f.dtype, key) : defaultArray(f, key, size);
      if (values.length !== size) {
        throw new ExampleParseError(`has ${values.length} values, shape [${f.shape.join(', ')}] needs ${size}`, { feature: key });
      }
      out[key] = values;
    }
    return out as Parsed<S>;
  } catch (err) {
    if (err instanceof ExampleParseError && Object.keys(where).length > 0) throw err.at(where);
    throw err;
  }
}
