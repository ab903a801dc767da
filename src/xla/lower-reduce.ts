/**
 * @module xla/lower-reduce
 * Lowering of reductions and pooling, which do not fit the kernel mould: reduce (the VPU's
 * reduction on the documented 2-D view, in blocks of rows or columns when the array is
 * large: every row of an axis-1 reduction and every column of an axis-0 one is reduced on
 * its own, so blocking keeps every bit; a column taller than a block is reduced alone:
 * one strided DMA of single values, cheaper in cycles and instructions than transposing
 * first), reduce-window (one strided
 * load per window position folded with VPU ops in the reference's row-major order) and
 * select-and-scatter (first maximum per window, non-overlapping windows), both a block of
 * output positions at a time (`indexBlocks`: leading dims one index at a time, one dim in
 * blocks, the rest whole). Blocks have one fixed size per op; the last one overlaps its
 * neighbour and recomputes identical values. Block sizes shrink with a small kernel
 * budget (tests force every blocked path that way).
 *
 * Imports ./lower-emit, ./lower-kernel (chunk size), ./ops (plans, sizes), vpu/reduce
 * (identities), ./hlo, ./print.
 */
import type { TensorCoreConfig } from '../tpu/config.ts';
import { REDUCE_IDENTITY } from '../vpu/reduce.ts';
import type { HloInstruction, Shape } from './hlo.ts';
import { Emitter, LoweringError } from './lower-emit.ts';
import { CHUNK_VALUES, bodyOp, materialize, type KVal } from './lower-kernel.ts';
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
  /** The core the program is for. */
  readonly core: TensorCoreConfig;
  /** Transposes read through by their consumers (no buffer of their own): source buffer and permuted strides. */
  readonly views: Map<number, { readonly buf: string; readonly strides: readonly number[] }>;
}

/** The HBM buffer of an instruction's value, from the pool. */
export const dst = (e: Emitter, instr: HloInstruction, ctx: LowerContext): string => {
  const name = e.acquire(sizeOf(instr.shape.dims), 'hbm');
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
  const input = ctx.buf.get(instr.operands[0]!)!;
  if (instr.attrs.dimensions.length === 0) return e.copyAll(input, out);
  const plan = reducePlan(xs.dims, instr.attrs.dimensions);
  let src = input;
  if (plan.axis === 1 && plan.permutation.some((p, i) => p !== i)) {
    src = e.acquire(n, 'hbm');
    e.transpose(input, xs.dims, plan.permutation, src);
  }
  const { rows, cols, axis } = plan;
  const op = instr.attrs.kind;
  const chunk = blockValues(ctx);
  if (axis === 0 && n > chunk && rows > ctx.core.vpu.sublanes) {
    foldColumns(e, { src, out, op, rows, cols }, ctx);
  } else if (axis === 'all' || n <= chunk) {
    const [x, r] = [e.acquire(n), e.acquire(sizeOf(instr.shape.dims))];
    e.copyAll(src, x);
    e.emit({ kind: 'vpu-reduce', op, x, out: r, rows, cols, axis });
    e.copyAll(r, out);
    e.release(x, r);
  } else {
    const [len, size] = axis === 1 ? [rows, cols] : [cols, rows];
    const block = Math.min(len, Math.max(1, Math.floor(chunk / size)));
    for (const a of blockStarts(len, block)) {
      const [x, r] = [e.acquire(block * size), e.acquire(block)];
      if (axis === 1) e.emit({ kind: 'dma', src, dst: x, srcOffset: a * cols, values: block * cols });
      else e.emit({ kind: 'dma', src, dst: x, srcOffset: a, values: block, rows, srcStride: cols, dstStride: block });
      e.emit({ kind: 'vpu-reduce', op, x, out: r, rows: axis === 1 ? block : rows, cols: axis === 1 ? cols : block, axis });
      e.emit({ kind: 'dma', src: r, dst: out, dstOffset: a, values: block });
      e.release(x, r);
    }
  }
  if (src !== input) e.release(src);
}

/**
 * An axis-0 reduce of x[R, C] in HBM too big for one block: per block of columns, row blocks
 * of a multiple of S rows fold into the sublane accumulators [S, cb] (each continuing the
 * last: vpu-fold), then one sublane reduction (a reduce of the S accumulator rows). The
 * folds run in the reduce's own order, so the bits are the one-instruction reduce's.
 */
