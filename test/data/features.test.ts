import { describe, expect, it } from 'vitest';
import { ExampleParseError } from '../../src/data/errors.ts';
import { bytesFeature, encodeExample, floatFeature, int64Feature } from '../../src/data/example.ts';
import { fixedLenFeature, parseSingleExample, varLenFeature } from '../../src/data/features.ts';
import { thrownBy } from '../thrown.ts';

const record = encodeExample({
  image: bytesFeature([new Uint8Array([1, 2, 3])]),
  class: int64Feature([2]),
  size: int64Feature([192, 256]),
  one_hot_class: floatFeature([0, 0, 1, 0, 0]),
  grid: floatFeature([1, 2, 3, 4, 5, 6]),
});

describe('parseSingleExample', () => {
  it('parses fixed-length features to typed arrays of prod(shape) values', () => {
    const p = parseSingleExample(record, {
      image: fixedLenFeature([], 'string'),
      class: fixedLenFeature([], 'int64'),
      size: fixedLenFeature([2], 'int64'),
      grid: fixedLenFeature([2, 3], 'float32'),
    });
    expect(p.image).toEqual([new Uint8Array([1, 2, 3])]);
    expect(p.class).toEqual(BigInt64Array.of(2n));
    expect(p.size).toEqual(BigInt64Array.of(192n, 256n));
    expect(p.grid).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
  });

  it('parses variable-length features as 1-D sparse values, empty when absent', () => {
    const p = parseSingleExample(record, { one_hot_class: varLenFeature('float32'), missing: varLenFeature('int64') });
    expect(p.one_hot_class.values).toEqual(Float32Array.of(0, 0, 1, 0, 0));
    expect([...p.one_hot_class.indices]).toEqual([0, 1, 2, 3, 4]);
    expect(p.one_hot_class.denseShape).toEqual([5]);
    expect(p.missing.values).toEqual(new BigInt64Array(0));
  });

  it('fills a missing fixed feature from its default (scalar broadcast or full array)', () => {
    const p = parseSingleExample(record, {
      w: fixedLenFeature([3], 'float32', 0.5),
      n: fixedLenFeature([2], 'int64', BigInt64Array.of(4n, 5n)),
      s: fixedLenFeature([], 'string', 'none'),
    });
    expect(p.w).toEqual(Float32Array.of(0.5, 0.5, 0.5));
    expect(p.n).toEqual(BigInt64Array.of(4n, 5n));
    expect(new TextDecoder().decode(p.s[0])).toBe('none');
  });

  it('names the feature and the location in every mismatch', () => {
    const where = { file: 'f.tfrec', recordIndex: 4, byteOffset: 100 };
    const cases: [object, RegExp][] = [
      [{ label: fixedLenFeature([], 'string') }, /f\.tfrec, record 4, byte 100: feature 'label': is missing and has no default/],
      [{ size: fixedLenFeature([3], 'int64') }, /feature 'size': has 2 values, shape \[3\] needs 3/],
      [{ class: fixedLenFeature([], 'float32') }, /feature 'class': is a int64_list, but the spec wants float32/],
    ];
    for (const [spec, msg] of cases) {
      const err = thrownBy(() => parseSingleExample(record, spec as never, where));
      expect(err).toBeInstanceOf(ExampleParseError);
      expect(err.message).toMatch(msg);
      expect((err as ExampleParseError).recordIndex).toBe(4);
    }
  });
});
