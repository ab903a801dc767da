/**
 * @module tf/tensor
 * A small tensor of our own, shaped like TensorFlow.js's: `shape`, `dtype`, `size`, `rank`,
 * `data()`, `dataSync()`, `array()`, `arraySync()`, `dispose()`, and the constructors a
 * training script writes (`tensor`, `tensor1d`..`tensor4d`, `scalar`, `zeros`, `ones`,
 * `oneHot`). It is a host-side container: no kernels run on it (the models do the math on
 * the simulated TPU); only what feeding a model and reading its outputs needs.
 *
 * A model's outputs (`predict`, `evaluate`) are returned at once, as in TF.js, with their
 * shape; their values arrive when the simulated TPU has run: `data()` and `array()` wait,
 * while `dataSync()` and `arraySync()` (which TF.js answers by blocking) refuse until then
 * with an error that says to await `data()`.
 *
 * Values are row-major: Float32Array for 'float32', Int32Array for 'int32' (TF.js's two
 * numeric dtypes; 'bool' is not kept). Errors are TfError naming the call and the argument,
 * as TF.js's messages do ("tf.tensor2d: values has 5 numbers, shape [2,3] needs 6").
 *
 * Imports nothing of ours but ./errors.
 */
import { TfError } from './errors.ts';

/** The numeric dtypes a Tensor holds. */
export type DataType = 'float32' | 'int32';
/** The values of a tensor of each dtype. */
export type TypedArray = Float32Array | Int32Array;
/** Nested arrays of numbers, as TF.js accepts them. */
export type TensorLike = number | readonly number[] | readonly TensorLike[] | TypedArray;
/** Nested number arrays of `arraySync()`. */
export type NestedArray = number | NestedArray[];

const product = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/** An n-dimensional array of numbers with a shape (see the module doc). */
export class Tensor {
  private static counter = 0;
  /** Unique id (as TF.js's `id`). */
  readonly id = Tensor.counter++;
  readonly shape: number[];
  readonly dtype: DataType;
  private values: TypedArray | undefined;
  /** The values while a model computes them (see `pending`). */
  private computing: Promise<TypedArray> | undefined;
  private disposed = false;

  /**
   * Prefer the constructor functions (`tensor`, `tensor2d`, ...), which check shapes. The
   * values may be a promise: a model's output whose shape is known before the simulated TPU
   * has computed it (`data()` and `array()` wait for it; the synchronous reads refuse).
   */
  constructor(values: TypedArray | Promise<TypedArray>, shape: readonly number[], dtype: DataType) {
    this.shape = [...shape];
    this.dtype = dtype;
    if (values instanceof Promise) {
      this.computing = values.then((v) => {
        this.values = v;
        this.computing = undefined;
        return v;
      });
      this.computing.catch(() => undefined); // reported by data(); never an unhandled rejection
    } else this.values = values;
  }

