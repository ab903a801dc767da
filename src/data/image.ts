/**
 * @module data/image
 * Images for the input pipeline: JPEG decode/encode (jpeg-js), central square crop,
 * bilinear resize and scaling to f32 in [0, 1]. A JPEG's declared size is checked from its
 * header (./jpeg-header.ts) before the decoder allocates. Imports jpeg-js, ./jpeg-header
 * and ./errors only.
 *
 * Layout is always HWC (row-major [H, W, C]), RGB, like `tf.io.decode_jpeg(channels=3)`.
 * Resizing is TensorFlow 2's `tf.image.resize(method='bilinear')`: half-pixel centres,
 * no antialiasing, edge samples clamped.
 */
import jpeg from 'jpeg-js';
import { DataError } from './errors.ts';
import { jpegFrame } from './jpeg-header.ts';

/** An HWC image. `data.length === height * width * channels`. */
export interface Image<A extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: A;
}

/** A rectangle of an image, in pixels. */
export interface Box {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Largest JPEG decoded, in megapixels (a 6000 x 4000 camera photo). jpeg-js holds about
 * 17 bytes per pixel while it decodes (8000 x 8000 took 1.1 GB), so this caps one decode
 * near 400 MB; the frame size is read from the header before the decoder allocates.
 */
const MAX_MEGAPIXELS = 24;
/** What jpeg-js may count of its own allocations, MB (a 24 MP 4:4:4 image needs about 360). */
const MAX_DECODER_MB = 512;
/** Fewest bits a baseline JPEG codes an 8 x 8 block of its first component in (a 1-bit DC code and a 1-bit end of block). */
const MIN_BITS_PER_BLOCK = 2;

/** Refuses, from the header alone, a JPEG too large to decode or too small for the size it declares. */
function checkJpegFrame(bytes: Uint8Array): void {
  const frame = jpegFrame(bytes);
  if (!frame) return; // not a JPEG header the decoder would accept either: it says what is wrong
  const { width, height } = frame;
  const megapixels = (width * height) / 1e6;
  if (megapixels > MAX_MEGAPIXELS) {
    throw new DataError(`the JPEG declares ${width} x ${height} pixels (${megapixels.toFixed(1)} MP), more than the ${MAX_MEGAPIXELS} MP decoded at most (decoding it would take about ${((17 * width * height) / 2 ** 30).toFixed(1)} GiB)`);
  }
  const minBytes = Math.floor((Math.ceil(width / 8) * Math.ceil(height / 8) * MIN_BITS_PER_BLOCK) / 8);
  if (!frame.progressive && bytes.length < minBytes) {
    throw new DataError(`the JPEG declares ${width} x ${height} pixels but holds ${bytes.length} bytes, fewer than the ${minBytes} a baseline JPEG of that size needs (truncated or forged)`);
  }
}

/**
 * Decodes JPEG bytes to an RGB uint8 image. The frame size is checked from the header first.
 * @throws DataError when the bytes are not a decodable JPEG, or declare too large an image
 */
export function decodeJpeg(bytes: Uint8Array): Image<Uint8Array> {
  checkJpegFrame(bytes);
  try {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: MAX_DECODER_MB });
    const data = img.data.length === img.width * img.height * 3 ? img.data : rgbaToRgb(img.data, img.width * img.height);
    return { height: img.height, width: img.width, channels: 3, data };
  } catch (err) {
    throw new DataError(`not a decodable JPEG (${err instanceof Error ? err.message : String(err)})`);
  }
}

function rgbaToRgb(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = rgba[4 * p]!;
    out[3 * p + 1] = rgba[4 * p + 1]!;
    out[3 * p + 2] = rgba[4 * p + 2]!;
  }
  return out;
}

/** Encodes an RGB uint8 image as a baseline JPEG (quality 1..100, default 90). */
export function encodeJpeg(img: Image<Uint8Array>, quality = 90): Uint8Array {
  if (img.channels !== 3) throw new DataError(`encodeJpeg: need 3 channels, got ${img.channels}`);
  const pixels = img.width * img.height;
  const rgba = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p] = img.data[3 * p]!;
    rgba[4 * p + 1] = img.data[3 * p + 1]!;
    rgba[4 * p + 2] = img.data[3 * p + 2]!;
    rgba[4 * p + 3] = 255;
  }
  const out = jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data;
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The largest centred square of an image (the odd pixel, if any, is dropped at the end). */
export function centralSquare(height: number, width: number): Box {
  const side = Math.min(height, width);
  return { top: Math.floor((height - side) / 2), left: Math.floor((width - side) / 2), height: side, width: side };
}

/** Options of {@link resizeBilinear}. */
export interface ResizeOptions {
  /** Resize only this region of the source (default: all of it). */
  readonly crop?: Box;
  /** Multiply every output value by this (e.g. 1/255 to land in [0, 1]; default 1). */
  readonly scale?: number;
}

/** Source index and weight tables for one axis: out -> (i0, i1, frac). */
function axisTable(outSize: number, start: number, inSize: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const s = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const x = Math.max(0, (o + 0.5) * s - 0.5); // half-pixel centres, clamped at the edge
    const lo = Math.min(Math.floor(x), inSize - 1);
    i0[o] = start + lo;
    i1[o] = start + Math.min(lo + 1, inSize - 1);
    f[o] = x - lo;
  }
  return { i0, i1, f };
}

