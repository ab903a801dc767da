/**
 * @module xla/passes/fusion
 * Fusion (XLA's loop and output fusion): chains of elementwise ops become one `fusion`
 * instruction, a single VPU kernel whose intermediates stay in vector registers; a dot
 * or convolution whose only user is such a chain joins it (bias + activation in the MXU
 * op's epilogue), and so does a select-and-scatter whose windows tile its operand exactly
 * (a max-pooling gradient followed by relu's gradient: each scattered value meets its
 * epilogue once, while the pooled activation is still in vector memory).
 * Only the fusion's operands and result travel to and from memory, which is what cuts
 * the memory traffic. Evaluation of a fusion runs the same ops in the same order, so the
 * pass is bit-identical.
 *
 * Pre: a verified module (best after DCE). Post: fusion bodies hold only elementwise ops,
 * broadcasts, reshapes, fill constants, and at most one dot, convolution or exactly tiling
 * select-and-scatter (kind output).
 * Decisions are FusionDecision values ({ ok: true } | { ok: false, why }), listed by
 * `fusionDecisions` for the CLI and tests.
 * Example:
 *   before: %16 = f32[8192,16] dot(%14, %15)    %17 = f32[8,32,32,16] reshape(%16)
 *           %18 = f32[8,32,32,16] broadcast(%b.2), dimensions={3}
 *           %19 = f32[8,32,32,16] add(%17, %18) %21 = f32[8,32,32,16] maximum(%19, %20)
 *   after:  %21 = f32[8,32,32,16] fusion(%14, %15, %b.2), kind=output, calls=%fused_21
 */
import type { HloComputation, HloInstruction, HloModule, OpName } from '../hlo.ts';
import { ELEMENTWISE } from '../ops/index.ts';
import type { Pass } from '../pipeline.ts';
import { instrName } from '../print.ts';
import { usersOf, withEntry } from './rewrite.ts';

/** Whether a fusion may (or why it may not) take a producer. */
export type FusionDecision = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** One decision, for reports: which producer, into which fusion root. */
export interface FusionRecord {
  readonly producer: string;
  readonly root: string;
  readonly decision: FusionDecision;
}

const MOVEMENT: ReadonlySet<OpName> = new Set<OpName>(['broadcast', 'reshape']);
const isFill = (i: HloInstruction): boolean => i.op === 'constant' && i.attrs.value.length === 1;
const isLoopOp = (i: HloInstruction): boolean => ELEMENTWISE.has(i.op) || MOVEMENT.has(i.op) || isFill(i);

/** Whether producer `p` can join the group; `group` holds the ids already in it. */
function canFuse(p: HloInstruction, group: ReadonlySet<number>, users: ReadonlyMap<number, HloInstruction[]>, outputs: ReadonlySet<number>, hasDot: boolean, shapes: ReadonlyMap<number, HloInstruction['shape']>): FusionDecision {
  if (isFill(p)) return { ok: true }; // a fill is duplicated into every fusion that wants it
  const outside = (users.get(p.id) ?? []).filter((u) => !group.has(u.id));
  if (outputs.has(p.id)) return { ok: false, why: `${instrName(p)} is an output of the computation, so it must be materialised` };
  if (outside.length > 0) return { ok: false, why: `${instrName(p)} has users outside the fusion (${outside.map(instrName).join(', ')})` };
  if (p.op === 'dot' || p.op === 'convolution') return hasDot ? { ok: false, why: 'the fusion already holds an MXU op (a dot or a convolution)' } : { ok: true };
  if (p.op === 'select-and-scatter') {
    if (hasDot) return { ok: false, why: 'the fusion already holds an MXU op or a select-and-scatter' };
    const a = p.attrs;
    const source = p.operands[1] === undefined ? undefined : shapes.get(p.operands[1]);
    const tiles = a.window.every((w, i) => w === a.strides[i] && p.shape.dims[i] === (source?.dims[i] ?? -1) * w) && a.padding.every(([lo, hi]) => lo === 0 && hi === 0);
    if (!tiles) return { ok: false, why: `${instrName(p)}: its windows overlap or are padded (only an exact tiling scatters each output once)` };
    return { ok: true };
  }
  if (!isLoopOp(p)) return { ok: false, why: `${instrName(p)} is a ${p.op}, not elementwise` };
  return { ok: true };
}

interface Group {
  readonly root: HloInstruction;
  readonly members: Set<number>;
  readonly hasDot: boolean;
}

