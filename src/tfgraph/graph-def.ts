/**
 * @module tfgraph/graph-def
 * TensorFlow's frozen `GraphDef`, read from and written to its protobuf wire bytes with
 * protobufjs and the message subset in ./graph.proto, as plain readonly data: nodes with
 * their op, inputs and decoded attributes; constant tensors as typed arrays.
 *
 * Imports protobufjs, node built-ins, ./errors. Knows nothing of layers or HLO.
 * Invariants: reading throws only GraphDefError (naming the source, and the node and attr
 * when one is at fault); protobufjs's Long objects never escape this file; a tensor's
 * values always number the product of its dims (a single listed value is repeated, as
 * TensorFlow does).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { GraphDefError } from './errors.ts';

const ROOT = protobuf.parse(readFileSync(new URL('./graph.proto', import.meta.url), 'utf8'), { keepCase: true }).root;
const GRAPH_DEF = ROOT.lookupType('tensorflow.GraphDef');
const DATA_TYPE = ROOT.lookupEnum('tensorflow.DataType');

/** Element types tpusim reads ('DT_FLOAT' -> 'float'). */
export type TfDType = 'float' | 'double' | 'int32' | 'int64' | 'uint8' | 'int16' | 'int8' | 'bool';

/** A constant tensor: dims and row-major values (f32 for float, f64 for double and int64, i32 otherwise). */
export interface TfTensor {
  readonly dtype: TfDType;
  readonly dims: readonly number[];
  readonly values: Float32Array | Float64Array | Int32Array;
}

/** A shape attribute: dims (-1 unknown), or null for an unknown rank. */
export type TfShape = readonly number[] | null;

/** A decoded attribute value (AttrValue's oneof). */
export type TfAttr =
  | { readonly kind: 's'; readonly value: string }
  | { readonly kind: 'i'; readonly value: number }
  | { readonly kind: 'f'; readonly value: number }
  | { readonly kind: 'b'; readonly value: boolean }
  | { readonly kind: 'type'; readonly value: string }
  | { readonly kind: 'shape'; readonly value: TfShape }
  | { readonly kind: 'tensor'; readonly value: TfTensor }
  | { readonly kind: 'list'; readonly value: { readonly s: readonly string[]; readonly i: readonly number[]; readonly f: readonly number[] } };

/** One node: name, op type, inputs ("x", "x:1", "^ctrl") and attributes. */
export interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attrs: Readonly<Record<string, TfAttr>>;
}

/** A graph: its nodes in file order. */
export interface TfGraph {
  readonly nodes: readonly TfNode[];
}

const DTYPE_OF: { readonly [wire: string]: TfDType } = {
  DT_FLOAT: 'float', DT_DOUBLE: 'double', DT_INT32: 'int32', DT_INT64: 'int64',
  DT_UINT8: 'uint8', DT_INT16: 'int16', DT_INT8: 'int8', DT_BOOL: 'bool',
};
const BYTES_OF: { readonly [d in TfDType]: number } = { float: 4, double: 8, int32: 4, int64: 8, uint8: 1, int16: 2, int8: 1, bool: 1 };

interface RawShape { dim?: { size?: unknown }[]; unknown_rank?: boolean }
interface RawTensor {
  dtype?: number; tensor_shape?: RawShape; tensor_content?: Uint8Array;
  float_val?: number[]; double_val?: number[]; int_val?: number[]; int64_val?: unknown[]; bool_val?: boolean[];
}
interface RawAttr {
  s?: Uint8Array; i?: unknown; f?: number; b?: boolean; type?: number; shape?: RawShape; tensor?: RawTensor;
  list?: { s?: Uint8Array[]; i?: unknown[]; f?: number[] };
}
interface RawNode { name?: string; op?: string; input?: string[]; attr?: Record<string, RawAttr> }

/** An int64 from protobufjs (a number, or a Long-like {low, high}) as a safe number. */
function int64(v: unknown, where: () => string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else {
    const l = v as { low: number; high: number };
    n = Number(BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0)));
  }
  if (!Number.isSafeInteger(n)) throw new GraphDefError(`${where()}: int64 value ${String(n)} is not a safe integer`);
  return n;
}

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

