/**
 * @module tpu/executor
 * Runs a verified program on one TensorCore: a scoreboard list scheduler for time and a
 * plain interpreter for data. Imports vpu, ./program, ./dma, ./memory (through the core).
 *
 * ## Scheduling (the whole timing model of a core)
 * Each unit (MXU, VPU, DMA, ICI) has a busy-until cycle. Instructions are issued in program
 * order; instruction i on unit U starts at max(end of every dep, busy-until(U)) and ends
 * `cycles(i)` later; then busy-until(U) = end. So units overlap whenever dependencies allow
 * (a DMA and an independent matmul run side by side), and each unit runs its own
 * instructions in order. The program's time is the last end.
 * Data is computed in program order, which is a valid order because deps point backwards
 * and the verifier rejects races between units.
 *
 * ## Host speed (same bits and cycles as computing each op into a fresh array)
 * VPU results are written straight into their destination buffers (masks are f32 1 / 0 in
 * vector memory, so compare and select need no conversion); big elementwise ops run in the
 * VPU's WASM SIMD kernels (vpu/wasm.ts). A DMA whose rows are back to back is one copy.
 * Each instruction's unit, name and cycles are computed once per (program, core).
 * What remains is mostly DMA: memory-bandwidth bound, one pass over the bytes it moves.
 */
import { arrayCycles, binary, broadcastCols, broadcastCycles, broadcastRows, compareMask, foldCycles, foldSublanes, reduce, reduceCycles, selectMask, transpose, transposeCycles, unary, type Operand } from '../vpu/index.ts';
import type { TensorCoreConfig } from './config.ts';
import { dmaCycles } from './dma.ts';
import type { MatmulEngine } from './matmul-engine.ts';
import { describeInstruction, dmaLayout, dmaValues, unitOf, type DmaLayout, type Instruction, type Program, type Unit } from './program.ts';

/** What the executor needs from a core: config, buffers and its matmul engine. */
export interface CoreContext {
  readonly config: TensorCoreConfig;
  readonly engine: MatmulEngine;
  /** A buffer's data. */
  data(name: string): Float32Array;
  /** A buffer's size in values. */
  size(name: string): number;
}

/** Timing of one executed instruction. */
export interface InstructionRecord {
  readonly index: number;
  readonly kind: Instruction['kind'];
  /** `#3 matmul 'fc1'`. */
  readonly name: string;
  readonly unit: Unit;
  readonly startCycle: number;
  readonly endCycle: number;
  readonly cycles: number;
  /** Useful flops of a matmul (2 M K N), else 0. */
  readonly flops: number;
  /** Bytes moved by a DMA or an all-reduce, else 0. */
  readonly bytes: number;
}

/** Cycles of a non-collective instruction (needs no data). */
export function instructionCycles(instr: Instruction, core: CoreContext): number {
  const vpu = core.config.vpu;
  switch (instr.kind) {
    case 'dma': {
      return dmaCycles(dmaValues(dmaLayout(instr, core.size(instr.src))), core.config);
    }
    case 'matmul':
      return core.engine.cycles(instr.shape, instr.precision ?? 'default');
    case 'vpu-unary':
    case 'vpu-binary':
    case 'vpu-compare':
      return arrayCycles(instr.op, core.size(instr.out), vpu);
    case 'vpu-select':
      return arrayCycles('select', core.size(instr.out), vpu);
    case 'vpu-reduce':
      return reduceCycles(instr.op, { rows: instr.rows, cols: instr.cols, axis: instr.axis, config: vpu });
    case 'vpu-fold':
      return foldCycles(instr.op, { rows: instr.rows, cols: instr.cols, accumulate: instr.accumulate ?? false, config: vpu });
    case 'vpu-broadcast':
      return broadcastCycles(instr.rows, core.size(instr.x), vpu);
    case 'vpu-broadcast-col':
      return broadcastCycles(core.size(instr.x), instr.cols, vpu);
    case 'vpu-transpose':
      return transposeCycles(instr.rows, instr.cols, vpu);
    case 'all-reduce':
      return 0; // timed by the board's collective, not here
  }
}

const operand = (core: CoreContext, x: string | number): Operand => (typeof x === 'number' ? x : core.data(x));

