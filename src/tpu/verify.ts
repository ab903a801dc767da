/**
 * @module tpu/verify
 * The program verifier: every rule listed in ./program.ts, checked before a program runs,
 * with errors that name the instruction and the buffer. Imports ./program and mxu/config.
 */
import { checkShape } from '../mxu/config.ts';
import { checkFeed } from '../mxu/feed.ts';
import { ProgramError, accesses, describeInstruction, dmaLayout, storageMap, unitOf, type BufferDecl, type Instruction, type Program } from './program.ts';

function checkBuffers(buffers: readonly BufferDecl[]): Map<string, BufferDecl> {
  const byName = new Map<string, BufferDecl>();
  for (const b of buffers) {
    if (byName.has(b.name)) throw new ProgramError(`buffer '${b.name}' is declared twice`);
    if (!Number.isSafeInteger(b.values) || b.values < 1) throw new ProgramError(`buffer '${b.name}': values must be a positive integer, got ${b.values}`);
    byName.set(b.name, b);
  }
  for (const b of buffers) {
    if (b.of === undefined) continue;
    const base = byName.get(b.of);
    if (!base || base.of !== undefined) throw new ProgramError(`view '${b.name}' must view a declared buffer that is not itself a view, got '${b.of}'`);
    if (base.memory !== b.memory || b.values > base.values) throw new ProgramError(`view '${b.name}' (${b.values} values in ${b.memory}) does not fit in '${base.name}' (${base.values} values in ${base.memory})`);
  }
  return byName;
}

function expectSize(where: string, buf: BufferDecl, values: number, role: string): void {
  if (buf.values !== values) throw new ProgramError(`${where}: ${role} '${buf.name}' has ${buf.values} values, expected ${values}`);
}

/** Checks operand memories and sizes of one instruction. */
function checkOperands(instr: Instruction, where: string, buf: (name: string) => BufferDecl): void {
  const { reads, writes } = accesses(instr);
  const all = [...reads, ...writes].map(buf);
  if (instr.kind !== 'dma' && instr.kind !== 'all-reduce') {
    for (const b of all) if (b.memory !== 'vmem') throw new ProgramError(`${where}: operand '${b.name}' is in ${b.memory}; the ${unitOf(instr).toUpperCase()} reads and writes vector memory only`);
  }
  const n = (x: string | number): number | null => (typeof x === 'string' ? buf(x).values : null);
  switch (instr.kind) {
    case 'dma': {
      const l = dmaLayout(instr, buf(instr.src).values);
      const ints = [l.srcOffset, l.dstOffset, l.values, l.rows, l.srcStride, l.dstStride, l.planes, l.planeSrcStride, l.planeDstStride];
      if (ints.some((v) => !Number.isSafeInteger(v) || v < 0) || l.values < 1 || l.rows < 1 || l.planes < 1) {
        throw new ProgramError(`${where}: offsets, strides, values, rows and planes must be non-negative integers (values, rows and planes >= 1)`);
      }
      const srcEnd = l.srcOffset + (l.planes - 1) * l.planeSrcStride + (l.rows - 1) * l.srcStride + l.values;
      const dstEnd = l.dstOffset + (l.planes - 1) * l.planeDstStride + (l.rows - 1) * l.dstStride + l.values;
      if (srcEnd > buf(instr.src).values || dstEnd > buf(instr.dst).values) {
        const shape = l.planes > 1 ? `${l.planes} x ${l.rows} x ${l.values}` : `${l.rows} x ${l.values}`;
        throw new ProgramError(
          `${where}: copies ${shape} values from '${instr.src}' (up to ${srcEnd} of ${buf(instr.src).values}) to '${instr.dst}' (up to ${dstEnd} of ${buf(instr.dst).values}): out of bounds`,
        );
      }
      return;
    }
    case 'matmul': {
      checkShape(instr.shape);
      const { m, k, n: cols } = instr.shape;
      if (instr.feed) {
        const problem = checkFeed(instr.feed, instr.shape, buf(instr.a).values);
        if (problem) throw new ProgramError(`${where}: a '${instr.a}': ${problem}`);
      } else expectSize(where, buf(instr.a), m * k, 'a');
      if (instr.accumulate && (instr.precision ?? 'default') !== 'default') throw new ProgramError(`${where}: accumulates in '${instr.precision}' precision; only 'default' can (its passes combine whole contractions)`);
      expectSize(where, buf(instr.b), k * cols, 'b');
      expectSize(where, buf(instr.out), m * cols, 'out');
      return;
    }
    case 'vpu-reduce': {
      expectSize(where, buf(instr.x), instr.rows * instr.cols, 'x');
      const outLen = instr.axis === 0 ? instr.cols : instr.axis === 1 ? instr.rows : 1;
      expectSize(where, buf(instr.out), outLen, 'out');
      return;
    }
    case 'vpu-fold':
      expectSize(where, buf(instr.x), instr.rows * instr.cols, 'x');
      if (buf(instr.out).values % instr.cols !== 0) throw new ProgramError(`${where}: out '${instr.out}' holds ${buf(instr.out).values} values, not sublanes x ${instr.cols} columns`);
      return;
    case 'vpu-broadcast':
      expectSize(where, buf(instr.out), buf(instr.x).values * instr.rows, 'out');
      return;
    case 'vpu-broadcast-col':
      expectSize(where, buf(instr.out), buf(instr.x).values * instr.cols, 'out');
      return;
    case 'vpu-transpose':
      expectSize(where, buf(instr.x), instr.rows * instr.cols, 'x');
      expectSize(where, buf(instr.out), instr.rows * instr.cols, 'out');
      return;
    case 'all-reduce':
      return;
    default: {
      const out = buf(instr.out).values;
      const operands = instr.kind === 'vpu-unary' ? [instr.x] : instr.kind === 'vpu-select' ? [instr.mask, instr.a, instr.b] : [instr.a, instr.b];
      for (const x of operands) {
        const len = n(x);
        if (len !== null && len !== out) throw new ProgramError(`${where}: operand '${String(x)}' has ${len} values, out '${instr.out}' has ${out}`);
      }
    }
  }
}

