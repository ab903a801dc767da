/**
 * @module vpu/array
 * VPU ops on whole arrays of any length, for the compiler and the TensorCore to call: the
 * array is cut into vregs of 8 x 128 values (the tail padded), every vreg goes through the
 * op, and the cycle count is vregs touched x the op's per-vreg cost (./ops.ts).
 *
 * Imports bfloat16 (bulk bf16 conversion), ./config, ./ops, ./kernels (JS loops) and ./wasm
 * (the same loops in WASM SIMD, used for arrays of WASM_MIN_VALUES values or more when the
 * build is present; same bits). Elementwise results do not
 * depend on the tiling (each value is computed alone), so the loops run flat over the array;
 * the register-level form in ./vregs.ts computes the same bits (tested).
 * Invariant: inputs are never modified; a result is a fresh array unless the caller passes
 * `out` (the TensorCore writes straight into its destination buffer).
 */
import { bf16ToF32Array, bitsToF32, f32ToBits, f32ToBf16Array } from '../bfloat16/index.ts';
import { DEFAULT_VPU_CONFIG, vregSize, type VpuConfig } from './config.ts';
import { BINARY_KERNELS, COMPARE_KERNELS, COMPARE_SCALAR_KERNELS, FLIPPED, UNARY_KERNELS, selectKernel } from './kernels.ts';
import { WASM_MIN_VALUES, vpuWasm } from './wasm.ts';
import {
  COMPARE_FNS,
  opCycles,
  type BinaryOp,
  type CompareOp,
  type UnaryOp,
  type VpuOp,
} from './ops.ts';

/** An op's result and its cost. */
export interface VpuResult<T> {
  readonly out: T;
  /** VPU cycles: vregs touched x the op's cycles per vreg. */
  readonly cycles: number;
}

/** An operand: an array, or a scalar broadcast from the scalar unit (free, like the hardware's vector-scalar forms). */
export type Operand = Float32Array | number;

/** Options of a whole-array op. */
export interface VpuOptions {
  /** The vector unit. Default: TPU v2. */
  readonly config?: VpuConfig;
  /**
   * Where to write the result; its length must be the result's. Elementwise ops (unary,
   * binary, compareMask, selectMask) may write over an input: each value is read before it is
   * written. Default: a fresh array.
   */
  readonly out?: Float32Array;
}

/** Bad operands: names the op and both sizes. */
export class VpuShapeError extends Error {
  override readonly name = 'VpuShapeError';
  readonly userFacing = true;
}

/** How many vregs an array of `length` values occupies (at least one). */
export function vregCount(length: number, config: VpuConfig = DEFAULT_VPU_CONFIG): number {
  return Math.max(1, Math.ceil(length / vregSize(config)));
}

/** Cycles of `op` over an array of `length` values. */
export function arrayCycles(op: VpuOp, length: number, config: VpuConfig = DEFAULT_VPU_CONFIG): number {
  return vregCount(length, config) * opCycles(op, config);
}

function lengthOf(op: string, operands: readonly Operand[]): number {
  let length = -1;
  for (const x of operands) {
    if (typeof x === 'number') continue;
    if (length >= 0 && x.length !== length) {
      throw new VpuShapeError(`vpu ${op}: operand lengths differ (${length} vs ${x.length})`);
    }
    length = x.length;
  }
  if (length < 0) throw new VpuShapeError(`vpu ${op}: at least one operand must be an array`);
  return length;
}

/** The result array: `out` if given (checked), else a fresh one. */
function output(op: string, out: Float32Array | undefined, n: number): Float32Array {
  if (!out) return new Float32Array(n);
  if (out.length !== n) throw new VpuShapeError(`vpu ${op}: out has ${out.length} values, operands have ${n}`);
  return out;
}

const at = (x: Operand, i: number): number => (typeof x === 'number' ? x : x[i]!);

/** A scalar operand rounded to f32 once (through bfloat16's named bit functions). */
function toF32(x: Operand): Operand {
  return typeof x === 'number' ? bitsToF32(f32ToBits(x)) : x;
}

/**
 * Applies a unary op to every value.
 * @example unary('exp', new Float32Array([0, 1])).out // [1, 2.7182817459106445]
 */
export function unary(op: UnaryOp, x: Float32Array, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  const out = output(op, options.out, x.length);
  UNARY_KERNELS[op](x, out);
  return { out, cycles: arrayCycles(op, x.length, config) };
}

