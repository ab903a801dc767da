/**
 * @module xla/lower-kernel
 * Kernels: the part of the lowering that computes. A kernel loads its operands from HBM
 * into vector memory (a fill constant becomes a scalar operand instead: no load), runs a
 * body of elementwise ops, broadcasts, reshapes and at most one dot on the VPU and MXU, and
 * stores only the root back to HBM. A fused computation is one kernel, so its
 * intermediates never travel to memory; an unfused elementwise op is a kernel of one op.
 *
 * Imports ./lower-emit, ./ops (plans, VPU op names), ./hlo. Numerics: every VPU op is the
 * same function the reference interpreter calls, every matmul the same MXU numerics, in
 * the same order, so results are bit-identical to ../evaluate.ts.
 */
import type { HloInstruction, Shape } from './hlo.ts';
import { Emitter, LoweringError } from './lower-emit.ts';
import { VPU_BINARY, VPU_COMPARE, VPU_UNARY } from './ops/elementwise.ts';
import { dotPlan } from './ops/linalg.ts';
import { sizeOf, stridesOf } from './ops/index.ts';
import type { TensorCoreConfig } from '../tpu/config.ts';
import { chunkShape, planChunks, type ChunkPlan } from './lower-chunk.ts';
import { streamDot, streamable } from './lower-stream.ts';
import { instrName } from './print.ts';

/** A value inside a kernel: a vector-memory buffer, or a scalar from the scalar unit. */
export type KVal = { readonly buf: string } | { readonly scalar: number };

const isIdentity = (p: readonly number[]): boolean => p.every((v, i) => v === i);

/** A buffer holding the value (a scalar is materialised from a constant fill). */
export function materialize(e: Emitter, v: KVal, n: number): string {
  if ('buf' in v) return v.buf;
  const c = e.fill(v.scalar, n);
  const b = e.acquire(n);
  e.copyAll(c, b);
  return b;
}

const operand = (v: KVal): string | number => ('buf' in v ? v.buf : v.scalar);

function roundIfBf16(e: Emitter, out: string, shape: Shape): string {
  if (shape.dtype !== 'bf16') return out;
  const r = e.acquire(sizeOf(shape.dims));
  e.emit({ kind: 'vpu-unary', op: 'round-bf16', x: out, out: r });
  return r;
}

function broadcastOp(e: Emitter, instr: Extract<HloInstruction, { op: 'broadcast' }>, x: KVal, from: readonly number[]): KVal {
  if ('scalar' in x) return x;
  const dims = instr.shape.dims;
  const map = instr.attrs.dimensions;
  const n = sizeOf(dims);
  const k = map.length;
  const out = e.acquire(n);
  if (map.every((d, i) => d === dims.length - k + i)) {
    const rows = sizeOf(dims.slice(0, dims.length - k));
    if (rows === 1) return x;
    e.emit({ kind: 'vpu-broadcast', x: x.buf, out, rows });
  } else if (map.every((d, i) => d === i)) {
    e.emit({ kind: 'vpu-broadcast-col', x: x.buf, out, cols: sizeOf(dims.slice(k)) });
  } else if (map.every((d, i) => i === 0 || d > map[i - 1]!)) {
    const s = stridesOf(from);
    const src = dims.map(() => 0);
    map.forEach((d, i) => (src[d] = s[i]!));
    e.copy(x.buf, out, dims, src, 0, stridesOf(dims), 0);
  } else throw new LoweringError(`${instrName(instr)} broadcast: dimensions {${map.join(',')}} must be increasing`);
  return { buf: out };
}

