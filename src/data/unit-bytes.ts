/**
 * @module data/unit-bytes
 * Images in [0, 1] that hold exactly k/255 values (a JPEG decoded at its own size, scaled as
 * the decoder scales: byte * (1/255) rounded to f32) stored as their bytes: a quarter of the
 * memory in a cache, and the same f32 bits on the way back. Anything else (a resized image)
 * is not packed. Imports nothing.
 */

const SCALE = 1 / 255;

/** The bytes of `values` if every value is byte * (1/255) rounded to f32; otherwise undefined. */
export function packUnitBytes(values: Float32Array): Uint8Array | undefined {
  const out = new Uint8Array(values.length);
  const back = new Float32Array(1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const k = Math.round(v * 255);
    back[0] = k * SCALE;
    if (!(k >= 0 && k <= 255) || back[0] !== v || Object.is(v, -0)) return undefined;
    out[i] = k;
  }
  return out;
}

/** The f32 values of packed bytes: byte * (1/255), as the decoder computes them. */
export function unpackUnitBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! * SCALE;
  return out;
}
