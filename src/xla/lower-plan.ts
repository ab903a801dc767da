/**
 * @module xla/lower-plan
 * Plan, then emit: every lowering choice of a module's entry, made in one step before any
 * instruction is emitted, each with the reason (`why`). The emitter (./lower.ts) follows the
 * plan; `tpusim compile --dump-after all` prints it next to the HLO (`printPlan`), so a
 * reader sees which kernel was chunked, which dot tiled, which convolution fed from vector
 * memory, and which transpose was never written.
 *
 * Decisions: buffer (parameters, constants, reshapes: no instructions), folded (a transpose
 * whose only users are convolutions, which read through it: XLA's transpose folding),
 * kernel (whole, chunked or with streamed dots: ./lower-kernel.ts), tiled-dot
 * (./lower-dot.ts), conv (rows, stream or im2col: ./lower-conv.ts), dma (data movement),
 * reduce (whole, blocks or folds), pool (blocks of windows), collective.
 *
 * Imports ./hlo, ./lower-kernel, ./lower-conv, ./lower-dot, ./lower-chunk (via kernel), ./ops, ./print.
 */
import type { HloComputation, HloInstruction, HloModule, Shape } from './hlo.ts';
import { convPlanOf, type ConvPlan } from './lower-conv.ts';
import { tileSizes, tileable } from './lower-dot.ts';
import { CHUNK_VALUES, kernelMode, type KernelMode, type KernelTarget } from './lower-kernel.ts';
import { dotPlan } from './ops/linalg.ts';
import { reducePlan } from './ops/reduce.ts';
import { sizeOf } from './ops/index.ts';
import { instrName, printInstruction } from './print.ts';

/** How one instruction of the entry is lowered. */
export type Decision =
  | { readonly kind: 'buffer'; readonly why: string }
  | { readonly kind: 'folded'; readonly why: string }
  | { readonly kind: 'kernel'; readonly mode: KernelMode; readonly why: string }
  | { readonly kind: 'tiled-dot'; readonly tiles: { readonly mb: number; readonly nb: number; readonly kt: number }; readonly why: string }
  | { readonly kind: 'conv'; readonly plan: ConvPlan; readonly why: string }
  | { readonly kind: 'dma'; readonly why: string }
  | { readonly kind: 'reduce'; readonly mode: 'whole' | 'blocks' | 'folds'; readonly why: string }
  | { readonly kind: 'pool'; readonly why: string }
  | { readonly kind: 'collective'; readonly why: string };

/** The plan of a module's entry: a decision per instruction id. */
export interface LoweringPlan {
  readonly decisions: ReadonlyMap<number, Decision>;
}

/** Users of every value of a computation. */
function usersOf(c: HloComputation): Map<number, HloInstruction[]> {
  const users = new Map<number, HloInstruction[]>();
  for (const i of c.instructions) for (const o of i.operands) users.set(o, [...(users.get(o) ?? []), i]);
  return users;
}

/** Whether `user` reads value `id` only as a convolution's input or filter (directly, or through a fusion parameter). */
function readsAsConvOperand(user: HloInstruction, id: number): boolean {
  if (user.op === 'convolution') return user.operands.slice(0, 2).includes(id);
  if (user.op !== 'fusion') return false;
  const c = user.attrs.computation;
  const inner = c.instructions.filter((i) => i.op === 'parameter' && user.operands[i.attrs.index] === id);
  const users = usersOf(c);
  return inner.length > 0 && inner.every((p) => (users.get(p.id) ?? []).every((u) => u.op === 'convolution' && u.operands.slice(0, 2).includes(p.id)) && !c.outputs.includes(p.id));
}

/** A kernel's decision: the mode of its body on its buffered inputs. */
function kernelDecision(body: readonly HloInstruction[], inputs: readonly number[], shapeOf: (id: number) => Shape, root: number, target: KernelTarget, fills: ReadonlySet<number>): Decision {
  const mode = kernelMode(body, inputs.filter((i) => !fills.has(i)), shapeOf, root, target.budget);
  return { kind: 'kernel', mode, why: `${mode.mode}: ${mode.why}` };
}

/** Whether a broadcast maps its operand to the leading or the trailing dims (the VPU broadcasts those). */
export function edgeBroadcast(instr: Extract<HloInstruction, { op: 'broadcast' }>): boolean {
  const map = instr.attrs.dimensions;
  const k = map.length;
  return map.every((d, i) => d === i) || map.every((d, i) => d === instr.shape.dims.length - k + i);
}

/** Whether an instruction's operands and result exceed what one kernel may hold. */
export function bigForKernel(instr: HloInstruction, shapeOf: (id: number) => Shape, budget: number): boolean {
  const values = instr.operands.reduce((acc, o) => acc + sizeOf(shapeOf(o).dims), sizeOf(instr.shape.dims));
  return values > Math.min(budget, 2 * CHUNK_VALUES);
}