function dotOp(e: Emitter, instr: Extract<HloInstruction, { op: 'dot' }>, l: KVal, r: KVal, ls: Shape, rs: Shape): KVal {
  const p = dotPlan(ls.dims, rs.dims, instr.attrs);
  const arrange = (v: KVal, s: Shape, perm: readonly number[]): string => {
    const buf = materialize(e, v, sizeOf(s.dims));
    if (isIdentity(perm)) return buf;
    const t = e.acquire(sizeOf(s.dims));
    e.transpose(buf, s.dims, perm, t);
    return t;
  };
  const a = arrange(l, ls, p.lhsPerm);
  const b = arrange(r, rs, p.rhsPerm);
  const out = e.acquire(p.batch * p.m * p.n);
  const precision = instr.attrs.precision;
  if (p.batch === 1) {
    e.emit({ kind: 'matmul', a, b, out, shape: { m: p.m, k: p.k, n: p.n }, precision });
    return { buf: out };
  }
  const [ta, tb, tc] = [e.acquire(p.m * p.k), e.acquire(p.k * p.n), e.acquire(p.m * p.n)];
  for (let i = 0; i < p.batch; i++) {
    e.emit({ kind: 'dma', src: a, dst: ta, srcOffset: i * p.m * p.k, values: p.m * p.k });
    e.emit({ kind: 'dma', src: b, dst: tb, srcOffset: i * p.k * p.n, values: p.k * p.n });
    e.emit({ kind: 'matmul', a: ta, b: tb, out: tc, shape: { m: p.m, k: p.k, n: p.n }, precision });
    e.emit({ kind: 'dma', src: tc, dst: out, dstOffset: i * p.m * p.n, values: p.m * p.n });
  }
  return { buf: out };
}

/** One body instruction on vector memory. `get` gives operand values, `shapeOf` their shapes. */
export function bodyOp(e: Emitter, instr: HloInstruction, get: (id: number) => KVal, shapeOf: (id: number) => Shape): KVal {
  const ins = instr.operands.map(get);
  const n = sizeOf(instr.shape.dims);
  const arr = (k: number): string => materialize(e, ins[k]!, sizeOf(shapeOf(instr.operands[k]!).dims));
  const fresh = (): string => e.acquire(n);
  switch (instr.op) {
    case 'add':
    case 'subtract':
    case 'multiply':
    case 'divide':
    case 'maximum':
    case 'minimum': {
      const out = fresh();
      const a = 'buf' in ins[0]! || 'buf' in ins[1]! ? operand(ins[0]!) : arr(0);
      e.emit({ kind: 'vpu-binary', op: VPU_BINARY[instr.op], a, b: operand(ins[1]!), out });
      return { buf: roundIfBf16(e, out, instr.shape) };
    }
    case 'negate':
    case 'exp':
    case 'log':
    case 'sqrt':
    case 'rsqrt':
    case 'tanh': {
      const out = fresh();
      e.emit({ kind: 'vpu-unary', op: VPU_UNARY[instr.op], x: arr(0), out });
      return { buf: roundIfBf16(e, out, instr.shape) };
    }
    case 'compare': {
      const out = fresh();
      const a = 'buf' in ins[0]! || 'buf' in ins[1]! ? operand(ins[0]!) : arr(0);
      e.emit({ kind: 'vpu-compare', op: VPU_COMPARE[instr.attrs.direction], a, b: operand(ins[1]!), out });
      return { buf: out };
    }
    case 'select': {
      const out = fresh();
      const a = 'buf' in ins[1]! || 'buf' in ins[2]! ? operand(ins[1]!) : arr(1);
      e.emit({ kind: 'vpu-select', mask: arr(0), a, b: operand(ins[2]!), out });
      return { buf: out };
    }
    case 'convert': {
      const to = instr.attrs.dtype;
      if (to === 'f32' || shapeOf(instr.operands[0]!).dtype === to) return ins[0]!;
      const out = fresh();
      if (to === 'bf16') e.emit({ kind: 'vpu-unary', op: 'round-bf16', x: arr(0), out });
      else if (to === 'pred') e.emit({ kind: 'vpu-compare', op: 'ne', a: arr(0), b: 0, out });
      else throw new LoweringError(`${instrName(instr)}: convert to s32 has no VPU instruction`);
      return { buf: out };
    }
    case 'reshape':
      return ins[0]!;
    case 'broadcast':
      return broadcastOp(e, instr, ins[0]!, shapeOf(instr.operands[0]!).dims);
    case 'dot':
      return dotOp(e, instr, ins[0]!, ins[1]!, shapeOf(instr.operands[0]!), shapeOf(instr.operands[1]!));
    case 'constant':
      if (instr.attrs.value.length === 1) return { scalar: instr.attrs.value[0]! };
      return { buf: materialize(e, { buf: e.constant(`c${e.buffers.length}`, Float32Array.from(instr.attrs.value)) }, n) };
    default:
      throw new LoweringError(`${instrName(instr)}: ${instr.op} cannot run inside a kernel`);
  }
}

