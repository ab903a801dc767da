/**
 * @module xla/passes/algsimp
 * Algebraic simplification: local rewrites that are exact in IEEE f32, so evaluation stays
 * bit-identical. Every rule below keeps every bit, including -0 and NaN. Rules that would
 * not (x + 0 -> x turns -0 into +0; x * 0 -> 0 breaks NaN and -0) are deliberately absent.
 *
 * Pre: a verified module. Post: no rule applies; dead instructions are left to DCE.
 * Example:
 *   before: %2 = f32[4,8] transpose(%x.0), dimensions={1,0}
 *           %3 = f32[8,4] transpose(%2), dimensions={1,0}
 *           %4 = f32[8,4] constant(1)     ROOT %5 = f32[8,4] multiply(%3, %4)
 *   after:  ROOT ... = %x.0 (both transposes and the multiply by one fold away)
 */
import type { Op, XlaBuilder } from '../builder.ts';
import type { HloInstruction, HloModule } from '../hlo.ts';
import { shapesEqual } from '../ops/index.ts';
import type { Pass } from '../pipeline.ts';
import { expand, withEntry } from './rewrite.ts';

const isIdentityPerm = (p: readonly number[]): boolean => p.every((v, i) => v === i);

/** The single fill value of a constant, or null. */
function fillValue(i: HloInstruction | undefined): number | null {
  return i?.op === 'constant' && i.attrs.value.length === 1 ? i.attrs.value[0]! : null;
}

/** One simplification of `instr`, or null. `get` looks operands up (already rewritten). */
function simplify(instr: HloInstruction, get: (id: number) => HloInstruction, b: XlaBuilder): Op | null {
  const op = (id: number): Op => ({ id, shape: get(id).shape });
  const [a, c] = instr.operands;
  const A = a !== undefined ? get(a) : undefined;
  const C = c !== undefined ? get(c) : undefined;
  switch (instr.op) {
    case 'multiply': // x * 1 = x
      if (fillValue(C) === 1) return op(a!);
      if (fillValue(A) === 1) return op(c!);
      return null;
    case 'divide': // x / 1 = x
      return fillValue(C) === 1 ? op(a!) : null;
    case 'subtract': // x - (+0) = x + (-0) = x, for -0 too
      return fillValue(C) === 0 && !Object.is(fillValue(C), -0) ? op(a!) : null;
    case 'negate': // -(-x) = x
      return A?.op === 'negate' ? op(A.operands[0]!) : null;
    case 'convert':
    case 'reshape':
      if (shapesEqual(A!.shape, instr.shape)) return op(a!);
      if (instr.op === 'reshape' && A?.op === 'reshape') return b.reshape(op(A.operands[0]!), instr.shape.dims);
      return fillValue(A) !== null && instr.op === 'reshape' ? b.fill(fillValue(A)!, instr.shape) : null;
    case 'transpose': {
      const p = instr.attrs.permutation;
      if (isIdentityPerm(p)) return op(a!);
      if (fillValue(A) !== null) return b.fill(fillValue(A)!, instr.shape);
      if (A?.op === 'transpose') {
        const inner = A.attrs.permutation;
        const composed = p.map((i) => inner[i]!);
        return isIdentityPerm(composed) ? op(A.operands[0]!) : b.transpose(op(A.operands[0]!), composed);
      }
      return null;
    }
    case 'broadcast':
      if (fillValue(A) !== null) return b.fill(fillValue(A)!, instr.shape);
      return shapesEqual(A!.shape, instr.shape) && isIdentityPerm(instr.attrs.dimensions) ? op(a!) : null;
    case 'slice': {
      const s = instr.attrs;
      const full = s.start.every((v) => v === 0) && s.strides.every((v) => v === 1) && s.limit.every((v, i) => v === A!.shape.dims[i]);
      return full ? op(a!) : null;
    }
    case 'pad': {
      const p = instr.attrs;
      return [...p.low, ...p.high, ...p.interior].every((v) => v === 0) ? op(a!) : null;
    }
    case 'reduce':
      return instr.attrs.dimensions.length === 0 ? op(a!) : null;
    case 'concatenate':
      return instr.operands.length === 1 ? op(a!) : null;
    default:
      return null;
  }
}

/** One round of simplification over the entry (same module when nothing applied). */
function simplifyOnce(m: HloModule): HloModule {
  return withEntry(m, expand(m.entry, (instr, b, get) => simplify(instr, get, b)));
}

/** The algebraic simplifier, run to a fixpoint (rules feed each other: transpose pairs, fills). */
export const algsimp: Pass = {
  name: 'algsimp',
  run: (m) => {
    let current = m;
    for (let round = 0; round < 8; round++) {
      const next = simplifyOnce(current);
      if (next === current) break;
      current = next;
    }
    return current;
  },
};
