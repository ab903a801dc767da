/**
 * @module xla/lower-reduce
 * Lowering of reductions and pooling, which do not fit the kernel mould: reduce (the VPU's
 * reduction on the documented 2-D view, in blocks of rows or columns when the array is
 * large: every row of an axis-1 reduction and every column of an axis-0 one is reduced on
 * its own, so blocking keeps every bit), reduce-window (one strided load per window
 * position folded with VPU ops in the reference's row-major order) and select-and-scatter
 * (first maximum per window, non-overlapping windows), both a group of batch elements at a
 * time. Blocks have one fixed size; the last one overlaps its neighbour and recomputes
 * identical values.
 *
 * Imports ./lower-emit, ./ops (plans, sizes), vpu/reduce (identities), ./hlo, ./print.
 */
import { REDUCE_IDENTITY } from '../vpu/reduce.ts';
import type { HloInstruction, Shape } from './hlo.ts';
import { Emitter, LoweringError } from './lower-emit.ts';
import { CHUNK_VALUES, materialize } from './lower-kernel.ts';
import { reducePlan } from './ops/reduce.ts';
import { sizeOf, stridesOf } from './ops/index.ts';
import { instrName } from './print.ts';

/** Where the lowering keeps HLO values. */
export interface LowerContext {
  readonly buf: Map<number, string>;
  readonly shapes: Map<number, Shape>;
  readonly fills: Map<number, number>;
  /** Vector-memory values a kernel may hold before it is chunked. */
  readonly budget: number;
}

/** Declares the HBM buffer of an instruction's value. */
export const dst = (e: Emitter, instr: HloInstruction, ctx: LowerContext): string => {
  const name = e.declare(`v${instr.id}`, 'hbm', sizeOf(instr.shape.dims));
  ctx.buf.set(instr.id, name);
  return name;
};

/** Block starts of `block` items out of `n`, the last one moved back to end at n. */
export function blockStarts(n: number, block: number): number[] {
  const starts: number[] = [];
  for (let a = 0; a < n; a += block) starts.push(Math.min(a, n - block));
  return starts;
}

/** A reduce: blocks of rows (axis 1) or columns (axis 0) through vector memory. */
export function lowerReduce(e: Emitter, instr: Extract<HloInstruction, { op: 'reduce' }>, ctx: LowerContext): void {
  const out = dst(e, instr, ctx);
  const xs = ctx.shapes.get(instr.operands[0]!)!;
  const n = sizeOf(xs.dims);
  let src = ctx.buf.get(instr.operands[0]!)!;
  if (instr.attrs.dimensions.length === 0) return e.copyAll(src, out);
  const plan = reducePlan(xs.dims, instr.attrs.dimensions);
  if (plan.axis === 1 && plan.permutation.some((p, i) => p !== i)) {
    const t = e.declare(`v${instr.id}_t`, 'hbm', n);
    e.transpose(src, xs.dims, plan.permutation, t);
    src = t;
  }
  const { rows, cols, axis } = plan;
  const op = instr.attrs.kind;
  if (axis === 'all' || n <= CHUNK_VALUES) {
    const [x, r] = [e.acquire(n), e.acquire(sizeOf(instr.shape.dims))];
    e.copyAll(src, x);
    e.emit({ kind: 'vpu-reduce', op, x, out: r, rows, cols, axis });
    e.copyAll(r, out);
    return e.release(x, r);
  }
  const [len, size] = axis === 1 ? [rows, cols] : [cols, rows];
  const block = Math.min(len, Math.max(1, Math.floor(CHUNK_VALUES / size)));
  for (const a of blockStarts(len, block)) {
    const [x, r] = [e.acquire(block * size), e.acquire(block)];
    if (axis === 1) e.emit({ kind: 'dma', src, dst: x, srcOffset: a * cols, values: block * cols });
    else e.emit({ kind: 'dma', src, dst: x, srcOffset: a, values: block, rows, srcStride: cols, dstStride: block });
    e.emit({ kind: 'vpu-reduce', op, x, out: r, rows: axis === 1 ? block : rows, cols: axis === 1 ? cols : block, axis });
    e.emit({ kind: 'dma', src: r, dst: out, dstOffset: a, values: block });
    e.release(x, r);
  }
}

/** HBM buffer of x padded with `value` (low/high/interior per dim); x itself when no padding. */
export function padded(e: Emitter, x: string, dims: readonly number[], low: readonly number[], high: readonly number[], interior: readonly number[], value: number, name: string): { buf: string; dims: number[] } {
  const out = dims.map((d, i) => low[i]! + high[i]! + d + Math.max(0, d - 1) * interior[i]!);
  if ([...low, ...high, ...interior].every((v) => v === 0)) return { buf: x, dims: [...dims] };
  const n = sizeOf(out);
  const fill = e.constant(`${name}_fill`, new Float32Array(n).fill(value));
  const buf = e.declare(name, 'hbm', n);
  e.copyAll(fill, buf);
  const os = stridesOf(out);
  e.copy(x, buf, dims, stridesOf(dims), 0, os.map((s, i) => s * (interior[i]! + 1)), low.reduce((a, l, i) => a + l * os[i]!, 0));
  return { buf, dims: out };
}

/** Offsets of every window position (row-major window order) into a buffer of `dims`. */
function windowOffsets(window: readonly number[], dims: readonly number[]): number[] {
  const s = stridesOf(dims);
  const ws = stridesOf(window);
  return Array.from({ length: sizeOf(window) }, (_, w) => window.reduce((acc, size, d) => acc + (Math.floor(w / ws[d]!) % size) * s[d]!, 0));
}

