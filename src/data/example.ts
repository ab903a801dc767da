/**
 * @module data/example
 * `tf.train.Example` encode and decode, with protobufjs and the real message definitions in
 * ./example.proto. Imports protobufjs, node built-ins, ./errors.
 *
 * In memory an Example is a plain record of features, each one of three kinds:
 * `bytes` (Uint8Array[]), `float` (Float32Array) or `int64` (BigInt64Array — int64 values
 * stay exact; protobufjs's Long objects never escape this file).
 * Invariants: decode(encode(x)) equals x; decoding throws only ExampleParseError.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { ExampleParseError } from './errors.ts';

/** One feature of an Example. */
export type Feature =
  | { readonly kind: 'bytes'; readonly value: readonly Uint8Array[] }
  | { readonly kind: 'float'; readonly value: Float32Array }
  | { readonly kind: 'int64'; readonly value: BigInt64Array };

/** A tf.train.Example: named features. */
export type Example = Readonly<Record<string, Feature>>;

const PROTO_TEXT = readFileSync(new URL('./example.proto', import.meta.url), 'utf8');
const ROOT = protobuf.parse(PROTO_TEXT, { keepCase: true }).root;
const EXAMPLE = ROOT.lookupType('tensorflow.Example');

/** A bytes feature from byte arrays or strings (strings are UTF-8 encoded). */
export function bytesFeature(values: readonly (Uint8Array | string)[]): Feature {
  const enc = new TextEncoder();
  return { kind: 'bytes', value: values.map((v) => (typeof v === 'string' ? enc.encode(v) : v)) };
}

/** A float feature (values are rounded to f32, as TensorFlow stores them). */
export function floatFeature(values: ArrayLike<number>): Feature {
  return { kind: 'float', value: Float32Array.from(values as ArrayLike<number>) };
}

/** An int64 feature; numbers must be safe integers. */
export function int64Feature(values: readonly (number | bigint)[]): Feature {
  const out = new BigInt64Array(values.length);
  values.forEach((v, i) => {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`int64Feature: ${v} is not a safe integer`);
    out[i] = BigInt.asIntN(64, BigInt(v));
  });
  return { kind: 'int64', value: out };
}

interface LongLike {
  readonly low: number;
  readonly high: number;
}

function toLongLike(v: bigint): LongLike {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

function fromLongLike(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  const l = v as LongLike;
  return BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0));
}

/** Serialises an Example to its protobuf wire bytes. */
export function encodeExample(example: Example): Uint8Array {
  const feature: Record<string, object> = {};
  for (const [key, f] of Object.entries(example)) {
    if (f.kind === 'bytes') feature[key] = { bytes_list: { value: [...f.value] } };
    else if (f.kind === 'float') feature[key] = { float_list: { value: Array.from(f.value) } };
    else feature[key] = { int64_list: { value: Array.from(f.value, toLongLike) } };
  }
  return EXAMPLE.encode({ features: { feature } }).finish();
}

interface RawFeature {
  bytes_list?: { value?: Uint8Array[] };
  float_list?: { value?: number[] };
  int64_list?: { value?: unknown[] };
}

/**
 * Parses protobuf wire bytes as an Example.
 * @throws ExampleParseError when the bytes are not a valid Example
 */
export function decodeExample(bytes: Uint8Array): Example {
  let msg: { features?: { feature?: Record<string, RawFeature> } };
  try {
    msg = EXAMPLE.decode(bytes) as typeof msg;
  } catch (err) {
    throw new ExampleParseError(`not a tf.train.Example (${err instanceof Error ? err.message : String(err)})`);
  }
  const entries: [string, Feature][] = [];
  for (const [key, raw] of Object.entries(msg.features?.feature ?? {})) {
    entries.push([key, toFeature(raw)]);
  }
  // Object.fromEntries defines own properties, so a key like "__proto__" stays a plain key.
  return Object.fromEntries(entries);
}

function toFeature(raw: RawFeature): Feature {
  if (raw.bytes_list) return { kind: 'bytes', value: (raw.bytes_list.value ?? []).map((b) => new Uint8Array(b.buffer, b.byteOffset, b.length)) };
  if (raw.float_list) return { kind: 'float', value: Float32Array.from(raw.float_list.value ?? []) };
  if (raw.int64_list) return { kind: 'int64', value: BigInt64Array.from(raw.int64_list.value ?? [], fromLongLike) };
  // A Feature with no kind set: TensorFlow treats it as an empty list of unknown type.
  return { kind: 'bytes', value: [] };
}

function escapeBytes(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return s;
}

/** A float as protobuf text format prints it: shortest round-trip form, `1.0` not `1`. */
function formatFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  let s = String(v);
  for (let p = 1; p <= 9; p++) {
    const short = Number(v.toPrecision(p));
    if (Math.fround(short) === Math.fround(v)) {
      s = String(short);
      break;
    }
  }
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Options for {@link formatExample}. */
export interface FormatOptions {
  /** Bytes values longer than this are shown as length plus a prefix (default 32). */
  readonly maxBytes?: number;
}

/** One bytes value: quoted when short, `<N bytes> "prefix"...` when long. */
export function formatBytes(b: Uint8Array, maxBytes = 32): string {
  if (b.length <= maxBytes) return `"${escapeBytes(b)}"`;
  return `<${b.length} bytes> "${escapeBytes(b.subarray(0, Math.min(16, maxBytes)))}"...`;
}

/**
 * Prints an Example the way TensorFlow prints one (protobuf text format, keys sorted), with
 * long bytes values shown by length and prefix.
 */
export function formatExample(example: Example, opts: FormatOptions = {}): string {
  const lines = ['features {'];
  for (const key of Object.keys(example).sort()) {
    const f = example[key]!;
    const list = f.kind === 'bytes' ? 'bytes_list' : f.kind === 'float' ? 'float_list' : 'int64_list';
    lines.push('  feature {', `    key: "${key.replace(/["\\]/g, (c) => `\\${c}`)}"`, '    value {', `      ${list} {`);
    if (f.kind === 'bytes') for (const b of f.value) lines.push(`        value: ${formatBytes(b, opts.maxBytes)}`);
    else if (f.kind === 'float') for (const v of f.value) lines.push(`        value: ${formatFloat(v)}`);
    else for (const v of f.value) lines.push(`        value: ${String(v)}`);
    lines.push('      }', '    }', '  }');
  }
  lines.push('}');
  return lines.join('\n');
}

/** A JSON-friendly view of an Example: bytes as {length, prefix}, int64 as decimal strings. */
export function exampleToJson(example: Example, maxBytes = 32): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(example).sort()) {
    const f = example[key]!;
    if (f.kind === 'bytes') out[key] = { bytes_list: f.value.map((b) => (b.length <= maxBytes ? { length: b.length, text: new TextDecoder().decode(b) } : { length: b.length, prefixHex: Buffer.from(b.subarray(0, 16)).toString('hex') })) };
    else if (f.kind === 'float') out[key] = { float_list: Array.from(f.value) };
    else out[key] = { int64_list: Array.from(f.value, String) };
  }
  return out;
}
