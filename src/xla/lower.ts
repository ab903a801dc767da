/**
 * @module xla/lower
 * Lowering: a compiled HloModule becomes a TensorCore program (tpu/program.ts) whose
 * results are bit-identical to the reference interpreter, and whose cycles come from the
 * device's models (MXU closed form via the core's engine, VPU per-vreg costs, DMA
 * bandwidth and latency). ./lowered-runner.ts loads it on a simulated TensorCore and runs it.
 *
 * Imports tpu (program types, config), ./lower-emit, ./lower-kernel,
 * ./lower-reduce, ./lower-dot, ./lower-conv (convolutions, fed to the MXU from vector
 * memory without an im2col buffer), ./lower-plan, ./ops, ./print.
 *
 * Memory model (XLA's on a TPU: activations in HBM, tiles streamed through vector memory):
 * every HLO value lives in an HBM buffer (a reshape aliases its operand) taken from a pool
 * of exact-size buffers and returned to it after the value's last use, so HBM holds the
 * live values, not every value of the step (parameters, outputs and constants are never
 * reused; single-value constants share one fill buffer per value and size). Kernels
 * (fusions, elementwise ops, dots, reductions, pooling) load operands into vector memory,
 * compute there, and store their result; data movement (slice, pad, concatenate,
 * transpose, reverse, broadcasts to inner dims) is DMA between HBM buffers, with an XLU
 * transpose when the minor dim moves. Constants, iota and rng (a pure function of its
 * seed) are compile-time data written to HBM before the run.
 * Vector memory (16 MiB) holds only scratch, a block at a time: a kernel too big for it
 * runs in fixed-size chunks of its root (./lower-chunk.ts), a big standalone dot in tiles
 * of its result with its contraction streamed fold by fold (./lower-dot.ts,
 * ./lower-stream.ts), reductions, pooling and its gradient in blocks of their output
 * (./lower-reduce.ts), transposes in tiles (./lower-emit.ts); every one of these keeps the
 * reference's bits. Scratch comes from the Emitter's exact-size pool, so the program
 * declares (and the core allocates) one buffer per size and overlap, not per use. If the
 * program still needs more vector memory than the core has, `lower` throws a
 * LoweringError naming the ops that need the most.
 */
import { accesses, type BufferDecl, type Program } from '../tpu/program.ts';
import type { HloInstruction, HloModule, Shape } from './hlo.ts';
import { tiledDot } from './lower-dot.ts';
import { Emitter, LoweringError } from './lower-emit.ts';
import { convKernel, type ConvPlan, type OperandView } from './lower-conv.ts';
import { planLowering, type Decision, type LoweringPlan } from './lower-plan.ts';
import { dst, lowerReduce, lowerReduceWindow, lowerSelectAndScatter, padded, type LowerContext } from './lower-reduce.ts';
import { kernel, kernelBudgetValues, type KernelMode, type KVal } from './lower-kernel.ts';
import { opRegistry, sizeOf, stridesOf, type OpDef } from './ops/index.ts';
import { instrName } from './print.ts';
import { DEFAULT_CORE_CONFIG, type TensorCoreConfig } from '../tpu/config.ts';

export { LoweringError };

/** A lowered module: the program and where its inputs, outputs and constants live. */
export interface LoweredModule {
  readonly program: Program;
  /** HBM buffer of parameter i. */
  readonly params: readonly string[];
  /** HBM buffer of each output. */
  readonly outputs: readonly string[];
  /** Data written to buffers before the run. */
  readonly initial: ReadonlyMap<string, Float32Array>;
  /** The HLO instruction name each program instruction belongs to. */
  readonly owners: readonly string[];
  /** What the program holds in each memory (bytes): the one memory plan, made by the lowering. */
  readonly memory: ProgramMemory;
}

/** Bytes a lowered program holds per core. */
export interface ProgramMemory {
  readonly hbm: { readonly total: number; readonly parameters: number; readonly variables: number; readonly constants: number; readonly scratch: number };
  readonly vmem: number;
}

/** Sums a program's storage (views are free) by memory and role. */
function memoryOf(buffers: readonly BufferDecl[], initial: ReadonlyMap<string, Float32Array>, params: readonly string[]): ProgramMemory {
  const bytes = (f: (b: BufferDecl) => boolean): number => buffers.filter((b) => b.of === undefined && f(b)).reduce((a, b) => a + 4 * b.values, 0);
  const hbm = (b: BufferDecl): boolean => b.memory === 'hbm';
  const isParam = new Set(params);
  const variables = bytes((b) => hbm(b) && b.variable === true);
  const parameters = bytes((b) => hbm(b) && !b.variable && isParam.has(b.name));
  const constants = bytes((b) => hbm(b) && initial.has(b.name));
  const total = bytes(hbm);
  return { hbm: { total, parameters, variables, constants, scratch: total - variables - parameters - constants }, vmem: bytes((b) => b.memory === 'vmem') };
}