function shapeOf(raw: RawShape | undefined, where: () => string): TfShape {
  if (raw?.unknown_rank) return null;
  return (raw?.dim ?? []).map((d) => int64(d.size ?? 0, where));
}

function dtypeName(wire: number | undefined, where: () => string): TfDType {
  const name = DATA_TYPE.valuesById[wire ?? 0] ?? `enum value ${wire}`;
  const d = DTYPE_OF[name];
  if (d === undefined) throw new GraphDefError(`${where()}: tensors of type ${name} are not supported (float, double, int32, int64, int8/16, uint8, bool are)`);
  return d;
}

/** The values of raw little-endian bytes. */
function fromContent(bytes: Uint8Array, dtype: TfDType, count: number): Float32Array | Float64Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: { readonly [d in TfDType]: (i: number) => number } = {
    float: (i) => view.getFloat32(i * 4, true), double: (i) => view.getFloat64(i * 8, true),
    int32: (i) => view.getInt32(i * 4, true), int64: (i) => Number(view.getBigInt64(i * 8, true)),
    uint8: (i) => view.getUint8(i), int16: (i) => view.getInt16(i * 2, true), int8: (i) => view.getInt8(i), bool: (i) => view.getUint8(i),
  };
  const out = dtype === 'float' ? new Float32Array(count) : dtype === 'double' || dtype === 'int64' ? new Float64Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = read[dtype](i);
  return out;
}

/** A TensorProto as a TfTensor; `where` names the node and attribute for errors. */
function tensorOf(raw: RawTensor, where: () => string): TfTensor {
  const dtype = dtypeName(raw.dtype, where);
  const dims = shapeOf(raw.tensor_shape, where);
  if (dims === null || dims.some((d) => d < 0)) throw new GraphDefError(`${where()}: a constant tensor needs a fully known shape`);
  const count = dims.reduce((a, d) => a * d, 1);
  const content = raw.tensor_content;
  if (content && content.length > 0) {
    if (content.length !== count * BYTES_OF[dtype]) {
      throw new GraphDefError(`${where()}: tensor_content holds ${content.length} bytes, but ${dtype}[${dims.join(',')}] needs ${count * BYTES_OF[dtype]}`);
    }
    return { dtype, dims, values: fromContent(content, dtype, count) };
  }
  const listed: readonly number[] =
    dtype === 'float' ? (raw.float_val ?? []) : dtype === 'double' ? (raw.double_val ?? []) : dtype === 'int64' ? (raw.int64_val ?? []).map((v) => int64(v, where))
      : dtype === 'bool' ? (raw.bool_val ?? []).map((b) => (b ? 1 : 0)) : (raw.int_val ?? []);
  if (listed.length !== count && !(listed.length === 1 || (listed.length === 0 && count >= 0))) {
    throw new GraphDefError(`${where()}: ${listed.length} values listed for ${dtype}[${dims.join(',')}] (${count} elements)`);
  }
  const values = dtype === 'float' ? new Float32Array(count) : dtype === 'double' || dtype === 'int64' ? new Float64Array(count) : new Int32Array(count);
  // NOTE: TensorFlow repeats the last listed value to fill the shape (a splat constant lists one).
  for (let i = 0; i < count; i++) values[i] = listed[Math.min(i, listed.length - 1)] ?? 0;
  return { dtype, dims, values };
}

function attrOf(raw: RawAttr, where: () => string): TfAttr {
  // NOTE: decoded messages keep unset fields on the prototype (as defaults or null), so only
  // an own property says which member of the oneof the file set.
  const has = (k: keyof RawAttr): boolean => Object.hasOwn(raw, k) && raw[k] !== null && raw[k] !== undefined;
  if (has('list')) {
    const l = raw.list!;
    return { kind: 'list', value: { s: (l.s ?? []).map(utf8), i: (l.i ?? []).map((v) => int64(v, where)), f: l.f ?? [] } };
  }
  if (has('s')) return { kind: 's', value: utf8(raw.s!) };
  if (has('i')) return { kind: 'i', value: int64(raw.i, where) };
  if (has('f')) return { kind: 'f', value: raw.f! };
  if (has('b')) return { kind: 'b', value: raw.b! };
  if (has('type')) return { kind: 'type', value: DATA_TYPE.valuesById[raw.type!] ?? `enum value ${raw.type}` };
  if (has('shape')) return { kind: 'shape', value: shapeOf(raw.shape, where) };
  if (has('tensor')) return { kind: 'tensor', value: tensorOf(raw.tensor!, where) };
  return { kind: 'list', value: { s: [], i: [], f: [] } };
}