/**
 * Strided copy of a DMA, plane by plane. Rows that are back to back in both buffers are one
 * copy; short rows copy element by element (a subarray per row costs more than the row).
 */
function copyRows(src: Float32Array, dst: Float32Array, l: DmaLayout): void {
  const { rows, values, srcStride, dstStride } = l;
  for (let p = 0; p < l.planes; p++) {
    let from = l.srcOffset + p * l.planeSrcStride;
    let to = l.dstOffset + p * l.planeDstStride;
    if (values === srcStride && values === dstStride) {
      const n = rows * values;
      if (n < 32) for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
      else dst.set(src.subarray(from, from + n), to);
    } else if (values >= 32) {
      for (let r = 0; r < rows; r++, from += srcStride, to += dstStride) dst.set(src.subarray(from, from + values), to);
    } else if (values === 1) {
      for (let r = 0; r < rows; r++, from += srcStride, to += dstStride) dst[to] = src[from]!;
    } else {
      // four values per iteration (1.6x the plain loop on a fire module's 25-channel halves)
      const quads = values & ~3;
      for (let r = 0; r < rows; r++, from += srcStride, to += dstStride) {
        let i = 0;
        for (; i < quads; i += 4) {
          const v0 = src[from + i]!;
          const v1 = src[from + i + 1]!;
          const v2 = src[from + i + 2]!;
          const v3 = src[from + i + 3]!;
          dst[to + i] = v0;
          dst[to + i + 1] = v1;
          dst[to + i + 2] = v2;
          dst[to + i + 3] = v3;
        }
        for (; i < values; i++) dst[to + i] = src[from + i]!;
      }
    }
  }
}

/**
 * Computes a non-collective instruction's data. Every VPU result is written straight into
 * its destination buffer (no temporary, no copy); masks are f32 1 / 0 in vector memory.
 */
export function executeInstruction(instr: Instruction, core: CoreContext): void {
  const config = core.config.vpu;
  switch (instr.kind) {
    case 'dma':
      copyRows(core.data(instr.src), core.data(instr.dst), dmaLayout(instr, core.size(instr.src)));
      return;
    case 'matmul': {
      const out = core.data(instr.out);
      const c = core.engine.run({
        a: core.data(instr.a),
        b: core.data(instr.b),
        shape: instr.shape,
        precision: instr.precision ?? 'default',
        out,
        ...(instr.feed ? { feed: instr.feed } : {}),
        ...(instr.accumulate ? { acc: out } : {}),
      });
      if (c !== out) out.set(c);
      return;
    }
    case 'vpu-unary':
      unary(instr.op, core.data(instr.x), { config, out: core.data(instr.out) }); // in place is safe: elementwise
      return;
    case 'vpu-binary':
      binary(instr.op, operand(core, instr.a), operand(core, instr.b), { config, out: core.data(instr.out) });
      return;
    case 'vpu-compare':
      compareMask(instr.op, operand(core, instr.a), operand(core, instr.b), { config, out: core.data(instr.out) });
      return;
    case 'vpu-select':
      selectMask(core.data(instr.mask), operand(core, instr.a), operand(core, instr.b), { config, out: core.data(instr.out) });
      return;
    case 'vpu-fold':
      foldSublanes(instr.op, core.data(instr.x), { rows: instr.rows, cols: instr.cols, out: core.data(instr.out), accumulate: instr.accumulate ?? false, config });
      return;
    default:
      executeMove(instr, core);
  }
}

/** Reductions, broadcasts and transposes: into a separate output buffer (copied through a temporary if it is the input). */
function executeMove(instr: Instruction, core: CoreContext): void {
  if (instr.kind !== 'vpu-reduce' && instr.kind !== 'vpu-broadcast' && instr.kind !== 'vpu-broadcast-col' && instr.kind !== 'vpu-transpose') return; // all-reduce: done by the board
  const config = core.config.vpu;
  const x = core.data(instr.x);
  const dst = core.data(instr.out);
  const out = dst === x ? undefined : dst; // NOTE: in place would overwrite values still to be read
  let result: Float32Array;
  switch (instr.kind) {
    case 'vpu-reduce':
      result = reduce(instr.op, x, { rows: instr.rows, cols: instr.cols, axis: instr.axis, config, ...(out ? { out } : {}) }).out;
      break;
    case 'vpu-broadcast':
      result = broadcastRows(x, instr.rows, { config, ...(out ? { out } : {}) }).out;
      break;
    case 'vpu-broadcast-col':
      result = broadcastCols(x, instr.cols, { config, ...(out ? { out } : {}) }).out;
      break;
    case 'vpu-transpose':
      result = transpose(x, { rows: instr.rows, cols: instr.cols, config, ...(out ? { out } : {}) }).out;
      break;
  }
  if (result !== dst) dst.set(result);
}