type Lowerer = (e: Emitter, instr: HloInstruction, ctx: PlannedContext) => void;


/** Options of the lowering. */
export interface LowerOptions {
  /** The core the program will run on: array size (fold depth), vector memory, DMA costs. Default: TPU v2. */
  readonly core?: TensorCoreConfig;
  /** Values of vector memory one kernel may use before it runs in chunks. Default: 1/16 of the core's vector memory. */
  readonly kernelBudgetValues?: number;
  /**
   * Parameters that are device variables, by index: their buffer takes that name and stays
   * in the core's HBM from one program to the next (tpu/program.ts BufferDecl.variable).
   */
  readonly variables?: ReadonlyMap<number, string>;
  /** The plan to follow (./lower-plan.ts); default: planned here for this core and budget. */
  readonly plan?: LoweringPlan;
}

const kib = (bytes: number): string => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** Throws a LoweringError naming the HLO ops with the largest scratch when vector memory overflows. */
function checkVmem(e: Emitter, capacity: number): void {
  const buffers = e.buffers;
  const storage = buffers.filter((b) => b.memory === 'vmem' && b.of === undefined);
  const total = storage.reduce((a, b) => a + b.values * 4, 0);
  if (total <= capacity) return;
  const firstUse = new Map<string, string>();
  const of = new Map(buffers.map((b) => [b.name, b.of ?? b.name]));
  e.instructions.forEach((instr, i) => {
    for (const name of Object.values(instr)) if (typeof name === 'string' && of.has(name) && !firstUse.has(of.get(name)!)) firstUse.set(of.get(name)!, e.owners[i] ?? '?');
  });
  const byOwner = new Map<string, number>();
  for (const b of storage) byOwner.set(firstUse.get(b.name) ?? '?', (byOwner.get(firstUse.get(b.name) ?? '?') ?? 0) + b.values * 4);
  const top = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([o, bytes]) => `${o} (${kib(bytes)})`);
  throw new LoweringError(`the program needs ${kib(total)} of vector memory, the core has ${kib(capacity)}; largest: ${top.join(', ')} (use a smaller batch or image size)`);
}


/** Where a value lives in HBM, with its dims' strides (permuted for a transpose read through). */
function operandView(ctx: LowerContext, id: number): OperandView {
  const view = ctx.views.get(id);
  if (view) return view;
  return { buf: ctx.buf.get(id)!, strides: stridesOf(ctx.shapes.get(id)!.dims) };
}

/** Operand as a kernel input: a fill constant becomes a scalar. */
const input = (ctx: LowerContext, id: number): KVal => (ctx.fills.has(id) ? { scalar: ctx.fills.get(id)! } : { buf: ctx.buf.get(id)! });

