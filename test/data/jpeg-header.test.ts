/**
 * data/jpeg-header reads the frame a JPEG declares without decoding, and data/image refuses
 * from it, before jpeg-js allocates, an image too large to decode or a file too small for the
 * size it claims (a 10 KB JPEG claiming 8000 x 8000 used to cost 1.1 GB before failing).
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.ts';
import { decodeJpeg, encodeJpeg } from '../../src/data/image.ts';
import { jpegFrame } from '../../src/data/jpeg-header.ts';

const small = (w: number, h: number): Uint8Array => encodeJpeg({ width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3).fill(120) });

/** The same bytes with the frame header's size replaced (SOF0: FF C0, length, precision, height, width). */
function claiming(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === 0xc0) {
      out.set([height >> 8, height & 255, width >> 8, width & 255], i + 5);
      return out;
    }
  }
  throw new Error('no SOF0 marker');
}

describe('jpegFrame', () => {
  it('reads the declared size of encoded images, and null for bytes that are not a JPEG header', () => {
    expect(jpegFrame(small(24, 16))).toEqual({ width: 24, height: 16, components: 3, progressive: false });
    expect(jpegFrame(claiming(small(8, 8), 8000, 8000))).toMatchObject({ width: 8000, height: 8000 });
    expect(jpegFrame(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
    expect(jpegFrame(new Uint8Array([1, 2, 3, 4, 5]))).toBeNull();
    expect(jpegFrame(small(8, 8).subarray(0, 30))).toBeNull(); // cut before the frame header
  });
});

describe('decodeJpeg checks the declared size first', () => {
  it('refuses a small file claiming 8000 x 8000 (64 MP) at once, naming the size and the limit', () => {
    const forged = claiming(small(8, 8), 8000, 8000);
    expect(forged.length).toBeLessThan(10_000);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    expect(() => decodeJpeg(forged)).toThrow(DataError);
    expect(() => decodeJpeg(forged)).toThrow(/declares 8000 x 8000 pixels \(64\.0 MP\), more than the 24 MP decoded at most/);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 2 ** 20);
  });

  it('refuses a baseline file too small for the size it declares (under the megapixel limit)', () => {
    expect(() => decodeJpeg(claiming(small(8, 8), 4000, 4000))).toThrow(/declares 4000 x 4000 pixels but holds \d+ bytes, fewer than the 62500 a baseline JPEG of that size needs/);
  });

  it('still decodes ordinary images', () => {
    const img = decodeJpeg(small(40, 30));
    expect([img.width, img.height, img.data.length]).toEqual([40, 30, 40 * 30 * 3]);
  });
});