/** Plans every instruction of `m`'s entry for `target` (see the module doc). */
export function planLowering(m: HloModule, target: KernelTarget): LoweringPlan {
  const c = m.entry;
  const byId = new Map(c.instructions.map((i) => [i.id, i]));
  const shapeOf = (id: number): Shape => byId.get(id)!.shape;
  const users = usersOf(c);
  const fills = new Set(c.instructions.flatMap((i) => (i.op === 'constant' && i.attrs.value.length === 1 ? [i.id] : [])));
  const decisions = new Map<number, Decision>();
  for (const instr of c.instructions) {
    decisions.set(instr.id, decide(instr));
  }
  return { decisions };

  function decide(instr: HloInstruction): Decision {
    switch (instr.op) {
      case 'parameter':
      case 'constant':
      case 'iota':
      case 'rng':
        return { kind: 'buffer', why: 'data in HBM before the run' };
      case 'reshape':
        return { kind: 'buffer', why: "shares its operand's buffer" };
      case 'transpose': {
        const us = users.get(instr.id) ?? [];
        if (us.length > 0 && !c.outputs.includes(instr.id) && us.every((u) => readsAsConvOperand(u, instr.id))) {
          return { kind: 'folded', why: `read through by ${us.map(instrName).join(', ')}: never written` };
        }
        const perm = instr.attrs.permutation;
        return { kind: 'dma', why: perm[perm.length - 1] === perm.length - 1 ? 'strided copy (the minor dim stays)' : 'XLU transpose through vector memory, then a strided copy' };
      }
      case 'slice':
      case 'reverse':
      case 'pad':
      case 'concatenate':
        return { kind: 'dma', why: 'strided copies between HBM buffers' };
      case 'all-reduce':
        return { kind: 'collective', why: `ring all-reduce over ${instr.attrs.replicas} replicas on the interconnect` };
      case 'broadcast':
        if (bigForKernel(instr, shapeOf, target.budget) && !fills.has(instr.operands[0]!) && !edgeBroadcast(instr)) return { kind: 'dma', why: 'a broadcast to inner dims: DMA straight from the operand' };
        return kernelDecision([instr], instr.operands, shapeOf, instr.id, target, fills);
      case 'dot': {
        const [l, r] = instr.operands.map(shapeOf) as [Shape, Shape];
        if (bigForKernel(instr, shapeOf, target.budget) && instr.operands.every((o) => !fills.has(o)) && tileable(instr, l, r)) {
          const tiles = tileSizes(dotPlan(l.dims, r.dims, instr.attrs), instr.attrs.precision, target.budget, target.core.mxu.rows);
          return { kind: 'tiled-dot', tiles, why: `too big for one kernel: tiles of ${tiles.mb} x ${tiles.nb}, contraction ${tiles.kt} per matmul` };
        }
        return kernelDecision([instr], instr.operands, shapeOf, instr.id, target, fills);
      }
      case 'convolution': {
        const plan = convPlanOf({ body: [instr], shapeOf, target });
        return { kind: 'conv', plan, why: `${plan.kind}: ${plan.why}` };
      }
      case 'fusion': {
        const fc = instr.attrs.computation;
        const inner = new Map(fc.instructions.map((i) => [i.id, i]));
        const body = fc.instructions.filter((i) => i.op !== 'parameter');
        const innerShape = (id: number): Shape => inner.get(id)!.shape;
        if (body.some((i) => i.op === 'select-and-scatter')) return { kind: 'pool', why: `select-and-scatter with ${body.length - 1} fused op(s) applied to each scattered block before it is stored` };
        if (body.some((i) => i.op === 'convolution')) {
          const plan = convPlanOf({ body, shapeOf: innerShape, target });
          return { kind: 'conv', plan, why: `${plan.kind}, ${body.length - 1} fused op(s) after it: ${plan.why}` };
        }
        const params = fc.instructions.filter((i) => i.op === 'parameter');
        const innerFills = new Set(params.flatMap((p) => (p.op === 'parameter' && fills.has(instr.operands[p.attrs.index]!) ? [p.id] : [])));
        return kernelDecision(body, params.map((p) => p.id), innerShape, fc.outputs[0]!, target, innerFills);
      }
      case 'reduce': {
        const x = shapeOf(instr.operands[0]!);
        if (instr.attrs.dimensions.length === 0) return { kind: 'reduce', mode: 'whole', why: 'nothing to reduce: a copy' };
        const p = reducePlan(x.dims, instr.attrs.dimensions);
        const n = sizeOf(x.dims);
        const chunk = Math.max(1, Math.min(CHUNK_VALUES, Math.floor(target.budget / 8)));
        if (p.axis === 0 && n > chunk && p.rows > target.core.vpu.sublanes) return { kind: 'reduce', mode: 'folds', why: `[${p.rows}, ${p.cols}] over rows: row blocks folded into sublane accumulators` };
        if (p.axis === 'all' || n <= chunk) return { kind: 'reduce', mode: 'whole', why: `[${p.rows}, ${p.cols}] in one VPU reduction` };
        return { kind: 'reduce', mode: 'blocks', why: `[${p.rows}, ${p.cols}] over columns, in blocks of rows` };
      }
      case 'reduce-window':
      case 'select-and-scatter':
        return { kind: 'pool', why: 'blocks of output positions, one strided load per window position' };
      default:
        return kernelDecision([instr], instr.operands, shapeOf, instr.id, target, fills);
    }
  }
}

/** The entry as HLO text with each instruction's decision after it (`# lower: kind: why`). */
export function printPlan(m: HloModule, plan: LoweringPlan): string {
  const byId = new Map(m.entry.instructions.map((i) => [i.id, i]));
  const lines = [`lowering plan of %${m.entry.name}`];
  for (const instr of m.entry.instructions) {
    const d = plan.decisions.get(instr.id);
    lines.push(`  ${printInstruction(instr, byId, m.tile)}`);
    if (d && d.kind !== 'buffer') lines.push(`      # lower: ${d.kind}: ${d.why}`);
  }
  return lines.join('\n');
}
