/**
 * @module xla/passes/schedule
 * Scheduling and buffer assignment. The schedule is the entry's instruction order; the
 * pass tries the given order and a depth-first order from the outputs (XLA's DFS
 * scheduler: finishing one operand's subtree before starting the next shortens live
 * ranges) and keeps the one with the lower peak. Buffer assignment then gives every
 * temporary an offset in one arena, reusing the space of values whose last use has
 * passed (greedy by size, first fit among buffers whose live ranges overlap).
 *
 * Pre: a verified module (after layout, sizes are tile-padded). Post: `m.assignment` is set;
 * reordering independent instructions never changes a value, so evaluation is identical.
 * Rules: parameters are arguments, not temporaries; a reshape is a bitcast and shares its
 * operand's buffer; outputs live to the end.
 * Example: `a = exp(x); b = tanh(x); c = a + 1; d = b + 1` -> DFS from (c, d) gives
 * `a, c, b, d`, so a is dead before b is born: peak 2 buffers instead of 3.
 */
import type { BufferAssignment, BufferSlot, HloComputation, HloInstruction, HloModule } from '../hlo.ts';
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
function liveIntervals(order: readonly HloInstruction[], outputs: readonly number[], tile: HloModule['tile']): { intervals: Interval[]; owner: Map<number, number> } {
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
  return { intervals: [...intervals.values()], owner };
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

/** Offsets by greedy first fit (largest first) among overlapping intervals. */
function assignOffsets(intervals: readonly Interval[]): Map<number, BufferSlot> {
  const placed: { iv: Interval; offset: number }[] = [];
  const slots = new Map<number, BufferSlot>();
  for (const iv of [...intervals].sort((a, b) => b.bytes - a.bytes || a.start - b.start)) {
    const busy = placed.filter((p) => p.iv.start <= iv.end && iv.start <= p.iv.end).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of busy) {
      if (offset + iv.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.iv.bytes);
    }
    placed.push({ iv, offset });
    slots.set(iv.id, { offset, bytes: iv.bytes });
  }
  return slots;
}

/** Schedules and assigns buffers for the entry of `m` (in the order given). */
export function assignBuffers(m: HloModule, order: readonly HloInstruction[]): BufferAssignment {
  const { intervals, owner } = liveIntervals(order, m.entry.outputs, m.tile);
  const rootSlots = assignOffsets(intervals);
  const slots = new Map<number, BufferSlot>();
  for (const [id, root] of owner) slots.set(id, rootSlots.get(root)!);
  return {
    slots,
    peakBytes: peakOf(intervals, order.length),
    arenaBytes: [...rootSlots.values()].reduce((mx, s) => Math.max(mx, s.offset + s.bytes), 0),
    naiveBytes: intervals.reduce((acc, iv) => acc + iv.bytes, 0),
  };
}

/** The scheduling + buffer-assignment pass. */
export const schedule: Pass = {
  name: 'schedule',
  run: (m) => {
    const given = m.entry.instructions;
    const dfs = dfsOrder(m.entry);
    const a = assignBuffers(m, given);
    const b = assignBuffers(m, dfs);
    const useDfs = b.peakBytes < a.peakBytes;
    const order = useDfs ? dfs : given;
    const assignment = useDfs ? b : a;
    const sameOrder = order.every((i, k) => i === given[k]);
    if (sameOrder && m.assignment && m.assignment.peakBytes === assignment.peakBytes && m.assignment.arenaBytes === assignment.arenaBytes) return m;
    return { ...m, entry: sameOrder ? m.entry : { ...m.entry, instructions: order }, assignment };
  },
};