function lowerKernelOp(e: Emitter, instr: HloInstruction, ctx: PlannedContext): void {
  const out = dst(e, instr, ctx);
  const decision = ctx.plan.decisions.get(instr.id)!;
  if (instr.op === 'fusion') {
    const c = instr.attrs.computation;
    const params = c.instructions.filter((i) => i.op === 'parameter');
    const outer = (p: HloInstruction): number => instr.operands[p.op === 'parameter' ? p.attrs.index : 0]!;
    const inputs = new Map(params.map((p) => [p.id, input(ctx, outer(p))]));
    const shapes = new Map(params.map((p) => [p.id, p.shape]));
    const body = c.instructions.filter((i) => i.op !== 'parameter');
    const sas = body.find((i): i is Extract<HloInstruction, { op: 'select-and-scatter' }> => i.op === 'select-and-scatter');
    if (sas) return lowerScatterFusion(e, instr, sas, out, ctx);
    if (body.some((i) => i.op === 'convolution')) {
      const outerOf = new Map(params.map((p) => [p.id, outer(p)]));
      const shapeOf = (id: number): Shape => shapes.get(id) ?? body.find((i) => i.id === id)!.shape;
      return convKernel(e, { body, inputs, hbm: (id) => operandView(ctx, outerOf.get(id)!), shapeOf, root: c.outputs[0]!, dst: out, target: ctx }, convPlan(decision));
    }
    kernel(e, body, inputs, shapes, c.outputs[0]!, out, ctx, kernelModeOf(decision));
    return;
  }
  if (instr.op === 'convolution') {
    const inputs = new Map(instr.operands.map((o) => [o, input(ctx, o)]));
    const shapeOf = (id: number): Shape => (id === instr.id ? instr.shape : ctx.shapes.get(id)!);
    return convKernel(e, { body: [instr], inputs, hbm: (id) => operandView(ctx, id), shapeOf, root: instr.id, dst: out, target: ctx }, convPlan(decision));
  }
  if (instr.op === 'dot' && decision.kind === 'tiled-dot') {
    const [l, r] = instr.operands.map((o) => ({ buf: ctx.buf.get(o)!, shape: ctx.shapes.get(o)! })) as [{ buf: string; shape: Shape }, { buf: string; shape: Shape }];
    return tiledDot(e, instr, l, r, out, { budget: ctx.budget, rows: ctx.core.mxu.rows });
  }
  if (instr.op === 'broadcast' && decision.kind === 'dma') {
    // a broadcast to inner dims (a pooling gradient): DMA straight from the operand, re-reading it per run
    const from = stridesOf(ctx.shapes.get(instr.operands[0]!)!.dims);
    const src = instr.shape.dims.map(() => 0);
    instr.attrs.dimensions.forEach((d, i) => (src[d] = from[i]!));
    return e.copy(ctx.buf.get(instr.operands[0]!)!, out, instr.shape.dims, src, 0, stridesOf(instr.shape.dims), 0);
  }
  const inputs = new Map(instr.operands.map((o) => [o, input(ctx, o)]));
  kernel(e, [instr], inputs, ctx.shapes, instr.id, out, ctx, kernelModeOf(decision));
}

/**
 * A fusion of a select-and-scatter and its elementwise epilogue: the epilogue rides on the
 * scattered blocks when its operands are of the result's shape or fills; else the S&S is
 * stored and the epilogue runs as its own kernel.
 */
function lowerScatterFusion(e: Emitter, f: Extract<HloInstruction, { op: 'fusion' }>, sas: Extract<HloInstruction, { op: 'select-and-scatter' }>, out: string, ctx: PlannedContext): void {
  const c = f.attrs.computation;
  const outer = new Map(c.instructions.flatMap((i) => (i.op === 'parameter' ? [[i.id, f.operands[i.attrs.index]!] as const] : [])));
  const body = c.instructions.filter((i) => i.op !== 'parameter' && i !== sas);
  const outerSas = { ...sas, operands: sas.operands.map((o) => outer.get(o)!) } as typeof sas;
  const same = (id: number): boolean => sizeOf(ctx.shapes.get(outer.get(id)!)?.dims ?? []) === sizeOf(sas.shape.dims);
  const params = [...outer.keys()].filter((p) => body.some((i) => i.operands.includes(p)));
  const rides = body.every((i) => i.op !== 'broadcast' && (i.op !== 'constant' || i.attrs.value.length === 1)) && params.every((p) => ctx.fills.has(outer.get(p)!) || same(p));
  if (rides) {
    const inputs = new Map(params.filter((p) => !ctx.fills.has(outer.get(p)!)).map((p) => [p, ctx.buf.get(outer.get(p)!)!] as const));
    const scalars = new Map(params.filter((p) => ctx.fills.has(outer.get(p)!)).map((p) => [p, ctx.fills.get(outer.get(p)!)!] as const));
    return lowerSelectAndScatter(e, outerSas, ctx, { body, root: c.outputs[0]!, sas: sas.id, inputs, scalars }, out);
  }
  const tmp = e.acquire(sizeOf(sas.shape.dims), 'hbm');
  lowerSelectAndScatter(e, outerSas, ctx, undefined, tmp);
  const inputs = new Map<number, KVal>([[sas.id, { buf: tmp }], ...params.map((p) => [p, input(ctx, outer.get(p)!)] as const)]);
  const shapes = new Map<number, Shape>([[sas.id, sas.shape], ...params.map((p) => [p, ctx.shapes.get(outer.get(p)!)!] as const)]);
  kernel(e, body, inputs, shapes, c.outputs[0]!, out, ctx);
  e.release(tmp);
}

/** A lowering context that carries the module's plan. */
type PlannedContext = LowerContext & { readonly plan: LoweringPlan; readonly variables?: ReadonlyMap<number, string> };

