/**
 * @module xla/parse
 * Reads the HLO text ./print.ts writes (and hand-written text in the same form) back into
 * plain data, so compiler tests can be written in HLO (house style B). Errors name the line.
 *
 * Imports ./hlo, ./verify (every parsed module is verified: shapes in the text must equal
 * the inferred ones). Property: print(parse(print(m))) === print(m) (test/xla/text.test.ts).
 */
import type { Precision } from '../mxu/config.ts';
import { DTYPES, type CompareDirection, type DType, type HloComputation, type HloInstruction, type HloModule, type Metadata, type OpName, type PadPair, type Shape } from './hlo.ts';
import { OP_NAMES } from './ops/index.ts';
import { verify } from './verify.ts';

/** Malformed HLO text: names the line and what was expected. */
export class HloParseError extends Error {
  override readonly name = 'HloParseError';
  readonly userFacing = true;
}

/** Splits `s` at top-level occurrences of `sep` (outside braces, brackets, parens and quotes). */
export function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      out.push(s.slice(start, i).trim());
      start = i + sep.length;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter((p) => p !== '');
}

function parseNumber(t: string): number {
  const v = t === 'nan' ? NaN : t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(t);
  if (Number.isNaN(v) && t !== 'nan') throw new Error(`'${t}' is not a number`);
  return v;
}

const ints = (t: string): number[] => (t.trim() === '' ? [] : t.split(/[,x]/).map((v) => parseNumber(v.trim())));
const braced = (t: string): string => {
  const s = t.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) throw new Error(`expected {...}, got '${t}'`);
  return s.slice(1, -1);
};

/** Parses `f32[32,128]{1,0:T(8,128)}` (the layout is checked to be row-major and dropped). */
export function parseShape(t: string): Shape {
  const m = /^(\w+)\[([\d,]*)\](\{[^}]*\})?$/.exec(t.trim());
  if (!m || !DTYPES.includes(m[1] as DType)) throw new Error(`bad shape '${t}'`);
  return { dims: ints(m[2]!), dtype: m[1] as DType };
}

/** Parses `1_1x0_0` (or `lo_hi_interior` triples) into per-dim lists. */
function parsePads(t: string): number[][] {
  return t.split('x').map((p) => p.split('_').map(parseNumber));
}

/** Parses a `window={size=.. stride=.. pad=.. lhs_dilate=.. rhs_dilate=..}` body. */
function parseWindow(t: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of braced(t).split(/\s+/).filter(Boolean)) {
    const [k, v] = part.split('=');
    out[k!] = v!;
  }
  return out;
}

interface Line {
  root: boolean;
  name: string;
  id: number | null;
  shape: string;
  op: string;
  operands: string;
  attrs: Record<string, string>;
}

