/**
 * @module xla/passes/schedule
 * Scheduling. The schedule is the entry's instruction order; the pass tries the given order
 * and a depth-first order from the outputs (XLA's DFS scheduler: finishing one operand's
 * subtree before starting the next shortens live ranges) and keeps the one whose live
 * values peak lower. Memory itself is planned once, by the lowering that runs the program
 * (./lower-emit.ts pools storage after each value's last use, in this order).
 *
 * Pre: a verified module (after layout, sizes are tile-padded). Post: the same module,
 * reordered; reordering independent instructions never changes a value, so evaluation is
 * identical.
 * Rules: parameters are arguments, not temporaries; a reshape is a bitcast and shares its
 * operand's buffer; outputs live to the end.
 * Example: `a = exp(x); b = tanh(x); c = a + 1; d = b + 1` -> DFS from (c, d) gives
 * `a, c, b, d`, so a is dead before b is born: peak 2 buffers instead of 3.
 */
import type { HloComputation, HloInstruction, HloModule } from '../hlo.ts';
import type { Pass } from '../pipeline.ts';
import { tiledBytes } from './layout.ts';

/** Depth-first post-order from the outputs; parameters first, unreachable instructions last. */
export function dfsOrder(c: HloComputation): HloInstruction[] {
  const byId = new Map(c.instructions.map((i) => [i.id, i]));
  const done = new Set<number>();
  const order: HloInstruction[] = c.instructions.filter((i) => i.op === 'parameter');
  for (const p of order) done.add(p.id);
  const visit = (root: number): void => {
    const stack: { id: number; next: number }[] = [{ id: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (done.has(top.id)) {
        stack.pop();
        continue;
      }
      const instr = byId.get(top.id)!;
      if (top.next < instr.operands.length) stack.push({ id: instr.operands[top.next++]!, next: 0 });
      else {
        done.add(top.id);
        order.push(instr);
        stack.pop();
      }
    }
  };
  for (const o of c.outputs) visit(o);
  for (const i of c.instructions) if (!done.has(i.id)) visit(i.id);
  return order;
}

interface Interval {
  readonly id: number;
  readonly start: number;
  end: number;
  readonly bytes: number;
}

/** Live intervals of temporaries (reshapes folded into their operand's buffer). */
function liveIntervals(order: readonly HloInstruction[], outputs: readonly number[], tile: HloModule['tile']): { intervals: Interval[] } {
  const owner = new Map<number, number>(); // value id -> id of the buffer it lives in
  const intervals = new Map<number, Interval>();
  order.forEach((instr, t) => {
    if (instr.op === 'parameter') return;
    const src = instr.operands[0];
    if (instr.op === 'reshape' && src !== undefined && owner.has(src)) owner.set(instr.id, owner.get(src)!);
    else {
      owner.set(instr.id, instr.id);
      intervals.set(instr.id, { id: instr.id, start: t, end: t, bytes: tiledBytes(instr.shape, tile) });
    }
    for (const o of instr.operands) {
      const iv = intervals.get(owner.get(o) ?? -1);
      if (iv) iv.end = Math.max(iv.end, t);
    }
  });
  for (const o of outputs) {
    const iv = intervals.get(owner.get(o) ?? -1);
    if (iv) iv.end = order.length;
  }
  return { intervals: [...intervals.values()] };
}

/** Largest sum of live bytes at any step. */
function peakOf(intervals: readonly Interval[], steps: number): number {
  const delta = new Float64Array(steps + 2);
  for (const iv of intervals) {
    delta[iv.start] = delta[iv.start]! + iv.bytes;
    delta[iv.end + 1] = delta[iv.end + 1]! - iv.bytes;
  }
  let live = 0;
  let peak = 0;
  for (const d of delta) {
    live += d;
    peak = Math.max(peak, live);
  }
  return peak;
}

/** The largest sum of live temporary bytes (tile-padded) of the entry run in `order`. */
export function peakLiveBytes(m: HloModule, order: readonly HloInstruction[]): number {
  return peakOf(liveIntervals(order, m.entry.outputs, m.tile).intervals, order.length);
}

/** The scheduling pass. */
export const schedule: Pass = {
  name: 'schedule',
  run: (m) => {
    const given = m.entry.instructions;
    const dfs = dfsOrder(m.entry);
    if (dfs.every((i, k) => i === given[k]) || peakLiveBytes(m, dfs) >= peakLiveBytes(m, given)) return m;
    return { ...m, entry: { ...m.entry, instructions: dfs } };
  },
};