/** The kernel mode a decision fixed (undefined: the kernel decides, e.g. a body the plan did not see). */
const kernelModeOf = (d: Decision): KernelMode | undefined => (d.kind === 'kernel' ? d.mode : undefined);

/** The conv plan a decision fixed. */
const convPlan = (d: Decision): ConvPlan | undefined => (d.kind === 'conv' ? d.plan : undefined);






function lowerMove(e: Emitter, instr: HloInstruction, ctx: LowerContext): void {
  const x = ctx.buf.get(instr.operands[0]!)!;
  const xd = ctx.shapes.get(instr.operands[0]!)?.dims ?? [];
  const od = instr.shape.dims;
  switch (instr.op) {
    case 'transpose': {
      const perm = instr.attrs.permutation;
      if ((ctx as PlannedContext).plan.decisions.get(instr.id)?.kind === 'folded') {
        // read through by its convolutions: the operand's buffer with permuted strides, nothing written
        const from = operandView(ctx, instr.operands[0]!).strides;
        ctx.views.set(instr.id, { buf: x, strides: perm.map((p) => from[p]!) });
        ctx.buf.set(instr.id, x);
        return;
      }
      return e.transpose(x, xd, perm, dst(e, instr, ctx));
    }
    case 'slice': {
      const s = stridesOf(xd);
      const base = instr.attrs.start.reduce((acc, st, i) => acc + st * s[i]!, 0);
      return e.copy(x, dst(e, instr, ctx), od, s.map((v, i) => v * instr.attrs.strides[i]!), base, stridesOf(od), 0);
    }
    case 'reverse': {
      const s = stridesOf(xd);
      const rev = instr.attrs.dimensions;
      const base = rev.reduce((acc, d) => acc + (xd[d]! - 1) * s[d]!, 0);
      return e.copy(x, dst(e, instr, ctx), od, s.map((v, i) => (rev.includes(i) ? -v : v)), base, stridesOf(od), 0);
    }
    case 'pad': {
      const a = instr.attrs;
      const p = padded(e, x, xd, a.low, a.high, a.interior, a.value);
      if (p.buf === x) e.copyAll(x, dst(e, instr, ctx));
      else ctx.buf.set(instr.id, p.buf);
      return;
    }
    case 'concatenate': {
      const out = dst(e, instr, ctx);
      const os = stridesOf(od);
      let offset = 0;
      for (const o of instr.operands) {
        const d = ctx.shapes.get(o)!.dims;
        e.copy(ctx.buf.get(o)!, out, d, stridesOf(d), 0, os, offset * os[instr.attrs.dimension]!);
        offset += d[instr.attrs.dimension]!;
      }
      return;
    }
    case 'all-reduce': {
      const out = dst(e, instr, ctx); // an exact-size view: the collective reduces all of it
      e.copyAll(x, out);
      e.emit({ kind: 'all-reduce', buffer: out });
      return;
    }
    default:
      throw new LoweringError(`${instrName(instr)}: no lowering for ${instr.op}`);
  }
}

/** Compile-time data of a constant, iota or rng (pure functions of their attrs). */
function lowerConstant(e: Emitter, instr: HloInstruction, ctx: LowerContext): void {
  const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
  if (instr.op === 'constant' && instr.attrs.value.length === 1) {
    // a fill: one shared constant buffer per (value, size)
    ctx.fills.set(instr.id, instr.attrs.value[0]!);
    ctx.buf.set(instr.id, e.fill(instr.attrs.value[0]!, sizeOf(instr.shape.dims)));
    return;
  }
  const data = def.evaluate([], instr.attrs as never, instr.shape, { mxu: ctx.core.mxu, run: () => [] });
  ctx.buf.set(instr.id, e.constant(`v${instr.id}`, data));
}

