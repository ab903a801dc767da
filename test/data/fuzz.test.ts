/** Fuzzing the readers: random and mutated bytes never hang and throw only the typed errors. */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExampleParseError, TFRecordError } from '../../src/data/errors.ts';
import { bytesFeature, decodeExample, encodeExample, floatFeature, int64Feature } from '../../src/data/example.ts';
import { fixedLenFeature, parseSingleExample, varLenFeature } from '../../src/data/features.ts';
import { RECORD_OVERHEAD, encodeRecords, readTFRecordBuffer, readTFRecordFile } from '../../src/data/tfrecord.ts';

const exampleBytes = encodeExample({
  image: bytesFeature([new Uint8Array(40).fill(7)]),
  class: int64Feature([3, -9]),
  one_hot: floatFeature([0, 1, 0.5]),
});
const records = [exampleBytes, new Uint8Array(0), new Uint8Array(50).fill(1), exampleBytes];
const validFile = encodeRecords(records);
/** Each record's framed byte range [start, end) in validFile, and its data. */
const spans = records.map((data, i) => {
  const start = records.slice(0, i).reduce((n, r) => n + RECORD_OVERHEAD + r.length, 0);
  return { start, end: start + RECORD_OVERHEAD + data.length, data };
});

/** A valid input with random byte flips, truncation, insertion or deletion. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const flip = fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((fs) => {
    const b = base.slice();
    for (const [i, x] of fs) b[i]! ^= x;
    return b;
  });
  const cut = fc.nat(base.length).map((n) => base.slice(0, n));
  const splice = fc.tuple(fc.nat(base.length), fc.uint8Array({ maxLength: 20 }), fc.nat(8)).map(([at, ins, del]) => {
    return new Uint8Array([...base.subarray(0, at), ...ins, ...base.subarray(Math.min(base.length, at + del))]);
  });
  return fc.oneof(flip, cut, splice);
}

function onlyThrows(kinds: (new (...a: never[]) => Error)[], f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!kinds.some((k) => e instanceof k)) throw new Error(`unexpected ${(e as Error).name}: ${(e as Error).message}`);
  }
}

const spec = { image: fixedLenFeature([], 'string'), class: fixedLenFeature([2], 'int64'), one_hot: varLenFeature('float32') };

describe('fuzzing the TFRecord reader', () => {
  it('random bytes: terminates, throws only TFRecordError; skip mode never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        onlyThrows([TFRecordError], () => void [...readTFRecordBuffer(bytes)]);
        let n = 0;
        for (const r of readTFRecordBuffer(bytes, { skipCorrupt: true })) n += r.data.length;
        expect(n).toBeLessThanOrEqual(bytes.length);
      }),
      { seed: 11, numRuns: 400 },
    );
  });

  it('mutated files: throws only TFRecordError', () => {
    fc.assert(
      fc.property(mutated(validFile), (bytes) => {
        onlyThrows([TFRecordError], () => void [...readTFRecordBuffer(bytes)]);
        expect([...readTFRecordBuffer(bytes, { skipCorrupt: true })].length).toBeLessThanOrEqual(records.length);
      }),
      { seed: 12, numRuns: 400 },
    );
  });

  // Skip mode's promise, record by record: every record whose framed bytes the damage did not
  // touch comes back with its bytes (and where damage shifts nothing, at its offset); nothing
  // else comes back (a damaged record fails its CRC; a resync finds only real headers).
  it('skip mode recovers exactly the untouched records, bytes and offsets, after byte flips', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(validFile.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const bytes = validFile.slice();
        for (const [i, x] of flips) bytes[i]! ^= x;
        const untouched = spans.filter((r) => !flips.some(([i]) => i >= r.start && i < r.end));
        const got = [...readTFRecordBuffer(bytes, { skipCorrupt: true })];
        expect(got.map((r) => [r.byteOffset, Array.from(r.data)])).toEqual(untouched.map((r) => [r.start, Array.from(r.data)]));
      }),
      { seed: 14, numRuns: 400 },
    );
  });

  it('skip mode recovers exactly the records before a truncation', () => {
    for (let n = 0; n <= validFile.length; n++) {
      const got = [...readTFRecordBuffer(validFile.subarray(0, n), { skipCorrupt: true })];
      const whole = spans.filter((r) => r.end <= n);
      expect(got.map((r) => [r.byteOffset, Array.from(r.data)]), `cut at ${n}`).toEqual(whole.map((r) => [r.start, Array.from(r.data)]));
    }
  });

  it('skip mode after an insertion: the records before it, then the untouched records after it, shifted', () => {
    fc.assert(
      fc.property(fc.nat(validFile.length), fc.uint8Array({ minLength: 1, maxLength: 20 }), (at, ins) => {
        const bytes = new Uint8Array([...validFile.subarray(0, at), ...ins, ...validFile.subarray(at)]);
        // a record is untouched when the insertion point is not strictly inside it
        const untouched = spans.filter((r) => at <= r.start || at >= r.end).map((r) => [r.start >= at ? r.start + ins.length : r.start, Array.from(r.data)]);
        const got = [...readTFRecordBuffer(bytes, { skipCorrupt: true })].map((r) => [r.byteOffset, Array.from(r.data)]);
        expect(got).toEqual(untouched);
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('the streaming file reader agrees with the buffer reader on mutated files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpusim-fuzz-'));
    await fc.assert(
      fc.asyncProperty(mutated(validFile), fc.integer({ min: 1, max: 64 }), async (bytes, chunkBytes) => {
        const path = join(dir, 'f.tfrec');
        writeFileSync(path, bytes);
        const fromBuffer = [...readTFRecordBuffer(bytes, { skipCorrupt: true, file: path })].map((r) => [r.recordIndex, r.byteOffset, r.data.length]);
        const fromFile: number[][] = [];
        for await (const r of readTFRecordFile(path, { skipCorrupt: true, chunkBytes })) fromFile.push([r.recordIndex, r.byteOffset, r.data.length]);
        expect(fromFile).toEqual(fromBuffer);
      }),
      { seed: 13, numRuns: 60 },
    );
  });
});

describe('fuzzing the Example parser', () => {
  it('random and mutated bytes throw only ExampleParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated(exampleBytes)), (bytes) => {
        onlyThrows([ExampleParseError], () => void decodeExample(bytes));
        onlyThrows([ExampleParseError], () => void parseSingleExample(bytes, spec, { file: 'f', recordIndex: 0, byteOffset: 0 }));
      }),
      { seed: 14, numRuns: 600 },
    );
  });
});
