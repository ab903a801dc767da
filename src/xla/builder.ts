/**
 * @module xla/builder
 * XlaBuilder: the pleasant way to write HLO by hand (and the only way layers/ emits it).
 * Every method infers the result shape through the op registry and throws a ShapeError
 * naming the op, its source (`b.source`, e.g. the layer) and the operand shapes. Binary
 * ops accept numbers and broadcast like NumPy; the HLO they emit is strict (explicit
 * reshape/broadcast instructions), as XLA's is.
 *
 * Imports ./hlo (types), ./ops (registry). Compositions (relu, softmax, pooling, losses)
 * live in ./compose.ts and are also reachable as methods here.
 *
 * @example
 * const b = new XlaBuilder('mlp');
 * const x = b.parameter(0, f32([32, 784]), 'x');
 * const w = b.parameter(1, f32([784, 128]), 'w');
 * const y = b.withSource('dense_1', () => b.relu(b.dot(x, w)));
 * const m = b.build(y); // HloModule; print(m) shows it as text
 */
import type { ConvAttrs, DType, HloComputation, HloInstruction, HloModule, Metadata, OpAttrs, OpName, Shape, WindowAttrs } from './hlo.ts';
import * as compose from './compose.ts';
import { ShapeError, ShapeRuleError, opRegistry, shapeText, sizeOf } from './ops/index.ts';
import { bf16, broadcastDims, f32, pred, s32, samePadding, type ConvOptions, type DotOptions, type WindowOptions } from './shapes.ts';

/** A handle to an instruction being built: its id and inferred shape. */
export interface Op {
  readonly id: number;
  readonly shape: Shape;
}

/** An operand: an Op, or a number (becomes a constant of the other operand's shape). */
export type OpLike = Op | number;

/** Builds one HLO computation, instruction by instruction. */
export class XlaBuilder {
  private readonly instructions: HloInstruction[] = [];
  private nextId = 0;
  /** Metadata source attached to every instruction emitted while set (e.g. a layer name). */
  source: string | undefined = undefined;

  constructor(
    /** Name of the computation and module. */
    readonly name = 'main',
  ) {}

  /** A builder that continues an existing computation (ids are kept; new ids follow). */
  static from(computation: HloComputation): XlaBuilder {
    const b = new XlaBuilder(computation.name);
    for (const instr of computation.instructions) b.instructions.push(instr);
    b.nextId = computation.instructions.reduce((m, i) => Math.max(m, i.id + 1), 0);
    return b;
  }

  /** An empty builder whose first new instruction gets id `nextId` (for passes splicing in sub-graphs). */
  static startingAt(nextId: number, name = 'main'): XlaBuilder {
    const b = new XlaBuilder(name);
    b.nextId = nextId;
    return b;
  }

  /** The id the next emitted instruction will get. */
  get nextFreeId(): number {
    return this.nextId;
  }

  /** Runs `fn` with `source` as the metadata of everything it emits. */
  withSource<T>(source: string, fn: () => T): T {
    const saved = this.source;
    this.source = source;
    try {
      return fn();
    } finally {
      this.source = saved;
    }
  }

  /** The handle of an instruction already in this builder. */
  op(id: number): Op {
    const instr = this.instructions.find((i) => i.id === id);
    if (!instr) throw new RangeError(`no instruction %${id} in ${this.name}`);
    return { id, shape: instr.shape };
  }

  /** Instructions emitted so far (read-only view). */
  get emitted(): readonly HloInstruction[] {
    return this.instructions;
  }

  /**
   * Emits any op: infers its shape (ShapeError on mismatch) and appends it.
   * The low-level door every method goes through.
   */
  emit<K extends OpName>(op: K, operands: readonly Op[], attrs: OpAttrs[K], name?: string): Op {
    const def = opRegistry[op];
    if (def.arity !== 'variadic' && def.arity !== operands.length) {
      throw new ShapeError(`${op}${this.where()}: takes ${def.arity} operands, got ${operands.length}`);
    }
    let shape: Shape;
    try {
      shape = def.shape(
        operands.map((o) => o.shape),
        attrs,
      );
    } catch (err) {
      if (!(err instanceof ShapeRuleError)) throw err;
      const shapes = operands.map((o) => shapeText(o.shape)).join(' and ');
      throw new ShapeError(`${op}${this.where()}: ${err.message}${shapes ? `; operands ${shapes}` : ''}`);
    }
    const id = this.nextId++;
    const metadata: Metadata | undefined = this.source !== undefined ? { source: this.source } : undefined;
    const instr = {
      id,
      op,
      operands: operands.map((o) => o.id),
      shape,
      attrs,
      ...(name !== undefined ? { name } : {}),
      ...(metadata ? { metadata } : {}),
    } as HloInstruction;
    this.instructions.push(instr);
    return { id, shape };
  }