/** What a run needs to know of an instruction besides its data: fixed for a (program, core). */
interface StaticInfo {
  readonly unit: Unit;
  readonly name: string;
  readonly cycles: number;
  readonly flops: number;
  readonly bytes: number;
}

/**
 * Per (program, core): each instruction's unit, name, cycles, flops and bytes, computed on
 * the first run and reused by every later one (a training loop reruns one program per step).
 */
const staticInfo = new WeakMap<Program, WeakMap<CoreContext, StaticInfo[]>>();

function infoOf(program: Program, core: CoreContext): StaticInfo[] {
  let perCore = staticInfo.get(program);
  if (!perCore) staticInfo.set(program, (perCore = new WeakMap()));
  let info = perCore.get(core);
  if (!info) {
    info = program.instructions.map((instr, i) => {
      const layout = instr.kind === 'dma' ? dmaLayout(instr, core.size(instr.src)) : null;
      return {
        unit: unitOf(instr),
        name: describeInstruction(instr, i),
        cycles: instr.kind === 'all-reduce' ? 0 : instructionCycles(instr, core),
        flops: instr.kind === 'matmul' ? 2 * instr.shape.m * instr.shape.k * instr.shape.n : 0,
        bytes: layout ? 4 * dmaValues(layout) : 0,
      };
    });
    perCore.set(core, info);
  }
  return info;
}

/** One run of a program on one core, stepped one instruction at a time (the board interleaves cores). */
export class ProgramRun {
  private readonly busyUntil: Record<Unit, number> = { mxu: 0, vpu: 0, dma: 0, ici: 0 };
  private readonly ends: number[] = [];
  private readonly info: StaticInfo[];
  /** Timing of every instruction run so far. */
  readonly records: InstructionRecord[] = [];
  /** Index of the next instruction. */
  next = 0;

  constructor(
    readonly core: CoreContext,
    readonly program: Program,
    /** false = timing only: cycles without computing data. */
    readonly execute = true,
  ) {
    this.info = infoOf(program, core);
  }

  /** Whether every instruction has run. */
  get done(): boolean {
    return this.next >= this.program.instructions.length;
  }

  /** The next instruction. */
  get current(): Instruction {
    const instr = this.program.instructions[this.next];
    if (!instr) throw new RangeError('program run: no instruction left');
    return instr;
  }

  /** The cycle at which the next instruction can start: its deps are done and its unit is free. */
  readyCycle(): number {
    const instr = this.current;
    let t = this.busyUntil[this.info[this.next]!.unit];
    const deps = instr.deps;
    if (deps) for (let i = 0; i < deps.length; i++) t = Math.max(t, this.ends[deps[i]!]!);
    return t;
  }

  /** Runs the next (non-collective) instruction. */
  step(): void {
    const instr = this.current;
    if (instr.kind === 'all-reduce') throw new Error(`${describeInstruction(instr, this.next)} must be completed by the board`);
    if (this.execute) executeInstruction(instr, this.core);
    const info = this.info[this.next]!;
    this.record(this.readyCycle(), info.cycles, info.flops, info.bytes);
  }

  /** Completes the next instruction (a collective) with a start and duration decided outside. */
  complete(startCycle: number, cycles: number, bytes: number): void {
    this.record(Math.max(startCycle, this.readyCycle()), cycles, 0, bytes);
  }

  private record(start: number, cycles: number, flops: number, bytes: number): void {
    const instr = this.current;
    const { unit, name } = this.info[this.next]!;
    const end = start + cycles;
    this.busyUntil[unit] = end;
    this.ends[this.next] = end;
    this.records.push({ index: this.next, kind: instr.kind, name, unit, startCycle: start, endCycle: end, cycles, flops, bytes });
    this.next++;
  }
}