/** What a kernel is lowered for: its vector-memory budget (values) and the core. */
export interface KernelTarget {
  readonly budget: number;
  readonly core: TensorCoreConfig;
}

/** Root elements per chunk of a chunked kernel (a power of two: 64 KiB of f32). */
export const CHUNK_VALUES = 2 ** 14;

/** Root elements per chunk of a chunked elementwise kernel (128 KiB of f32). */
export const ELEMENTWISE_CHUNK_VALUES = 2 ** 15;

/** Vector-memory values one kernel may hold at once before it is chunked: a 16th of the core's vector memory (1 MiB on a TPU v2). */
export const kernelBudgetValues = (core: TensorCoreConfig): number => Math.max(64, Math.floor(core.vmemBytes / 16 / 4));

/**
 * Lowers a kernel: `inputs` are the HBM buffers (or scalars) of the body's free operands,
 * `body` runs in order, the value of `root` is stored to `dst` in HBM. A kernel whose values
 * exceed the budget runs in chunks (./lower-chunk.ts) when its body allows it.
 */
/** How a kernel runs: whole, chunk by chunk of its root, or with its big dots streamed; and why. */
export type KernelMode =
  | { readonly mode: 'whole'; readonly why: string }
  | { readonly mode: 'chunked'; readonly plan: ChunkPlan; readonly why: string }
  | { readonly mode: 'streamed'; readonly why: string };

/** Decides a kernel's mode from its values' sizes and the budget (`buffered`: the inputs that are buffers, not scalars). */
export function kernelMode(body: readonly HloInstruction[], buffered: readonly number[], shapeOf: (id: number) => Shape, root: number, budget: number): KernelMode {
  const working = buffered.reduce((acc, id) => acc + sizeOf(shapeOf(id).dims), 0) + body.reduce((acc, i) => acc + sizeOf(i.shape.dims), 0);
  const limit = Math.min(budget, 2 * CHUNK_VALUES);
  if (working <= limit) return { mode: 'whole', why: `${working} values fit in one go (limit ${limit})` };
  // a dot whose operands dwarf its result streams its contraction; else cut the root in chunks
  const bigDot = body.some((i) => i.op === 'dot' && sizeOf(i.shape.dims) <= CHUNK_VALUES && i.operands.reduce((acc, o) => acc + sizeOf(shapeOf(o).dims), 0) > Math.max(2 * CHUNK_VALUES, 4 * sizeOf(i.shape.dims)));
  if (bigDot) return { mode: 'streamed', why: `a dot's operands (${working} values with the rest) dwarf its result: its contraction streams fold by fold` };
  const plan = planChunks(body, root, shapeOf);
  if (plan) return { mode: 'chunked', plan, why: `${working} values exceed ${limit}: chunks of the root aligned to ${plan.alignment}` };
  return { mode: 'whole', why: `${working} values exceed ${limit}, but the body cannot be cut in chunks` };
}

export function kernel(e: Emitter, body: readonly HloInstruction[], inputs: ReadonlyMap<number, KVal>, shapes: ReadonlyMap<number, Shape>, root: number, dst: string, target: KernelTarget, decided?: KernelMode): void {
  const { budget } = target;
  const shapeOf = (id: number): Shape => shapes.get(id) ?? body.find((i) => i.id === id)!.shape;
  const mode = decided ?? kernelMode(body, [...inputs].flatMap(([id, v]) => ('buf' in v ? [id] : [])), shapeOf, root, budget);
  if (mode.mode === 'chunked') return chunkedKernel(e, { body, inputs, shapeOf, root, dst, plan: mode.plan, budget });
  const values = new Map<number, KVal>();
  const streamed = mode.mode === 'streamed' ? streamDots(e, body, inputs, shapeOf, values, target.core.mxu.rows) : new Set<number>();
  wholeKernel(e, { body, inputs, shapeOf, root, dst, values, skip: streamed });
}

/**
 * The body run once on whole values: inputs loaded into vector memory (but those in `skip`,
 * and those `values` already holds), every body op not yet in `values` computed in order,
 * the root stored to `dst`; then all scratch returns to the pool.
 */
