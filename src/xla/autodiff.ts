/**
 * @module xla/autodiff
 * Reverse-mode automatic differentiation on HLO: from a scalar output, walk the graph
 * backwards and emit each op's gradient rule (its OpDef's `vjp`, in other HLO ops) into
 * the same builder, summing cotangents where a value fans out. The result is plain HLO
 * that the passes optimise like any other.
 *
 * Imports ./builder, ./hlo, ./ops. Only instructions on a path from a chosen parameter to
 * the output get a cotangent; integer and pred values never do. Gradient instructions
 * carry the metadata source of the op they differentiate plus '/grad'.
 *
 * @example
 * const b = new XlaBuilder('step');
 * const w = b.parameter(0, f32([3]), 'w');
 * const loss = b.sum(b.multiply(w, w));
 * const [dw] = gradients(b, loss, [w]);   // 2 * w
 * const m = b.build([loss, dw]);
 */
import { XlaBuilder, type Op } from './builder.ts';
import type { HloInstruction, HloModule } from './hlo.ts';
import { opRegistry, shapeText, type OpDef } from './ops/index.ts';

/** Autodiff was asked something it cannot do: names the value. */
export class AutodiffError extends Error {
  override readonly name = 'AutodiffError';
  readonly userFacing = true;
}

const isFloat = (i: Pick<HloInstruction, 'shape'>): boolean => i.shape.dtype === 'f32' || i.shape.dtype === 'bf16';

/** Ids on some path from one of `wrt` to `y`. */
function relevant(instrs: readonly HloInstruction[], y: number, wrt: ReadonlySet<number>): Set<number> {
  const reachesY = new Set<number>([y]);
  for (let i = instrs.length - 1; i >= 0; i--) {
    const instr = instrs[i]!;
    if (reachesY.has(instr.id)) for (const o of instr.operands) reachesY.add(o);
  }
  const fromWrt = new Set<number>();
  for (const instr of instrs) {
    if (wrt.has(instr.id) || instr.operands.some((o) => fromWrt.has(o))) fromWrt.add(instr.id);
  }
  return new Set([...fromWrt].filter((id) => reachesY.has(id)));
}

/**
 * Emits into `b` the gradients of the scalar `y` with respect to each of `wrt`, in order
 * (zeros for a value `y` does not depend on).
 */
export function gradients(b: XlaBuilder, y: Op, wrt: readonly Op[]): Op[] {
  if (y.shape.dims.length !== 0 || !isFloat(y)) throw new AutodiffError(`gradients need a scalar float output, got ${shapeText(y.shape)}`);
  const instrs = b.emitted.slice();
  const live = relevant(instrs, y.id, new Set(wrt.map((w) => w.id)));
  const cotangent = new Map<number, Op>();
  const accumulate = (id: number, g: Op): void => {
    const prev = cotangent.get(id);
    cotangent.set(id, prev ? b.add(prev, g) : g);
  };
  if (live.has(y.id)) cotangent.set(y.id, b.withSource('grad', () => b.scalar(1, y.shape.dtype)));
  const byId = new Map(instrs.map((i) => [i.id, i]));
  for (let k = instrs.length - 1; k >= 0; k--) {
    const instr = instrs[k]!;
    const g = cotangent.get(instr.id);
    if (!g || instr.op === 'parameter' || !live.has(instr.id)) continue;
    const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
    const inputs = instr.operands.map((o) => ({ id: o, shape: byId.get(o)!.shape }));
    const source = instr.metadata?.source !== undefined ? `${instr.metadata.source}/grad` : 'grad';
    const cts = b.withSource(source, () => def.vjp({ b, g, inputs, out: { id: instr.id, shape: instr.shape }, attrs: instr.attrs as never }));
    instr.operands.forEach((o, i) => {
      const ct = cts[i];
      if (ct && live.has(o) && isFloat(byId.get(o)!)) b.withSource(source, () => accumulate(o, ct));
    });
  }
  return wrt.map((w) => cotangent.get(w.id) ?? b.zerosLike(w));
}

/**
 * A module computing [loss, d loss / d parameter i for i in `wrt`] from a module whose
 * entry has one scalar output. `wrt` defaults to every float parameter.
 */
export function gradModule(m: HloModule, wrt?: readonly number[]): HloModule {
  if (m.entry.outputs.length !== 1) throw new AutodiffError(`%${m.entry.name} must have one (scalar) output to differentiate, has ${m.entry.outputs.length}`);
  const b = XlaBuilder.from(m.entry);
  const params = m.entry.instructions.filter((i) => i.op === 'parameter');
  const chosen = (wrt ?? params.filter(isFloat).map((p) => (p.op === 'parameter' ? p.attrs.index : -1))).map((index) => {
    const p = params.find((q) => q.op === 'parameter' && q.attrs.index === index);
    if (!p) throw new AutodiffError(`%${m.entry.name} has no parameter ${index}`);
    return b.op(p.id);
  });
  const loss = b.op(m.entry.outputs[0]!);
  return b.build([loss, ...gradients(b, loss, chosen)], `${m.name}_grad`);
}
