/**
 * @module data/dataset
 * `Dataset<T>`: a lazy, re-iterable, async sequence with tf.data's transforms. Imports
 * node built-ins and sibling data modules only.
 *
 * A Dataset holds no elements: it holds a recipe (an AsyncIterable). Iterating it (for
 * await, `toArray`) runs the recipe from the start; each transform returns a new Dataset.
 * @example
 * const batches = Dataset.tfrecord(await Dataset.listFiles('data/*.tfrec'), { numParallelReads: 4 })
 *   .map(parseFn).shuffle(2048, { seed: 1 }).batch(32, { dropRemainder: true }).prefetch(2);
 * for await (const b of batches) train(b);
 */
import { collate, type Batched } from './collate.ts';
import { DataError } from './errors.ts';
import { glob } from './glob.ts';
import { interleave, type InterleaveOptions } from './interleave.ts';
import { Rng } from './random.ts';
import { readTFRecordFile, type ReadOptions, type RecordInfo } from './tfrecord.ts';
import * as t from './transforms.ts';
import { isWorkerTransform, WorkerPool, type WorkerTransform } from './workers.ts';

/** Options of {@link Dataset.map}. */
export interface MapOptions {
  /** Calls in flight at once (default 1; with workers, 2 per worker). Output order is kept. */
  readonly numParallelCalls?: number;
  /** Worker threads for a WorkerTransform (default 1). */
  readonly workers?: number;
}

/** A record with where it came from. */
export interface LocatedRecord extends RecordInfo {
  readonly file: string;
}

/** Options of {@link Dataset.tfrecord}. */
export interface TFRecordOptions extends Omit<ReadOptions, 'file'> {
  /** Files read at once, interleaved record by record (default 1: one file after another). */
  readonly numParallelReads?: number;
}

/** A lazy, re-iterable async sequence of elements of type T. */
export class Dataset<T> implements AsyncIterable<T> {
  constructor(private readonly source: AsyncIterable<T>) {}

  /** Iterates from the start. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.source[Symbol.asyncIterator]();
  }

  /** A dataset of the given elements (or of any sync/async iterable, re-iterated each pass). */
  static from<T>(items: Iterable<T> | AsyncIterable<T>): Dataset<T> {
    return new Dataset({
      async *[Symbol.asyncIterator]() {
        yield* items;
      },
    });
  }

  /** A dataset whose each pass calls `make()` for a fresh iterable. */
  static fromGenerator<T>(make: () => Iterable<T> | AsyncIterable<T>): Dataset<T> {
    return new Dataset({
      async *[Symbol.asyncIterator]() {
        yield* make();
      },
    });
  }

  /** The integers start, start+step, ... below stop (`range(n)` is 0..n-1). */
  static range(startOrStop: number, stop?: number, step = 1): Dataset<number> {
    const [a, b] = stop === undefined ? [0, startOrStop] : [startOrStop, stop];
    if (step === 0) throw new DataError('range: step must not be 0');
    return Dataset.fromGenerator(function* () {
      for (let i = a; step > 0 ? i < b : i > b; i += step) yield i;
    });
  }

  /** Sorted paths matching a glob; throws DataError when nothing matches (as tf.data does). */
  static async listFiles(pattern: string, opts: { shuffle?: boolean; seed?: number } = {}): Promise<string[]> {
    const files = await glob(pattern);
    if (files.length === 0) throw new DataError(`no files match '${pattern}'`);
    return opts.shuffle ? new Rng(opts.seed ?? 0).shuffle(files) : files;
  }

  /** A dataset of the paths matching a glob (resolved at iteration time, sorted). */
  static fromFiles(pattern: string, opts: { shuffle?: boolean; seed?: number } = {}): Dataset<string> {
    return Dataset.fromGenerator(async function* () {
      yield* await Dataset.listFiles(pattern, opts);
    });
  }

  /** The raw records of TFRecord files; with numParallelReads > 1, files are interleaved. */
  static tfrecord(files: readonly string[] | Dataset<string>, opts: TFRecordOptions = {}): Dataset<Uint8Array> {
    return Dataset.tfrecordLocated(files, opts).map((r) => r.data);
  }

  /** Like {@link Dataset.tfrecord}, with each record's file, index and byte offset (for error messages). */
  static tfrecordLocated(files: readonly string[] | Dataset<string>, opts: TFRecordOptions = {}): Dataset<LocatedRecord> {
    const list = Array.isArray(files) ? Dataset.from(files as readonly string[]) : (files as Dataset<string>);
    const cycleLength = opts.numParallelReads ?? 1;
    return list.interleave((f) => Dataset.fromGenerator(() => records(f, opts)), { cycleLength, readAhead: cycleLength > 1 ? 8 : 0 });
  }

