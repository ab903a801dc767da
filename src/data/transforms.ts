/**
 * @module data/transforms
 * The Dataset transforms as plain async-generator functions over re-iterable sources.
 * Imports node built-ins, ./random, ./tfrecord, ./errors only. `Dataset` (./dataset.ts)
 * wraps these; each one is small and independent.
 *
 * Semantics follow tf.data's documentation:
 * - shuffle(B): fill a buffer with the first B elements; then repeatedly emit a uniformly
 *   chosen buffer slot and refill it with the next input element; drain randomly at the end.
 *   With reshuffleEachIteration, each new iteration (e.g. each repeat epoch) uses a new order.
 * - repeat(n) restarts its input n times (forever when n is undefined); batch groups what it
 *   sees, so repeat-then-batch lets batches straddle epochs and batch-then-repeat does not.
 * - interleave: cycleLength inputs open at once, blockLength elements from each in turn; an
 *   exhausted slot is refilled from the next input element when its turn comes.
 * - prefetch(n) keeps up to n elements requested ahead of the consumer.
 * Invariants: every transform closes (returns) its upstream iterator when it stops early.
 */
import { deserialize, serialize } from 'node:v8';
import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { mixSeeds, Rng } from './random.ts';
import { encodeRecord, readTFRecordFile } from './tfrecord.ts';

/** Something that can be iterated more than once (each iteration is a fresh pass). */
export type Source<T> = AsyncIterable<T>;

/** Emits each element of `src` through `fn`, keeping up to `parallel` calls in flight, in order. */
export async function* mapOrdered<T, U>(src: Source<T>, fn: (x: T) => U | Promise<U>, parallel: number): AsyncGenerator<U> {
  if (parallel <= 1) {
    for await (const x of src) yield await fn(x);
    return;
  }
  const it = src[Symbol.asyncIterator]();
  const window: Promise<U>[] = [];
  let done = false;
  try {
    for (;;) {
      while (!done && window.length < parallel) {
        const r = await it.next();
        if (r.done) done = true;
        else {
          const p = Promise.resolve().then(() => fn(r.value));
          p.catch(() => {}); // observed when it reaches the front of the window
          window.push(p);
        }
      }
      const p = window.shift();
      if (p === undefined) return;
      yield await p;
    }
  } finally {
    await it.return?.();
  }
}

/** Keeps the elements for which `pred` is true. */
export async function* filter<T>(src: Source<T>, pred: (x: T) => boolean | Promise<boolean>): AsyncGenerator<T> {
  for await (const x of src) if (await pred(x)) yield x;
}

/** The first `n` elements. */
export async function* take<T>(src: Source<T>, n: number): AsyncGenerator<T> {
  if (n <= 0) return;
  let i = 0;
  for await (const x of src) {
    yield x;
    if (++i >= n) return;
  }
}

/** All but the first `n` elements. */
export async function* skip<T>(src: Source<T>, n: number): AsyncGenerator<T> {
  let i = 0;
  for await (const x of src) if (i++ >= n) yield x;
}

/** `src` again and again: `count` times, or forever when `count` is undefined. */
export async function* repeat<T>(src: Source<T>, count?: number): AsyncGenerator<T> {
  for (let epoch = 0; count === undefined || epoch < count; epoch++) {
    let any = false;
    for await (const x of src) {
      any = true;
      yield x;
    }
    if (!any) return; // an empty input repeated forever is still empty (as in TensorFlow)
  }
}

/** Groups elements into arrays of `size`; the last short group is kept unless `dropRemainder`. */
export async function* group<T>(src: Source<T>, size: number, dropRemainder: boolean): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const x of src) {
    buf.push(x);
    if (buf.length === size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length > 0 && !dropRemainder) yield buf;
}

/** Options of {@link shuffle}. */
export interface ShuffleOptions {
  /** Seed for the order; without one, each run differs. */
  readonly seed?: number;
  /** A new order on each iteration (default true, as in TensorFlow). */
  readonly reshuffleEachIteration?: boolean;
  /**
   * The number of the first iteration (default 0): iteration i uses the order of (seed, i),
   * so a run resumed at epoch e gives that epoch's order without replaying the others.
   */
  readonly firstIteration?: number;
}

/** Options of {@link mapSeeded}. */
export interface SeededPassOptions {
  readonly seed: number;
  /** As in {@link ShuffleOptions}: iteration i draws from the stream of (seed, i). */
  readonly firstIteration?: number;
}