/** Grows one group from `root` along operand edges, latest producers first. */
function grow(root: HloInstruction, c: HloComputation, ctx: { pos: Map<number, number>; users: Map<number, HloInstruction[]>; taken: Set<number>; outputs: Set<number>; shapes: Map<number, HloInstruction['shape']>; log: FusionRecord[] }): Group {
  const members = new Set([root.id]);
  let hasDot = false;
  const seen = new Set<number>();
  const candidates = [...root.operands];
  while (candidates.length > 0) {
    candidates.sort((a, b) => ctx.pos.get(b)! - ctx.pos.get(a)!);
    const id = candidates.shift()!;
    if (seen.has(id) || members.has(id) || ctx.taken.has(id)) continue;
    seen.add(id);
    const p = c.instructions[ctx.pos.get(id)!]!;
    if (p.op === 'parameter') continue;
    const decision = canFuse(p, members, ctx.users, ctx.outputs, hasDot, ctx.shapes);
    ctx.log.push({ producer: instrName(p), root: instrName(root), decision });
    if (!decision.ok) continue;
    members.add(id);
    if (p.op === 'dot' || p.op === 'convolution' || p.op === 'select-and-scatter') hasDot = true;
    else if (!isFill(p)) candidates.push(...p.operands);
  }
  return { root, members, hasDot };
}

/** Finds the fusion groups of a computation (roots latest first) and logs every decision. */
function findGroups(c: HloComputation): { groups: Group[]; log: FusionRecord[] } {
  const ctx = {
    pos: new Map(c.instructions.map((i, k) => [i.id, k])),
    users: usersOf(c),
    taken: new Set<number>(),
    outputs: new Set(c.outputs),
    shapes: new Map(c.instructions.map((i) => [i.id, i.shape])),
    log: [] as FusionRecord[],
  };
  const groups: Group[] = [];
  for (let k = c.instructions.length - 1; k >= 0; k--) {
    const root = c.instructions[k]!;
    if (ctx.taken.has(root.id) || !ELEMENTWISE.has(root.op)) continue;
    const g = grow(root, c, ctx);
    const work = [...g.members].filter((id) => !isFill(c.instructions[ctx.pos.get(id)!]!));
    if (work.length < 2) continue;
    for (const id of g.members) if (!isFill(c.instructions[ctx.pos.get(id)!]!)) ctx.taken.add(id);
    groups.push(g);
  }
  return { groups, log: ctx.log };
}

/** The fusion instruction replacing a group: its body is the group, renumbered, with parameters first. */
function fuse(g: Group, c: HloComputation): HloInstruction {
  const inGroup = c.instructions.filter((i) => g.members.has(i.id));
  const external: number[] = [];
  for (const i of inGroup) for (const o of i.operands) if (!g.members.has(o) && !external.includes(o)) external.push(o);
  const byId = new Map(c.instructions.map((i) => [i.id, i]));
  const newId = new Map<number, number>();
  const params: HloInstruction[] = external.map((o, k) => {
    newId.set(o, k);
    return { id: k, op: 'parameter', operands: [], shape: byId.get(o)!.shape, attrs: { index: k, shape: byId.get(o)!.shape }, name: `p${k}` };
  });
  const body = inGroup.map((i, k) => {
    newId.set(i.id, external.length + k);
    const { name: _name, ...rest } = i;
    return { ...rest, id: external.length + k, operands: i.operands.map((o) => newId.get(o)!) } as HloInstruction;
  });
  const computation: HloComputation = { name: `fused_${g.root.id}`, instructions: [...params, ...body], outputs: [newId.get(g.root.id)!] };
  return {
    id: g.root.id,
    op: 'fusion',
    operands: external,
    shape: g.root.shape,
    attrs: { kind: g.hasDot ? 'output' : 'loop', computation },
    ...(g.root.metadata ? { metadata: g.root.metadata } : {}),
  };
}

/** Every fusion decision the pass would take on `m` (for reports and tests). */
export function fusionDecisions(m: HloModule): readonly FusionRecord[] {
  return findGroups(m.entry).log;
}

/** The fusion pass. */
export const fusion: Pass = {
  name: 'fusion',
  run: (m) => {
    const c = m.entry;
    const { groups } = findGroups(c);
    if (groups.length === 0) return m;
    const replaced = new Map(groups.map((g) => [g.root.id, fuse(g, c)]));
    const removed = new Set(groups.flatMap((g) => [...g.members].filter((id) => id !== g.root.id)));
    const users = usersOf(c);
    const instructions = c.instructions.flatMap((i) => {
      const f = replaced.get(i.id);
      if (f) return [f];
      // fills stay outside when something outside still uses them
      if (removed.has(i.id) && !(isFill(i) && (users.get(i.id) ?? []).some((u) => !removed.has(u.id) && !replaced.has(u.id)))) return [];
      return [i];
    });
    return withEntry(m, { ...c, instructions });
  },
};