  /** Applies `fn` to each element; a WorkerTransform runs on worker threads. Order is kept. */
  map<U>(fn: ((x: T) => U | Promise<U>) | WorkerTransform<T, U>, opts: MapOptions = {}): Dataset<U> {
    if (!isWorkerTransform(fn)) {
      const f = fn as (x: T) => U | Promise<U>;
      const src = this.source;
      return new Dataset({ [Symbol.asyncIterator]: () => t.mapOrdered(src, f, opts.numParallelCalls ?? 1) });
    }
    const workers = opts.workers ?? 1;
    const parallel = opts.numParallelCalls ?? 2 * workers;
    const src = this.source;
    return Dataset.fromGenerator(async function* () {
      const pool = new WorkerPool<T, U>(fn as WorkerTransform<T, U>, workers);
      try {
        yield* t.mapOrdered(src, (x) => pool.run(x), parallel);
      } finally {
        await pool.close();
      }
    });
  }

  /**
   * Applies `fn` with a seeded random stream, a fresh one per pass (per epoch): for random
   * augmentations. See ./transforms.ts mapSeeded.
   * @example flowers.mapRandom((f, rng) => randomFlipLeftRight(f, rng), { seed: 7 })
   */
  mapRandom<U>(fn: (x: T, rng: Rng) => U, opts: t.SeededPassOptions): Dataset<U> {
    return new Dataset(t.mapSeeded(this.source, fn, opts));
  }

  /** Keeps the elements for which `pred` holds (a type guard narrows the element type). */
  filter<S extends T>(pred: (x: T) => x is S): Dataset<S>;
  filter(pred: (x: T) => boolean | Promise<boolean>): Dataset<T>;
  filter(pred: (x: T) => boolean | Promise<boolean>): Dataset<T> {
    return this.wrap((s) => t.filter(s, pred));
  }

  /** TF's buffered shuffle (see ./transforms.ts). */
  shuffle(bufferSize: number, opts: t.ShuffleOptions = {}): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new DataError(`shuffle: buffer size must be a positive integer, got ${bufferSize}`);
    return new Dataset(t.shuffle(this.source, bufferSize, opts));
  }

  /**
   * Caches the first complete pass in memory, or in `path` (kept across runs). With a budget
   * (in memory), a dataset whose pass outgrows `maxBytes` stays uncached.
   */
  cache(where?: string | t.CacheBudget<T>): Dataset<T> {
    return new Dataset(typeof where === 'string' ? t.cacheInFile(this.source, where) : t.cacheInMemory(this.source, where));
  }

  /** Repeats the dataset `count` times, or forever. */
  repeat(count?: number): Dataset<T> {
    return this.wrap((s) => t.repeat(s, count));
  }

  /** Stacks groups of `size` elements (see ./collate.ts); `collate: false` keeps plain arrays. */
  batch(size: number, opts?: { dropRemainder?: boolean; collate?: true }): Dataset<Batched<T>>;
  batch(size: number, opts: { dropRemainder?: boolean; collate: false }): Dataset<T[]>;
  batch(size: number, opts: { dropRemainder?: boolean; collate?: boolean } = {}): Dataset<Batched<T> | T[]> {
    if (!Number.isInteger(size) || size < 1) throw new DataError(`batch: size must be a positive integer, got ${size}`);
    const groups = this.wrap((s) => t.group(s, size, opts.dropRemainder ?? false));
    return opts.collate === false ? groups : groups.map((g) => collate(g));
  }

  /** Reads up to `n` elements ahead of the consumer. */
  prefetch(n = 1): Dataset<T> {
    return this.wrap((s) => t.prefetch(s, n));
  }

  /** Maps each element to a dataset and interleaves them (see ./interleave.ts). */
  interleave<U>(fn: (x: T) => AsyncIterable<U>, opts: InterleaveOptions = {}): Dataset<U> {
    return new Dataset(interleave(this.source, fn, opts));
  }

  /** The first `n` elements. */
  take(n: number): Dataset<T> {
    return this.wrap((s) => t.take(s, n));
  }

  /** All but the first `n` elements. */
  skip(n: number): Dataset<T> {
    return this.wrap((s) => t.skip(s, n));
  }

  /** Runs one pass and collects every element. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const x of this) out.push(x);
    return out;
  }

  private wrap<U>(f: (s: AsyncIterable<T>) => AsyncIterator<U>): Dataset<U> {
    const src = this.source;
    return new Dataset({ [Symbol.asyncIterator]: () => f(src) });
  }
}

async function* records(file: string, opts: TFRecordOptions): AsyncGenerator<LocatedRecord> {
  for await (const r of readTFRecordFile(file, opts)) yield { ...r, file };
}
