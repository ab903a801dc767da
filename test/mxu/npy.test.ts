/** .npy float32 read/write: numpy's own bytes, round trips, and one-line errors naming the file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NpyError, encodeNpy, parseNpy, readNpy, writeNpy } from '../../src/mxu/npy.ts';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const header = (dict: string) => {
  const text = `${dict}${' '.repeat(117 - dict.length)}\n`;
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0]), Buffer.from(text, 'latin1')]);
};
// np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)), as numpy 2.4 writes it
const NUMPY_2x3 = hex(
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c202773686170' +
  '65273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020' +
  '2020202020202020202020202020200a000000000000803f0000004000004040000080400000a040',
);

describe('npy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpusim-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads numpy's bytes and writes the same bytes back", () => {
    const arr = parseNpy(NUMPY_2x3, 'x.npy');
    expect(arr.shape).toEqual([2, 3]);
    expect([...arr.data]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Buffer.from(encodeNpy(arr)).equals(Buffer.from(NUMPY_2x3))).toBe(true);
  });

  it('round-trips through a file, special values and 1-D shapes included', () => {
    const file = join(dir, 'c.npy');
    const data = new Float32Array([NaN, -0, Infinity, 2 ** -149, 3.4e38, 1 / 3, -2]);
    writeNpy(file, { shape: [7], data });
    const back = readNpy(file);
    expect(back.shape).toEqual([7]);
    expect([...new Uint32Array(back.data.buffer)]).toEqual([...new Uint32Array(data.buffer)]);
    expect(encodeNpy(back).length % 64).toBe((7 * 4) % 64); // data starts on a 64-byte boundary
  });

  it.each([
    ['wrong dtype', Buffer.concat([header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"), Buffer.alloc(16)]), /w\.npy: dtype '<f8' is not float32 little-endian/],
    ['big-endian', Buffer.concat([header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), Buffer.alloc(8)]), /w\.npy: dtype '>f4'/],
    ['Fortran order', Buffer.concat([header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), Buffer.alloc(16)]), /w\.npy: Fortran-ordered/],
    ['short data', Buffer.concat([header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), Buffer.alloc(20)]), /w\.npy: corrupt .npy file, shape \(2, 3\) needs 24 data bytes, found 20/],
    ['bad magic', Buffer.from('PK\x03\x04 not numpy at all'), /w\.npy: not a .npy file/],
    ['truncated header', Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0, 0x7b]), /w\.npy: corrupt .npy file \(header runs past the end\)/],
    ['no shape', Buffer.concat([header("{'descr': '<f4', 'fortran_order': False, }")]), /w\.npy: corrupt .npy header, no 'shape'/],
  ])('rejects %s with one line naming the file', (_, bytes, message) => {
    const file = join(dir, 'w.npy');
    writeFileSync(file, bytes);
    expect(() => readNpy(file)).toThrow(NpyError);
    expect(() => readNpy(file)).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => readNpy(join(dir, 'missing.npy'))).toThrow(/missing\.npy: cannot read \(ENOENT\)/);
  });
});