/**
 * Whether `later` is ordered after `earlier`: same unit (units run in order), or a path of
 * deps from `later` reaches `earlier`, an instruction on earlier's unit after it, or one
 * already known to be ordered after it (memo, so long chains are checked in linear time).
 */
function orderedAfter(program: Program, later: number, earlier: number, memo: Map<number, Set<number>>): boolean {
  const unit = unitOf(program.instructions[earlier]!);
  if (unitOf(program.instructions[later]!) === unit) return true;
  const known = memo.get(earlier) ?? new Set<number>();
  memo.set(earlier, known);
  const seen = new Set<number>();
  const stack = [later];
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (const d of program.instructions[i]!.deps ?? []) {
      if (d === earlier || known.has(d) || (d > earlier && unitOf(program.instructions[d]!) === unit)) {
        known.add(later);
        return true;
      }
      if (d > earlier && !seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  return false;
}

function checkHazards(program: Program): void {
  const lastWriter = new Map<string, number>();
  const readers = new Map<string, number[]>();
  const memo = new Map<number, Set<number>>();
  const ordered = (later: number, earlier: number): boolean => orderedAfter(program, later, earlier, memo);
  const storage = storageMap(program.buffers);
  program.instructions.forEach((instr, i) => {
    const named = accesses(instr);
    const reads = named.reads.map((n) => storage.get(n) ?? n);
    const writes = named.writes.map((n) => storage.get(n) ?? n);
    const fail = (j: number, name: string, what: string): never => {
      throw new ProgramError(`${describeInstruction(instr, i)} ${what} '${name}' used by ${describeInstruction(program.instructions[j]!, j)} without a dependency on it (a race between units)`);
    };
    for (const name of reads) {
      const w = lastWriter.get(name);
      if (w !== undefined && !ordered(i, w)) fail(w, name, 'reads');
    }
    for (const name of writes) {
      const w = lastWriter.get(name);
      if (w !== undefined && w !== i && !ordered(i, w)) fail(w, name, 'writes');
      for (const r of readers.get(name) ?? []) if (r !== i && !ordered(i, r)) fail(r, name, 'writes');
    }
    for (const name of reads) {
      const list = readers.get(name);
      if (list) list.push(i);
      else readers.set(name, [i]);
    }
    for (const name of writes) {
      lastWriter.set(name, i);
      readers.set(name, []);
    }
  });
}

/** Verifies a program; throws ProgramError naming the first problem. */
export function verifyProgram(program: Program): void {
  const byName = checkBuffers(program.buffers);
  program.instructions.forEach((instr, i) => {
    const where = describeInstruction(instr, i);
    for (const d of instr.deps ?? []) {
      if (!Number.isSafeInteger(d) || d < 0 || d >= i) throw new ProgramError(`${where}: dependency ${d} must be an earlier instruction (0..${i - 1})`);
    }
    const buf = (name: string): BufferDecl => {
      const b = byName.get(name);
      if (!b) throw new ProgramError(`${where}: no buffer '${name}' is declared`);
      return b;
    };
    checkOperands(instr, where, buf);
  });
  checkHazards(program);
}
