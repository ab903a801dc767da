/**
 * @module tf/data
 * `tf.data`: tpusim's tf.data-style pipelines (../data: Dataset, TFRecord, Example parsing,
 * images, flowers) plus TensorFlow.js's constructors `array`, `generator` and `zip`, so a
 * TF.js pipeline (`tf.data.array(samples).map(toTensors).shuffle(100).batch(32)`) feeds
 * `model.fitDataset`. Batching elements that hold tensors gives arrays of tensors, which
 * fitDataset stacks. A plain list of exports plus three small functions.
 *
 * Imports ../data.
 */
import { Dataset } from '../data/index.ts';

export * from '../data/index.ts';

/** A dataset of the given items (TF.js's `tf.data.array`). @example tf.data.array([{ xs, ys }, ...]).batch(32) */
export function array<T>(items: readonly T[]): Dataset<T> {
  return Dataset.from(items);
}

/** A dataset drawn from a generator function, restarted for every pass (TF.js's `tf.data.generator`). */
export function generator<T>(make: () => Iterator<T> | AsyncIterator<T> | Iterable<T> | AsyncIterable<T>): Dataset<T> {
  return Dataset.fromGenerator(() => {
    const g = make();
    if (Symbol.asyncIterator in g || Symbol.iterator in g) return g as Iterable<T> | AsyncIterable<T>;
    return { [Symbol.asyncIterator]: () => g as AsyncIterator<T> };
  });
}

/**
 * Datasets zipped into one of records (or tuples), stopping at the shortest (TF.js's
 * `tf.data.zip`). @example tf.data.zip({ xs: images, ys: labels })
 */
export function zip<T extends Record<string, AsyncIterable<unknown>>>(datasets: T): Dataset<{ [K in keyof T]: T[K] extends AsyncIterable<infer E> ? E : never }> {
  type Row = { [K in keyof T]: T[K] extends AsyncIterable<infer E> ? E : never };
  return Dataset.fromGenerator(async function* () {
    const keys = Object.keys(datasets) as (keyof T)[];
    const its = keys.map((k) => datasets[k]![Symbol.asyncIterator]());
    for (;;) {
      const rs = await Promise.all(its.map((it) => it.next()));
      if (rs.some((r) => r.done)) return;
      const row = Object.fromEntries(keys.map((k, i) => [k, rs[i]!.value])) as Row;
      yield Array.isArray(datasets) ? (Object.values(row) as unknown as Row) : row;
    }
  });
}
