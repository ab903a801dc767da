/**
 * @module data/tfrecord
 * TFRecord files, byte for byte as TensorFlow writes them. Imports node:fs and ./crc32c,
 * ./errors only.
 *
 * Format (one record, all integers little-endian):
 *
 *   u64  length             data size in bytes
 *   u32  masked_crc(length)  masked CRC-32C of the 8 length bytes
 *   u8[] data               `length` bytes
 *   u32  masked_crc(data)    masked CRC-32C of the data
 *
 * Invariants: the reader never allocates more than the file holds (a length field that
 * points past the end is a truncated record, not an allocation), never loops without
 * consuming input, and throws only TFRecordError. With `skipCorrupt`, a bad data CRC skips
 * that record; a bad length CRC makes the reader scan forward byte by byte for the next
 * valid header (one corrupt count per damaged region); a truncated tail ends the file.
 */
import { open, rename, writeFile } from 'node:fs/promises';
import { maskedCrc32c } from './crc32c.ts';
import { DataError, TFRecordError } from './errors.ts';

/** Bytes of framing around each record: 8 length + 4 length CRC + 4 data CRC. */
export const RECORD_OVERHEAD = 16;
const HEADER = 12;

/** Frames one record: header, data, data CRC. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_OVERHEAD + data.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out, 0, 8), true);
  out.set(data, HEADER);
  view.setUint32(HEADER + data.length, maskedCrc32c(data), true);
  return out;
}

/** Concatenates framed records: the bytes of a whole TFRecord file. */
export function encodeRecords(records: Iterable<Uint8Array>): Uint8Array {
  const framed = [...records].map(encodeRecord);
  const out = new Uint8Array(framed.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of framed) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** Writes records to `path` atomically (a temp file, then a rename). */
export async function writeTFRecordFile(path: string, records: Iterable<Uint8Array>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeRecords(records));
  await rename(tmp, path);
}

/** Options for reading TFRecords. */
export interface ReadOptions {
  /** Name used in error messages (default: the path, or `<buffer>`). */
  readonly file?: string;
  /** Skip and count corrupt records instead of throwing (default false). */
  readonly skipCorrupt?: boolean;
  /** Called once per corrupt region when `skipCorrupt` is on. */
  readonly onCorrupt?: (err: TFRecordError) => void;
  /** Read-ahead chunk size in bytes for files (default 1 MiB). */
  readonly chunkBytes?: number;
}

/** One record read from a file: a fresh copy of its data plus where it was. */
export interface RecordInfo {
  readonly data: Uint8Array;
  readonly recordIndex: number;
  readonly byteOffset: number;
}

type Step =
  | { readonly kind: 'record'; readonly data: Uint8Array; readonly size: number }
  | { readonly kind: 'need'; readonly bytes: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'corrupt'; readonly reason: string; readonly skip: number; readonly resync: boolean };

/**
 * Looks at the bytes at buf[pos, end) — which start at file offset `fileOffset` of a file of
 * `fileSize` bytes — and says what is there. Pure: the drivers below do the moving.
 */
