/**
 * @module xla/lower-stream
 * A dot whose operands do not fit vector memory but whose result does (a filter gradient:
 * [9C, B*H*W] . [B*H*W, K]) streams its contraction through the MXU one fold at a time:
 * per block of R (array rows) contraction indices, the two operand slices are loaded, one
 * matmul gives that fold's partial sums, and the VPU adds them into the accumulator in fold
 * order. That is exactly the MXU's own order (mxu/reference.ts: each fold's column sum
 * starts at +0, the accumulator adds folds in order), so the bits are the reference's.
 * Only for precision 'default': the bf16x3 / bf16x6 modes combine whole passes, which
 * fold-by-fold streaming would reorder.
 *
 * Imports ./lower-emit, ./ops (dot plans), mxu/config (array rows).
 */
import { DEFAULT_MXU_CONFIG } from '../mxu/config.ts';
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

/** Whether `dot` can stream its contraction from HBM buffers. */
export function streamable(dot: Extract<HloInstruction, { op: 'dot' }>, lhs: Shape, rhs: Shape): boolean {
  if (dot.attrs.precision !== 'default') return false;
  const p = dotPlan(lhs.dims, rhs.dims, dot.attrs);
  return p.batch === 1 && p.k > DEFAULT_MXU_CONFIG.rows && layoutOf(p.lhsPerm) !== null && layoutOf(p.rhsPerm) !== null;
}

/**
 * Loads the fold [k0, k0 + kt) of a matrix stored [K, other] (kStored) or [other, K], as
 * [kt, other] (kWanted) or [other, kt]; an XLU transpose when the two disagree.
 */
function loadFold(e: Emitter, src: string, o: { other: number; k: number; k0: number; kt: number; kStored: boolean; kWanted: boolean }): string {
  const { other, k, k0, kt } = o;
  const block = e.acquire(other * kt);
  if (o.kStored) e.emit({ kind: 'dma', src, dst: block, srcOffset: k0 * other, values: kt * other });
  else e.emit({ kind: 'dma', src, dst: block, srcOffset: k0, values: kt, rows: other, srcStride: k, dstStride: kt });
  if (o.kStored === o.kWanted) return block;
  const out = e.acquire(other * kt);
  e.emit({ kind: 'vpu-transpose', x: block, out, rows: o.kStored ? kt : other, cols: o.kStored ? other : kt });
  e.release(block);
  return out;
}

/** Emits the streamed dot of HBM buffers `lhs` and `rhs`; returns the vmem accumulator [M, N]. */
export function streamDot(e: Emitter, dot: Extract<HloInstruction, { op: 'dot' }>, lhs: { buf: string; shape: Shape }, rhs: { buf: string; shape: Shape }): string {
  const p = dotPlan(lhs.shape.dims, rhs.shape.dims, dot.attrs);
  const [ll, rl] = [layoutOf(p.lhsPerm)!, layoutOf(p.rhsPerm)!];
  const R = DEFAULT_MXU_CONFIG.rows;
  let acc: string | null = null;
  for (let k0 = 0; k0 < p.k; k0 += R) {
    const kt = Math.min(R, p.k - k0);
    // the MXU wants a: [M, kt] and b: [kt, N]; lhs is stored [M, K] (as-is) or [K, M]
    const a = loadFold(e, lhs.buf, { other: p.m, k: p.k, k0, kt, kStored: ll === 'swapped', kWanted: false });
    const b = loadFold(e, rhs.buf, { other: p.n, k: p.k, k0, kt, kStored: rl === 'as-is', kWanted: true });
    const c = e.acquire(p.m * p.n);
    e.emit({ kind: 'matmul', a, b, out: c, shape: { m: p.m, k: kt, n: p.n }, precision: 'default' });
    if (acc === null) acc = c;
    else {
      const next = e.acquire(p.m * p.n);
      e.emit({ kind: 'vpu-binary', op: 'add', a: acc, b: c, out: next });
      e.release(acc, c);
      acc = next;
    }
    e.release(a, b);
  }
  return acc!;
}
