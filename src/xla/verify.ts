/**
 * @module xla/verify
 * The HLO verifier, run after parsing and after every pass (house style C): ids unique,
 * operands defined earlier, operand counts equal to the op's arity, every shape equal to
 * what the op's shape rule infers, parameter indices 0..n-1, outputs defined; fused
 * computations are verified the same way.
 *
 * Imports ./hlo types, ./ops (shape rules), ./print (names in messages).
 */
import type { HloComputation, HloModule } from './hlo.ts';
import { ShapeRuleError, opRegistry, shapeText, shapesEqual, type OpDef } from './ops/index.ts';
import { instrName } from './print.ts';

/** A malformed module: names the computation, the instruction and what is wrong. */
export class HloVerifyError extends Error {
  override readonly name = 'HloVerifyError';
  readonly userFacing = true;
}

/** Verifies one computation; throws HloVerifyError naming the first problem. */
export function verifyComputation(c: HloComputation, where = ''): void {
  const shapes = new Map<number, HloComputation['instructions'][number]['shape']>();
  const params = new Set<number>();
  for (const instr of c.instructions) {
    const at = `${where}%${c.name}: ${instrName(instr)} ${instr.op}`;
    if (shapes.has(instr.id)) throw new HloVerifyError(`${at}: id ${instr.id} is used twice`);
    const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
    if (!def) throw new HloVerifyError(`${at}: unknown op`);
    if (def.arity !== 'variadic' && def.arity !== instr.operands.length) throw new HloVerifyError(`${at}: takes ${def.arity} operands, has ${instr.operands.length}`);
    const inputs = instr.operands.map((o) => {
      const s = shapes.get(o);
      if (!s) throw new HloVerifyError(`${at}: operand %${o} is not defined before use`);
      return s;
    });
    if (instr.op === 'parameter') {
      if (params.has(instr.attrs.index)) throw new HloVerifyError(`${at}: parameter index ${instr.attrs.index} is used twice`);
      params.add(instr.attrs.index);
    }
    if (instr.op === 'fusion') verifyComputation(instr.attrs.computation, `${where}%${c.name} > `);
    let inferred;
    try {
      inferred = def.shape(inputs, instr.attrs as never);
    } catch (err) {
      if (err instanceof ShapeRuleError) throw new HloVerifyError(`${at}: ${err.message}; operands ${inputs.map(shapeText).join(', ')}`);
      throw err;
    }
    if (!shapesEqual(inferred, instr.shape)) throw new HloVerifyError(`${at}: shape ${shapeText(instr.shape)} but the op infers ${shapeText(inferred)}`);
    shapes.set(instr.id, instr.shape);
  }
  for (let i = 0; i < params.size; i++) if (!params.has(i)) throw new HloVerifyError(`${where}%${c.name}: parameters must be numbered 0..${params.size - 1}; ${i} is missing`);
  if (c.outputs.length === 0) throw new HloVerifyError(`${where}%${c.name}: no outputs`);
  for (const o of c.outputs) if (!shapes.has(o)) throw new HloVerifyError(`${where}%${c.name}: output %${o} is not defined`);
}

/** Verifies a module (its entry and every fused computation). */
export function verify(m: HloModule): HloModule {
  verifyComputation(m.entry);
  verifyAliases(m);
  return m;
}

/** Every alias names an output and a parameter of the same shape; no parameter or output twice. */
function verifyAliases(m: HloModule): void {
  const params = new Map(m.entry.instructions.flatMap((i) => (i.op === 'parameter' ? [[i.attrs.index, i.shape] as const] : [])));
  const byId = new Map(m.entry.instructions.map((i) => [i.id, i]));
  const [outs, ps] = [new Set<number>(), new Set<number>()];
  for (const a of m.aliases ?? []) {
    const at = `%${m.entry.name}: input_output_alias {${a.output}}: (${a.param})`;
    const out = m.entry.outputs[a.output];
    const param = params.get(a.param);
    if (out === undefined || param === undefined) throw new HloVerifyError(`${at} names a missing ${out === undefined ? 'output' : 'parameter'}`);
    if (outs.has(a.output) || ps.has(a.param)) throw new HloVerifyError(`${at}: an output or parameter is aliased twice`);
    outs.add(a.output);
    ps.add(a.param);
    if (!shapesEqual(byId.get(out)!.shape, param)) throw new HloVerifyError(`${at}: output ${shapeText(byId.get(out)!.shape)} and parameter ${shapeText(param)} differ`);
  }
}