function foldColumns(e: Emitter, r: { src: string; out: string; op: Extract<HloInstruction, { op: 'reduce' }>['attrs']['kind']; rows: number; cols: number }, ctx: LowerContext): void {
  const S = ctx.core.vpu.sublanes;
  const block = Math.max(S, Math.min(Math.floor(ctx.budget / 4), 4 * blockValues(ctx)));
  const cb = Math.min(r.cols, Math.max(1, Math.floor(block / S)));
  const rb = Math.max(S, Math.floor(block / cb / S) * S);
  for (const c0 of blockStarts(r.cols, cb)) {
    const acc = e.acquire(S * cb);
    for (let r0 = 0; r0 < r.rows; r0 += rb) {
      const rows = Math.min(rb, r.rows - r0);
      const x = e.acquire(rows * cb);
      e.emit({ kind: 'dma', src: r.src, dst: x, srcOffset: r0 * r.cols + c0, values: cb, rows, srcStride: r.cols, dstStride: cb });
      e.emit({ kind: 'vpu-fold', op: r.op, x, out: acc, rows, cols: cb, ...(r0 > 0 ? { accumulate: true } : {}) });
      e.release(x);
    }
    const res = e.acquire(cb);
    e.emit({ kind: 'vpu-reduce', op: r.op, x: acc, out: res, rows: S, cols: cb, axis: 0 });
    e.emit({ kind: 'dma', src: res, dst: r.out, dstOffset: c0, values: cb });
    e.release(acc, res);
  }
}