function scan(buf: Uint8Array, pos: number, end: number, fileOffset: number, fileSize: number): Step {
  const avail = end - pos;
  const remaining = fileSize - fileOffset;
  if (remaining <= 0) return { kind: 'end' };
  if (remaining < HEADER) return { kind: 'corrupt', reason: `truncated header: ${remaining} of ${HEADER} bytes`, skip: remaining, resync: false };
  if (avail < HEADER) return { kind: 'need', bytes: HEADER };
  const view = new DataView(buf.buffer, buf.byteOffset + pos, HEADER);
  const stored = view.getUint32(8, true);
  const computed = maskedCrc32c(buf, pos, pos + 8);
  if (stored !== computed) {
    return { kind: 'corrupt', reason: `length crc mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`, skip: 1, resync: true };
  }
  const length = view.getBigUint64(0, true);
  const total = BigInt(HEADER + 4) + length;
  if (total > BigInt(remaining)) {
    return { kind: 'corrupt', reason: `truncated record: header says ${length} data bytes, ${Math.max(0, remaining - RECORD_OVERHEAD)} remain`, skip: remaining, resync: false };
  }
  const size = Number(total);
  if (avail < size) return { kind: 'need', bytes: size };
  const dataEnd = pos + HEADER + Number(length);
  const storedData = new DataView(buf.buffer, buf.byteOffset + dataEnd, 4).getUint32(0, true);
  const computedData = maskedCrc32c(buf, pos + HEADER, dataEnd);
  if (storedData !== computedData) {
    return { kind: 'corrupt', reason: `data crc mismatch (stored 0x${hex(storedData)}, computed 0x${hex(computedData)})`, skip: size, resync: false };
  }
  return { kind: 'record', data: buf.slice(pos + HEADER, dataEnd), size };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Tracks record indices, skip/throw decisions and resynchronisation across scan steps. */
class Cursor {
  index = 0;
  /** True while scanning forward after a bad length CRC (errors are not re-reported). */
  resyncing = false;
  constructor(private readonly opts: ReadOptions, private readonly file: string) {}

  /** Throws, or reports and returns the number of bytes to skip. */
  corrupt(step: Extract<Step, { kind: 'corrupt' }>, byteOffset: number): number {
    if (this.resyncing && step.resync) return step.skip;
    const err = new TFRecordError(step.reason, { file: this.file, recordIndex: this.index, byteOffset });
    if (!this.opts.skipCorrupt) throw err;
    this.opts.onCorrupt?.(err);
    this.index++;
    this.resyncing = step.resync;
    return step.skip;
  }

  record(step: Extract<Step, { kind: 'record' }>, byteOffset: number): RecordInfo {
    this.resyncing = false;
    return { data: step.data, recordIndex: this.index++, byteOffset };
  }
}

/** Reads records from an in-memory TFRecord file. Each record's data is a fresh copy. */
export function* readTFRecordBuffer(bytes: Uint8Array, opts: ReadOptions = {}): Generator<RecordInfo> {
  const cursor = new Cursor(opts, opts.file ?? '<buffer>');
  let pos = 0;
  for (;;) {
    const step = scan(bytes, pos, bytes.length, pos, bytes.length);
    if (step.kind === 'end') return;
    if (step.kind === 'record') {
      yield cursor.record(step, pos);
      pos += step.size;
    } else if (step.kind === 'corrupt') {
      pos += cursor.corrupt(step, pos);
    } else {
      // Unreachable: the whole file is in `bytes`, so scan never needs more.
      throw new TFRecordError(`internal: reader wanted ${step.bytes} bytes`, { file: opts.file ?? '<buffer>', recordIndex: cursor.index, byteOffset: pos });
    }
  }
}

/** Why a file cannot be opened, in words. */
function fileProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

/** Reads records from a TFRecord file, streaming it in chunks. Each record's data is a fresh copy. */
export async function* readTFRecordFile(path: string, opts: ReadOptions = {}): AsyncGenerator<RecordInfo> {
  const file = opts.file ?? path;
  const chunkBytes = opts.chunkBytes ?? 1 << 20;
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw new DataError(`cannot open '${file}': ${fileProblem(err)}`);
  });
  try {
    const info = await fh.stat();
    if (!info.isFile()) throw new DataError(`'${file}' is ${info.isDirectory() ? 'a directory' : 'not a regular file'}, not a TFRecord file`);
    const fileSize = info.size;
    const cursor = new Cursor(opts, file);
    let buf = new Uint8Array(0);
    let bufStart = 0; // file offset of buf[0]
    let pos = 0; // index into buf
    for (;;) {
      const step = scan(buf, pos, buf.length, bufStart + pos, fileSize);
      if (step.kind === 'end') return;
      if (step.kind === 'record') {
        yield cursor.record(step, bufStart + pos);
        pos += step.size;
      } else if (step.kind === 'corrupt') {
        pos += cursor.corrupt(step, bufStart + pos);
      } else {
        // Keep the unread tail, read at least `bytes` (scan guaranteed they exist in the file).
        const want = Math.max(step.bytes, chunkBytes);
        const tail = buf.subarray(pos);
        const next = new Uint8Array(Math.min(want, fileSize - (bufStart + pos)));
        next.set(tail);
        let filled = tail.length;
        while (filled < next.length) {
          const { bytesRead } = await fh.read(next, filled, next.length - filled, bufStart + pos + filled);
          if (bytesRead === 0) break; // file shrank under us: scan will report truncation
          filled += bytesRead;
        }
        bufStart += pos;
        buf = next.subarray(0, filled);
        pos = 0;
        if (filled < step.bytes) {
          pos += cursor.corrupt({ kind: 'corrupt', reason: 'file shrank while reading', skip: filled, resync: false }, bufStart);
          return;
        }
      }
    }
  } finally {
    await fh.close();
  }
}