  private where(): string {
    return this.source !== undefined ? ` (source '${this.source}')` : '';
  }

  /** Finishes the computation with one or more outputs; the builder stays usable. */
  computation(outputs: Op | readonly Op[], name = this.name): HloComputation {
    const outs = Array.isArray(outputs) ? (outputs as readonly Op[]) : [outputs as Op];
    return { name, instructions: [...this.instructions], outputs: outs.map((o) => o.id) };
  }

  /** Finishes a module whose entry returns `outputs`. */
  build(outputs: Op | readonly Op[], name = this.name): HloModule {
    return { name, entry: this.computation(outputs, name) };
  }

  // ---- sources -------------------------------------------------------------------------

  /** Parameter number `index` of the computation. */
  parameter(index: number, shape: Shape, name?: string): Op {
    return this.emit('parameter', [], { index, shape }, name);
  }

  /** A constant: one value fills the shape, or all values row-major. */
  constant(value: number | readonly number[] | Float32Array, shape: Shape | readonly number[]): Op {
    const s: Shape = Array.isArray(shape) ? f32(shape as readonly number[]) : (shape as Shape);
    const values = typeof value === 'number' ? [value] : Array.from(value);
    return this.emit('constant', [], { value: values, shape: s });
  }

  /** A scalar constant. */
  scalar(value: number, dtype: DType = 'f32'): Op {
    return this.constant(value, { dims: [], dtype });
  }

  /** A constant filled with `value`, of `shape`. */
  fill(value: number, shape: Shape): Op {
    return this.constant(value, shape);
  }

  /** Zeros of x's shape. */
  zerosLike(x: Op): Op {
    return this.fill(0, x.shape);
  }

  /** Ones of x's shape. */
  onesLike(x: Op): Op {
    return this.fill(1, x.shape);
  }

  /** 0, 1, 2, ... along `dimension`. */
  iota(shape: Shape, dimension: number): Op {
    return this.emit('iota', [], { dimension, shape });
  }

  /** Uniform [0, 1) f32 values from a counter-based generator keyed by `seed`. */
  rng(dims: readonly number[], seed: number): Op {
    return this.emit('rng', [], { seed, shape: f32(dims) });
  }

  // ---- elementwise (NumPy broadcasting in the builder, strict in the HLO) -------------

  private binary(op: 'add' | 'subtract' | 'multiply' | 'divide' | 'maximum' | 'minimum', a: OpLike, b: OpLike): Op {
    const [x, y] = this.coerce(a, b);
    return this.emit(op, [x, y], {});
  }

  /** Brings two operands to one shape: numbers become constants, smaller ranks broadcast. */
  private coerce(a: OpLike, b: OpLike): [Op, Op] {
    if (typeof a === 'number' && typeof b === 'number') return [this.scalar(a), this.scalar(b)];
    if (typeof a === 'number') return [this.fill(a, (b as Op).shape), b as Op];
    if (typeof b === 'number') return [a, this.fill(b, a.shape)];
    const dims = broadcastDims(a.shape.dims, b.shape.dims, () => this.where());
    return [this.broadcastTo(a, dims), this.broadcastTo(b, dims)];
  }

  /** a + b */
  add(a: OpLike, b: OpLike): Op {
    return this.binary('add', a, b);
  }
  /** a - b */
  subtract(a: OpLike, b: OpLike): Op {
    return this.binary('subtract', a, b);
  }
  /** a * b */
  multiply(a: OpLike, b: OpLike): Op {
    return this.binary('multiply', a, b);
  }
  /** a / b */
  divide(a: OpLike, b: OpLike): Op {
    return this.binary('divide', a, b);
  }
  /** max(a, b), NaN-propagating */
  maximum(a: OpLike, b: OpLike): Op {
    return this.binary('maximum', a, b);
  }
  /** min(a, b), NaN-propagating */
  minimum(a: OpLike, b: OpLike): Op {
    return this.binary('minimum', a, b);
  }
  /** -x */
  negate(x: Op): Op {
    return this.emit('negate', [x], {});
  }
  /** e^x */
  exp(x: Op): Op {
    return this.emit('exp', [x], {});
  }
  /** ln x */
  log(x: Op): Op {
    return this.emit('log', [x], {});
  }
  /** sqrt x */
  sqrt(x: Op): Op {
    return this.emit('sqrt', [x], {});
  }
  /** 1 / sqrt x */
  rsqrt(x: Op): Op {
    return this.emit('rsqrt', [x], {});
  }
  /** tanh x */
  tanh(x: Op): Op {
    return this.emit('tanh', [x], {});
  }
  /** a <direction> b, a pred array. */
  compare(a: OpLike, b: OpLike, direction: OpAttrs['compare']['direction']): Op {
    const [x, y] = this.coerce(a, b);
    return this.emit('compare', [x, y], { direction });
  }
  /** onTrue where p, else onFalse (numbers allowed for either branch). */
  select(p: Op, onTrue: OpLike, onFalse: OpLike): Op {
    const like = typeof onTrue === 'number' ? (typeof onFalse === 'number' ? f32(p.shape.dims) : onFalse.shape) : onTrue.shape;
    const t = typeof onTrue === 'number' ? this.fill(onTrue, like) : onTrue;
    const f = typeof onFalse === 'number' ? this.fill(onFalse, like) : onFalse;
    return this.emit('select', [p, t, f], {});
  }
  /** x converted to `dtype`. */
  convert(x: Op, dtype: DType): Op {
    return this.emit('convert', [x], { dtype });
  }

