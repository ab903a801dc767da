/**
 * @module data/jpeg-header
 * The frame a JPEG declares (width, height, components, progressive or not), read from its
 * markers without decoding anything, so a decoder's memory can be checked against the
 * image's size first. Only the segment lengths are followed: no entropy-coded data is read.
 * Imports nothing.
 */

/** What a JPEG's start-of-frame marker declares. */
export interface JpegFrame {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** SOF2/SOF6/SOF10/SOF14: progressive scans (which can code a block in almost no bits). */
  readonly progressive: boolean;
}

/** Start-of-frame markers (SOF0..SOF15 but DHT C4, JPG C8, DAC CC). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const PROGRESSIVE = new Set([0xc2, 0xc6, 0xca, 0xce]);

/**
 * The frame `bytes` declares, or null when they do not start like a JPEG or hold no frame
 * header before the first scan (the decoder then reports what is wrong).
 * @example jpegFrame(bytes) // { width: 500, height: 333, components: 3, progressive: false }
 */
export function jpegFrame(bytes: Uint8Array): JpegFrame | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return null;
    while (bytes[pos] === 0xff && pos < bytes.length) pos++; // fill bytes
    const marker = bytes[pos++]!;
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or a scan before any frame
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (pos + 2 > bytes.length) return null;
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (SOF.has(marker)) {
      if (pos + 8 > bytes.length) return null;
      const height = (bytes[pos + 3]! << 8) | bytes[pos + 4]!;
      const width = (bytes[pos + 5]! << 8) | bytes[pos + 6]!;
      return { width, height, components: bytes[pos + 7]!, progressive: PROGRESSIVE.has(marker) };
    }
    if (length < 2) return null;
    pos += length;
  }
  return null;
}
