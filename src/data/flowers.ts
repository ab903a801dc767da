/**
 * @module data/flowers
 * The flowers dataset: a folder of class folders (TensorFlow's flower_photos layout) ->
 * TFRecord shards in the codelab's schema; loaders for either form with the codelab's
 * split; synthetic shards and datasets. Imports node built-ins and sibling data modules only.
 *
 * Shards are named `flowers{NN}-{count}.tfrec` (count = records in that shard), as in the
 * codelab. The codelab's split by shard: the first floor(0.19 * n) shards (3 of 16) are
 * validation, the rest (13 of 16) training. A split file (one `class/file.jpg` per line,
 * the validation set; the rest is training) selects records by name instead.
 */
import { availableParallelism } from 'node:os';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import {
  decodeFlowerFile,
  decodeFlowerRecord,
  flowerFileToRecord,
  inSplit,
  synthFlowerRecord,
  type Flower,
  type FlowerFile,
  type FlowerRecordInput,
  type SplitFilter,
} from './flower-transforms.ts';
import { Rng } from './random.ts';
import { FLOWER_CLASSES, synthFlowerF32 } from './synth.ts';
import { writeTFRecordFile } from './tfrecord.ts';
import { siblingModule } from '../host/threads.ts';
import { workerTransform } from './workers.ts';

const TRANSFORMS = siblingModule(import.meta.url, 'flower-transforms');
const SYNTH = siblingModule(import.meta.url, 'synth');

/** The codelab's validation fraction of shards (int(16 * 0.19) = 3). */
export const VALIDATION_SHARD_FRACTION = 0.19;

/** Which part of the data to load. */
export type Split = 'train' | 'validation' | 'all';

/** Default worker count: up to 2, never more than the machine has. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * The class folders of `src` and every `.jpg`/`.jpeg` file in them (sorted). Class ids are
 * the codelab's (daisy 0, dandelion 1, roses 2, sunflowers 3, tulips 4) when the folders are
 * flower classes, whichever of them are present; a folder that is not one of them, beside
 * ones that are, is refused (it would silently become class 5). A folder of other classes
 * entirely gets ids in sorted order. An empty class folder is refused by name.
 */
export async function listClassFolders(src: string): Promise<{ classes: string[]; files: FlowerFile[] }> {
  let names: string[];
  try {
    const entries = await readdir(src, { withFileTypes: true });
    names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    throw new DataError(`cannot read the flowers folder '${src}'`);
  }
  const flowers = names.filter((n) => (FLOWER_CLASSES as readonly string[]).includes(n));
  const others = names.filter((n) => !(FLOWER_CLASSES as readonly string[]).includes(n));
  if (flowers.length > 0 && others.length > 0) {
    throw new DataError(`'${join(src, others[0]!)}' is not a flower class folder (expected ${FLOWER_CLASSES.join(', ')}); move it out of '${src}'`);
  }
  const classes = flowers.length > 0 ? [...FLOWER_CLASSES] : names;
  const files: FlowerFile[] = [];
  for (const cls of flowers.length > 0 ? flowers : names) {
    const inner = (await readdir(join(src, cls))).filter((f) => /\.jpe?g$/i.test(f)).sort();
    if (inner.length === 0) throw new DataError(`class folder '${join(src, cls)}' holds no .jpg files`);
    for (const f of inner) files.push({ path: join(src, cls, f), name: `${cls}/${f}`, label: classes.indexOf(cls) });
  }
  if (files.length === 0) throw new DataError(`no class folders with JPEG files in '${src}'`);
  return { classes, files };
}

/** Text safe to print in one line: control characters (NUL, escapes) as \xNN, at most 80 characters. */
function printable(text: string): string {
  const shown = text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 80)}...` : shown;
}

/** Parses a split file: one `class/file.jpg` per line; blank lines and `#` comments ignored. */
export function parseSplitFile(text: string, file = '<split>'): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim().replace(/\\/g, '/');
    if (line === '' || line.startsWith('#')) return;
    if (!/^[^/]+\/[^/]+$/.test(line)) throw new DataError(`${file}:${i + 1}: expected 'class/file.jpg', got '${printable(raw.trim())}'`);
    out.push(line);
  });
  return out;
}

/** Reads and parses a split file. */
export async function readSplitFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new DataError(`cannot read the split file '${path}'`);
  }
  return parseSplitFile(text, path);
}