/** HBM buffer of x padded with `value` (low/high/interior per dim); x itself when no padding. */
export function padded(e: Emitter, x: string, dims: readonly number[], low: readonly number[], high: readonly number[], interior: readonly number[], value: number): { buf: string; dims: number[] } {
  const out = dims.map((d, i) => low[i]! + high[i]! + d + Math.max(0, d - 1) * interior[i]!);
  if ([...low, ...high, ...interior].every((v) => v === 0)) return { buf: x, dims: [...dims] };
  const n = sizeOf(out);
  const fill = e.fill(value, n);
  const buf = e.acquire(n, 'hbm');
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

/** Values of one block of a blocked pooling: the chunk size, smaller under a small kernel budget. */
export const blockValues = (ctx: LowerContext): number => Math.max(1, Math.min(CHUNK_VALUES, Math.floor(ctx.budget / 8)));

/** Blocks of an index space and the one shape they all share. */
export interface IndexBlocks {
  /** Shape of every block: 1 on the leading dims, a block of dim `split`, the rest whole. */
  readonly dims: readonly number[];
  /** Start index of every block (row-major order; the last block of `split` overlaps its neighbour). */
  readonly starts: readonly (readonly number[])[];
}

/**
 * Cuts `dims` into blocks of at most `max` values (or one row of the innermost dims when a
 * row alone is larger): the leading dims go one index at a time, one dim in blocks, the
 * trailing dims whole, so every block is contiguous in a row-major buffer of `dims`.
 */
export function indexBlocks(dims: readonly number[], max: number): IndexBlocks {
  if (sizeOf(dims) <= max || dims.length === 0) return { dims: [...dims], starts: [dims.map(() => 0)] };
  let split = dims.length - 1;
  while (split > 0 && sizeOf(dims.slice(split)) <= max) split--;
  const inner = sizeOf(dims.slice(split + 1));
  const block = Math.min(dims[split]!, Math.max(1, Math.floor(max / inner)));
  const outer = dims.slice(0, split);
  const starts: number[][] = [];
  for (let k = 0; k < sizeOf(outer); k++) {
    const idx = outer.map(() => 0);
    for (let i = outer.length - 1, rem = k; i >= 0; i--) {
      idx[i] = rem % outer[i]!;
      rem = Math.floor(rem / outer[i]!);
    }
    for (const a of blockStarts(dims[split]!, block)) starts.push([...idx, a, ...dims.slice(split + 1).map(() => 0)]);
  }
  return { dims: [...outer.map(() => 1), block, ...dims.slice(split + 1)], starts };
}

/** Offset of index `start` scaled by `scale` (per dim) in a buffer of `strides`. */
const offsetOf = (start: readonly number[], strides: readonly number[], scale?: readonly number[]): number => start.reduce((acc, v, i) => acc + v * (scale?.[i] ?? 1) * strides[i]!, 0);

/**
 * A reduce-window, a block of output positions at a time: per window position (row-major
 * window order, as the reference folds) one strided load of the padded input, folded into
 * the accumulator with a VPU op. Every output element is computed on its own, so blocks
 * keep the bits.
 */
export function lowerReduceWindow(e: Emitter, instr: Extract<HloInstruction, { op: 'reduce-window' }>, ctx: LowerContext): void {
  const out = dst(e, instr, ctx);
  const a = instr.attrs;
  const xs = ctx.shapes.get(instr.operands[0]!)!.dims;
  const id = REDUCE_IDENTITY[a.kind];
  const p = padded(e, ctx.buf.get(instr.operands[0]!)!, xs, a.padding.map((q) => q[0]), a.padding.map((q) => q[1]), xs.map(() => 0), id);
  const od = instr.shape.dims;
  const ps = stridesOf(p.dims);
  const os = stridesOf(od);
  const op = a.kind === 'sum' ? 'add' : 'max';
  // about 3 block-sized buffers live at once (a window's values, the running result, the next)
  const blocks = indexBlocks(od, Math.max(1, Math.min(4 * CHUNK_VALUES, Math.floor(ctx.budget / 4))));
  const bs = stridesOf(blocks.dims);
  const n = sizeOf(blocks.dims);
  const offsets = windowOffsets(a.window, p.dims);
  for (const start of blocks.starts) {
    const base = offsetOf(start, ps, a.strides);
    let acc: string | null = null;
    for (const off of offsets) {
      const s = e.acquire(n);
      e.copy(p.buf, s, blocks.dims, ps.map((v, i) => v * a.strides[i]!), base + off, bs, 0);
      const next = e.acquire(n);
      e.emit({ kind: 'vpu-binary', op, a: acc ?? s, b: acc ? s : id, out: next });
      e.release(s, ...(acc ? [acc] : []));
      acc = next;
    }
    e.copy(acc!, out, blocks.dims, bs, 0, os, offsetOf(start, os));
    e.release(acc!);
  }
  if (p.buf !== ctx.buf.get(instr.operands[0]!)) e.release(p.buf);
}

/**
 * Elementwise ops fused after a select-and-scatter (./passes/fusion.ts): they run on each
 * scattered block before it is stored, on operands of the result's shape read at the same
 * window positions (the S&S's own operand is already in vector memory) and fill scalars.
 */
export interface ScatterEpilogue {
  /** The fused ops after the S&S, in order (elementwise and reshapes only). */
  readonly body: readonly HloInstruction[];
  readonly root: number;
  /** The S&S's id in the body. */
  readonly sas: number;
  /** Body parameters of the result's shape -> their HBM buffers. */
  readonly inputs: ReadonlyMap<number, string>;
  /** Body parameters that are fill constants -> their value. */
  readonly scalars: ReadonlyMap<number, number>;
}

/**
 * A select-and-scatter (non-overlapping windows), a block of source positions at a time:
 * the first maximum of each window gets the source value, every other position +0. Windows
 * do not overlap, so blocks write disjoint parts of the result; positions no window covers
 * are zeroed first (skipped when the windows tile the operand exactly). With an epilogue
 * (windows tiling exactly), each window position's scattered values go through it first.
 */
export function lowerSelectAndScatter(e: Emitter, instr: Extract<HloInstruction, { op: 'select-and-scatter' }>, ctx: LowerContext, epilogue?: ScatterEpilogue, into?: string): void {
  const a = instr.attrs;
  if (a.window.some((w, i) => w !== a.strides[i]) || a.padding.some(([lo, hi]) => lo !== 0 || hi !== 0)) {
    throw new LoweringError(`${instrName(instr)}: select-and-scatter is lowered for non-overlapping windows without padding only`);
  }
  const out = into ?? dst(e, instr, ctx);
  const xd = instr.shape.dims;
  const [x, source] = instr.operands.map((o) => ctx.buf.get(o)!) as [string, string];
  const sd = ctx.shapes.get(instr.operands[1]!)!.dims;
  const [xs, ss] = [stridesOf(xd), stridesOf(sd)];
  // about 10 block-sized buffers live at once (running max, its index, masks, picks, the source), 4 more with an epilogue
  const blocks = indexBlocks(sd, Math.max(1, Math.min(2 * CHUNK_VALUES, Math.floor(ctx.budget / (epilogue ? 16 : 12)))));
  const bs = stridesOf(blocks.dims);
  const n = sizeOf(blocks.dims);
  const xsStrides = xs.map((v, i) => v * a.strides[i]!);
  const offsets = windowOffsets(a.window, xd);
  if (xd.some((d, i) => d !== sd[i]! * a.window[i]!)) e.copyAll(e.fill(0, sizeOf(xd)), out);
  const zero = e.fill(0, n);
  for (const start of blocks.starts) {
    const base = offsetOf(start, xs, a.strides);
    const load = (buf: string, off: number): string => {
      const v = e.acquire(n);
      e.copy(buf, v, blocks.dims, xsStrides, base + off, bs, 0);
      return v;
    };
    const windows = offsets.map((off) => load(x, off));
    const { m, best } = firstMaximum(e, windows, zero, n);
    const src = e.acquire(n);
    e.copy(source, src, blocks.dims, ss, offsetOf(start, ss), bs, 0);
    offsets.forEach((off, w) => {
      const [hit, picked, sum] = [e.acquire(n), e.acquire(n), e.acquire(n)];
      e.emit({ kind: 'vpu-compare', op: 'eq', a: best, b: w, out: hit });
      e.emit({ kind: 'vpu-select', mask: hit, a: src, b: 0, out: picked });
      // +0 + v: the reference adds into a zeroed array, which turns -0 into +0
      e.emit({ kind: 'vpu-binary', op: 'add', a: picked, b: 0, out: sum });
      const result = epilogue ? applyEpilogue(e, epilogue, { sum, n, operand: (id) => (ctx.buf.get(instr.operands[0]!) === epilogue.inputs.get(id) ? windows[w]! : load(epilogue.inputs.get(id)!, off)) }) : sum;
      e.copy(result, out, blocks.dims, bs, 0, xsStrides, base + off);
      e.release(hit, picked, sum, result);
    });
    e.release(best, src, ...windows, ...(windows.includes(m) ? [] : [m]));
    e.releaseAll('vmem');
  }
}

/** Runs an epilogue on one window position's block: the S&S's values in `sum`, operands from `operand`. */
function applyEpilogue(e: Emitter, ep: ScatterEpilogue, at: { sum: string; n: number; operand: (id: number) => string }): string {
  const values = new Map<number, KVal>([[ep.sas, { buf: at.sum }]]);
  for (const [id, v] of ep.scalars) values.set(id, { scalar: v });
  for (const id of ep.inputs.keys()) values.set(id, { buf: at.operand(id) });
  const flat = (dtype: Shape['dtype']): Shape => ({ dims: [at.n], dtype });
  for (const op of ep.body) {
    const chunk = { ...op, shape: flat(op.shape.dtype) } as HloInstruction;
    values.set(op.id, bodyOp(e, chunk, (id) => values.get(id)!, () => flat('f32')));
  }
  return materialize(e, values.get(ep.root)!, at.n);
}

/** Running maximum over the window positions' values (kept: the caller releases them) and the index of its first occurrence. */
function firstMaximum(e: Emitter, windows: readonly string[], zero: string, n: number): { m: string; best: string } {
  let m = windows[0]!;
  let best = e.acquire(n);
  e.copyAll(zero, best);
  for (let w = 1; w < windows.length; w++) {
    const xw = windows[w]!;
    const [gt, m2, b2] = [e.acquire(n), e.acquire(n), e.acquire(n)];
    e.emit({ kind: 'vpu-compare', op: 'gt', a: xw, b: m, out: gt });
    e.emit({ kind: 'vpu-select', mask: gt, a: xw, b: m, out: m2 });
    e.emit({ kind: 'vpu-select', mask: gt, a: w, b: best, out: b2 });
    e.release(gt, best, ...(m === windows[0] ? [] : [m]));
    [m, best] = [m2, b2];
  }
  return { m, best };
}
