/**
 * @module tpu/program
 * A TensorCore program as plain data: buffer declarations and a list of instructions with
 * explicit dependencies, plus the verifier every program passes before it runs. Imports
 * mxu/config and vpu types only.
 *
 * Rules (checked by `verifyProgram`):
 * - buffer names are unique; matmul and VPU operands live in vector memory (vmem), as on the
 *   hardware; DMA moves between any two buffers (HBM <-> vmem in practice). A view lies
 *   inside the buffer it views, in the same memory.
 * - `deps` name earlier instructions by index, so program order is a topological order.
 * - no hazards: if two instructions on different units touch the same storage (a buffer and
 *   its views are one storage) and one of them writes it, the later one must depend (transitively) on the earlier one. Hazards are
 *   tracked per whole buffer (conservative: two DMAs into disjoint halves of one buffer are
 *   fine because they share a unit, but a VPU op reading one half while a DMA fills the
 *   other needs a dependency or two buffers). Units run
 *   in parallel, so a missing dependency would be a race on the real chip. Instructions on
 *   the same unit run in program order and need no dependency between them.
 * - operand sizes agree (matmul m*k (or a feed pattern inside a), k*n, m*n; elementwise
 *   lengths; reduce rows*cols); a matmul accumulates in 'default' precision only.
 */
import type { MatmulShape, Precision } from '../mxu/config.ts';
import type { FeedPattern } from '../mxu/feed.ts';
import type { BinaryOp, CompareOp, UnaryOp } from '../vpu/ops.ts';
import type { ReduceAxis, ReduceKind } from '../vpu/reduce.ts';
import type { MemoryKind } from './memory.ts';

/**
 * A named buffer of f32 values in one memory. With `of`, a view: the first `values` values of
 * buffer `of` (same memory, not itself a view), so storage can be reused by operands of
 * other sizes; views of one buffer are the same storage (hazards are tracked per storage).
 */
export interface BufferDecl {
  readonly name: string;
  readonly memory: MemoryKind;
  /** Number of f32 values. */
  readonly values: number;
  /** The buffer whose storage this one views (from its first value). */
  readonly of?: string;
  /**
   * A device variable (a weight, an optimizer slot): allocated the first time a program
   * names it and kept, with its data, when the core loads another program that names it
   * with the same size (TensorCore.load). Host code writes it once, not every run.
   */
  readonly variable?: boolean;
}

/** The storage a buffer name refers to: the viewed buffer for a view, else the buffer itself. */
export function storageMap(buffers: readonly BufferDecl[]): Map<string, string> {
  return new Map(buffers.map((b) => [b.name, b.of ?? b.name]));
}

interface Common {
  /** Indices of earlier instructions that must finish before this one starts. */
  readonly deps?: readonly number[];
  /** Name shown in the profile. */
  readonly label?: string;
}

/**
 * A DMA copies `planes` x `rows` runs of `values` contiguous values (3-D strided, for slices,
 * padding, concatenation, pooling windows): run (p, r) reads
 * src[srcOffset + p * planeSrcStride + r * srcStride ...] and writes
 * dst[dstOffset + p * planeDstStride + r * dstStride ...]. Defaults: offsets 0, one plane of
 * one run of the whole src, strides = values.
 */
export interface DmaInstruction extends Common {
  readonly kind: 'dma';
  readonly src: string;
  readonly dst: string;
  readonly srcOffset?: number;
  readonly dstOffset?: number;
  readonly values?: number;
  readonly rows?: number;
  readonly srcStride?: number;
  readonly dstStride?: number;
  /** The outer dimension: `count` planes of rows, `srcStride` / `dstStride` values apart. */
  readonly planes?: { readonly count: number; readonly srcStride: number; readonly dstStride: number };
}

/** A DMA's layout with every default filled in. */
export interface DmaLayout {
  readonly srcOffset: number;
  readonly dstOffset: number;
  readonly values: number;
  readonly rows: number;
  readonly srcStride: number;
  readonly dstStride: number;
  readonly planes: number;
  readonly planeSrcStride: number;
  readonly planeDstStride: number;
}

/** A DMA's layout with every default filled in. */
export function dmaLayout(instr: DmaInstruction, srcSize: number): DmaLayout {
  const values = instr.values ?? srcSize;
  return {
    srcOffset: instr.srcOffset ?? 0,
    dstOffset: instr.dstOffset ?? 0,
    values,
    rows: instr.rows ?? 1,
    srcStride: instr.srcStride ?? values,
    dstStride: instr.dstStride ?? values,
    planes: instr.planes?.count ?? 1,
    planeSrcStride: instr.planes?.srcStride ?? 0,
    planeDstStride: instr.planes?.dstStride ?? 0,
  };
}

/** Values a DMA moves. */
export const dmaValues = (l: DmaLayout): number => l.values * l.rows * l.planes;

