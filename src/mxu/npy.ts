/**
 * @module mxu/npy
 * Reads and writes NumPy `.npy` files of float32, little-endian, C order — the operand and
 * result format of `tpusim matmul --a A.npy --b B.npy --out C.npy`, so results can be
 * checked against numpy.
 *
 * Imports only node:fs. Format (numpy's NEP 1): magic "\x93NUMPY", major and minor version,
 * a header length (uint16 LE for version 1, uint32 LE for 2 and 3), then an ASCII Python
 * dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (M, K), } padded with
 * spaces and a newline so the data starts on a 64-byte boundary. Every error names the file.
 * NOTE: the data bytes are copied as they are, which assumes a little-endian host (x86, Arm).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** A bad or unsupported .npy file; the message names the file. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
  readonly userFacing = true;
}

/** A float32 array with its shape (row-major). */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function headerField(header: string, key: string, file: string): string {
  const match = new RegExp(`'${key}'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))`).exec(header);
  if (!match) throw new NpyError(`${file}: corrupt .npy header, no '${key}' in ${JSON.stringify(header.trim())}`);
  return match[1]!;
}

function parseShape(text: string, file: string): number[] {
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  const dims = inner.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return dims.map((d) => {
    if (!/^\d+$/.test(d)) throw new NpyError(`${file}: corrupt .npy header, bad shape ${text}`);
    return Number(d);
  });
}

/** Parses .npy bytes (`file` is only used in error messages). */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError(`${file}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new NpyError(`${file}: unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new NpyError(`${file}: corrupt .npy file (truncated header)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.length) throw new NpyError(`${file}: corrupt .npy file (header runs past the end)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));
  const descr = headerField(header, 'descr', file);
  if (descr !== "'<f4'") {
    throw new NpyError(`${file}: dtype ${descr} is not float32 little-endian ('<f4'); save it with a.astype('<f4')`);
  }
  if (headerField(header, 'fortran_order', file) !== 'False') {
    throw new NpyError(`${file}: Fortran-ordered arrays are not supported; save np.ascontiguousarray(a)`);
  }
  const shape = parseShape(headerField(header, 'shape', file), file);
  const count = shape.reduce((p, d) => p * d, 1);
  const dataBytes = bytes.length - dataStart;
  if (dataBytes !== count * 4) {
    throw new NpyError(`${file}: corrupt .npy file, shape (${shape.join(', ')}) needs ${count * 4} data bytes, found ${dataBytes}`);
  }
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  return { shape, data };
}

/**
 * Reads a float32 .npy file.
 * @example readNpy('A.npy') // { shape: [64, 300], data: Float32Array(19200) }
 */
export function readNpy(file: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new NpyError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseNpy(bytes, file);
}

/** Encodes a float32 array as .npy (version 1.0) bytes. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((p, d) => p * d, 1);
  if (count !== array.data.length) throw new RangeError(`npy: shape (${array.shape.join(', ')}) holds ${count} values, data has ${array.data.length}`);
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + array.data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), 10 + header.length);
  return out;
}

/**
 * Writes a float32 .npy file atomically (temp file + rename).
 * @example writeNpy('C.npy', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }) // np.load('C.npy') reads it
 */
export function writeNpy(file: string, array: NpyArray): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, encodeNpy(array));
    renameSync(tmp, file);
  } catch (err) {
    try {
      rmSync(tmp, { force: true }); // nothing half-written stays beside the target
    } catch {
      // not ours to remove (a folder of that name)
    }
    throw new NpyError(`${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
