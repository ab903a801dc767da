/**
 * @module xla/print
 * HLO text in the spirit of XLA's (house style B): one instruction per line,
 * `%4 = f32[32,128]{1,0} dot(%2, %3), lhs_contracting_dims={1}, rhs_contracting_dims={0}, metadata={source="dense_1"}`.
 * Default attributes are omitted (JAX's pp rules); ./parse.ts reads every line back.
 *
 * Imports ./hlo types only. Names: an unnamed instruction prints as `%<id>`, a named one
 * as `%<name>.<id>` (XLA's `%param.1`), so ids survive a round trip. Fused computations
 * print before the entry, each once. More than one output prints as a final
 * `ROOT %tuple = (...) tuple(...)` line.
 */
import type { HloComputation, HloInstruction, HloModule, PadPair, Shape, WindowAttrs } from './hlo.ts';

/** How an instruction is referred to: `%7` or `%x.0`. */
export function instrName(instr: Pick<HloInstruction, 'id' | 'name'>): string {
  return instr.name !== undefined ? `%${instr.name}.${instr.id}` : `%${instr.id}`;
}

/** `f32[32,128]{1,0}` (the layout is row-major; a tile, when chosen, is appended as `:T(8,128)`). */
export function printShape(shape: Shape, tile?: readonly [number, number]): string {
  const rank = shape.dims.length;
  const layout = rank === 0 ? '' : `{${shape.dims.map((_, i) => rank - 1 - i).join(',')}${tile && rank >= 2 ? `:T(${tile[0]},${tile[1]})` : ''}}`;
  return `${shape.dtype}[${shape.dims.join(',')}]${layout}`;
}

/** A number as HLO text: shortest round-tripping form, nan / inf / -inf, and -0. */
export function printNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

const list = (xs: readonly number[]): string => `{${xs.join(',')}}`;
const allEqual = (xs: readonly number[], v: number): boolean => xs.every((x) => x === v);
const pads = (p: readonly PadPair[]): string => p.map(([lo, hi]) => `${lo}_${hi}`).join('x');

/** `size=1x2x2x1 stride=1x2x2x1 pad=0_0x...` with the default stride and padding left out. */
function printWindow(a: WindowAttrs): string {
  const parts = [`size=${a.window.join('x')}`];
  if (!allEqual(a.strides, 1)) parts.push(`stride=${a.strides.join('x')}`);
  if (!a.padding.every(([lo, hi]) => lo === 0 && hi === 0)) parts.push(`pad=${pads(a.padding)}`);
  return `window={${parts.join(' ')}}`;
}

/** The attribute list of an instruction (after the operands), defaults omitted. */
function printAttrs(instr: HloInstruction, windowSize: readonly number[]): string[] {
  switch (instr.op) {
    case 'parameter':
      return [];
    case 'iota':
      return [`iota_dimension=${instr.attrs.dimension}`];
    case 'rng':
      return [`seed=${instr.attrs.seed}`];
    case 'compare':
      return [`direction=${instr.attrs.direction}`];
    case 'broadcast':
    case 'transpose':
    case 'reverse':
    case 'concatenate':
    case 'reduce': {
      const a = instr.attrs;
      const dims = 'permutation' in a ? a.permutation : 'dimensions' in a ? a.dimensions : [a.dimension];
      const out = [`dimensions=${list(dims)}`];
      if (instr.op === 'reduce' && instr.attrs.kind === 'max') out.push('to_apply=max');
      return out;
    }
    case 'slice':
      return [`slice={${instr.attrs.start.map((s, i) => `[${s}:${instr.attrs.limit[i]}${instr.attrs.strides[i] !== 1 ? `:${instr.attrs.strides[i]}` : ''}]`).join(', ')}}`];
    case 'pad': {
      const a = instr.attrs;
      const out = [`padding=${a.low.map((lo, i) => `${lo}_${a.high[i]}${a.interior[i] !== 0 ? `_${a.interior[i]}` : ''}`).join('x')}`];
      if (a.value !== 0 || Object.is(a.value, -0)) out.push(`value=${printNumber(a.value)}`);
      return out;
    }
    case 'reduce-window':
      return [printWindow(instr.attrs), ...(instr.attrs.kind === 'max' ? ['to_apply=max'] : [])];
    case 'select-and-scatter':
      return [printWindow(instr.attrs)];
    case 'dot': {
      const a = instr.attrs;
      const out: string[] = [];
      if (a.lhsBatch.length > 0) out.push(`lhs_batch_dims=${list(a.lhsBatch)}`);
      out.push(`lhs_contracting_dims=${list(a.lhsContracting)}`);
      if (a.rhsBatch.length > 0) out.push(`rhs_batch_dims=${list(a.rhsBatch)}`);
      out.push(`rhs_contracting_dims=${list(a.rhsContracting)}`);
      if (a.precision !== 'default') out.push(`precision=${a.precision}`);
      return out;
    }
    case 'convolution': {
      const a = instr.attrs;
      const parts = [`size=${windowSize.join('x')}`];
      if (!allEqual(a.strides, 1)) parts.push(`stride=${a.strides.join('x')}`);
      if (!a.padding.every(([lo, hi]) => lo === 0 && hi === 0)) parts.push(`pad=${pads(a.padding)}`);
      if (!allEqual(a.lhsDilation, 1)) parts.push(`lhs_dilate=${a.lhsDilation.join('x')}`);
      if (!allEqual(a.rhsDilation, 1)) parts.push(`rhs_dilate=${a.rhsDilation.join('x')}`);
      const out = [`window={${parts.join(' ')}}`, 'dim_labels=b01f_01io->b01f'];
      if (a.precision !== 'default') out.push(`precision=${a.precision}`);
      return out;
    }
    case 'all-reduce':
      return instr.attrs.replicas !== 1 ? [`replicas=${instr.attrs.replicas}`] : [];
    case 'fusion':
      return [`kind=${instr.attrs.kind}`, `calls=%${instr.attrs.computation.name}`];
    default:
      return [];
  }
}

