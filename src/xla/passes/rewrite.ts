/**
 * @module xla/passes/rewrite
 * The few graph utilities every pass shares: users of each value, splicing sub-graphs in
 * place of instructions (`expand`), and rebuilding a module only when something changed
 * (passes return the same object when nothing did, house style C).
 *
 * Imports ../builder, ../hlo. Ids: a replaced instruction's users are redirected to the
 * replacement's id; new instructions get fresh ids above every existing one.
 */
import { XlaBuilder, type Op } from '../builder.ts';
import type { HloComputation, HloInstruction, HloModule } from '../hlo.ts';

/** Users of every id (instructions that take it as an operand), in program order. */
export function usersOf(c: HloComputation): Map<number, HloInstruction[]> {
  const users = new Map<number, HloInstruction[]>();
  for (const i of c.instructions) users.set(i.id, []);
  for (const i of c.instructions) for (const o of new Set(i.operands)) users.get(o)?.push(i);
  return users;
}

/** Instructions by id. */
export function byIdOf(c: HloComputation): Map<number, HloInstruction> {
  return new Map(c.instructions.map((i) => [i.id, i]));
}

/** One past the largest id in the computation. */
export function nextIdOf(c: HloComputation): number {
  return c.instructions.reduce((m, i) => Math.max(m, i.id + 1), 0);
}

/**
 * Rewrites a computation instruction by instruction. `rule` sees each instruction (with
 * operands already redirected), a builder for new instructions and a lookup of every value
 * defined so far (rewritten ones included); it returns null to
 * keep the instruction, or the Op that replaces it (an existing value, or the last of the
 * new instructions it emitted, which are spliced in at this position).
 * Returns the same computation object when no rule fired.
 */
export function expand(c: HloComputation, rule: (instr: HloInstruction, b: XlaBuilder, get: (id: number) => HloInstruction) => Op | null): HloComputation {
  const redirect = new Map<number, number>();
  const resolve = (id: number): number => {
    let r = id;
    while (redirect.has(r)) r = redirect.get(r)!;
    return r;
  };
  let next = nextIdOf(c);
  let changed = false;
  const out: HloInstruction[] = [];
  const known = new Map<number, HloInstruction>();
  const get = (id: number): HloInstruction => {
    const i = known.get(id);
    if (!i) throw new Error(`rewrite of %${c.name}: operand %${id} is not defined yet`);
    return i;
  };
  for (const original of c.instructions) {
    const operands = original.operands.map(resolve);
    const instr = operands.some((o, k) => o !== original.operands[k]) ? ({ ...original, operands } as HloInstruction) : original;
    const b = XlaBuilder.startingAt(next, c.name);
    b.source = instr.metadata?.source;
    const replacement = rule(instr, b, (id) => known.get(id) ?? b.emitted.find((e) => e.id === id) ?? get(id));
    if (replacement === null || replacement.id === instr.id) {
      out.push(instr);
      known.set(instr.id, instr);
      continue;
    }
    changed = true;
    out.push(...b.emitted);
    for (const e of b.emitted) known.set(e.id, e);
    next = b.nextFreeId;
    redirect.set(instr.id, replacement.id);
  }
  if (!changed) return c;
  return { name: c.name, instructions: out, outputs: c.outputs.map(resolve) };
}

/** The module with a new entry, or the same module when the entry is the same object. */
export function withEntry(m: HloModule, entry: HloComputation): HloModule {
  return entry === m.entry ? m : { ...m, entry };
}