const LOWERERS: { readonly [K in HloInstruction['op']]: Lowerer } = {
  parameter: (e, i, ctx) => {
    const index = i.op === 'parameter' ? i.attrs.index : 0;
    const variable = ctx.variables?.get(index);
    ctx.buf.set(i.id, e.declare(variable ?? `p${index}`, 'hbm', sizeOf(i.shape.dims), variable !== undefined));
  },
  constant: lowerConstant,
  iota: lowerConstant,
  rng: lowerConstant,
  reshape: (_e, i, ctx) => ctx.buf.set(i.id, ctx.buf.get(i.operands[0]!)!),
  add: lowerKernelOp,
  subtract: lowerKernelOp,
  multiply: lowerKernelOp,
  divide: lowerKernelOp,
  maximum: lowerKernelOp,
  minimum: lowerKernelOp,
  negate: lowerKernelOp,
  exp: lowerKernelOp,
  log: lowerKernelOp,
  sqrt: lowerKernelOp,
  rsqrt: lowerKernelOp,
  tanh: lowerKernelOp,
  compare: lowerKernelOp,
  select: lowerKernelOp,
  convert: lowerKernelOp,
  broadcast: lowerKernelOp,
  dot: lowerKernelOp,
  fusion: lowerKernelOp,
  transpose: lowerMove,
  reverse: lowerMove,
  slice: lowerMove,
  pad: lowerMove,
  concatenate: lowerMove,
  'all-reduce': lowerMove,
  reduce: (e, i, ctx) => lowerReduce(e, i as Extract<HloInstruction, { op: 'reduce' }>, ctx),
  'reduce-window': (e, i, ctx) => lowerReduceWindow(e, i as Extract<HloInstruction, { op: 'reduce-window' }>, ctx),
  'select-and-scatter': (e, i, ctx) => lowerSelectAndScatter(e, i as Extract<HloInstruction, { op: 'select-and-scatter' }>, ctx),
  convolution: lowerKernelOp,
};

/** Index of the last instruction reading each value; outputs live to the end (Infinity). */
function lastUses(m: HloModule): Map<number, number> {
  const last = new Map<number, number>();
  m.entry.instructions.forEach((instr, i) => instr.operands.forEach((o) => last.set(o, i)));
  for (const o of m.entry.outputs) last.set(o, Infinity);
  return last;
}

/** Lowers a module's entry to a TensorCore program for `options.core`. */
export function lower(module: HloModule, options: LowerOptions = {}): LoweredModule {
  const core = options.core ?? DEFAULT_CORE_CONFIG;
  const budget = options.kernelBudgetValues ?? kernelBudgetValues(core);
  const e = new Emitter(core, budget);
  const plan = options.plan ?? planLowering(module, { budget, core });
  const ctx: PlannedContext = {
    buf: new Map(),
    shapes: new Map(module.entry.instructions.map((i) => [i.id, i.shape])),
    fills: new Map(),
    views: new Map(),
    budget,
    core,
    plan,
    ...(options.variables ? { variables: options.variables } : {}),
  };
  const params: string[] = [];
  const last = lastUses(module);
  const refs = new Map<string, number>();
  module.entry.instructions.forEach((instr, i) => {
    e.owner = `${instrName(instr)} ${instr.op}${instr.metadata?.source !== undefined ? ` ${instr.metadata.source}` : ''}`;
    LOWERERS[instr.op](e, instr, ctx);
    if (instr.op === 'parameter') params[instr.attrs.index] = ctx.buf.get(instr.id)!;
    const own = ctx.buf.get(instr.id)!;
    refs.set(own, (refs.get(own) ?? 0) + 1);
    // a value's HBM buffer goes back to the pool after its last use (a reshape shares its operand's)
    for (const v of [...new Set(instr.operands), instr.id].filter((o) => (last.get(o) ?? i) === i)) {
      const b = ctx.buf.get(v)!;
      refs.set(b, refs.get(b)! - 1);
      if (refs.get(b) === 0) e.release(b);
    }
  });
  // an aliased output ends in its parameter's buffer (the last instructions: every read of the old value comes first)
  e.owner = 'input_output_alias';
  const outputs = module.entry.outputs.map((o) => ctx.buf.get(o)!);
  for (const a of module.aliases ?? []) {
    const into = params[a.param]!;
    if (outputs[a.output] !== into) e.copyAll(outputs[a.output]!, into);
    outputs[a.output] = into;
  }
  checkVmem(e, core.vmemBytes);
  // constants no instruction reads (fills that kernels use as scalars) are not loaded at all
  const used = new Set([...params, ...outputs, ...e.instructions.flatMap((i) => [...accesses(i).reads, ...accesses(i).writes])]);
  const buffers = e.buffers;
  const storage = new Set(buffers.flatMap((b) => (b.of !== undefined && used.has(b.name) ? [b.of] : [])));
  const kept = buffers.filter((b) => used.has(b.name) || storage.has(b.name));
  const initial = new Map([...e.initial].filter(([name]) => used.has(name)));
  return { program: { buffers: kept, instructions: e.instructions }, params, outputs, initial, owners: e.owners, memory: memoryOf(kept, initial, params) };
}