export function wholeKernel(
  e: Emitter,
  k: { body: readonly HloInstruction[]; inputs: ReadonlyMap<number, KVal>; shapeOf: (id: number) => Shape; root: number; dst: string; values: Map<number, KVal>; skip?: ReadonlySet<number> },
): void {
  const { values, shapeOf } = k;
  for (const [id, v] of k.inputs) {
    if (k.skip?.has(id) || values.has(id)) continue;
    if ('scalar' in v) values.set(id, v);
    else {
      const b = e.acquire(sizeOf(shapeOf(id).dims));
      e.copyAll(v.buf, b);
      values.set(id, { buf: b });
    }
  }
  for (const instr of k.body) if (!values.has(instr.id)) values.set(instr.id, bodyOp(e, instr, (id) => values.get(id)!, shapeOf));
  const out = materialize(e, values.get(k.root)!, sizeOf(shapeOf(k.root).dims));
  e.copyAll(out, k.dst);
  // NOTE: every scratch buffer is returned to the pool; deps keep reuse race-free.
  e.releaseAll('vmem');
}

/**
 * Streams every dot whose two operands are kernel inputs used by nothing else (./lower-stream.ts),
 * storing its result in `values`; returns the inputs it consumed.
 */
function streamDots(e: Emitter, body: readonly HloInstruction[], inputs: ReadonlyMap<number, KVal>, shapeOf: (id: number) => Shape, values: Map<number, KVal>, rows: number): Set<number> {
  const consumed = new Set<number>();
  for (const instr of body) {
    if (instr.op !== 'dot') continue;
    const [l, r] = instr.operands as [number, number];
    const [lv, rv] = [inputs.get(l), inputs.get(r)];
    const usedElsewhere = body.some((i) => i !== instr && (i.operands.includes(l) || i.operands.includes(r)));
    if (!lv || !rv || !('buf' in lv) || !('buf' in rv) || l === r || usedElsewhere || !streamable(instr, shapeOf(l), shapeOf(r), rows)) continue;
    values.set(instr.id, { buf: streamDot(e, instr, { buf: lv.buf, shape: shapeOf(l) }, { buf: rv.buf, shape: shapeOf(r) }, rows) });
    consumed.add(l).add(r);
  }
  return consumed;
}

/** A kernel to run chunk by chunk of its root. */
export interface ChunkJob {
  readonly body: readonly HloInstruction[];
  readonly inputs: ReadonlyMap<number, KVal>;
  readonly shapeOf: (id: number) => Shape;
  readonly root: number;
  readonly dst: string;
  readonly plan: ChunkPlan;
  readonly budget: number;
  /** Chunk starts and length (root elements) fixed by the caller; default: chosen from the budget. */
  readonly layout?: { readonly starts: readonly number[]; readonly len: number };
  /** Chunked values computed per chunk instead of loaded: (start, length in root elements) -> vector-memory buffer. */
  readonly produce?: ReadonlyMap<number, (start: number, len: number) => string>;
  /** Vector-memory buffers the producers read in every chunk (kept until the kernel ends). */
  readonly resident?: readonly string[];
}

/** The instruction as it runs on a chunk of `len` of the root's `n` elements, with its operands' chunk shapes. */
function forChunk(instr: HloInstruction, job: ChunkJob, len: number, n: number): { instr: HloInstruction; shapeOf: (id: number) => Shape } {
  const full = job.shapeOf;
  const chunked = (id: number): Shape => (job.plan.mode.get(id) === 'whole' ? full(id) : chunkShape(full(id), len, n));
  const cnt = (sizeOf(instr.shape.dims) * len) / n;
  const dtype = instr.shape.dtype;
  if (instr.op === 'broadcast') {
    const s = sizeOf(full(instr.operands[0]!).dims);
    const trailing = job.plan.mode.get(instr.operands[0]!) === 'whole';
    const dims = trailing ? [cnt / s, s] : [(cnt * s) / sizeOf(instr.shape.dims), sizeOf(instr.shape.dims) / s];
    const op = { ...instr, shape: { dims, dtype }, attrs: { dims, dimensions: [trailing ? 1 : 0] } };
    return { instr: op, shapeOf: (id) => (trailing ? { dims: [s], dtype: full(id).dtype } : chunked(id)) };
  }
  if (instr.op === 'dot') {
    const p = dotPlan(full(instr.operands[0]!).dims, full(instr.operands[1]!).dims, instr.attrs);
    const rows = cnt / p.n;
    const op = { ...instr, shape: { dims: [rows, p.n], dtype }, attrs: { ...instr.attrs, lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] } };
    return { instr: op, shapeOf: (id) => ({ dims: id === instr.operands[0] ? [rows, p.k] : [p.k, p.n], dtype: full(id).dtype }) };
  }
  return { instr: { ...instr, shape: { dims: [cnt], dtype } } as HloInstruction, shapeOf: chunked };
}

