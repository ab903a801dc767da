/**
 * @module data/flower-transforms
 * The flowers' per-element work, as plain exported functions `(value, arg) => result` so
 * they can run on worker threads (see ./workers.ts) or inline. Imports sibling data modules
 * and node:fs only. Every function here is pure apart from reading the file it is given.
 */
import { readFileSync } from 'node:fs';
import { bytesFeature, encodeExample, floatFeature, int64Feature, type Example } from './example.ts';
import { DataError, ExampleParseError } from './errors.ts';
import { fixedLenFeature, parseSingleExample, varLenFeature } from './features.ts';
import { decodeToSquare, recompressSquare } from './image.ts';
import { FLOWER_CLASSES, synthFlowerJpeg } from './synth.ts';

/**
 * The codelab's TFRecord schema (plus `filename`, which tpusim adds so a split file can
 * select records; readers that do not know it ignore it).
 */
export const FLOWER_SPEC = {
  image: fixedLenFeature([], 'string'),
  class: fixedLenFeature([], 'int64'),
  label: fixedLenFeature([], 'string'),
  size: fixedLenFeature([2], 'int64'),
  one_hot_class: varLenFeature('float32'),
  filename: fixedLenFeature([], 'string', ''),
} as const;

/** One decoded flower: a [size, size, 3] f32 image in [0, 1] and its class index. */
export interface Flower {
  /** [H, W, 3], RGB, f32 in [0, 1]. */
  readonly image: Float32Array;
  readonly label: number;
}

/** The fields of one flower record. */
export interface FlowerRecordFields {
  readonly jpeg: Uint8Array;
  readonly classIndex: number;
  readonly height: number;
  readonly width: number;
  /** `class/file.jpg`, the path relative to the dataset folder. */
  readonly filename: string;
  readonly classes?: readonly string[];
}

/** Builds a flower Example in the codelab's schema. */
export function flowerExample(f: FlowerRecordFields): Example {
  const classes = f.classes ?? FLOWER_CLASSES;
  const oneHot = classes.map((_, i) => (i === f.classIndex ? 1 : 0));
  return {
    image: bytesFeature([f.jpeg]),
    class: int64Feature([f.classIndex]),
    label: bytesFeature([classes[f.classIndex] ?? String(f.classIndex)]),
    size: int64Feature([f.height, f.width]),
    one_hot_class: floatFeature(oneHot),
    filename: bytesFeature([f.filename]),
  };
}

/** Which records a split keeps: by file name, against a validation list. */
export interface SplitFilter {
  readonly want: 'train' | 'validation' | 'all';
  /** Validation file names (`class/file.jpg`); absent = keep every record. */
  readonly validation?: readonly string[];
}

const validationSets = new WeakMap<readonly string[], Set<string>>();

/** True if a record named `filename` belongs to the wanted split. */
export function inSplit(filename: string, filter: SplitFilter): boolean {
  if (filter.want === 'all' || filter.validation === undefined) return true;
  let set = validationSets.get(filter.validation);
  if (!set) validationSets.set(filter.validation, (set = new Set(filter.validation)));
  return set.has(filename) === (filter.want === 'validation');
}

/** A record's bytes, optionally with where it was read (named in error messages). */
export type FlowerRecordInput = Uint8Array | { readonly data: Uint8Array; readonly file: string; readonly recordIndex: number; readonly byteOffset: number };

/**
 * A serialized flower record -> decoded flower (null when the split filter drops it).
 * @throws ExampleParseError naming the file, record and byte offset when they are given
 */
export function decodeFlowerRecord(record: FlowerRecordInput, arg: { size: number; split?: SplitFilter }): Flower | null {
  const bytes = record instanceof Uint8Array ? record : record.data;
  const where = record instanceof Uint8Array ? {} : { file: record.file, recordIndex: record.recordIndex, byteOffset: record.byteOffset };
  const p = parseSingleExample(bytes, FLOWER_SPEC, where);
  if (arg.split?.validation !== undefined) {
    const name = new TextDecoder().decode(p.filename[0]);
    if (name === '') throw new ExampleParseError('is empty: records need file names to be split by a split file', { ...where, feature: 'filename' });
    if (!inSplit(name, arg.split)) return null;
  }
  try {
    return { image: decodeToSquare(p.image[0]!, arg.size).data, label: Number(p.class[0]) };
  } catch (err) {
    if (err instanceof DataError) throw new ExampleParseError(`image: ${err.message}`, where);
    throw err;
  }
}

/** One image file of a class folder. */
export interface FlowerFile {
  readonly path: string;
  /** `class/file.jpg`. */
  readonly name: string;
  readonly label: number;
}

/** Reads an image file, naming the file in any error (a missing file, a file that is not a JPEG). */
function withFile<T>(item: FlowerFile, read: (bytes: Uint8Array) => T): T {
  try {
    return read(readFileSync(item.path));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DataError(`${item.path}: ${why}`);
  }
}

/** A JPEG file -> decoded flower. */
export function decodeFlowerFile(item: FlowerFile, arg: { size: number }): Flower {
  return { image: withFile(item, (bytes) => decodeToSquare(bytes, arg.size).data), label: item.label };
}

/** A JPEG file -> a serialized flower record with the image cropped and resized to size x size. */
export function flowerFileToRecord(item: FlowerFile, arg: { size: number; quality: number; classes: readonly string[] }): Uint8Array {
  // recompressSquare always yields size x size (it keeps a file only if it is that already).
  const jpeg = withFile(item, (bytes) => recompressSquare(bytes, arg.size, arg.quality));
  return encodeExample(flowerExample({ jpeg, classIndex: item.label, height: arg.size, width: arg.size, filename: item.name, classes: arg.classes }));
}

/** Synthetic flower `index` of a seeded set -> a serialized flower record. */
export function synthFlowerRecord(index: number, arg: { seed: number; size: number; quality: number }): Uint8Array {
  const { jpeg, label } = synthFlowerJpeg(arg.seed, index, arg.size, arg.quality);
  const filename = `${FLOWER_CLASSES[label]}/synth-${String(index).padStart(6, '0')}.jpg`;
  return encodeExample(flowerExample({ jpeg, classIndex: label, height: arg.size, width: arg.size, filename }));
}