/**
 * Emits fn(x, rng) for each element, where rng is one seeded stream per pass: pass i uses
 * the stream of (seed, i), so a random augmentation differs each epoch, and a run resumed at
 * epoch e draws that epoch's values without replaying the others. Deterministic given the
 * element order.
 */
export function mapSeeded<T, U>(src: Source<T>, fn: (x: T, rng: Rng) => U, opts: SeededPassOptions): Source<U> {
  let iteration = opts.firstIteration ?? 0;
  return {
    async *[Symbol.asyncIterator]() {
      const rng = new Rng(mixSeeds(opts.seed, iteration++));
      for await (const x of src) yield fn(x, rng);
    },
  };
}

/** A shuffle source: TF's buffer algorithm; `iteration` counts the passes made so far. */
export function shuffle<T>(src: Source<T>, bufferSize: number, opts: ShuffleOptions = {}): Source<T> {
  const base = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  const reshuffle = opts.reshuffleEachIteration ?? true;
  let iteration = opts.firstIteration ?? 0;
  return {
    async *[Symbol.asyncIterator]() {
      const rng = new Rng(reshuffle ? mixSeeds(base, iteration++) : base);
      const buf: T[] = [];
      for await (const x of src) {
        if (buf.length < bufferSize) {
          buf.push(x);
          continue;
        }
        const j = rng.int(buf.length);
        const out = buf[j]!;
        buf[j] = x;
        yield out;
      }
      while (buf.length > 0) {
        const j = rng.int(buf.length);
        const out = buf[j]!;
        buf[j] = buf[buf.length - 1]!;
        buf.pop();
        yield out;
      }
    },
  };
}

/** Keeps up to `n` elements requested ahead of the consumer. */
export async function* prefetch<T>(src: Source<T>, n: number): AsyncGenerator<T> {
  const it = src[Symbol.asyncIterator]();
  // NOTE: async iterators queue overlapping next() calls, so asking n times ahead is safe.
  const ahead: Promise<IteratorResult<T>>[] = [];
  try {
    for (;;) {
      while (ahead.length < Math.max(1, n)) {
        const p = it.next();
        p.catch(() => {});
        ahead.push(p);
      }
      const r = await ahead.shift()!;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

/** A memory cache: the first complete pass is recorded, later passes replay it. */
/** A byte budget for an in-memory cache. */
export interface CacheBudget<T> {
  /** The most bytes the cache may hold. */
  readonly maxBytes: number;
  /** Bytes one element takes. */
  readonly bytesOf: (x: T) => number;
}

/**
 * An in-memory cache of the first complete pass (as TensorFlow: an interrupted pass keeps
 * nothing). With a budget, a pass that outgrows it stops collecting and the dataset stays
 * uncached (every pass reads the source): a cache never takes more than its budget.
 */
export function cacheInMemory<T>(src: Source<T>, budget?: CacheBudget<T>): Source<T> {
  let cached: T[] | undefined;
  let tooBig = false;
  return {
    async *[Symbol.asyncIterator]() {
      if (cached) {
        yield* cached;
        return;
      }
      if (tooBig) {
        yield* src;
        return;
      }
      let seen: T[] | undefined = [];
      let bytes = 0;
      for await (const x of src) {
        if (seen && budget) {
          bytes += budget.bytesOf(x);
          if (bytes > budget.maxBytes) seen = undefined;
        }
        seen?.push(x);
        yield x;
      }
      if (seen) cached = seen;
      else tooBig = true;
    },
  };
}

/**
 * A file cache: the first complete pass is written to `path` (TFRecord framing of v8
 * structured-clone bytes, temp file then rename); later passes, and later runs, read it.
 */
export function cacheInFile<T>(src: Source<T>, path: string): Source<T> {
  return {
    async *[Symbol.asyncIterator]() {
      if (existsSync(path)) {
        for await (const r of readTFRecordFile(path)) yield deserialize(r.data) as T;
        return;
      }
      const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
      const fh = await open(tmp, 'w');
      let complete = false;
      try {
        for await (const x of src) {
          await fh.write(encodeRecord(serialize(x)));
          yield x;
        }
        complete = true;
      } finally {
        await fh.close();
        if (complete) await rename(tmp, path);
        else await rm(tmp, { force: true }); // a partial pass is not a cache
      }
    },
  };
}