let scratch = new Float32Array(1024);

/**
 * A scalar operand as a full array (the hardware broadcasts a scalar register; here, a fill
 * of one reused scratch array: at most one operand of a binary op is a scalar, and the
 * scratch never escapes the call).
 */
function asArray(x: Operand, n: number): Float32Array {
  if (typeof x !== 'number') return x;
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, 2 * scratch.length));
  return scratch.subarray(0, n).fill(toF32(x) as number);
}

/**
 * Applies a binary op elementwise; either operand may be a scalar.
 * @example binary('add', new Float32Array([1, 2]), 0.5).out // [1.5, 2.5]
 */
export function binary(op: BinaryOp, a: Operand, b: Operand, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  const n = lengthOf(op, [a, b]);
  const out = output(op, options.out, n);
  const wasm = n >= WASM_MIN_VALUES ? vpuWasm() : null;
  if (wasm) wasm.binary(op, toF32(a), toF32(b), out);
  else BINARY_KERNELS[op](asArray(a, n), asArray(b, n), out);
  return { out, cycles: arrayCycles(op, n, config) };
}

/**
 * Compares elementwise; the mask holds 1 where the comparison is true.
 * @example compare('gt', new Float32Array([1, 3]), 2).out // Uint8Array [0, 1]
 */
export function compare(op: CompareOp, a: Operand, b: Operand, options: Pick<VpuOptions, 'config'> = {}): VpuResult<Uint8Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  const n = lengthOf(op, [a, b]);
  a = toF32(a);
  b = toF32(b);
  const f = COMPARE_FNS[op];
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = f(at(a, i), at(b, i)) ? 1 : 0;
  return { out, cycles: arrayCycles(op, n, config) };
}

/**
 * Compares elementwise into an f32 mask (1 where true, else 0): how masks live in vector
 * memory. Same predicate as `compare`, written straight into `options.out` when given.
 * @example compareMask('gt', new Float32Array([1, 3]), 2).out // Float32Array [0, 1]
 */
export function compareMask(op: CompareOp, a: Operand, b: Operand, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  const n = lengthOf(op, [a, b]);
  const out = output(op, options.out, n);
  const wasm = n >= WASM_MIN_VALUES ? vpuWasm() : null;
  if (wasm) wasm.compare(op, toF32(a), toF32(b), out);
  else if (typeof a === 'number') COMPARE_SCALAR_KERNELS[FLIPPED[op]](b as Float32Array, toF32(a) as number, out);
  else if (typeof b === 'number') COMPARE_SCALAR_KERNELS[op](a, toF32(b) as number, out);
  else COMPARE_KERNELS[op](a, b, out);
  return { out, cycles: arrayCycles(op, n, config) };
}

/**
 * `select` with an f32 mask (nonzero = set), as masks live in vector memory; both operands
 * may be scalars (the mask gives the length).
 * @example selectMask(new Float32Array([1, 0]), new Float32Array([5, 6]), 0).out // [5, 0]
 */
export function selectMask(mask: Float32Array, a: Operand, b: Operand, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  const n = typeof a === 'number' && typeof b === 'number' ? mask.length : lengthOf('select', [a, b]);
  if (mask.length !== n) throw new VpuShapeError(`vpu select: mask has ${mask.length} values, operands have ${n}`);
  const out = output('select', options.out, n);
  const wasm = n >= WASM_MIN_VALUES ? vpuWasm() : null;
  if (wasm) wasm.select(mask, toF32(a), toF32(b), out);
  else selectKernel(mask, toF32(a), toF32(b), out);
  return { out, cycles: arrayCycles('select', n, config) };
}

/**
 * Picks `a` where the mask is set, else `b` (relu = select(x > 0, x, 0)).
 * @example select(new Uint8Array([1, 0]), new Float32Array([5, 6]), 0).out // [5, 0]
 */
export function select(mask: Uint8Array, a: Operand, b: Operand, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  const n = lengthOf('select', [a, b]);
  if (mask.length !== n) throw new VpuShapeError(`vpu select: mask has ${mask.length} values, operands have ${n}`);
  a = toF32(a);
  b = toF32(b);
  const out = output('select', options.out, n);
  for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? at(a, i) : at(b, i);
  return { out, cycles: arrayCycles('select', n, config) };
}

