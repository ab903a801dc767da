/**
 * @module xla/lower-stream
 * A dot whose operands do not fit vector memory but whose result does (a filter gradient:
 * [9C, B*H*W] . [B*H*W, K]) streams its contraction through the MXU one fold at a time:
 * per block of R (the target array's rows) contraction indices, the two operand slices are
 * loaded and one matmul adds that fold's partial sums into the accumulators, continuing
 * from the previous fold's (an accumulating matmul). That is exactly the MXU's own order
 * (mxu/reference.ts: each fold's column sum starts at +0, the accumulator adds folds in
 * order), so the bits are the reference's.
 * Only for precision 'default': the bf16x3 / bf16x6 modes combine whole passes, which
 * fold-by-fold streaming would reorder.
 *
 * Also home of what ./lower-dot.ts shares with it: operand layouts, slice loads, fold
 * accumulation.
 *
 * Imports ./lower-emit, ./ops (dot plans).
 */
import type { HloInstruction, Shape } from './hlo.ts';
import type { Emitter } from './lower-emit.ts';
import { dotPlan } from './ops/linalg.ts';

/** How an operand is stored relative to the [rows, K] / [K, cols] the matmul wants. */
export type Layout = 'as-is' | 'swapped';

/** 'as-is' when perm is the identity, 'swapped' when it rotates two contiguous groups, else null. */
export function layoutOf(perm: readonly number[]): Layout | null {
  if (perm.every((p, i) => p === i)) return 'as-is';
  const k = perm[0]!;
  return perm.every((p, i) => p === (k + i) % perm.length) ? 'swapped' : null;
}

/** Whether `dot` can stream its contraction from HBM buffers through an array of `rows` rows. */
export function streamable(dot: Extract<HloInstruction, { op: 'dot' }>, lhs: Shape, rhs: Shape, rows: number): boolean {
  if (dot.attrs.precision !== 'default') return false;
  const p = dotPlan(lhs.dims, rhs.dims, dot.attrs);
  return p.batch === 1 && p.k > rows && layoutOf(p.lhsPerm) !== null && layoutOf(p.rhsPerm) !== null;
}

/** A block of contraction indices [k0, k0 + kt). */
export interface Fold {
  readonly k0: number;
  readonly kt: number;
}

/** The folds of a contraction of k indices, kt at a time (the last one shorter). */
export function foldsOf(k: number, kt: number): Fold[] {
  return Array.from({ length: Math.ceil(k / kt) }, (_, i) => ({ k0: i * kt, kt: Math.min(kt, k - i * kt) }));
}

/**
 * Loads the slice [o0, o0 + ob) x [k0, k0 + kt) of a matrix stored [K, other] (kStored) or
 * [other, K], as [kt, ob] (kWanted) or [ob, kt]; an XLU transpose when the two disagree.
 */
export function loadSlice(e: Emitter, src: string, s: Fold & { other: number; k: number; o0: number; ob: number; kStored: boolean; kWanted: boolean }): string {
  const block = e.acquire(s.ob * s.kt);
  if (s.kStored) e.emit({ kind: 'dma', src, dst: block, srcOffset: s.k0 * s.other + s.o0, values: s.ob, rows: s.kt, srcStride: s.other, dstStride: s.ob });
  else e.emit({ kind: 'dma', src, dst: block, srcOffset: s.o0 * s.k + s.k0, values: s.kt, rows: s.ob, srcStride: s.k, dstStride: s.kt });
  if (s.kStored === s.kWanted) return block;
  const out = e.acquire(s.ob * s.kt);
  e.emit({ kind: 'vpu-transpose', x: block, out, rows: s.kStored ? s.kt : s.ob, cols: s.kStored ? s.ob : s.kt });
  e.release(block);
  return out;
}

/**
 * One matmul per block of folds into an [m, n] result; each after the first continues from
 * the accumulators (the MXU's own fold order, so the bits of one matmul over all of K when
 * every block but the last is a multiple of the array's rows, and a single block in the
 * multi-pass precisions). Returns the vector-memory result. `operands` loads a block's
 * a: [m, kt] and b: [kt, n] and says which of them to release after the matmul.
 */
export function accumulateFolds(
  e: Emitter,
  folds: readonly Fold[],
  shape: { readonly m: number; readonly n: number; readonly precision: Extract<HloInstruction, { op: 'dot' }>['attrs']['precision'] },
  operands: (f: Fold, i: number) => { a: string; b: string; done: string[] },
): string {
  const { m, n, precision } = shape;
  const acc = e.acquire(m * n);
  folds.forEach((f, i) => {
    const { a, b, done } = operands(f, i);
    e.emit({ kind: 'matmul', a, b, out: acc, shape: { m, k: f.kt, n }, precision, ...(i > 0 ? { accumulate: true } : {}) });
    e.release(...done);
  });
  return acc;
}

/** Emits the streamed dot of HBM buffers `lhs` and `rhs` a fold of `rows` at a time; returns the vmem accumulator [M, N]. */
export function streamDot(e: Emitter, dot: Extract<HloInstruction, { op: 'dot' }>, lhs: { buf: string; shape: Shape }, rhs: { buf: string; shape: Shape }, rows: number): string {
  const p = dotPlan(lhs.shape.dims, rhs.shape.dims, dot.attrs);
  const [ll, rl] = [layoutOf(p.lhsPerm)!, layoutOf(p.rhsPerm)!];
  return accumulateFolds(e, foldsOf(p.k, rows), { m: p.m, n: p.n, precision: 'default' }, (f) => {
    // the MXU wants a: [M, kt] and b: [kt, N]; lhs is stored [M, K] (as-is) or [K, M]
    const a = loadSlice(e, lhs.buf, { other: p.m, k: p.k, o0: 0, ob: p.m, ...f, kStored: ll === 'swapped', kWanted: false });
    const b = loadSlice(e, rhs.buf, { other: p.n, k: p.k, o0: 0, ob: p.n, ...f, kStored: rl === 'as-is', kWanted: true });
    return { a, b, done: [a, b] };
  });
}