/**
 * Parses the wire bytes of a GraphDef. `source` (a file name) starts every error message.
 * @throws GraphDefError when the bytes are not a GraphDef, a node lacks a name or op, two
 *   nodes share a name, or a constant is malformed
 * @example readGraphDef(readFileSync('frozen_graph.pb'), 'frozen_graph.pb').nodes.length
 */
export function readGraphDef(bytes: Uint8Array, source: string): TfGraph {
  let msg: { node?: RawNode[] };
  try {
    msg = GRAPH_DEF.decode(bytes) as typeof msg;
  } catch (err) {
    throw new GraphDefError(`${source}: not a TensorFlow GraphDef (${err instanceof Error ? err.message : String(err)})`);
  }
  const raw = msg.node ?? [];
  if (raw.length === 0) throw new GraphDefError(`${source}: the GraphDef has no nodes (is this a frozen graph .pb?)`);
  const seen = new Set<string>();
  const nodes = raw.map((n, index): TfNode => {
    const name = n.name ?? '';
    if (name === '' || (n.op ?? '') === '') throw new GraphDefError(`${source}: node #${index} ('${name}') has no ${name === '' ? 'name' : 'op'}; not a valid GraphDef`);
    if (seen.has(name)) throw new GraphDefError(`${source}: two nodes are named '${name}'`);
    seen.add(name);
    const attrs: Record<string, TfAttr> = {};
    for (const [key, value] of Object.entries(n.attr ?? {})) {
      attrs[key] = attrOf(value, () => `${source}: node '${name}' (${n.op}) attr '${key}'`);
    }
    return { name, op: n.op!, inputs: n.input ?? [], attrs };
  });
  return { nodes };
}

/** An attribute to encode: the AttrValue oneof as protobufjs takes it (tensor values as TfTensor). */
function rawAttr(a: TfAttr): object {
  switch (a.kind) {
    case 's': return { s: new TextEncoder().encode(a.value) };
    case 'type': return { type: DATA_TYPE.values[a.value] ?? 0 };
    case 'shape': return { shape: a.value === null ? { unknown_rank: true } : { dim: a.value.map((size) => ({ size })) } };
    case 'tensor': return { tensor: rawTensor(a.value) };
    case 'list': return { list: { s: a.value.s.map((s) => new TextEncoder().encode(s)), i: [...a.value.i], f: [...a.value.f] } };
    default: return { [a.kind]: a.value };
  }
}

function rawTensor(t: TfTensor): object {
  const wire = Object.entries(DTYPE_OF).find(([, d]) => d === t.dtype)![0];
  const shape = { dim: t.dims.map((size) => ({ size })) };
  if (t.dtype === 'float') return { dtype: DATA_TYPE.values[wire], tensor_shape: shape, tensor_content: new Uint8Array(Float32Array.from(t.values).buffer) };
  if (t.dtype === 'int32') return { dtype: DATA_TYPE.values[wire], tensor_shape: shape, int_val: Array.from(t.values) };
  if (t.dtype === 'int64') return { dtype: DATA_TYPE.values[wire], tensor_shape: shape, int64_val: Array.from(t.values) };
  throw new RangeError(`encodeGraphDef: tensors of type ${t.dtype} are not written (float, int32, int64 are)`);
}

/**
 * Serialises a graph to GraphDef wire bytes (float constants as tensor_content, as
 * TensorFlow's freezer writes them). Used to build small graphs in tests and examples.
 */
export function encodeGraphDef(graph: TfGraph): Uint8Array {
  const node = graph.nodes.map((n) => ({
    name: n.name,
    op: n.op,
    input: [...n.inputs],
    attr: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, rawAttr(v)])),
  }));
  return GRAPH_DEF.encode({ node, versions: { producer: 24 } }).finish();
}
