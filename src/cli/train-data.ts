/**
 * @module cli/train-data
 * The images `tpusim train` feeds its model: real flowers (a folder of class folders or of
 * TFRecord shards, capped by --limit) or synthetic ones (--count), decoded once and kept in
 * memory between epochs when they fit, shuffled and augmented by seeded streams that restart
 * at the resumed epoch, and batched by the global batch. Every pass yields the same bits,
 * cached or not, resumed or not.
 *
 * Imports data (flowers, datasets, augmentation), layers (BatchLike), ./run-dir (settings), ./errors.
 */
import { AUGMENTATIONS, FLOWER_CLASSES, augmentationFn, loadFlowers, mixSeeds, packUnitBytes, synthFlowers, unpackUnitBytes, type Augmentation, type Dataset, type Flower } from '../data/index.ts';
import type { BatchLike } from '../layers/index.ts';
import { parseChoice, UsageError } from './errors.ts';
import type { RunSettings } from './run-dir.ts';

/** The most bytes of decoded training images kept in memory between epochs. */
const CACHE_BYTES = 512 * 2 ** 20;
/** The same for the validation images. */
const VALIDATION_CACHE_BYTES = 128 * 2 ** 20;

/** A decoded flower as kept in the cache: its bytes when they hold it exactly. */
type PackedFlower = { readonly image: Float32Array | Uint8Array; readonly label: number };
const packFlower = (f: Flower): PackedFlower => ({ image: packUnitBytes(f.image) ?? f.image, label: f.label });
const unpackFlower = (f: PackedFlower): Flower => ({ image: f.image instanceof Uint8Array ? unpackUnitBytes(f.image) : f.image, label: f.label });

/**
 * Decoded images kept in memory from the second pass on when a pass fits in `maxBytes`, as
 * bytes when they are exact k/255 values (JPEGs decoded at their own size, as prepared
 * shards are): every pass yields the same bits, cached or not.
 */
function keptInMemory(d: Dataset<Flower>, maxBytes: number): Dataset<Flower> {
  return d.map(packFlower).cache({ maxBytes, bytesOf: (f) => f.image.byteLength }).map(unpackFlower);
}

/** The run's augmentation ('none' for a run folder saved before --augment existed). */
export const augmentationOf = (s: RunSettings): Augmentation => parseChoice<Augmentation>(s.augment ?? 'none', "run.json's augment", AUGMENTATIONS);

/** The training images as the run's --augment changes them: one seeded stream per epoch. */
function augmented(d: Dataset<Flower>, s: RunSettings, firstEpoch: number): Dataset<Flower> {
  const fn = augmentationFn(augmentationOf(s));
  if (!fn) return d;
  return d.mapRandom(fn, { seed: mixSeeds(s.seed, 0x61756720 /* 'aug ' */), firstIteration: firstEpoch });
}

/** The training and validation batches, and a one-line description of the data. */
export async function datasets(s: RunSettings, firstEpoch: number): Promise<{ train: Dataset<BatchLike>; validation: Dataset<BatchLike>; describe: string; classes: readonly string[]; trainImages?: number }> {
  const batch = s.batchPerCore * s.cores;
  const asBatches = (d: Dataset<Flower>, dropRemainder = true) => d.batch(batch, { dropRemainder }) as unknown as Dataset<BatchLike>;
  if (s.data === 'synthetic') {
    const count = s.count!;
    const val = Math.max(batch, Math.floor(count / 4));
    if (count < batch) throw new UsageError(`--count ${count} is less than one global batch of ${batch} (${s.cores} cores x ${s.batchPerCore})`);
    return {
      train: asBatches(augmented(synthFlowers({ count, size: s.imageSize, seed: s.seed }).cache().shuffle(count, { seed: s.seed, firstIteration: firstEpoch }), s, firstEpoch)),
      validation: asBatches(synthFlowers({ count: val, size: s.imageSize, seed: s.seed + 1000 }).cache(), false),
      describe: `synthetic flowers drawn by tpusim (no download): ${count} training and ${val} validation images; pass --data DIR for real photos`,
      classes: FLOWER_CLASSES,
      trainImages: count,
    };
  }
  const [train, validation] = await Promise.all([
    loadFlowers({ src: s.data, split: 'train', size: s.imageSize, shuffleSeed: s.seed }),
    loadFlowers({ src: s.data, split: 'validation', size: s.imageSize, shuffleSeed: s.seed + 1 }),
  ]);
  const cap = <T>(d: Dataset<T>, n: number | undefined): Dataset<T> => (n === undefined ? d : d.take(n));
  const trainImages = train.images === undefined ? undefined : Math.min(train.images, s.limit ?? Infinity);
  if (trainImages !== undefined && trainImages < batch) {
    const which = s.limit !== undefined && s.limit < (train.images ?? Infinity) ? `--limit ${s.limit} leaves` : `${s.data} has`;
    throw new UsageError(`${which} ${trainImages} training images, less than one global batch of ${batch} (${s.cores} cores x ${s.batchPerCore}): not one step would run; give a smaller --batch or --batch-per-core`);
  }
  const shuffled = keptInMemory(cap(train.dataset, s.limit), CACHE_BYTES).shuffle(1024, { seed: s.seed, firstIteration: firstEpoch });
  const trainSet = augmented(shuffled, s, firstEpoch);
  // a validation subset (--validation-steps) is drawn from a shuffled set: class folders list class by class
  const valSet = keptInMemory(cap(validation.dataset, s.limit === undefined ? undefined : Math.max(batch, Math.floor(s.limit / 4))), VALIDATION_CACHE_BYTES);
  const valShuffled = s.validationSteps !== undefined ? valSet.shuffle(4096, { seed: s.seed + 2, reshuffleEachIteration: false }) : valSet;
  return {
    train: asBatches(trainSet),
    validation: asBatches(valShuffled, false),
    describe: `${s.data} (${train.form === 'tfrecord' ? 'TFRecord shards' : 'class folders'}: ${trainImages ?? '?'} training, ${validation.images ?? '?'} validation images${s.limit !== undefined ? `, at most ${s.limit} for training` : ''}; decoded images kept in memory after the first epoch when they fit in ${CACHE_BYTES / 2 ** 20} + ${VALIDATION_CACHE_BYTES / 2 ** 20} MB)`,
    classes: train.classes,
    ...(trainImages !== undefined ? { trainImages } : {}),
  };
}
