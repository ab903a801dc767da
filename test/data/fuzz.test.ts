/** Fuzzing the readers: random and mutated bytes never hang and throw only the typed errors. */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExampleParseError, TFRecordError } from '../../src/data/errors.ts';
import { bytesFeature, decodeExample, encodeExample, floatFeature, int64Feature } from '../../src/data/example.ts';
import { fixedLenFeature, parseSingleExample, varLenFeature } from '../../src/data/features.ts';
import { encodeRecords, readTFRecordBuffer, readTFRecordFile } from '../../src/data/tfrecord.ts';

const exampleBytes = encodeExample({
  image: bytesFeature([new Uint8Array(40).fill(7)]),
  class: int64Feature([3, -9]),
  one_hot: floatFeature([0, 1, 0.5]),
});
const validFile = encodeRecords([exampleBytes, new Uint8Array(0), new Uint8Array(50).fill(1), exampleBytes]);

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

  it('mutated files: throws only TFRecordError; skip mode recovers the untouched records', () => {
    fc.assert(
      fc.property(mutated(validFile), (bytes) => {
        onlyThrows([TFRecordError], () => void [...readTFRecordBuffer(bytes)]);
        const got = [...readTFRecordBuffer(bytes, { skipCorrupt: true })];
        expect(got.length).toBeLessThanOrEqual(6);
      }),
      { seed: 12, numRuns: 400 },
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