/** Converts f32 values to bf16 bit patterns (round to nearest even, subnormals flushed). */
export function toBf16(x: Float32Array, config: VpuConfig = DEFAULT_VPU_CONFIG): VpuResult<Uint16Array> {
  return { out: f32ToBf16Array(x), cycles: arrayCycles('to-bf16', x.length, config) };
}

/** Widens bf16 bit patterns to f32 (exact). */
export function fromBf16(bits: Uint16Array, config: VpuConfig = DEFAULT_VPU_CONFIG): VpuResult<Float32Array> {
  return { out: bf16ToF32Array(bits), cycles: arrayCycles('from-bf16', bits.length, config) };
}

/**
 * Repeats a row row[C] into out[R, C] (bias add = binary('add', x, broadcastRows(b, R))),
 * written into `options.out` when given (its length checked), else into a fresh array.
 * @example broadcastRows(new Float32Array([1, 2]), 2).out // [1, 2, 1, 2]
 */
export function broadcastRows(row: Float32Array, rows: number, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  if (!Number.isSafeInteger(rows) || rows < 1) throw new VpuShapeError(`vpu broadcast: rows must be a positive integer, got ${rows}`);
  const out = output('broadcast', options.out, rows * row.length);
  // One row, then copies of what is already written, doubling: log2(R) memmoves, no per-row call.
  const total = out.length;
  out.set(row, 0);
  for (let done = row.length; done < total; done *= 2) out.copyWithin(done, 0, Math.min(done, total - done));
  return { out, cycles: broadcastCycles(rows, row.length, config) };
}

/** Cycles of broadcasting a row of `cols` values to `rows` rows: one op per output vreg tile. */
export function broadcastCycles(rows: number, cols: number, config: VpuConfig = DEFAULT_VPU_CONFIG): number {
  const tiles = Math.ceil(rows / config.sublanes) * Math.ceil(cols / config.lanes);
  return Math.max(1, tiles) * opCycles('broadcast', config);
}

/**
 * Repeats each value of col[R] across `cols` columns: out[R, C] (softmax's x - rowmax(x)).
 * Cost: one op per output vreg (a lane reduction's rotate tree already leaves the row's value
 * in every lane, so spreading it is a plain copy). Written into `options.out` when given.
 * @example broadcastCols(new Float32Array([1, 2]), 2).out // [1, 1, 2, 2]
 */
export function broadcastCols(col: Float32Array, cols: number, options: VpuOptions = {}): VpuResult<Float32Array> {
  const config = options.config ?? DEFAULT_VPU_CONFIG;
  if (!Number.isSafeInteger(cols) || cols < 1) throw new VpuShapeError(`vpu broadcast: cols must be a positive integer, got ${cols}`);
  const out = output('broadcast', options.out, col.length * cols);
  for (let r = 0; r < col.length; r++) out.fill(col[r]!, r * cols, (r + 1) * cols);
  return { out, cycles: broadcastCycles(col.length, cols, config) };
}

/**
 * Cycles of transposing x[R, C]: every input vreg passes once through the cross-lane unit
 * (XLU), at one lane-rotate time each (a model: the XLU is the only path between lanes).
 */
export function transposeCycles(rows: number, cols: number, config: VpuConfig = DEFAULT_VPU_CONFIG): number {
  return Math.ceil(rows / config.sublanes) * Math.ceil(cols / config.lanes) * config.laneRotateCycles;
}

/**
 * Transposes x[R, C] to out[C, R] (exact: values are only moved), into `shape.out` when given.
 * @example transpose(new Float32Array([1, 2, 3, 4, 5, 6]), { rows: 2, cols: 3 }).out // [1, 4, 2, 5, 3, 6]
 */
export function transpose(
  x: Float32Array, // x: [R, C]
  shape: { readonly rows: number; readonly cols: number; readonly config?: VpuConfig; readonly out?: Float32Array },
): VpuResult<Float32Array> {
  const { rows, cols } = shape;
  const config = shape.config ?? DEFAULT_VPU_CONFIG;
  if (x.length !== rows * cols) throw new VpuShapeError(`vpu transpose: array has ${x.length} values, shape [${rows}, ${cols}] needs ${rows * cols}`);
  const out = output('transpose', shape.out, x.length);
  if (out === x) throw new VpuShapeError('vpu transpose: out must not be the input');
  const wasm = x.length >= WASM_MIN_VALUES ? vpuWasm() : null;
  if (wasm) wasm.transpose(x, rows, cols, out);
  else {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
    }
  }
  return { out, cycles: transposeCycles(rows, cols, config) };
}