function parseLine(text: string): Line {
  const m = /^(ROOT\s+)?%([^\s=]+)\s*=\s*(\((?:[^()]|\([^()]*\))*\)|\S+)\s+([\w-]+)\((.*)$/.exec(text);
  if (!m) throw new Error('expected `%name = shape op(operands), attrs`');
  const rest = m[5]!;
  let depth = 1;
  let end = 0;
  for (; end < rest.length && depth > 0; end++) {
    if (rest[end] === '(') depth++;
    else if (rest[end] === ')') depth--;
  }
  if (depth !== 0) throw new Error('unbalanced parentheses');
  const attrs: Record<string, string> = {};
  for (const part of splitTop(rest.slice(end), ',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`attribute '${part}' needs key=value`);
    attrs[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const full = m[2]!;
  const nm = /^(.*)\.(\d+)$/.exec(full);
  const [name, id] = /^\d+$/.test(full) ? ['', Number(full)] : nm ? [nm[1]!, Number(nm[2])] : [full, null];
  return { root: m[1] !== undefined, name, id, shape: m[3]!, op: m[4]!, operands: rest.slice(0, end - 1), attrs };
}

/** Builds the attrs of one op from its text form. */
function attrsOf(l: Line, shape: Shape, computations: ReadonlyMap<string, HloComputation>): { op: OpName; attrs: unknown } {
  const a = l.attrs;
  const op = l.op as OpName;
  if (!OP_NAMES.includes(op)) throw new Error(`unknown op '${l.op}'`);
  const dims = (): number[] => ints(braced(a.dimensions ?? '{}'));
  const precision = (a.precision ?? 'default') as Precision;
  switch (op) {
    case 'parameter':
      return { op, attrs: { index: parseNumber(l.operands), shape } };
    case 'constant': {
      const v = l.operands.trim();
      return { op, attrs: { value: v.startsWith('{') ? braced(v).split(',').map((x) => parseNumber(x.trim())) : [parseNumber(v)], shape } };
    }
    case 'iota':
      return { op, attrs: { dimension: parseNumber(a.iota_dimension ?? '0'), shape } };
    case 'rng':
      return { op, attrs: { seed: parseNumber(a.seed ?? '0'), shape } };
    case 'compare':
      return { op, attrs: { direction: (a.direction ?? 'EQ') as CompareDirection } };
    case 'convert':
      return { op, attrs: { dtype: shape.dtype } };
    case 'broadcast':
      return { op, attrs: { dims: shape.dims, dimensions: dims() } };
    case 'reshape':
      return { op, attrs: { dims: shape.dims } };
    case 'transpose':
      return { op, attrs: { permutation: dims() } };
    case 'reverse':
      return { op, attrs: { dimensions: dims() } };
    case 'concatenate':
      return { op, attrs: { dimension: dims()[0] ?? 0 } };
    case 'reduce':
      return { op, attrs: { dimensions: dims(), kind: a.to_apply === 'max' ? 'max' : 'sum' } };
    case 'slice': {
      const parts = splitTop(braced(a.slice ?? '{}'), ',').map((p) => p.replace(/[[\]]/g, '').split(':').map(parseNumber));
      return { op, attrs: { start: parts.map((p) => p[0]!), limit: parts.map((p) => p[1]!), strides: parts.map((p) => p[2] ?? 1) } };
    }
    case 'pad': {
      const p = parsePads(a.padding ?? '');
      return { op, attrs: { low: p.map((x) => x[0]!), high: p.map((x) => x[1]!), interior: p.map((x) => x[2] ?? 0), value: parseNumber(a.value ?? '0') } };
    }
    case 'reduce-window':
    case 'select-and-scatter': {
      const w = parseWindow(a.window ?? '{}');
      const window = ints(w.size ?? '');
      const attrs = {
        window,
        strides: w.stride ? ints(w.stride) : window.map(() => 1),
        padding: w.pad ? parsePads(w.pad).map((p) => [p[0]!, p[1]!] as PadPair) : window.map(() => [0, 0] as PadPair),
      };
      return { op, attrs: op === 'reduce-window' ? { ...attrs, kind: a.to_apply === 'max' ? 'max' : 'sum' } : attrs };
    }
    case 'dot':
      return {
        op,
        attrs: {
          lhsContracting: ints(braced(a.lhs_contracting_dims ?? '{}')),
          rhsContracting: ints(braced(a.rhs_contracting_dims ?? '{}')),
          lhsBatch: ints(braced(a.lhs_batch_dims ?? '{}')),
          rhsBatch: ints(braced(a.rhs_batch_dims ?? '{}')),
          precision,
        },
      };
    case 'convolution': {
      const w = parseWindow(a.window ?? '{}');
      const pair = (t: string | undefined): [number, number] => (t ? (ints(t) as [number, number]) : [1, 1]);
      const pad = w.pad ? parsePads(w.pad).map((p) => [p[0]!, p[1]!] as PadPair) : [[0, 0] as PadPair, [0, 0] as PadPair];
      return { op, attrs: { strides: pair(w.stride), padding: [pad[0]!, pad[1]!], lhsDilation: pair(w.lhs_dilate), rhsDilation: pair(w.rhs_dilate), precision } };
    }
    case 'all-reduce':
      return { op, attrs: { replicas: parseNumber(a.replicas ?? '1') } };
    case 'fusion': {
      const name = (a.calls ?? '').replace(/^%/, '');
      const computation = computations.get(name);
      if (!computation) throw new Error(`fusion calls unknown computation %${name}`);
      return { op, attrs: { kind: a.kind === 'output' ? 'output' : 'loop', computation } };
    }
    default:
      return { op, attrs: {} };
  }
}

/** Parses one computation's body lines into plain data. */
function parseComputation(name: string, lines: { text: string; no: number }[], computations: ReadonlyMap<string, HloComputation>): HloComputation {
  const instructions: HloInstruction[] = [];
  const ids = new Map<string, number>();
  let outputs: number[] | null = null;
  let nextId = 0;
  const ref = (t: string): number => {
    const id = ids.get(t.trim().replace(/^%/, ''));
    if (id === undefined) throw new Error(`unknown operand ${t.trim()}`);
    return id;
  };
  for (const { text, no } of lines) {
    try {
      const l = parseLine(text);
      if (l.op === 'tuple') {
        outputs = splitTop(l.operands, ',').map(ref);
        continue;
      }
      const id = l.id ?? nextId;
      nextId = Math.max(nextId, id + 1);
      const shape = parseShape(l.shape);
      const { op, attrs } = attrsOf(l, shape, computations);
      const operands = op === 'parameter' || op === 'constant' ? [] : splitTop(l.operands, ',').map(ref);
      const metadata: Metadata | undefined = l.attrs.metadata ? { source: JSON.parse(/source=(".*")/.exec(l.attrs.metadata)?.[1] ?? '""') as string } : undefined;
      const instr = { id, op, operands, shape, attrs, ...(l.name ? { name: l.name } : {}), ...(metadata ? { metadata } : {}) } as HloInstruction;
      instructions.push(instr);
      ids.set(l.id === null ? l.name : l.name ? `${l.name}.${id}` : String(id), id);
      if (l.root) outputs = [id];
    } catch (err) {
      throw new HloParseError(`line ${no}: ${(err as Error).message}: ${text}`);
    }
  }
  if (outputs === null) {
    const last = instructions[instructions.length - 1];
    if (!last) throw new HloParseError(`computation %${name} is empty`);
    outputs = [last.id];
  }
  return { name, instructions, outputs };
}

/**
 * Parses HLO text into a verified module.
 * @example parse('HloModule m\n\nENTRY %m {\n  %x.0 = f32[2]{0} parameter(0)\n  ROOT %1 = f32[2]{0} exp(%x.0)\n}\n')
 */
export function parse(text: string): HloModule {
  const lines = text.split('\n').map((t, i) => ({ text: t.replace(/\/\/.*$/, '').trim(), no: i + 1 }));
  const header = lines.find((l) => l.text !== '');
  const hm = header && /^HloModule\s+([^\s,]+)(?:,\s*tile=(\d+)x(\d+))?(?:,\s*input_output_alias=\{([^]*)\})?\s*$/.exec(header.text);
  if (!hm) throw new HloParseError(`line ${header?.no ?? 1}: expected 'HloModule <name>'`);
  const computations = new Map<string, HloComputation>();
  let entry: HloComputation | null = null;
  let open: { name: string; entry: boolean; body: { text: string; no: number }[] } | null = null;
  for (const l of lines.slice(lines.indexOf(header) + 1)) {
    if (l.text === '') continue;
    const start = /^(ENTRY\s+)?%([^\s{]+)\s*(?:\([^)]*\)\s*(?:->\s*\S+\s*)?)?\{$/.exec(l.text);
    if (!open && start) open = { name: start[2]!, entry: start[1] !== undefined, body: [] };
    else if (open && l.text === '}') {
      const c = parseComputation(open.name, open.body, computations);
      computations.set(c.name, c);
      if (open.entry) entry = c;
      open = null;
    } else if (open) open.body.push(l);
    else throw new HloParseError(`line ${l.no}: expected a computation header '%name {' or 'ENTRY %name {'`);
  }
  if (open) throw new HloParseError(`computation %${open.name} is not closed with '}'`);
  if (!entry) throw new HloParseError('no ENTRY computation');
  const aliases = hm[4] === undefined ? [] : [...hm[4].matchAll(/\{(\d+)\}:\s*\((\d+),\s*\{\}\)/g)].map((a) => ({ output: Number(a[1]), param: Number(a[2]) }));
  const m: HloModule = { name: hm[1]!, entry, ...(hm[2] ? { tile: [Number(hm[2]), Number(hm[3])] as const } : {}), ...(aliases.length > 0 ? { aliases } : {}) };
  verify(m);
  return m;
}