/**
 * Bilinear resize (TF2 `tf.image.resize`, half-pixel centres) of an HWC image or a region of
 * it, to f32. With `scale: 1/255` a uint8 image lands in [0, 1].
 */
export function resizeBilinear(src: Image, outHeight: number, outWidth: number, opts: ResizeOptions = {}): Image<Float32Array> {
  const crop = opts.crop ?? { top: 0, left: 0, height: src.height, width: src.width };
  if (crop.top < 0 || crop.left < 0 || crop.height < 1 || crop.width < 1 || crop.top + crop.height > src.height || crop.left + crop.width > src.width) {
    throw new DataError(`resize: crop ${JSON.stringify(crop)} is outside the ${src.height}x${src.width} image`);
  }
  const c = src.channels;
  const scale = opts.scale ?? 1;
  const ys = axisTable(outHeight, crop.top, crop.height);
  const xs = axisTable(outWidth, crop.left, crop.width);
  const out = new Float32Array(outHeight * outWidth * c);
  if (c === 3) resizeRows3(src.data, src.width * 3, ys, xs, out, scale);
  else resizeRowsAny(src.data, src.width * c, c, ys, xs, out, scale);
  return { height: outHeight, width: outWidth, channels: c, data: out };
}

type AxisTable = ReturnType<typeof axisTable>;

/** The general loop: any channel count. */
function resizeRowsAny(d: Uint8Array | Float32Array, rowStride: number, c: number, ys: AxisTable, xs: AxisTable, out: Float32Array, scale: number): void {
  let o = 0;
  for (let y = 0; y < ys.f.length; y++) {
    const r0 = ys.i0[y]! * rowStride;
    const r1 = ys.i1[y]! * rowStride;
    const fy = ys.f[y]!;
    for (let x = 0; x < xs.f.length; x++) {
      const c0 = xs.i0[x]! * c;
      const c1 = xs.i1[x]! * c;
      const fx = xs.f[x]!;
      for (let k = 0; k < c; k++) {
        const top = d[r0 + c0 + k]! + (d[r0 + c1 + k]! - d[r0 + c0 + k]!) * fx;
        const bottom = d[r1 + c0 + k]! + (d[r1 + c1 + k]! - d[r1 + c0 + k]!) * fx;
        out[o++] = (top + (bottom - top) * fy) * scale;
      }
    }
  }
}

/** The RGB fast path: the same arithmetic as resizeRowsAny, with the channel loop unrolled. */
function resizeRows3(d: Uint8Array | Float32Array, rowStride: number, ys: AxisTable, xs: AxisTable, out: Float32Array, scale: number): void {
  const w = xs.f.length;
  const c0s = Int32Array.from(xs.i0, (i) => i * 3);
  const c1s = Int32Array.from(xs.i1, (i) => i * 3);
  let o = 0;
  for (let y = 0; y < ys.f.length; y++) {
    const r0 = ys.i0[y]! * rowStride;
    const r1 = ys.i1[y]! * rowStride;
    const fy = ys.f[y]!;
    for (let x = 0; x < w; x++) {
      const a = r0 + c0s[x]!;
      const b = r0 + c1s[x]!;
      const e = r1 + c0s[x]!;
      const g = r1 + c1s[x]!;
      const fx = xs.f[x]!;
      for (let k = 0; k < 3; k++) {
        const top = d[a + k]! + (d[b + k]! - d[a + k]!) * fx;
        const bottom = d[e + k]! + (d[g + k]! - d[e + k]!) * fx;
        out[o++] = (top + (bottom - top) * fy) * scale;
      }
    }
  }
}

/** Converts a uint8 image to f32 in [0, 1] (x / 255), like `tf.image.convert_image_dtype`. */
export function toFloat01(img: Image<Uint8Array>): Image<Float32Array> {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i]! / 255;
  return { ...img, data: out };
}

/** Rounds an f32 image in [0, 255] to uint8 (clamped). */
export function toUint8(img: Image<Float32Array>): Image<Uint8Array> {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(img.data[i]!)));
  return { ...img, data: out };
}

/**
 * JPEG bytes -> central square crop -> bilinear resize to size x size -> f32 in [0, 1]:
 * the codelab's preprocessing in one pass over the pixels.
 */
export function decodeToSquare(bytes: Uint8Array, size: number): Image<Float32Array> {
  const img = decodeJpeg(bytes);
  return resizeBilinear(img, size, size, { crop: centralSquare(img.height, img.width), scale: 1 / 255 });
}

/** JPEG bytes -> central square crop -> resize -> JPEG bytes (for preparing shards). */
export function recompressSquare(bytes: Uint8Array, size: number, quality = 90): Uint8Array {
  const img = decodeJpeg(bytes);
  if (img.height === size && img.width === size) return bytes;
  return encodeJpeg(toUint8(resizeBilinear(img, size, size, { crop: centralSquare(img.height, img.width) })), quality);
}