/** A kernel computed range by range of its root (see ./lower-chunk.ts). */
export function chunkedKernel(e: Emitter, job: ChunkJob): void {
  const { plan, shapeOf, root } = job;
  const n = sizeOf(shapeOf(root).dims);
  const whole = new Map<number, KVal>();
  const keep = new Set<string>(job.resident ?? []);
  let wholeValues = 0;
  let perRoot = 0;
  for (const [id, v] of job.inputs) {
    if ('scalar' in v) whole.set(id, v);
    else if (plan.mode.get(id) === 'whole') {
      const b = e.acquire(sizeOf(shapeOf(id).dims));
      e.copyAll(v.buf, b);
      whole.set(id, { buf: b });
      keep.add(b);
      wholeValues += sizeOf(shapeOf(id).dims);
    } else perRoot += sizeOf(shapeOf(id).dims) / n;
  }
  for (const id of job.produce?.keys() ?? []) perRoot += sizeOf(shapeOf(id).dims) / n;
  for (const instr of job.body) {
    if (plan.mode.get(instr.id) !== 'whole') {
      perRoot += sizeOf(instr.shape.dims) / n;
      continue;
    }
    const v = bodyOp(e, instr, (id) => whole.get(id)!, shapeOf);
    whole.set(instr.id, v);
    if ('buf' in v) keep.add(v.buf);
    wholeValues += sizeOf(instr.shape.dims);
  }
  const g = plan.alignment;
  // One chunk length for every kernel (a power of two when the alignment allows), so
  // kernels share their scratch buffers; the budget only caps it.
  const cap = Math.max(1, Math.floor((job.budget - wholeValues) / Math.max(perRoot, 1e-9)));
  // a kernel whose chunked values all have the root's size (elementwise ops) runs in longer
  // chunks: its buffers all have the chunk's size, so one pool size serves every such kernel
  const uniform = [...plan.mode].every(([id, m]) => m === 'whole' || sizeOf(shapeOf(id).dims) === n);
  const want = uniform ? 2 ** Math.floor(Math.log2(Math.max(1, Math.min(ELEMENTWISE_CHUNK_VALUES, cap)))) : Math.min(CHUNK_VALUES, cap);
  const len = job.layout?.len ?? g * Math.max(1, Math.floor(want / g));
  // NOTE: the last chunk overlaps the one before (recomputing identical values) so that it
  // has the same length: no odd-sized buffers.
  const starts: number[] = [];
  if (job.layout) starts.push(...job.layout.starts);
  else for (let a = 0; a < n; a += len) starts.push(a + len > n && n >= len && (n - len) % g === 0 ? n - len : a);
  for (const a of starts) {
    const l = Math.min(len, n - a);
    const values = new Map(whole);
    for (const [id, make] of job.produce ?? []) values.set(id, { buf: make(a, l) });
    for (const [id, v] of job.inputs) {
      if (values.has(id) || 'scalar' in v) continue;
      const size = sizeOf(shapeOf(id).dims);
      const b = e.acquire((size * l) / n);
      e.emit({ kind: 'dma', src: v.buf, dst: b, srcOffset: (size * a) / n, values: (size * l) / n });
      values.set(id, { buf: b });
    }
    for (const instr of job.body) {
      if (plan.mode.get(instr.id) !== 'chunked') continue;
      const c = forChunk(instr, job, l, n);
      values.set(instr.id, bodyOp(e, c.instr, (id) => values.get(id)!, c.shapeOf));
    }
    const out = materialize(e, values.get(root)!, l);
    e.emit({ kind: 'dma', src: out, dst: job.dst, dstOffset: a, values: l });
    e.releaseAll('vmem', keep);
  }
  e.release(...keep);
}
