/**
 * @module xla/evaluate
 * The reference interpreter: evaluates unoptimised (or optimised) HLO on the host with the
 * numerics contract, one op at a time through each OpDef's `evaluate`. It is the oracle of
 * every pass and of the lowering (house style: a plain interpreter as the living spec).
 *
 * Imports ./hlo, ./ops, mxu/config (defaults). The contract, op family by op family:
 * - dot and convolution: MXU numerics (bf16 operands, f32 accumulation in the documented
 *   order, precision default|high|highest) via `matmulFast`; convolution is defined as
 *   im2col with K ordered (kh, kw, c) then one MXU matmul (ops/linalg.ts);
 * - elementwise ops: the VPU's f32 functions (f32 IEEE for + - * / sqrt max min; the
 *   documented transcendentals), a bf16 result rounded to nearest even (ops/elementwise.ts);
 * - reduce: the VPU's reduction order on a documented 2-D view (ops/reduce.ts);
 * - reduce-window / select-and-scatter: row-major window order (ops/reduce.ts);
 * - data movement: exact.
 */
import { DEFAULT_MXU_CONFIG } from '../mxu/config.ts';
import type { HloComputation, HloModule, Shape } from './hlo.ts';
import { opRegistry, shapeText, sizeOf, toDType, type EvalContext, type Literal, type OpDef } from './ops/index.ts';
import { instrName } from './print.ts';

/** Bad arguments to the interpreter: names the parameter and both sizes. */
export class EvaluateError extends Error {
  override readonly name = 'EvaluateError';
  readonly userFacing = true;
}

/** Options of the interpreter. */
export interface EvaluateOptions {
  /** The MXU's fold depth and subnormal mode. Default: TPU v2 (128 rows, flush). */
  readonly mxu?: EvalContext['mxu'];
  /** Called with every instruction's value as it is computed (tracing, tests). */
  readonly onValue?: (id: number, value: Literal) => void;
}

/** A literal of `shape` from any array-like (values rounded to the shape's dtype). */
export function literal(shape: Shape, values: ArrayLike<number>): Literal {
  if (values.length !== sizeOf(shape.dims)) throw new EvaluateError(`${shapeText(shape)} needs ${sizeOf(shape.dims)} values, got ${values.length}`);
  const data = Float32Array.from(values);
  if (shape.dtype !== 'f32') for (let i = 0; i < data.length; i++) data[i] = toDType(shape.dtype, data[i]!);
  return { shape, data };
}

/** The value of one instruction of `c`, its operands' values in `values`. */
function evalInstruction(c: HloComputation, instr: HloComputation['instructions'][number], values: ReadonlyMap<number, Literal>, args: readonly Literal[], ctx: EvalContext): Literal {
  if (instr.op === 'parameter') {
    const arg = args[instr.attrs.index];
    if (!arg) throw new EvaluateError(`%${c.name}: no argument for parameter ${instr.attrs.index} (${instrName(instr)})`);
    if (arg.data.length !== sizeOf(instr.shape.dims)) {
      throw new EvaluateError(`%${c.name}: parameter ${instr.attrs.index} (${instrName(instr)}) is ${shapeText(instr.shape)}, argument has ${arg.data.length} values`);
    }
    return { shape: instr.shape, data: arg.data };
  }
  const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
  const inputs = instr.operands.map((o) => values.get(o)!);
  return { shape: instr.shape, data: def.evaluate(inputs, instr.attrs as never, instr.shape, ctx) };
}

function run(c: HloComputation, args: readonly Literal[], ctx: EvalContext, onValue?: EvaluateOptions['onValue']): Literal[] {
  const values = new Map<number, Literal>();
  for (const instr of c.instructions) {
    const value = evalInstruction(c, instr, values, args, ctx);
    values.set(instr.id, value);
    onValue?.(instr.id, value);
  }
  return c.outputs.map((o) => values.get(o)!);
}

/** Arguments (literals or plain arrays) as literals of the entry's parameter shapes. */
function bind(m: HloModule, args: readonly (Literal | ArrayLike<number>)[]): Literal[] {
  const params = new Map<number, Shape>();
  for (const i of m.entry.instructions) if (i.op === 'parameter') params.set(i.attrs.index, i.shape);
  if (args.length !== params.size) throw new EvaluateError(`%${m.entry.name} takes ${params.size} arguments, got ${args.length}`);
  return args.map((a, i) => {
    const shape = params.get(i)!;
    return 'shape' in a && 'data' in a ? literal(shape, (a as Literal).data) : literal(shape, a as ArrayLike<number>);
  });
}

/**
 * Evaluates one SPMD module on several replicas in lockstep (data parallelism in the
 * interpreter): every instruction runs on every replica, and an `all-reduce` hands the
 * replicas' values to `allReduce`, which sums them in place (tpu/collectives' ring order,
 * so the bits are the simulated board's). Returns each replica's outputs.
 */
export function evaluateReplicated(
  m: HloModule,
  argsPerReplica: readonly (readonly (Literal | ArrayLike<number>)[])[],
  options: EvaluateOptions & { readonly allReduce: (values: Float32Array[]) => void },
): Literal[][] {
  const args = argsPerReplica.map((a) => bind(m, a));
  const mxu = options.mxu ?? { rows: DEFAULT_MXU_CONFIG.rows, subnormals: DEFAULT_MXU_CONFIG.subnormals };
  const ctx: EvalContext = { mxu, run: (c, xs) => run(c, xs, ctx) };
  const values = args.map(() => new Map<number, Literal>());
  for (const instr of m.entry.instructions) {
    if (instr.op === 'all-reduce') {
      const data = values.map((v) => v.get(instr.operands[0]!)!.data.slice());
      options.allReduce(data);
      values.forEach((v, r) => v.set(instr.id, { shape: instr.shape, data: data[r]! }));
    } else values.forEach((v, r) => v.set(instr.id, evalInstruction(m.entry, instr, v, args[r]!, ctx)));
  }
  return values.map((v) => m.entry.outputs.map((o) => v.get(o)!));
}

/**
 * Evaluates a module's entry on arguments (one per parameter, by index): literals, or
 * plain arrays taken in the parameter's shape.
 * @example evaluate(b.build(y), [new Float32Array([1, 2])])[0].data
 */
export function evaluate(m: HloModule, args: readonly (Literal | ArrayLike<number>)[], options: EvaluateOptions = {}): Literal[] {
  const literals = bind(m, args);
  const mxu = options.mxu ?? { rows: DEFAULT_MXU_CONFIG.rows, subnormals: DEFAULT_MXU_CONFIG.subnormals };
  const ctx: EvalContext = { mxu, run: (c, xs) => run(c, xs, ctx) };
  return run(m.entry, literals, ctx, options.onValue);
}
