/**
 * @module xla/lower-dot
 * A dot too big for vector memory, computed a tile of its result at a time: the [M, N]
 * result is cut into tiles of mb x nb (the last ones overlap their neighbours and recompute
 * identical values, so every tile has one size and they share scratch), and each tile
 * is [mb, K] . [K, nb] of slices DMA'd from the operands in HBM. The MXU computes every
 * output element on its own, so tiling M and N keeps the bits. Precision 'default' also
 * streams the contraction a fold (the array's rows) at a time, accumulating on the VPU in
 * fold order, which is the MXU's own order (see ./lower-stream.ts); 'high' and 'highest'
 * combine whole passes, so their tiles keep K whole.
 * The rhs slices of one column block are loaded once when they fit, else per tile (more
 * DMA, which the profile counts: nothing is free).
 *
 * Imports ./lower-emit, ./lower-stream (operand layouts), ./ops (dot plans), mxu/config.
 */
import { DEFAULT_MXU_CONFIG } from '../mxu/config.ts';
import type { HloInstruction, Shape } from './hlo.ts';
import type { Emitter } from './lower-emit.ts';
import { layoutOf } from './lower-stream.ts';
import { dotPlan } from './ops/linalg.ts';

type Dot = Extract<HloInstruction, { op: 'dot' }>;

/** An operand in HBM. */
interface Operand {
  readonly buf: string;
  readonly shape: Shape;
}

/** Whether `dot` can be tiled: no batch dims, each operand stored as a matrix or its transpose. */
export function tileable(dot: Dot, lhs: Shape, rhs: Shape): boolean {
  const p = dotPlan(lhs.dims, rhs.dims, dot.attrs);
  return p.batch === 1 && layoutOf(p.lhsPerm) !== null && layoutOf(p.rhsPerm) !== null;
}

/**
 * Tile sizes for a tile working set of about `budget` values: kt contraction indices per
 * matmul (all of K unless precision 'default' and K is long: then one fold of the array's
 * rows), nb result columns (an rhs slice of at most a quarter of the budget), mb result
 * rows (lhs slice, its transpose and three result tiles in half the budget).
 */
export function tileSizes(p: { m: number; k: number; n: number }, precision: Dot['attrs']['precision'], budget: number): { mb: number; nb: number; kt: number } {
  const kt = precision !== 'default' || p.k * 64 <= budget / 2 ? p.k : Math.min(p.k, DEFAULT_MXU_CONFIG.rows);
  const nb = Math.min(p.n, Math.max(1, Math.floor(budget / 4 / kt)), 1024);
  const mb = Math.min(p.m, Math.max(1, Math.floor(budget / 2 / (2 * kt + 3 * nb))));
  return { mb, nb, kt };
}

/** Starts of `block`-sized blocks of n, the last moved back to end at n. */
const starts = (n: number, block: number): number[] => {
  const out: number[] = [];
  for (let a = 0; a < n; a += block) out.push(Math.min(a, n - block));
  return out;
};

/**
 * Loads the slice [o0, o0 + ob) x [k0, k0 + kt) of a matrix stored [K, other] (kStored) or
 * [other, K], as [kt, ob] (kWanted) or [ob, kt]; an XLU transpose when the two disagree.
 */
function loadSlice(e: Emitter, src: string, s: { other: number; k: number; o0: number; ob: number; k0: number; kt: number; kStored: boolean; kWanted: boolean }): string {
  const block = e.acquire(s.ob * s.kt);
  if (s.kStored) e.emit({ kind: 'dma', src, dst: block, srcOffset: s.k0 * s.other + s.o0, values: s.ob, rows: s.kt, srcStride: s.other, dstStride: s.ob });
  else e.emit({ kind: 'dma', src, dst: block, srcOffset: s.o0 * s.k + s.k0, values: s.kt, rows: s.ob, srcStride: s.k, dstStride: s.kt });
  if (s.kStored === s.kWanted) return block;
  const out = e.acquire(s.ob * s.kt);
  e.emit({ kind: 'vpu-transpose', x: block, out, rows: s.kStored ? s.kt : s.ob, cols: s.kStored ? s.ob : s.kt });
  e.release(block);
  return out;
}

/** Emits the tiled dot of HBM operands into the HBM buffer `out` ([M, N] row-major). */
export function tiledDot(e: Emitter, dot: Dot, lhs: Operand, rhs: Operand, out: string, budget: number): void {
  const p = dotPlan(lhs.shape.dims, rhs.shape.dims, dot.attrs);
  const precision = dot.attrs.precision;
  const [lStored, rStored] = [layoutOf(p.lhsPerm) === 'swapped', layoutOf(p.rhsPerm) === 'as-is'];
  const { mb, nb, kt } = tileSizes(p, precision, budget);
  const folds = Array.from({ length: Math.ceil(p.k / kt) }, (_, i) => ({ k0: i * kt, kt: Math.min(kt, p.k - i * kt) }));
  const keepRhs = p.k * nb <= budget / 2;
  for (const n0 of starts(p.n, nb)) {
    const rhsSlice = (f: { k0: number; kt: number }): string => loadSlice(e, rhs.buf, { other: p.n, k: p.k, o0: n0, ob: nb, ...f, kStored: rStored, kWanted: true });
    const kept = keepRhs ? folds.map(rhsSlice) : [];
    for (const m0 of starts(p.m, mb)) {
      let acc: string | null = null;
      folds.forEach((f, i) => {
        const a = loadSlice(e, lhs.buf, { other: p.m, k: p.k, o0: m0, ob: mb, ...f, kStored: lStored, kWanted: false });
        const b = keepRhs ? kept[i]! : rhsSlice(f);
        const c = e.acquire(mb * nb);
        e.emit({ kind: 'matmul', a, b, out: c, shape: { m: mb, k: f.kt, n: nb }, precision });
        e.release(a, ...(keepRhs ? [] : [b]));
        if (acc === null) acc = c;
        else {
          const next = e.acquire(mb * nb);
          e.emit({ kind: 'vpu-binary', op: 'add', a: acc, b: c, out: next });
          e.release(acc, c);
          acc = next;
        }
      });
      e.emit({ kind: 'dma', src: acc!, dst: out, dstOffset: m0 * p.n + n0, values: nb, rows: mb, srcStride: nb, dstStride: p.n });
      e.release(acc!);
    }
    e.release(...kept);
  }
}