  // ---- data movement ------------------------------------------------------------------

  /** x placed into a result of `dims`: operand dim i becomes result dim dimensions[i] (default: trailing). */
  broadcast(x: Op, dims: readonly number[], dimensions?: readonly number[]): Op {
    const rank = x.shape.dims.length;
    const map = dimensions ?? x.shape.dims.map((_, i) => dims.length - rank + i);
    return this.emit('broadcast', [x], { dims, dimensions: map });
  }
  /** NumPy-style broadcast of x to `dims` (size-1 dims stretch); x itself when already there. */
  broadcastTo(x: Op, dims: readonly number[]): Op {
    const from = x.shape.dims;
    if (from.length === dims.length && from.every((d, i) => d === dims[i])) return x;
    const offset = dims.length - from.length;
    const keep = from.map((_, i) => i).filter((i) => from[i] === dims[offset + i]);
    const squeezed = keep.length === from.length ? x : this.reshape(x, keep.map((i) => from[i]!));
    return this.broadcast(squeezed, dims, keep.map((i) => offset + i));
  }
  /** x with new dims (same element count, row-major order kept). */
  reshape(x: Op, dims: readonly number[]): Op {
    return this.emit('reshape', [x], { dims });
  }
  /** Result dim i = x dim permutation[i]. */
  transpose(x: Op, permutation: readonly number[]): Op {
    return this.emit('transpose', [x], { permutation });
  }
  /** x reversed along `dimensions`. */
  reverse(x: Op, dimensions: readonly number[]): Op {
    return this.emit('reverse', [x], { dimensions });
  }
  /** x[start:limit:strides] per dim. */
  slice(x: Op, o: { start: readonly number[]; limit: readonly number[]; strides?: readonly number[] }): Op {
    return this.emit('slice', [x], { start: o.start, limit: o.limit, strides: o.strides ?? o.start.map(() => 1) });
  }
  /** x padded with `value` (default 0): low/high per dim, interior between elements. */
  pad(x: Op, o: { low: readonly number[]; high: readonly number[]; interior?: readonly number[]; value?: number }): Op {
    return this.emit('pad', [x], { low: o.low, high: o.high, interior: o.interior ?? o.low.map(() => 0), value: o.value ?? 0 });
  }
  /** xs joined along `dimension`. */
  concatenate(xs: readonly Op[], dimension: number): Op {
    return this.emit('concatenate', xs, { dimension });
  }

  // ---- reductions ---------------------------------------------------------------------

  /** x reduced over `dimensions`. */
  reduce(x: Op, dimensions: readonly number[], kind: 'sum' | 'max' = 'sum'): Op {
    return this.emit('reduce', [x], { dimensions, kind });
  }
  /** Sum over `dimensions` (default: all, giving a scalar). */
  sum(x: Op, dimensions?: readonly number[]): Op {
    return this.reduce(x, dimensions ?? x.shape.dims.map((_, i) => i), 'sum');
  }
  /** Max over `dimensions` (default: all). */
  max(x: Op, dimensions?: readonly number[]): Op {
    return this.reduce(x, dimensions ?? x.shape.dims.map((_, i) => i), 'max');
  }
  /** Mean over `dimensions` (default: all). */
  mean(x: Op, dimensions?: readonly number[]): Op {
    const dims = dimensions ?? x.shape.dims.map((_, i) => i);
    const count = dims.reduce((acc, d) => acc * x.shape.dims[d]!, 1);
    return this.multiply(this.sum(x, dims), 1 / count);
  }
  /** Sliding-window sum or max over every dim. */
  reduceWindow(x: Op, o: WindowOptions & { kind: 'sum' | 'max' }): Op {
    return this.emit('reduce-window', [x], { kind: o.kind, ...windowAttrs(x, o) });
  }
  /** Adds each source value at the first maximum of its window of x (max-pool gradient). */
  selectAndScatter(x: Op, source: Op, o: WindowOptions): Op {
    return this.emit('select-and-scatter', [x, source], windowAttrs(x, o));
  }

