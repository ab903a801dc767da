/**
 * @module xla/lower-chunk
 * Chunking of kernels that do not fit vector memory: the root's elements (row-major) are
 * cut into contiguous ranges, and every body value that follows the root elementwise is
 * computed range by range; values a broadcast or a dot needs whole (a bias, the dot's
 * weights) are loaded once. Elementwise results do not depend on the chunking, and a dot's
 * rows are independent (each output element's accumulation order is unchanged), so a
 * chunked kernel gives the same bits as the whole one.
 *
 * Imports ./hlo, ./ops (sizes). The plan maps each value to 'chunked' (its range is the
 * root's range scaled by its element count) or 'whole', and gives the alignment (in root
 * elements) every chunk boundary must respect: a trailing broadcast's operand size, a
 * leading broadcast's column count, a dot's output row length.
 */
import type { HloInstruction, Shape } from './hlo.ts';
import { dotPlan } from './ops/linalg.ts';
import { sizeOf } from './ops/index.ts';

/** How a kernel is cut: per-value mode and the root alignment of chunk boundaries. */
export interface ChunkPlan {
  readonly mode: ReadonlyMap<number, 'chunked' | 'whole'>;
  /** Every chunk starts at a multiple of this many root elements. */
  readonly alignment: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** The smallest root step g such that g * nv / n is a multiple of `align` (value elements). */
function rootStep(nv: number, n: number, align: number): number {
  return (align * n) / gcd(nv, align * n);
}

type Requirement = { id: number; mode: 'chunked' | 'whole'; align: number };

/** What one chunked body instruction requires of its operands, or null when it cannot be cut. */
function requirements(instr: HloInstruction, shapeOf: (id: number) => Shape): Requirement[] | null {
  const ops = instr.operands;
  switch (instr.op) {
    case 'broadcast': {
      const dims = instr.shape.dims;
      const map = instr.attrs.dimensions;
      const k = map.length;
      const s = sizeOf(shapeOf(ops[0]!).dims);
      if (map.every((d, i) => d === dims.length - k + i)) return [{ id: ops[0]!, mode: 'whole', align: 1 }, { id: instr.id, mode: 'chunked', align: s }];
      if (map.every((d, i) => d === i)) return [{ id: ops[0]!, mode: 'chunked', align: 1 }, { id: instr.id, mode: 'chunked', align: sizeOf(dims) / Math.max(1, s) }];
      return null;
    }
    case 'dot': {
      const [l, r] = [shapeOf(ops[0]!), shapeOf(ops[1]!)];
      const p = dotPlan(l.dims, r.dims, instr.attrs);
      const identity = (perm: readonly number[]): boolean => perm.every((v, i) => v === i);
      if (p.batch !== 1 || !identity(p.lhsPerm) || !identity(p.rhsPerm)) return null;
      return [{ id: ops[0]!, mode: 'chunked', align: p.k }, { id: ops[1]!, mode: 'whole', align: 1 }, { id: instr.id, mode: 'chunked', align: p.n }];
    }
    case 'constant':
      return instr.attrs.value.length === 1 ? [] : null;
    case 'reshape':
    case 'convert':
    case 'select':
    case 'compare':
    case 'add':
    case 'subtract':
    case 'multiply':
    case 'divide':
    case 'maximum':
    case 'minimum':
    case 'negate':
    case 'exp':
    case 'log':
    case 'sqrt':
    case 'rsqrt':
    case 'tanh':
      return ops.map((id) => ({ id, mode: 'chunked' as const, align: 1 }));
    default:
      return null;
  }
}

/**
 * Plans the chunking of a kernel body (in order) with free inputs of `shapes`, or null when
 * some value cannot be cut consistently.
 */
export function planChunks(body: readonly HloInstruction[], root: number, shapeOf: (id: number) => Shape): ChunkPlan | null {
  const mode = new Map<number, 'chunked' | 'whole'>([[root, 'chunked']]);
  const n = sizeOf(shapeOf(root).dims);
  let alignment = 1;
  const set = (id: number, m: 'chunked' | 'whole'): boolean => {
    const prev = mode.get(id);
    if (prev !== undefined && prev !== m) return false;
    mode.set(id, m);
    return true;
  };
  for (let k = body.length - 1; k >= 0; k--) {
    const instr = body[k]!;
    const m = mode.get(instr.id);
    if (m === undefined) continue; // dead inside the kernel
    if (m === 'whole') {
      for (const o of instr.operands) if (!set(o, 'whole')) return null;
      continue;
    }
    const reqs = requirements(instr, shapeOf);
    if (!reqs) return null;
    for (const r of reqs) {
      if (!set(r.id, r.mode)) return null;
      if (r.mode === 'chunked') alignment = lcm(alignment, rootStep(sizeOf(shapeOf(r.id).dims), n, r.align));
    }
  }
  return { mode, alignment };
}

/** Shape of a chunked value for a chunk of `len` root elements out of `n` (flat, or 2-D where the op needs it). */
export function chunkShape(full: Shape, len: number, n: number): Shape {
  return { dims: [(sizeOf(full.dims) * len) / n], dtype: full.dtype };
}
