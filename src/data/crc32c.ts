/**
 * @module data/crc32c
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum TFRecord files use,
 * and TensorFlow's "masked" form of it. Imports nothing.
 *
 * Invariants: `crc32c(bytes)` is the standard CRC-32C (init 0xFFFFFFFF, reflected, final
 * xor 0xFFFFFFFF), so `crc32c("123456789") === 0xE3069283`. The fast path processes 8 bytes
 * per step with eight 256-entry tables ("slicing-by-8"); the byte-at-a-time loop is kept
 * beside it as the reference and for the tail.
 */

/** The reflected Castagnoli polynomial. */
const POLY = 0x82f63b78;

/** TFRecord's mask constant: masked = rotr(crc, 15) + MASK_DELTA (mod 2^32). */
const MASK_DELTA = 0xa282ead8;

/** T[k][b]: the CRC of byte b followed by k zero bytes (k = 0..7), as one flat Uint32Array. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + b] = c >>> 0;
    }
  }
  return t;
}

/**
 * Extends a running (un-finalised) CRC state one byte at a time: the plain reference loop.
 * @param state the running state (start with 0xFFFFFFFF)
 */
export function crc32cUpdateBytewise(state: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let c = state >>> 0;
  for (let i = start; i < end; i++) c = (c >>> 8) ^ t[(c ^ bytes[i]!) & 0xff]!;
  return c >>> 0;
}

/**
 * Extends a running (un-finalised) CRC state over bytes[start, end) with slicing-by-8.
 * @param state the running state (start with 0xFFFFFFFF)
 */
export function crc32cUpdate(state: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let c = state >>> 0;
  let i = start;
  // NOTE: every index below is in range by construction (i + 7 < end, tables are 2048 long);
  // the `!` assertions only satisfy noUncheckedIndexedAccess in this hot loop.
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  return crc32cUpdateBytewise(c, bytes, i, end);
}

/**
 * CRC-32C of bytes[start, end).
 * @example crc32c(new TextEncoder().encode('123456789')) // 0xE3069283
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return (crc32cUpdate(0xffffffff, bytes, start, end) ^ 0xffffffff) >>> 0;
}

/** TensorFlow's masked CRC: ((crc >>> 15) | (crc << 17)) + 0xa282ead8, mod 2^32. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** Inverse of {@link maskCrc}. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/** Masked CRC-32C of bytes[start, end), as stored in a TFRecord file. */
export function maskedCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return maskCrc(crc32c(bytes, start, end));
}
