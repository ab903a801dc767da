/**
 * Input pipeline throughput (images/s): TFRecord shards of JPEGs -> parse Example -> JPEG
 * decode -> central square crop -> bilinear resize to 192x192 -> f32 [0, 1] -> batch of 32,
 * on the main thread and on 1 and 2 worker threads, measured in the same run.
 *
 * The shards are prepared into a temp dir from the real photos in ../shared/flowers when
 * that folder exists (a subset, BENCH_IMAGES, default 480), else from synthetic flowers.
 * Worker start-up is excluded: the clock starts when the first batch arrives.
 * Writes bench/results/data.json.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../src/data/dataset.ts';
import { parseSingleExample } from '../src/data/features.ts';
import { decodeFlowerRecord, FLOWER_SPEC, type Flower } from '../src/data/flower-transforms.ts';
import { centralSquare, decodeJpeg, resizeBilinear } from '../src/data/image.ts';
import { prepareFlowers, writeSynthFlowers } from '../src/data/flowers.ts';
import { workerTransform } from '../src/data/workers.ts';

const SIZE = 192;
const BATCH = 32;
const IMAGES = Number(process.env.BENCH_IMAGES ?? 480);
const SHARED = new URL('../../shared/flowers', import.meta.url).pathname;

async function makeShards(dir: string): Promise<{ files: string[]; source: string }> {
  const t0 = performance.now();
  if (existsSync(SHARED)) {
    const r = await prepareFlowers({ src: SHARED, out: dir, size: SIZE, shards: 16, limit: IMAGES, workers: 2 });
    return { files: r.files, source: `${r.images} real flower photos from ../shared/flowers, re-encoded ${SIZE}x${SIZE} (prepare ${((performance.now() - t0) / 1000).toFixed(1)} s)` };
  }
  const files = await writeSynthFlowers({ out: dir, count: IMAGES, size: SIZE, shards: 16, workers: 2 });
  return { files, source: `${IMAGES} synthetic flowers ${SIZE}x${SIZE} (no ../shared/flowers)` };
}

interface Row {
  name: string;
  workers: number;
  imagesPerSecond: number;
  runs: number[];
}

async function measure(files: string[], workers: number): Promise<number> {
  const records = Dataset.tfrecord(files, { numParallelReads: 4 });
  const arg = { size: SIZE };
  const decoded =
    workers === 0
      ? records.map((r) => decodeFlowerRecord(r, arg))
      : records.map(workerTransform<Uint8Array, Flower | null>(new URL('../src/data/flower-transforms.ts', import.meta.url), 'decodeFlowerRecord', arg), { workers });
  const batches = decoded.filter((x): x is Flower => x !== null).batch(BATCH).prefetch(2);
  let t0 = 0;
  let images = 0;
  for await (const b of batches) {
    if (t0 === 0) t0 = performance.now(); // start after the first batch: excludes worker start-up
    else images += b.label.length;
    if (b.image.length !== b.label.length * SIZE * SIZE * 3) throw new Error('bad batch shape');
  }
  return images / ((performance.now() - t0) / 1000);
}

/** CPU time per image of each stage on the main thread (less noisy than throughput). */
async function stages(files: string[]): Promise<{ parseMs: number; decodeMs: number; resizeMs: number }> {
  const records = (await Dataset.tfrecord(files).toArray()).slice(0, 200);
  const best = (f: () => void) => {
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      f();
      times.push((performance.now() - t0) / records.length);
    }
    return Math.min(...times);
  };
  const parsed = records.map((r) => parseSingleExample(r, FLOWER_SPEC).image[0]!);
  const imgs = parsed.map((j) => decodeJpeg(j));
  return {
    parseMs: best(() => records.forEach((r) => parseSingleExample(r, FLOWER_SPEC))),
    decodeMs: best(() => parsed.forEach((j) => decodeJpeg(j))),
    resizeMs: best(() => imgs.forEach((im) => resizeBilinear(im, SIZE, SIZE, { crop: centralSquare(im.height, im.width), scale: 1 / 255 }))),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tpusim-bench-data-'));
try {
  const { files, source } = await makeShards(dir);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const perImage = await stages(files);
  const rows: Row[] = [];
  for (const [name, workers] of [['main thread (no workers)', 0], ['1 worker', 1], ['2 workers', 2]] as const) {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) runs.push(await measure(files, workers));
    const sorted = [...runs].sort((a, b) => a - b);
    rows.push({ name, workers, imagesPerSecond: sorted[1]!, runs });
  }
  console.log(`data pipeline: ${source}; ${files.length} shards, ${(bytes / 1e6).toFixed(1)} MB; ${SIZE}x${SIZE}, batch ${BATCH}`);
  console.log('config                      images/s (median of 3)   runs');
  for (const r of rows) console.log(`${r.name.padEnd(28)}${r.imagesPerSecond.toFixed(0).padStart(10)}               ${r.runs.map((x) => x.toFixed(0)).join(' / ')}`);
  const cpu = perImage.parseMs + perImage.decodeMs + perImage.resizeMs;
  console.log(`CPU per image (main thread, best of 3): parse ${perImage.parseMs.toFixed(2)} ms, JPEG decode ${perImage.decodeMs.toFixed(2)} ms, crop+resize+f32 ${perImage.resizeMs.toFixed(2)} ms -> ${(1000 / cpu).toFixed(0)} images/s per free core`);
  mkdirSync(new URL('./results', import.meta.url).pathname, { recursive: true });
  const out = { bench: 'data', node: process.version, cores: availableParallelism(), source, shards: files.length, shardBytes: bytes, imageSize: SIZE, batch: BATCH, perImageMs: perImage, imagesPerSecondPerFreeCore: 1000 / cpu, rows };
  writeFileSync(new URL('./results/data.json', import.meta.url).pathname, `${JSON.stringify(out, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