  /** Number of values. */
  get size(): number {
    return product(this.shape);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Whether dispose() has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Whether the values are still being computed (a model's output): only `data()` and `array()` can wait for them. */
  get pending(): boolean {
    return this.computing !== undefined;
  }

  /** The values (a copy: changing it does not change the tensor), row-major. */
  dataSync(): TypedArray {
    return this.buffer('dataSync').slice();
  }

  /** The values, as TF.js's asynchronous read. */
  async data(): Promise<TypedArray> {
    if (this.computing && !this.disposed) await this.computing;
    return this.dataSync();
  }

  /** The values as nested arrays of the tensor's shape (a number for a scalar). */
  arraySync(): NestedArray {
    const v = this.buffer('arraySync');
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return v[offset]!;
      const stride = product(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** `arraySync`, asynchronously. */
  async array(): Promise<NestedArray> {
    if (this.computing && !this.disposed) await this.computing;
    return this.arraySync();
  }

  /** The same values with another shape (one dimension may be -1). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.buffer('reshape'), resolveShape('tensor.reshape', shape, this.size), this.dtype);
  }

  /** Releases the values; any later read is an error. */
  dispose(): void {
    this.values = undefined;
    this.disposed = true;
  }

  /** TF.js's `toString()`: the shape, dtype and values. */
  toString(): string {
    const values = this.disposed ? 'disposed' : this.values ? JSON.stringify(this.arraySync()) : 'pending';
    return `Tensor [${this.shape.join(',')}] ${this.dtype}\n${values}`;
  }

  /** The values without a copy (for the model runtime); a disposed tensor is an error naming `call`. */
  buffer(call: string): TypedArray {
    if (this.disposed) throw new TfError(`${call}: tensor ${this.id} [${this.shape.join(',')}] is disposed`);
    if (!this.values) {
      const read = 'read it with await tensor.data() or await tensor.array()';
      throw new TfError(`${call}: tensor ${this.id} [${this.shape.join(',')}] is still being computed on the simulated TPU; ${read}`);
    }
    return this.values;
  }
}

/** A shape with at most one -1 resolved against `size`, each dimension checked. */
function resolveShape(call: string, shape: readonly number[], size: number): number[] {
  const free = shape.filter((d) => d === -1).length;
  shape.forEach((d, i) => {
    if (d !== -1 && !(Number.isSafeInteger(d) && d >= 0)) throw new TfError(`${call}: shape[${i}] must be a non-negative integer (or one -1), got ${d}`);
  });
  if (free > 1) throw new TfError(`${call}: shape [${shape.join(',')}] has more than one -1`);
  const known = product(shape.filter((d) => d !== -1));
  const out = shape.map((d) => (d === -1 ? size / known : d));
  if (product(out) !== size || out.some((d) => !Number.isInteger(d))) throw new TfError(`${call}: shape [${shape.join(',')}] does not hold ${size} values`);
  return out;
}

/** The shape of nested arrays (checking they are rectangular) and their values, flattened. */
function flatten(call: string, values: TensorLike): { shape: number[]; flat: number[] | TypedArray } {
  if (typeof values === 'number') return { shape: [], flat: [values] };
  if (ArrayBuffer.isView(values)) return { shape: [values.length], flat: values };
  const shape: number[] = [];
  for (let v: unknown = values; Array.isArray(v) || ArrayBuffer.isView(v); v = (v as ArrayLike<unknown>)[0]) {
    shape.push((v as ArrayLike<unknown>).length);
    if ((v as ArrayLike<unknown>).length === 0) break;
  }
  const flat: number[] = [];
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new TfError(`${call}: values${path} is ${Array.isArray(v) ? 'an array' : typeof v}, expected a number`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new TfError(`${call}: values${path} is ${typeof v}, expected an array of ${shape[dim]}`);
    const a = v as ArrayLike<unknown>;
    if (a.length !== shape[dim]) throw new TfError(`${call}: values${path} has ${a.length} elements, expected ${shape[dim]} (the arrays are not rectangular)`);
    for (let i = 0; i < a.length; i++) walk(a[i], dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  return { shape, flat };
}

/** Values of a dtype; int32 values must be integers. */
function typed(call: string, flat: ArrayLike<number>, dtype: DataType): TypedArray {
  if (dtype === 'float32') return flat instanceof Float32Array ? flat.slice() : Float32Array.from(flat);
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isInteger(flat[i])) throw new TfError(`${call}: values[${i}] = ${flat[i]} is not an integer, as dtype 'int32' needs`);
  }
  return Int32Array.from(flat);
}

function checkDtype(call: string, dtype: unknown): DataType {
  if (dtype === undefined || dtype === 'float32' || dtype === 'int32') return dtype ?? 'float32';
  throw new TfError(`${call}: dtype '${String(dtype)}' is not supported (tpusim tensors are 'float32' or 'int32')`);
}

/** Builds a tensor for constructor `call`, checking the data against `shape` and `rank`. */
function make(call: string, values: TensorLike, shape: readonly number[] | undefined, dtype: DataType | undefined, rank?: number): Tensor {
  const dt = checkDtype(call, dtype);
  const { shape: inferred, flat } = flatten(call, values);
  let s = inferred;
  if (shape !== undefined) {
    if (!Array.isArray(shape)) throw new TfError(`${call}: shape must be an array of dimensions, got ${JSON.stringify(shape)}`);
    const want = shape.includes(-1) ? flat.length : product(shape);
    s = resolveShape(call, shape, want);
    if (want !== flat.length) {
      // NOTE: TF.js fills a shape from one number (tf.tensor(5, [2, 2])); so do we.
      if (flat.length !== 1) throw new TfError(`${call}: values has ${flat.length} numbers, shape [${shape.join(',')}] needs ${want}`);
      return new Tensor(typed(call, new Array<number>(want).fill(flat[0]!), dt), s, dt);
    }
    if (inferred.length > 1 && inferred.join(',') !== s.join(',')) {
      throw new TfError(`${call}: values has shape [${inferred.join(',')}], which does not match shape [${shape.join(',')}]`);
    }
  }
  if (rank !== undefined && s.length !== rank) {
    const needs = rank === 0 ? 'a number' : `values of rank ${rank}${shape === undefined && rank > 1 ? ' (nested arrays, or flat values with a shape)' : ''}`;
    throw new TfError(`${call}: needs ${needs}, got rank ${s.length} [${s.join(',')}]`);
  }
  return new Tensor(typed(call, flat, dt), s, dt);
}

/**
 * A tensor from nested arrays or flat values with a shape.
 * @example tensor([1, 2, 3, 4], [2, 2]); tensor([[1, 2], [3, 4]])
 */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DataType): Tensor {
  return make('tf.tensor', values, shape, dtype);
}
/** A scalar. */
export function scalar(value: number, dtype?: DataType): Tensor {
  if (typeof value !== 'number') throw new TfError(`tf.scalar: value must be a number, got ${typeof value}`);
  return make('tf.scalar', value, [], dtype, 0);
}
/** A rank-1 tensor. @example tensor1d([0, 3, 1], 'int32') */
export function tensor1d(values: TensorLike, dtype?: DataType): Tensor {
  return make('tf.tensor1d', values, undefined, dtype, 1);
}
/** A rank-2 tensor. @example tensor2d([[1, 2], [3, 4]]); tensor2d(flat, [n, 4]) */
export function tensor2d(values: TensorLike, shape?: readonly [number, number], dtype?: DataType): Tensor {
  return make('tf.tensor2d', values, shape, dtype, 2);
}
/** A rank-3 tensor. */
export function tensor3d(values: TensorLike, shape?: readonly [number, number, number], dtype?: DataType): Tensor {
  return make('tf.tensor3d', values, shape, dtype, 3);
}
/** A rank-4 tensor (images: [B, H, W, C]). @example tensor4d(pixels, [n, 28, 28, 1]) */
export function tensor4d(values: TensorLike, shape?: readonly [number, number, number, number], dtype?: DataType): Tensor {
  return make('tf.tensor4d', values, shape, dtype, 4);
}
/** A tensor of zeros. */
export function zeros(shape: readonly number[], dtype?: DataType): Tensor {
  return make('tf.zeros', 0, shape, dtype);
}
/** A tensor of ones. */
export function ones(shape: readonly number[], dtype?: DataType): Tensor {
  return make('tf.ones', 1, shape, dtype);
}

/**
 * One-hot rows [N, depth] (float32, as TF.js's int32 result converted for a model) of class
 * indices [N]. @example oneHot(tensor1d([0, 2], 'int32'), 3)
 */
export function oneHot(indices: Tensor | readonly number[], depth: number): Tensor {
  const idx = indices instanceof Tensor ? indices.buffer('tf.oneHot') : Int32Array.from(indices);
  if (indices instanceof Tensor && indices.rank !== 1) throw new TfError(`tf.oneHot: indices must be rank 1, got [${indices.shape.join(',')}]`);
  if (!(Number.isSafeInteger(depth) && depth > 0)) throw new TfError(`tf.oneHot: depth must be a positive integer, got ${depth}`);
  const out = new Float32Array(idx.length * depth);
  idx.forEach((c, i) => {
    if (Number.isInteger(c) && c >= 0 && c < depth) out[i * depth + c] = 1;
  });
  return new Tensor(out, [idx.length, depth], 'float32');
}

/** Disposes a tensor, or every tensor in an array or object (TF.js's `tf.dispose`). */
export function dispose(x: Tensor | readonly Tensor[] | Record<string, Tensor> | undefined): void {
  if (x === undefined) return;
  if (x instanceof Tensor) x.dispose();
  else Object.values(x).forEach((t) => (t instanceof Tensor ? t.dispose() : undefined));
}

/** Runs `fn` (TF.js frees its intermediate tensors; ours are ordinary garbage-collected objects). */
export function tidy<T>(fn: () => T): T {
  return fn();
}