/** Batch elements per group of a pooling whose window does not cross dim 0 (else all). */
function batchGroup(window: readonly number[], strides: readonly number[], padding: readonly (readonly [number, number])[], perElement: number, batch: number): number {
  if (window[0] !== 1 || strides[0] !== 1 || padding[0]![0] !== 0 || padding[0]![1] !== 0) return batch;
  return Math.min(batch, Math.max(1, Math.floor(CHUNK_VALUES / perElement)));
}

/** A reduce-window, a group of batch elements at a time. */
export function lowerReduceWindow(e: Emitter, instr: Extract<HloInstruction, { op: 'reduce-window' }>, ctx: LowerContext): void {
  const out = dst(e, instr, ctx);
  const a = instr.attrs;
  const xs = ctx.shapes.get(instr.operands[0]!)!.dims;
  const id = REDUCE_IDENTITY[a.kind];
  const p = padded(e, ctx.buf.get(instr.operands[0]!)!, xs, a.padding.map((q) => q[0]), a.padding.map((q) => q[1]), xs.map(() => 0), id, `v${instr.id}_pad`);
  const od = instr.shape.dims;
  const ps = stridesOf(p.dims);
  const os = stridesOf(od);
  const op = a.kind === 'sum' ? 'add' : 'max';
  const B = od[0] ?? 1;
  const group = od.length === 0 ? 1 : batchGroup(a.window, a.strides, a.padding, os[0]!, B);
  const gd = od.length === 0 ? [] : [group, ...od.slice(1)];
  const n = sizeOf(gd);
  for (const b0 of blockStarts(B, group)) {
    let acc: string | null = null;
    for (const off of windowOffsets(a.window, p.dims)) {
      const s = e.acquire(n);
      e.copy(p.buf, s, gd, ps.map((v, i) => v * a.strides[i]!), off + b0 * (ps[0] ?? 0), stridesOf(gd), 0);
      const next = e.acquire(n);
      e.emit({ kind: 'vpu-binary', op, a: acc ?? s, b: acc ? s : id, out: next });
      e.release(s, ...(acc ? [acc] : []));
      acc = next;
    }
    e.emit({ kind: 'dma', src: acc!, dst: out, dstOffset: b0 * (os[0] ?? 0), values: n });
    e.release(acc!);
  }
}

/** A select-and-scatter (non-overlapping windows), a group of batch elements at a time. */
export function lowerSelectAndScatter(e: Emitter, instr: Extract<HloInstruction, { op: 'select-and-scatter' }>, ctx: LowerContext): void {
  const a = instr.attrs;
  if (a.window.some((w, i) => w !== a.strides[i]) || a.padding.some(([lo, hi]) => lo !== 0 || hi !== 0)) {
    throw new LoweringError(`${instrName(instr)}: select-and-scatter is lowered for non-overlapping windows without padding only`);
  }
  const out = dst(e, instr, ctx);
  const xd = instr.shape.dims;
  const [x, source] = instr.operands.map((o) => ctx.buf.get(o)!) as [string, string];
  const sd = ctx.shapes.get(instr.operands[1]!)!.dims;
  const [xs, ss] = [stridesOf(xd), stridesOf(sd)];
  const B = sd[0] ?? 1;
  const group = sd.length === 0 ? 1 : batchGroup(a.window, a.strides, a.padding, ss[0]!, B);
  const gd = sd.length === 0 ? [] : [group, ...sd.slice(1)];
  const n = sizeOf(gd);
  const xsStrides = xs.map((v, i) => v * a.strides[i]!);
  const offsets = windowOffsets(a.window, xd);
  e.copyAll(e.constant(`v${instr.id}_zero`, new Float32Array(sizeOf(xd))), out);
  for (const b0 of blockStarts(B, group)) {
    const base = b0 * (xs[0] ?? 0);
    const load = (off: number): string => {
      const buf = e.acquire(n);
      e.copy(x, buf, gd, xsStrides, base + off, stridesOf(gd), 0);
      return buf;
    };
    // first maximum wins: best = index of the first window position holding the maximum
    let m = load(offsets[0]!);
    let best = materialize(e, { scalar: 0 }, n);
    for (let w = 1; w < offsets.length; w++) {
      const xw = load(offsets[w]!);
      const [gt, m2, b2] = [e.acquire(n), e.acquire(n), e.acquire(n)];
      e.emit({ kind: 'vpu-compare', op: 'gt', a: xw, b: m, out: gt });
      e.emit({ kind: 'vpu-select', mask: gt, a: xw, b: m, out: m2 });
      e.emit({ kind: 'vpu-select', mask: gt, a: w, b: best, out: b2 });
      e.release(xw, gt, m, best);
      [m, best] = [m2, b2];
    }
    const src = e.acquire(n);
    e.emit({ kind: 'dma', src: source, dst: src, srcOffset: b0 * (ss[0] ?? 0), values: n });
    offsets.forEach((off, w) => {
      const [hit, picked, sum] = [e.acquire(n), e.acquire(n), e.acquire(n)];
      e.emit({ kind: 'vpu-compare', op: 'eq', a: best, b: w, out: hit });
      e.emit({ kind: 'vpu-select', mask: hit, a: src, b: 0, out: picked });
      // +0 + v: the reference adds into a zeroed array, which turns -0 into +0
      e.emit({ kind: 'vpu-binary', op: 'add', a: picked, b: 0, out: sum });
      e.copy(sum, out, gd, stridesOf(gd), 0, xsStrides, base + off);
      e.release(hit, picked, sum);
    });
    e.release(m, best, src);
  }
}