/** The codelab's split of shard files: validation = the first floor(0.19 n), training = the rest. */
export function splitShards(files: readonly string[]): { train: string[]; validation: string[] } {
  const k = Math.floor(files.length * VALIDATION_SHARD_FRACTION);
  return { train: files.slice(k), validation: files.slice(0, k) };
}

/** The shard file name for shard `index` holding `count` records. */
export function shardName(index: number, count: number, prefix = 'flowers'): string {
  return `${prefix}${String(index).padStart(2, '0')}-${count}.tfrec`;
}

/** Options of {@link prepareFlowers}. */
export interface PrepareOptions {
  readonly src: string;
  readonly out: string;
  /** Side of the square images written (default 192). */
  readonly size?: number;
  /** Number of shards (default 16: the codelab's). */
  readonly shards?: number;
  /** Seed of the file order shuffle (default 42). */
  readonly seed?: number;
  /** JPEG quality of re-encoded images (default 90). */
  readonly quality?: number;
  /** Worker threads (0 = the main thread; default up to 2). */
  readonly workers?: number;
  /** Only the first `limit` images of the shuffled order (default: all). */
  readonly limit?: number;
  /** The validation list (default: `<src>/SPLIT.txt` when present): its images go to the validation shards. */
  readonly splitFile?: string;
  /** Called after each image. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What preparing wrote. */
export interface PrepareResult {
  readonly files: string[];
  readonly images: number;
  readonly classes: string[];
  /** Images in the validation shards (the first floor(0.19 n) shards). */
  readonly validationImages: number;
  /** Where the validation split came from. */
  readonly split: 'by shard' | string;
}

/** Writes groups of records as shards named in order, each group cut into its number of shards. */
async function writeShardGroups(
  out: string,
  groups: readonly { readonly records: AsyncIterable<Uint8Array>; readonly count: number; readonly shards: number }[],
  onProgress?: (done: number, total: number) => void,
): Promise<string[]> {
  const files: string[] = [];
  const total = groups.reduce((a, g) => a + g.count, 0);
  let done = 0;
  for (const g of groups) {
    // exactly g.shards shards, sizes differing by at most one (the split by shard counts shards)
    const sizes = Array.from({ length: g.shards }, (_, j) => Math.floor(g.count / g.shards) + (j < g.count % g.shards ? 1 : 0));
    let shard: Uint8Array[] = [];
    let j = 0;
    for await (const r of g.records) {
      shard.push(r);
      onProgress?.(++done, total);
      if (shard.length === sizes[j]) {
        const path = join(out, shardName(files.length, shard.length));
        await writeTFRecordFile(path, shard);
        files.push(path);
        [shard, j] = [[], j + 1];
      }
    }
  }
  return files;
}

/**
 * A folder of class folders of JPEGs -> TFRecord shards in the codelab's schema: 16 shards by
 * default, the first floor(0.19 n) of them (3 of 16) the validation split, as the codelab
 * splits by shard. With a split file (default `<src>/SPLIT.txt`), its images are exactly the
 * validation shards'. Complete or nothing: the shards are written into a hidden folder inside
 * `out` and moved into place only when every image is done, so a failure or an interrupt
 * never leaves shards that look like a whole dataset; `out` must not hold shards already.
 * A file that is not a decodable JPEG is named in the error.
 */
export async function prepareFlowers(opts: PrepareOptions): Promise<PrepareResult> {
  const { classes, files } = await listClassFolders(opts.src);
  const size = opts.size ?? 192;
  const shards = opts.shards ?? 16;
  await refuseExistingShards(opts.out);
  const splitFile = opts.splitFile ?? ((await exists(join(opts.src, 'SPLIT.txt'))) ? join(opts.src, 'SPLIT.txt') : undefined);
  const items = new Rng(opts.seed ?? 42).shuffle([...files]).slice(0, opts.limit ?? files.length);
  if (items.length < shards) throw new DataError(`${items.length} images are fewer than the ${shards} shards to write (lower --shards)`);
  const k = Math.floor(shards * VALIDATION_SHARD_FRACTION);
  let validation: FlowerFile[];
  let train: FlowerFile[];
  if (splitFile !== undefined) {
    const listed = new Set(await readSplitFile(splitFile));
    validation = items.filter((f) => listed.has(f.name));
    train = items.filter((f) => !listed.has(f.name));
  } else {
    // the codelab's split by shard: the first k shards' share of the shuffled files
    const n = Math.round((items.length * k) / shards);
    [validation, train] = [items.slice(0, n), items.slice(n)];
  }
  const arg = { size, quality: opts.quality ?? 90, classes };
  const workers = opts.workers ?? defaultWorkers();
  const records = (list: readonly FlowerFile[]) => {
    const ds = Dataset.from(list);
    return workers > 0 ? ds.map(workerTransform<FlowerFile, Uint8Array>(TRANSFORMS, 'flowerFileToRecord', arg), { workers }) : ds.map((f) => flowerFileToRecord(f, arg));
  };
  const groups = [
    { records: records(validation), count: validation.length, shards: k },
    { records: records(train), count: train.length, shards: shards - k },
  ];
  const written = await publishShards(opts.out, (dir) => writeShardGroups(dir, groups, opts.onProgress));
  return { files: written, images: items.length, classes, validationImages: validation.length, split: splitFile ?? 'by shard' };
}

/** Refuses a folder that holds .tfrec shards already (new shards would mix with them). */
async function refuseExistingShards(out: string): Promise<void> {
  const existing = await readdir(out).catch(() => [] as string[]);
  if (existing.some((f) => f.endsWith('.tfrec'))) throw new DataError(`'${out}' already holds .tfrec shards: remove them or choose another folder (new shards would mix with them)`);
}

/**
 * Complete or nothing: `write` writes shards into a hidden folder inside `out`, and they are
 * moved into `out` only when it has written them all, so a failure or an interrupt never
 * leaves shards that look like a whole dataset. The hidden folder is removed either way.
 * Returns the shards' paths in `out`.
 */
async function publishShards(out: string, write: (dir: string) => Promise<string[]>): Promise<string[]> {
  const partial = join(out, `.tpusim-partial-${process.pid}`);
  await mkdir(partial, { recursive: true });
  try {
    const written = await write(partial);
    const moved: string[] = [];
    for (const f of written) {
      const to = join(out, basename(f));
      await rename(f, to);
      moved.push(to);
    }
    return moved;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** Options of {@link writeSynthFlowers}. */
export interface SynthShardOptions {
  readonly out: string;
  readonly count: number;
  readonly size: number;
  readonly shards?: number;
  readonly seed?: number;
  readonly quality?: number;
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Writes `count` synthetic flowers as TFRecord shards (codelab schema, `flowersNN-C.tfrec`),
 * complete or nothing as `prepareFlowers` does; `out` must not hold shards already.
 */
export async function writeSynthFlowers(opts: SynthShardOptions): Promise<string[]> {
  const arg = { seed: opts.seed ?? 1, size: opts.size, quality: opts.quality ?? 90 };
  if (opts.count < (opts.shards ?? 16)) throw new DataError(`${opts.count} images are fewer than the ${opts.shards ?? 16} shards to write (lower --shards)`);
  await refuseExistingShards(opts.out);
  const ds = Dataset.range(opts.count);
  const workers = opts.workers ?? defaultWorkers();
  const records = workers > 0 ? ds.map(workerTransform<number, Uint8Array>(TRANSFORMS, 'synthFlowerRecord', arg), { workers }) : ds.map((i) => synthFlowerRecord(i, arg));
  return publishShards(opts.out, (dir) => writeShardGroups(dir, [{ records, count: opts.count, shards: opts.shards ?? 16 }], opts.onProgress));
}

/** Options of {@link loadFlowers}. */
export interface LoadOptions {
  /** A folder of `*.tfrec` shards, or a folder of class folders. */
  readonly src: string;
  readonly split?: Split;
  /** A split file (validation list). Folders default to `<src>/SPLIT.txt` when present. */
  readonly splitFile?: string;
  /** Side of the square images (default 192). */
  readonly size?: number;
  /** Decode worker threads (0 = the main thread; default up to 2). */
  readonly workers?: number;
  /** Shards read at once (default 4). */
  readonly numParallelReads?: number;
  /** Skip and count corrupt records instead of failing. */
  readonly skipCorrupt?: boolean;
  /**
   * Seed of a shuffle of the image files' order (class folders only; shards written by
   * `prepareFlowers` are shuffled already). Folders list class by class, so without it a
   * bounded shuffle buffer sees one class at a time and training learns nothing. Default:
   * listing order.
   */
  readonly shuffleSeed?: number;
}

/** A loaded flowers split: the dataset plus what it was made from. */
export interface FlowerSet {
  readonly dataset: Dataset<Flower>;
  readonly form: 'tfrecord' | 'folder';
  readonly classes: readonly string[];
  /** Shard files (tfrecord form) or image files (folder form) that feed this split. */
  readonly sources: readonly string[];
  /** Images in the split when known without reading it: the files of a folder, or the counts in the shards' names (split by shard). */
  readonly images?: number;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Loads the flowers from shards or class folders, decoded to size x size f32 images. */
export async function loadFlowers(opts: LoadOptions): Promise<FlowerSet> {
  const split = opts.split ?? 'all';
  const size = opts.size ?? 192;
  const workers = opts.workers ?? defaultWorkers();
  const splitFile = opts.splitFile ?? (await exists(join(opts.src, 'SPLIT.txt')) ? join(opts.src, 'SPLIT.txt') : undefined);
  const validation = splitFile !== undefined ? await readSplitFile(splitFile) : undefined;
  const shards = (await readdir(opts.src).catch(() => { throw new DataError(`cannot read the flowers folder '${opts.src}'`); }))
    .filter((f) => f.endsWith('.tfrec')).sort().map((f) => join(opts.src, f));
  if (shards.length > 0) {
    for (const f of shards) if ((await stat(f)).size === 0) throw new DataError(`shard '${f}' is empty (0 bytes): a shard holds at least one record; remove it or write the shards again`);
    const filter: SplitFilter = validation !== undefined ? { want: split, validation } : { want: 'all' };
    const files = validation !== undefined || split === 'all' ? shards : splitShards(shards)[split];
    const records = Dataset.tfrecordLocated(files, { numParallelReads: opts.numParallelReads ?? 4, ...(opts.skipCorrupt ? { skipCorrupt: true } : {}) });
    const arg = { size, split: filter };
    const decoded = workers > 0 ? records.map(workerTransform<FlowerRecordInput, Flower | null>(TRANSFORMS, 'decodeFlowerRecord', arg), { workers }) : records.map((r) => decodeFlowerRecord(r, arg));
    const counted = validation === undefined ? files.map((f) => /-(\d+)\.tfrec$/.exec(f)?.[1]) : [];
    const images = counted.length > 0 && counted.every((c) => c !== undefined) ? counted.reduce((a, c) => a + Number(c), 0) : undefined;
    return { dataset: decoded.filter((x): x is Flower => x !== null), form: 'tfrecord', classes: FLOWER_CLASSES, sources: files, ...(images !== undefined ? { images } : {}) };
  }
  const { classes, files } = await listClassFolders(opts.src);
  const chosen = files.filter((f) => (validation !== undefined ? inSplit(f.name, { want: split, validation }) : split === 'all' || (hashName(f.name) % 100 < 19) === (split === 'validation')));
  const ordered = opts.shuffleSeed !== undefined ? new Rng(opts.shuffleSeed).shuffle([...chosen]) : chosen;
  const ds = Dataset.from(ordered);
  const arg = { size };
  const dataset = workers > 0 ? ds.map(workerTransform<FlowerFile, Flower>(TRANSFORMS, 'decodeFlowerFile', arg), { workers }) : ds.map((f) => decodeFlowerFile(f, arg));
  return { dataset, form: 'folder', classes, sources: ordered.map((f) => f.path), images: ordered.length };
}

/** FNV-1a of a name: a stable 19 % validation split for folders without a split file. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Options of {@link synthFlowers}. */
export interface SynthOptions {
  readonly count: number;
  readonly size: number;
  readonly seed?: number;
  /** Worker threads drawing images (0 = the main thread, the default). */
  readonly workers?: number;
}

/**
 * Synthetic flowers as a dataset of f32 images, drawn lazily (labels cycle 0..4, so any
 * prefix is balanced). Element i is the same on every pass and every machine.
 * @example const train = synthFlowers({ count: 1000, size: 192, seed: 1, workers: 2 }).cache().shuffle(1000, { seed: 2 }).batch(32);
 */
export function synthFlowers(opts: SynthOptions): Dataset<Flower> {
  const seed = opts.seed ?? 1;
  const { size } = opts;
  const ds = Dataset.range(opts.count);
  const workers = opts.workers ?? 0;
  if (workers === 0) return ds.map((i) => synthFlowerF32(seed, i, size));
  return ds.map(workerTransform<number, Flower>(SYNTH, 'synthFlowerIndexed', { seed, size }), { workers });
}
