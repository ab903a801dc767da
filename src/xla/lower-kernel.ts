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
import { instrName } from './print.ts';

/** A value inside a kernel: a vector-memory buffer, or a scalar from the scalar unit. */
export type KVal = { readonly buf: string } | { readonly scalar: number };

const isIdentity = (p: readonly number[]): boolean => p.every((v, i) => v === i);

/** A buffer holding the value (a scalar is materialised from a constant fill). */
export function materialize(e: Emitter, v: KVal, n: number): string {
  if ('buf' in v) return v.buf;
  const c = e.constant(`fill${e.buffers.length}_${n}`, new Float32Array(n).fill(v.scalar));
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

/**
 * Lowers a kernel: `inputs` are the HBM buffers (or scalars) of the body's free operands,
 * `body` runs in order, the value of `root` is stored to `dst` in HBM.
 */
export function kernel(e: Emitter, body: readonly HloInstruction[], inputs: ReadonlyMap<number, KVal>, shapes: ReadonlyMap<number, Shape>, root: number, dst: string): void {
  const values = new Map<number, KVal>();
  const loaded: string[] = [];
  for (const [id, v] of inputs) {
    if ('scalar' in v) values.set(id, v);
    else {
      const b = e.acquire(sizeOf(shapes.get(id)!.dims));
      e.copyAll(v.buf, b);
      loaded.push(b);
      values.set(id, { buf: b });
    }
  }
  const shapeOf = (id: number): Shape => shapes.get(id) ?? body.find((i) => i.id === id)!.shape;
  for (const instr of body) values.set(instr.id, bodyOp(e, instr, (id) => values.get(id)!, shapeOf));
  const out = materialize(e, values.get(root)!, sizeOf(shapeOf(root).dims));
  e.copyAll(out, dst);
  // NOTE: every scratch buffer is returned to the pool; deps keep reuse race-free.
  e.release(...loaded, ...e.buffers.filter((b) => b.memory === 'vmem').map((b) => b.name));
}