/** The operand list: `(%2, %3)`; a constant's literal; a parameter's index. */
function printOperands(instr: HloInstruction, byId: ReadonlyMap<number, HloInstruction>): string {
  if (instr.op === 'parameter') return `(${instr.attrs.index})`;
  if (instr.op === 'constant') {
    const v = instr.attrs.value;
    return v.length === 1 ? `(${printNumber(v[0]!)})` : `({${v.map(printNumber).join(', ')}})`;
  }
  return `(${instr.operands.map((o) => instrName(byId.get(o) ?? { id: o })).join(', ')})`;
}

/** One instruction line (without indentation). */
export function printInstruction(instr: HloInstruction, byId: ReadonlyMap<number, HloInstruction>, tile?: readonly [number, number]): string {
  const windowSize = instr.op === 'convolution' ? (byId.get(instr.operands[1]!)?.shape.dims.slice(0, 2) ?? []) : [];
  const attrs = printAttrs(instr, windowSize);
  if (instr.metadata?.source !== undefined) attrs.push(`metadata={source=${JSON.stringify(instr.metadata.source)}}`);
  const tail = attrs.length > 0 ? `, ${attrs.join(', ')}` : '';
  return `${instrName(instr)} = ${printShape(instr.shape, tile)} ${instr.op}${printOperands(instr, byId)}${tail}`;
}

/** A computation as text: header, one indented line per instruction, closing brace. */
export function printComputation(c: HloComputation, entry: boolean, tile?: readonly [number, number]): string {
  const byId = new Map(c.instructions.map((i) => [i.id, i]));
  const last = c.instructions[c.instructions.length - 1];
  const singleRoot = c.outputs.length === 1 && last !== undefined && c.outputs[0] === last.id;
  const lines = c.instructions.map((i) => `  ${singleRoot && i === last ? 'ROOT ' : ''}${printInstruction(i, byId, tile)}`);
  if (!singleRoot) {
    const shapes = c.outputs.map((o) => printShape(byId.get(o)!.shape, tile)).join(', ');
    lines.push(`  ROOT %tuple = (${shapes}) tuple(${c.outputs.map((o) => instrName(byId.get(o)!)).join(', ')})`);
  }
  return `${entry ? 'ENTRY ' : ''}%${c.name} {\n${lines.join('\n')}\n}`;
}

/** Every computation called by fusions inside `c`, callees first, each once. */
export function calledComputations(c: HloComputation, seen = new Map<string, HloComputation>()): HloComputation[] {
  for (const i of c.instructions) {
    if (i.op !== 'fusion' || seen.has(i.attrs.computation.name)) continue;
    calledComputations(i.attrs.computation, seen);
    seen.set(i.attrs.computation.name, i.attrs.computation);
  }
  return [...seen.values()];
}

/**
 * A whole module as HLO text.
 * @example print(b.build(y)) // 'HloModule f\n\nENTRY %f {\n  %x.0 = f32[2]{0} parameter(0)\n ...'
 */
export function print(m: HloModule): string {
  const aliases = m.aliases?.length ? `, input_output_alias={ ${m.aliases.map((a) => `{${a.output}}: (${a.param}, {})`).join(', ')} }` : '';
  const parts = [`HloModule ${m.name}${m.tile ? `, tile=${m.tile[0]}x${m.tile[1]}` : ''}${aliases}`];
  for (const c of calledComputations(m.entry)) parts.push(printComputation(c, false, m.tile));
  parts.push(printComputation(m.entry, true, m.tile));
  return `${parts.join('\n\n')}\n`;
}
