import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TFRecordError } from '../../src/data/errors.ts';
import { encodeRecords, readTFRecordBuffer, readTFRecordFile, writeTFRecordFile } from '../../src/data/tfrecord.ts';
import { thrownBy } from '../thrown.ts';

/** An independent bit-at-a-time CRC-32C, straight from the definition. */
function crcRef(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;

/** One record built field by field from the format specification. */
function byHand(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length, true); // u64 little-endian length, high word 0
  v.setUint32(4, 0, true);
  v.setUint32(8, mask(crcRef(out.subarray(0, 8))), true);
  out.set(data, 12);
  v.setUint32(12 + data.length, mask(crcRef(data)), true);
  return out;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);
const records = [new Uint8Array(0), ascii('hello'), Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)];
const file = encodeRecords(records);
const tmp = () => mkdtempSync(join(tmpdir(), 'tpusim-tfrecord-'));

describe('TFRecord format', () => {
  it('writes exactly the bytes of the specification', () => {
    // An empty record then "hello" (vector computed independently of this code).
    expect(hex(encodeRecords([new Uint8Array(0), ascii('hello')]))).toBe(
      '000000000000000029039807d8ea82a2' + '0500000000000000eab2043e' + '68656c6c6f' + 'bb1f1c19',
    );
    for (const r of records) expect(hex(encodeRecords([r]))).toBe(hex(byHand(r)));
  });

  it('reads hand-built bytes, with indices and offsets', () => {
    const bytes = new Uint8Array([...byHand(ascii('ab')), ...byHand(ascii('xyz'))]);
    const got = [...readTFRecordBuffer(bytes)];
    expect(got.map((r) => new TextDecoder().decode(r.data))).toEqual(['ab', 'xyz']);
    expect(got.map((r) => [r.recordIndex, r.byteOffset])).toEqual([[0, 0], [1, 18]]);
  });

  it('round-trips through a file, streaming with a chunk smaller than a record', async () => {
    const path = join(tmp(), 'a.tfrec');
    await writeTFRecordFile(path, records);
    expect(hex(readFileSync(path))).toBe(hex(file));
    for (const chunkBytes of [7, 64, 1 << 20]) {
      const got: Uint8Array[] = [];
      for await (const r of readTFRecordFile(path, { chunkBytes })) got.push(r.data);
      expect(got.map(hex)).toEqual(records.map(hex));
    }
  });
});

function corrupt(at: number, xor = 0x40): Uint8Array {
  const b = file.slice();
  b[at]! ^= xor;
  return b;
}
const firstError = (b: Uint8Array): TFRecordError => thrownBy(() => [...readTFRecordBuffer(b, { file: 'x.tfrec' })]) as TFRecordError;

describe('TFRecord errors', () => {
  const second = 16; // record 1 starts after the empty record 0

  it('names file, record and byte offset of a bad data CRC', () => {
    const err = firstError(corrupt(second + 12 + 1)); // a byte of "hello"
    expect(err).toBeInstanceOf(TFRecordError);
    expect(err.userFacing).toBe(true);
    expect([err.file, err.recordIndex, err.byteOffset]).toEqual(['x.tfrec', 1, second]);
    expect(err.message).toMatch(/x\.tfrec, record 1, byte 16: data crc mismatch/);
  });

  it('reports a bad length CRC and a truncated record', () => {
    expect(firstError(corrupt(second)).reason).toMatch(/length crc mismatch/);
    const cut = firstError(file.subarray(0, file.length - 5));
    expect(cut.reason).toMatch(/truncated record/);
    expect(cut.recordIndex).toBe(2);
    expect(firstError(file.subarray(0, second + 5)).reason).toMatch(/truncated header/);
  });

  it('skips and counts corrupt records on request, resynchronising after a bad length', () => {
    const seen: TFRecordError[] = [];
    const dataBad = [...readTFRecordBuffer(corrupt(second + 13), { skipCorrupt: true, onCorrupt: (e) => seen.push(e) })];
    expect(dataBad.map((r) => r.data.length)).toEqual([0, 300]);
    expect(dataBad.map((r) => r.recordIndex)).toEqual([0, 2]);
    const lenBad = [...readTFRecordBuffer(corrupt(second + 2), { skipCorrupt: true, onCorrupt: (e) => seen.push(e) })];
    expect(lenBad.map((r) => r.data.length)).toEqual([0, 300]); // the 300-byte record was found again
    expect(seen.map((e) => e.reason.split(' (')[0])).toEqual(['data crc mismatch', 'length crc mismatch']);
  });

  it('a file says the same thing as a buffer', async () => {
    const path = join(tmp(), 'bad.tfrec');
    writeFileSync(path, corrupt(second + 13));
    await expect(async () => {
      for await (const _ of readTFRecordFile(path, { chunkBytes: 5 })) void _;
    }).rejects.toThrow(/record 1, byte 16: data crc mismatch/);
  });

  it('a length field pointing far past the end is truncation, not an allocation', () => {
    const b = byHand(new Uint8Array(0));
    const v = new DataView(b.buffer);
    v.setUint32(4, 0x7fffffff, true); // length ~ 2^62
    v.setUint32(8, mask(crcRef(b.subarray(0, 8))), true);
    expect(firstError(b).reason).toMatch(/truncated record/);
  });
});
