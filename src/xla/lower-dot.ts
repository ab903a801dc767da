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
 * Imports ./lower-emit, ./lower-stream (operand layouts, slice loads, fold accumulation),
 * ./lower-reduce (block starts), ./ops (dot plans).
 */
import type { HloInstruction, Shape } from './hlo.ts';
import type { Emitter } from './lower-emit.ts';
import { blockStarts } from './lower-reduce.ts';
import { accumulateFolds, foldsOf, layoutOf, loadSlice, type Fold } from './lower-stream.ts';
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
 * rows, `rows`), nb result columns (an rhs slice of at most a quarter of the budget), mb result
 * rows (lhs slice, its transpose and three result tiles in half the budget).
 */
export function tileSizes(p: { m: number; k: number; n: number }, precision: Dot['attrs']['precision'], budget: number, rows: number): { mb: number; nb: number; kt: number } {
  const kt = precision !== 'default' || p.k * 64 <= budget / 2 ? p.k : Math.min(p.k, rows);
  const nb = Math.min(p.n, Math.max(1, Math.floor(budget / 4 / kt)), 1024);
  const mb = Math.min(p.m, Math.max(1, Math.floor(budget / 2 / (2 * kt + 3 * nb))));
  return { mb, nb, kt };
}

/** Emits the tiled dot of HBM operands into the HBM buffer `out` ([M, N] row-major). */
export function tiledDot(e: Emitter, dot: Dot, lhs: Operand, rhs: Operand, out: string, target: { readonly budget: number; readonly rows: number }): void {
  const p = dotPlan(lhs.shape.dims, rhs.shape.dims, dot.attrs);
  const precision = dot.attrs.precision;
  const budget = target.budget;
  const [lStored, rStored] = [layoutOf(p.lhsPerm) === 'swapped', layoutOf(p.rhsPerm) === 'as-is'];
  const { mb, nb, kt } = tileSizes(p, precision, budget, target.rows);
  const folds = foldsOf(p.k, kt);
  const keepRhs = p.k * nb <= budget / 2;
  for (const n0 of blockStarts(p.n, nb)) {
    const rhsSlice = (f: Fold): string => loadSlice(e, rhs.buf, { other: p.n, k: p.k, o0: n0, ob: nb, ...f, kStored: rStored, kWanted: true });
    const kept = keepRhs ? folds.map(rhsSlice) : [];
    for (const m0 of blockStarts(p.m, mb)) {
      const acc = accumulateFolds(e, folds, { m: mb, n: nb, precision }, (f, i) => {
        const a = loadSlice(e, lhs.buf, { other: p.m, k: p.k, o0: m0, ob: mb, ...f, kStored: lStored, kWanted: false });
        const b = keepRhs ? kept[i]! : rhsSlice(f);
        return { a, b, done: keepRhs ? [a] : [a, b] };
      });
      e.emit({ kind: 'dma', src: acc, dst: out, dstOffset: m0 * p.n + n0, values: nb, rows: mb, srcStride: nb, dstStride: p.n });
      e.release(acc);
    }
    e.release(...kept);
  }
}
