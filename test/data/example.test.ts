import { describe, expect, it } from 'vitest';
import { ExampleParseError } from '../../src/data/errors.ts';
import { bytesFeature, decodeExample, encodeExample, floatFeature, formatExample, int64Feature, type Example } from '../../src/data/example.ts';

// Protobuf wire format, by hand: a length-delimited field is (field << 3 | 2), varint length, bytes.
function varint(n: bigint): number[] {
  let u = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    const b = Number(u & 0x7fn);
    u >>= 7n;
    out.push(u > 0n ? b | 0x80 : b);
  } while (u > 0n);
  return out;
}
const ld = (field: number, body: number[]) => [(field << 3) | 2, ...varint(BigInt(body.length)), ...body];
const str = (s: string) => [...new TextEncoder().encode(s)];
const f32 = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];
/** Example { features { feature { key: k, value: <feature bytes> } ... } } */
const example = (entries: [string, number[]][]) =>
  new Uint8Array(ld(1, entries.flatMap(([k, feature]) => ld(1, [...ld(1, str(k)), ...ld(2, feature)]))));

describe('tf.train.Example wire format', () => {
  it('decodes hand-built bytes of all three list kinds, packed and unpacked', () => {
    const bytes = example([
      ['b', ld(1, [...ld(1, str('hi')), ...ld(1, [])])], // BytesList {"hi", ""}
      ['f', ld(2, ld(1, [...f32(1.5), ...f32(-2)]))], // FloatList packed
      ['i', ld(3, ld(1, [...varint(1n), ...varint(-1n), ...varint(2n ** 40n)]))], // Int64List packed
      ['u', ld(3, [0x08, ...varint(7n), 0x08, ...varint(-3n)])], // Int64List unpacked (field 1, varint)
    ]);
    const ex = decodeExample(bytes);
    expect(ex.b).toEqual({ kind: 'bytes', value: [new Uint8Array(str('hi')), new Uint8Array(0)] });
    expect(ex.f).toEqual({ kind: 'float', value: Float32Array.of(1.5, -2) });
    expect(ex.i).toEqual({ kind: 'int64', value: BigInt64Array.of(1n, -1n, 2n ** 40n) });
    expect(ex.u).toEqual({ kind: 'int64', value: BigInt64Array.of(7n, -3n) });
  });

  it('encodes to the bytes TensorFlow writes (packed lists)', () => {
    const one = encodeExample({ i: int64Feature([-1]) });
    expect([...one]).toEqual([...example([['i', ld(3, ld(1, varint(-1n)))]])]);
    const fl = encodeExample({ f: floatFeature([0.25]) });
    expect([...fl]).toEqual([...example([['f', ld(2, ld(1, f32(0.25)))]])]);
  });

  it('round-trips, keeping int64 extremes exact', () => {
    const ex: Example = {
      image: bytesFeature([new Uint8Array([255, 216, 0, 1])]),
      class: int64Feature([3]),
      big: int64Feature([2n ** 63n - 1n, -(2n ** 63n), 0n]),
      label: bytesFeature(['roses']),
      one_hot: floatFeature([0, 0, 1, 0, 0]),
      empty: floatFeature([]),
    };
    expect(decodeExample(encodeExample(ex))).toEqual(ex);
  });

  it('treats odd keys as plain keys', () => {
    const ex = decodeExample(example([['__proto__', ld(3, ld(1, varint(5n)))]]));
    expect(Object.keys(ex)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(ex)).toBe(Object.prototype);
  });

  it('throws ExampleParseError for bytes that are not an Example', () => {
    expect(() => decodeExample(new Uint8Array([0x0a, 0x05, 0x01]))).toThrow(ExampleParseError);
    expect(() => decodeExample(new Uint8Array([0x0f]))).toThrow(/not a tf.train.Example/);
  });

  it('prints like TensorFlow, long bytes by length and prefix', () => {
    const text = formatExample({ label: bytesFeature(['daisy']), v: floatFeature([1, 0.1]), img: bytesFeature([new Uint8Array(100).fill(0xff)]) });
    expect(text).toContain('key: "label"\n    value {\n      bytes_list {\n        value: "daisy"');
    expect(text).toContain('value: 1.0\n        value: 0.1\n');
    expect(text).toMatch(/value: <100 bytes> "(\\377){16}"\.\.\./);
    expect(text.indexOf('"img"')).toBeLessThan(text.indexOf('"label"')); // keys sorted
  });
});