  // ---- MXU ----------------------------------------------------------------------------

  /** General dot; by default a matmul contracting lhs's last dim with rhs's first. */
  dot(lhs: Op, rhs: Op, o: DotOptions = {}): Op {
    return this.emit('dot', [lhs, rhs], {
      lhsContracting: o.lhsContracting ?? [lhs.shape.dims.length - 1],
      rhsContracting: o.rhsContracting ?? [0],
      lhsBatch: o.lhsBatch ?? [],
      rhsBatch: o.rhsBatch ?? [],
      precision: o.precision ?? 'default',
    });
  }
  /** 2-D convolution: x [B, H, W, C], w [KH, KW, C, K] -> [B, Ho, Wo, K]. */
  convolution(x: Op, w: Op, o: ConvOptions = {}): Op {
    const strides = o.strides ?? [1, 1];
    const rhsDilation = o.rhsDilation ?? [1, 1];
    let padding: ConvAttrs['padding'] = [[0, 0], [0, 0]];
    if (o.padding === 'same') {
      const [, h, wd] = x.shape.dims;
      const [kh, kw] = w.shape.dims;
      padding = [samePadding(h ?? 1, kh ?? 1, strides[0], rhsDilation[0]), samePadding(wd ?? 1, kw ?? 1, strides[1], rhsDilation[1])];
    } else if (o.padding !== undefined && o.padding !== 'valid') padding = o.padding;
    return this.emit('convolution', [x, w], {
      strides,
      padding,
      lhsDilation: o.lhsDilation ?? [1, 1],
      rhsDilation,
      precision: o.precision ?? 'default',
    });
  }
  /** Sum of x over `replicas` cores. */
  allReduce(x: Op, replicas: number): Op {
    return this.emit('all-reduce', [x], { replicas });
  }

  // ---- compositions (./compose.ts) ----------------------------------------------------

  /** max(x, 0) */
  relu(x: Op): Op {
    return compose.relu(this, x);
  }
  /** 1 / (1 + e^-x) */
  sigmoid(x: Op): Op {
    return compose.sigmoid(this, x);
  }
  /** Stable softmax along `axis` (default last). */
  softmax(x: Op, axis = -1): Op {
    return compose.softmax(this, x, axis);
  }
  /** Stable log-softmax along `axis` (default last). */
  logSoftmax(x: Op, axis = -1): Op {
    return compose.logSoftmax(this, x, axis);
  }
  /** Scalar mean softmax cross-entropy of logits [B, N] against labels [B, N]. */
  softmaxCrossEntropy(logits: Op, labels: Op): Op {
    return compose.softmaxCrossEntropy(this, logits, labels);
  }
  /** Max pooling of x [B, H, W, C]. */
  maxPool(x: Op, o: compose.PoolOptions): Op {
    return compose.maxPool(this, x, o);
  }
  /** Average pooling of x [B, H, W, C]. */
  avgPool(x: Op, o: compose.PoolOptions): Op {
    return compose.avgPool(this, x, o);
  }
  /** Mean over H, W of x [B, H, W, C] -> [B, C]. */
  globalAvgPool(x: Op): Op {
    return compose.globalAvgPool(this, x);
  }
  /** x . w (+ bias). */
  dense(x: Op, w: Op, bias?: Op): Op {
    return compose.dense(this, x, w, bias);
  }
  /** conv(x, w) (+ bias), x [B, H, W, C], w [KH, KW, C, K]. */
  conv2d(x: Op, w: Op, bias?: Op, o: ConvOptions = {}): Op {
    return compose.conv2d(this, x, w, bias, o);
  }
  /** Inverted dropout with a seeded rng. */
  dropout(x: Op, rate: number, seed: number): Op {
    return compose.dropout(this, x, rate, seed);
  }
}

function windowAttrs(x: Op, o: WindowOptions): WindowAttrs {
  return {
    window: o.window,
    strides: o.strides ?? o.window.map(() => 1),
    padding: o.padding ?? x.shape.dims.map(() => [0, 0] as const),
  };
}

/** Re-exported for users of the builder: element count and the shape helpers. */
export { bf16, broadcastDims, f32, pred, s32, samePadding, sizeOf, type ConvOptions, type DotOptions, type WindowOptions };
