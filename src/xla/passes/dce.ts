/**
 * @module xla/passes/dce
 * Dead-code elimination: drops every instruction no output depends on. Parameters are
 * kept (they define the computation's signature). Evaluation of what remains is
 * unchanged, so the result is bit-identical.
 *
 * Pre: a verified module. Post: every non-parameter instruction reaches an output.
 * Example:
 *   before: %1 = f32[2] exp(%x.0)   %2 = f32[2] negate(%x.0)   ROOT %3 = f32[2] tanh(%1)
 *   after:  %1 = f32[2] exp(%x.0)   ROOT %3 = f32[2] tanh(%1)
 */
import type { HloComputation, HloModule } from '../hlo.ts';
import type { Pass } from '../pipeline.ts';
import { withEntry } from './rewrite.ts';

/** DCE of one computation (same object when nothing is dead). */
export function dceComputation(c: HloComputation): HloComputation {
  const live = new Set(c.outputs);
  for (let k = c.instructions.length - 1; k >= 0; k--) {
    const i = c.instructions[k]!;
    if (live.has(i.id)) for (const o of i.operands) live.add(o);
  }
  // NOTE: parameters stay even when unused, so argument positions never shift.
  const kept = c.instructions.filter((i) => live.has(i.id) || i.op === 'parameter');
  return kept.length === c.instructions.length ? c : { ...c, instructions: kept };
}

/** The DCE pass. */
export const dce: Pass = {
  name: 'dce',
  run: (m: HloModule) => withEntry(m, dceComputation(m.entry)),
};
