/**
 * @module data/errors
 * Typed errors of the input pipeline. Imports nothing.
 *
 * Every error here is a user's bad input (a corrupt file, a malformed record, a spec that
 * does not match the data), so each carries `userFacing = true`: the CLI prints its message
 * as one line. Messages name the file, the record index and the byte offset when known.
 */

/** Where in a TFRecord file something went wrong. Fields are absent when not known. */
export interface RecordLocation {
  /** File path (or a label such as `<buffer>` for in-memory data). */
  readonly file?: string;
  /** Zero-based index of the record in its file. */
  readonly recordIndex?: number;
  /** Byte offset of the record's header in its file. */
  readonly byteOffset?: number;
}

function describeLocation(loc: RecordLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.recordIndex !== undefined) parts.push(`record ${loc.recordIndex}`);
  if (loc.byteOffset !== undefined) parts.push(`byte ${loc.byteOffset}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

/** A TFRecord framing error: bad length CRC, bad data CRC, truncated header or record. */
export class TFRecordError extends Error implements RecordLocation {
  override readonly name = 'TFRecordError';
  /** Marks this error as the user's bad input: the CLI prints it as one line. */
  readonly userFacing = true;
  readonly file: string;
  readonly recordIndex: number;
  readonly byteOffset: number;
  /** What is wrong, without the location (e.g. `data crc mismatch`). */
  readonly reason: string;

  constructor(reason: string, loc: Required<RecordLocation>) {
    super(`corrupt TFRecord ${describeLocation(loc)}${reason}`);
    this.reason = reason;
    this.file = loc.file;
    this.recordIndex = loc.recordIndex;
    this.byteOffset = loc.byteOffset;
  }
}

/** A record that is not a valid tf.train.Example, or that does not match a feature spec. */
export class ExampleParseError extends Error implements RecordLocation {
  override readonly name = 'ExampleParseError';
  /** Marks this error as the user's bad input: the CLI prints it as one line. */
  readonly userFacing = true;
  readonly file?: string;
  readonly recordIndex?: number;
  readonly byteOffset?: number;
  /** The feature key at fault, when there is one. */
  readonly feature?: string;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(reason: string, loc: RecordLocation & { readonly feature?: string } = {}) {
    const what = loc.feature !== undefined ? `feature '${loc.feature}': ` : '';
    super(`bad Example ${describeLocation(loc)}${what}${reason}`);
    this.reason = reason;
    if (loc.file !== undefined) this.file = loc.file;
    if (loc.recordIndex !== undefined) this.recordIndex = loc.recordIndex;
    if (loc.byteOffset !== undefined) this.byteOffset = loc.byteOffset;
    if (loc.feature !== undefined) this.feature = loc.feature;
  }

  /** The same error with a location filled in (used when a record's origin becomes known). */
  at(loc: RecordLocation): ExampleParseError {
    return new ExampleParseError(this.reason, { ...loc, ...(this.feature !== undefined ? { feature: this.feature } : {}) });
  }
}

/** A pipeline misuse or missing input: no file matches a glob, a bad option, an undecodable image. */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** Marks this error as the user's bad input: the CLI prints it as one line. */
  readonly userFacing = true;
}