/**
 * An MXU matmul: out[M, N] = a[M, K] . b[K, N]. With `feed`, A is read from buffer `a`
 * through that address pattern (mxu/feed.ts: the windows of a convolution, streamed from
 * vector memory without an im2col copy). With `accumulate`, the array's accumulators start
 * from `out`'s values instead of +0 ('default' precision; a contraction cut at multiples of
 * the array's rows into such matmuls gives the bits of one).
 */
export interface MatmulInstruction extends Common {
  readonly kind: 'matmul';
  readonly a: string;
  readonly b: string;
  readonly out: string;
  readonly shape: MatmulShape;
  readonly precision?: Precision;
  readonly feed?: FeedPattern;
  readonly accumulate?: boolean;
}

/** One instruction. Scalars in VPU operands come from the scalar unit. */
export type Instruction =
  | DmaInstruction
  | MatmulInstruction
  | (Common & { readonly kind: 'vpu-unary'; readonly op: UnaryOp; readonly x: string; readonly out: string })
  | (Common & { readonly kind: 'vpu-binary'; readonly op: BinaryOp; readonly a: string | number; readonly b: string | number; readonly out: string })
  | (Common & { readonly kind: 'vpu-compare'; readonly op: CompareOp; readonly a: string | number; readonly b: string | number; readonly out: string })
  | (Common & { readonly kind: 'vpu-select'; readonly mask: string; readonly a: string | number; readonly b: string | number; readonly out: string })
  | (Common & { readonly kind: 'vpu-reduce'; readonly op: ReduceKind; readonly x: string; readonly out: string; readonly rows: number; readonly cols: number; readonly axis: ReduceAxis })
  /** The first stage of an axis-0 reduce alone: out[S, C] per-sublane folds of x[R, C], continuing from out's values when `accumulate` (vpu/reduce.ts `foldSublanes`). */
  | (Common & { readonly kind: 'vpu-fold'; readonly op: ReduceKind; readonly x: string; readonly out: string; readonly rows: number; readonly cols: number; readonly accumulate?: boolean })
  | (Common & { readonly kind: 'vpu-broadcast'; readonly x: string; readonly out: string; readonly rows: number })
  | (Common & { readonly kind: 'vpu-broadcast-col'; readonly x: string; readonly out: string; readonly cols: number })
  | (Common & { readonly kind: 'vpu-transpose'; readonly x: string; readonly out: string; readonly rows: number; readonly cols: number })
  | (Common & { readonly kind: 'all-reduce'; readonly buffer: string });

/** Kinds of instruction. */
export type InstructionKind = Instruction['kind'];

/** The execution units of a core; `ici` is the inter-core interconnect. */
export type Unit = 'dma' | 'mxu' | 'vpu' | 'ici';

/** All units, in display order. */
export const UNITS: readonly Unit[] = ['mxu', 'vpu', 'dma', 'ici'];

/** A program: buffers to allocate, then instructions to run. */
export interface Program {
  readonly buffers: readonly BufferDecl[];
  readonly instructions: readonly Instruction[];
}

/** A malformed program: names the instruction (index and label) and what is wrong. */
export class ProgramError extends Error {
  override readonly name = 'ProgramError';
  readonly userFacing = true;
}

/** The unit that runs an instruction. */
export function unitOf(instr: Instruction): Unit {
  switch (instr.kind) {
    case 'dma':
      return 'dma';
    case 'matmul':
      return 'mxu';
    case 'all-reduce':
      return 'ici';
    default:
      return 'vpu';
  }
}

/** Buffers an instruction reads and writes. */
export function accesses(instr: Instruction): { reads: string[]; writes: string[] } {
  const names = (...xs: (string | number)[]): string[] => xs.filter((x): x is string => typeof x === 'string');
  switch (instr.kind) {
    case 'dma':
      return { reads: [instr.src], writes: [instr.dst] };
    case 'matmul':
      return { reads: instr.accumulate ? [instr.a, instr.b, instr.out] : [instr.a, instr.b], writes: [instr.out] };
    case 'vpu-fold':
      return { reads: instr.accumulate ? [instr.x, instr.out] : [instr.x], writes: [instr.out] };
    case 'vpu-unary':
    case 'vpu-reduce':
    case 'vpu-broadcast':
    case 'vpu-broadcast-col':
    case 'vpu-transpose':
      return { reads: [instr.x], writes: [instr.out] };
    case 'vpu-binary':
    case 'vpu-compare':
      return { reads: names(instr.a, instr.b), writes: [instr.out] };
    case 'vpu-select':
      return { reads: names(instr.mask, instr.a, instr.b), writes: [instr.out] };
    case 'all-reduce':
      return { reads: [instr.buffer], writes: [instr.buffer] };
  }
}

/** How an instruction is named in errors and profiles: `#3 matmul 'fc1'`. */
export function describeInstruction(instr: Instruction, index: number): string {
  return `#${index} ${instr.kind}${instr.label ? ` '${instr.label}'` : ''}`;
}
