/**
 * @module data
 * The input pipeline's public surface: TFRecord files, tf.train.Example, feature specs,
 * Dataset and its transforms, images, and the flowers (real and synthetic).
 * Depends on nothing else in tpusim.
 */
export { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './crc32c.ts';
export { DataError, ExampleParseError, TFRecordError, type RecordLocation } from './errors.ts';
export { encodeRecord, encodeRecords, readTFRecordBuffer, readTFRecordFile, writeTFRecordFile, type ReadOptions, type RecordInfo } from './tfrecord.ts';
export { bytesFeature, decodeExample, encodeExample, exampleToJson, floatFeature, formatExample, int64Feature, type Example, type Feature } from './example.ts';
export { fixedLenFeature, parseSingleExample, varLenFeature, type DType, type FeatureSpec, type FixedLenFeature, type Parsed, type SparseValue, type VarLenFeature } from './features.ts';
export { Dataset, type LocatedRecord, type MapOptions, type TFRecordOptions } from './dataset.ts';
export { collate, type Batched } from './collate.ts';
export { glob } from './glob.ts';
export { mixSeeds, Rng } from './random.ts';
export { WorkerPool, workerTransform, type WorkerTransform } from './workers.ts';
export { centralSquare, decodeJpeg, decodeToSquare, encodeJpeg, resizeBilinear, toFloat01, toUint8, type Box, type Image } from './image.ts';
export { drawFlower, FLOWER_CLASSES, synthFlowerF32, synthFlowerJpeg } from './synth.ts';
export { FLOWER_SPEC, flowerExample, type Flower } from './flower-transforms.ts';
export { loadFlowers, parseSplitFile, prepareFlowers, shardName, splitShards, synthFlowers, writeSynthFlowers, type FlowerSet, type LoadOptions, type PrepareOptions } from './flowers.ts';
export { packUnitBytes, unpackUnitBytes } from './unit-bytes.ts';
export { AUGMENTATIONS, ZOOM_MIN_CROP, augmentationFn, flipLeftRight, randomFlipLeftRight, randomZoom, type Augmentation } from './augment.ts';
