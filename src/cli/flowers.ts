/**
 * @module cli/flowers
 * `tpusim flowers prepare|synth|info`: make the flowers' TFRecord shards from a folder of
 * class folders, or synthetic ones from nothing, and look at a flowers folder. A progress bar
 * is drawn on stderr only when stdout and stderr are terminals (never in pipes or tests).
 * The output folder, the image size (a JPEG side, and the memory of the images in flight)
 * and the worker count are checked before any work; shards appear complete or not at all.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadFlowers, prepareFlowers, writeSynthFlowers } from '../data/index.ts';
import { parseNonNegativeInt, parsePositiveInt, parseSeed, UsageError } from './errors.ts';
import { checkFits, checkHostThreads, hostMemory } from './limits.ts';
import { checkOutputFolder } from './output-path.ts';
import { emit } from './output.ts';

/** A progress callback that draws a bar on stderr when stdout and stderr are terminals, else nothing. */
function progress(label: string): { onProgress: (done: number, total: number) => void; stop: () => void } {
  if (!process.stdout.isTTY || !process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} images`, stream: process.stderr, hideCursor: true });
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/** `--workers`: 0 (the main thread) or a number of worker threads within the host's limit. */
export function parseWorkers(value: string): number {
  const workers = parseNonNegativeInt(value, '--workers');
  checkHostThreads(workers, '--workers');
  return workers;
}

/** The largest side a JPEG can declare (its header holds 16 bits). */
const JPEG_MAX_SIDE = 65535;
/** Host bytes per pixel while one image is drawn or decoded and re-encoded (f32 RGB, RGBA, the JPEG coder's blocks). */
const BYTES_PER_PIXEL_IN_FLIGHT = 40;

/**
 * `--size`: the side of the square images written, checked before any work: a JPEG side, and
 * the images in flight at once (one per worker) within the host memory limit.
 */
export function parseImageSide(value: string, workers: number): number {
  const size = parsePositiveInt(value, '--size');
  if (size > JPEG_MAX_SIDE) throw new UsageError(`--size ${size} is more than ${JPEG_MAX_SIDE}, the largest side a JPEG can hold`);
  const inFlight = Math.max(1, workers);
  checkFits(`--size ${size}`, inFlight * size * size * BYTES_PER_PIXEL_IN_FLIGHT, hostMemory(), `${inFlight} image(s) of ${size} x ${size} in flight, about ${BYTES_PER_PIXEL_IN_FLIGHT} bytes per pixel`);
  return size;
}

/** Adds the `flowers` command group to the program. */
export function registerFlowers(program: Command): void {
  const flowers = program.command('flowers').description('the 5-class flowers dataset: TFRecord shards, real or synthetic');

  flowers
    .command('prepare')
    .description('class folders of JPEGs -> TFRecord shards in the codelab schema (flowersNN-COUNT.tfrec)')
    .requiredOption('--src <dir>', 'folder of class folders (daisy/, dandelion/, ...)')
    .requiredOption('--out <dir>', 'folder to write shards into')
    .option('--size <px>', 'side of the square images', '192')
    .option('--shards <n>', 'number of shards', '16')
    .option('--workers <n>', 'worker threads (0 = main thread)', '2')
    .option('--limit <n>', 'only this many images (of the shuffled order)')
    .option('--split-file <path>', 'validation list (class/file.jpg per line): these images make the validation shards (default: <src>/SPLIT.txt when present, else the codelab\'s split by shard)')
    .option('--json', 'print JSON')
    .action(async (opts: { src: string; out: string; size: string; shards: string; workers: string; limit?: string; splitFile?: string; json?: boolean }) => {
      checkOutputFolder(opts.out, '--out');
      const workers = parseWorkers(opts.workers);
      const size = parseImageSide(opts.size, workers);
      const shards = parsePositiveInt(opts.shards, '--shards');
      const bar = progress('prepare');
      const t0 = performance.now();
      const result = await prepareFlowers({
        src: opts.src,
        out: opts.out,
        size,
        shards,
        workers,
        ...(opts.limit !== undefined ? { limit: parsePositiveInt(opts.limit, '--limit') } : {}),
        ...(opts.splitFile !== undefined ? { splitFile: opts.splitFile } : {}),
        onProgress: bar.onProgress,
      }).finally(bar.stop);
      const seconds = (performance.now() - t0) / 1000;
      emit({ ...result, seconds }, opts.json, (r) =>
        [
          `${r.images} images of ${r.classes.length} classes (${r.classes.join(', ')}) -> ${r.files.length} shards in ${opts.out} (${r.seconds.toFixed(1)} s)`,
          `validation: the first ${Math.floor(r.files.length * 0.19)} shards, ${r.validationImages} images (${r.split === 'by shard' ? "the codelab's split by shard" : `the images listed in ${r.split}`}); training: the other ${r.images - r.validationImages}`,
          ...r.files,
        ].join('\n'),
      );
    });

  flowers
    .command('synth')
    .description('draw synthetic flowers (5 classes) and write them as TFRecord shards in the codelab schema')
    .requiredOption('--out <dir>', 'folder to write shards into')
    .option('--count <n>', 'number of images', '1000')
    .option('--size <px>', 'side of the square images', '192')
    .option('--shards <n>', 'number of shards', '16')
    .option('--seed <n>', 'random seed (a positive integer, as in every command)', '1')
    .option('--workers <n>', 'worker threads (0 = main thread)', '2')
    .option('--json', 'print JSON')
    .action(async (opts: { out: string; count: string; size: string; shards: string; seed: string; workers: string; json?: boolean }) => {
      checkOutputFolder(opts.out, '--out');
      const count = parsePositiveInt(opts.count, '--count');
      const workers = parseWorkers(opts.workers);
      const size = parseImageSide(opts.size, workers);
      const shards = parsePositiveInt(opts.shards, '--shards');
      const seed = parseSeed(opts.seed);
      const bar = progress('synth');
      const files = await writeSynthFlowers({
        out: opts.out,
        count,
        size,
        shards,
        seed,
        workers,
        onProgress: bar.onProgress,
      }).finally(bar.stop);
      emit({ images: count, files }, opts.json, (r) => `${r.images} synthetic flowers -> ${r.files.length} shards\n${r.files.join('\n')}`);
    });

  flowers
    .command('info')
    .description('count the images of each split of a flowers folder (shards or class folders)')
    .requiredOption('--src <dir>', 'folder of shards or of class folders')
    .option('--split-file <path>', 'validation list (class/file.jpg per line)')
    .option('--size <px>', 'decode size', '32')
    .option('--json', 'print JSON')
    .action(async (opts: { src: string; splitFile?: string; size: string; json?: boolean }) => {
      const size = parseImageSide(opts.size, 2);
      const rows: { split: string; images: number; perClass: number[] }[] = [];
      let form = '';
      for (const split of ['train', 'validation'] as const) {
        const set = await loadFlowers({ src: opts.src, split, size, ...(opts.splitFile !== undefined ? { splitFile: opts.splitFile } : {}) });
        form = set.form;
        const perClass = set.classes.map(() => 0);
        for await (const f of set.dataset) perClass[f.label] = (perClass[f.label] ?? 0) + 1;
        rows.push({ split, images: perClass.reduce((a, b) => a + b, 0), perClass });
      }
      emit({ form, rows }, opts.json, (r) => [`form: ${r.form}`, ...r.rows.map((x) => `${x.split}: ${x.images} images (per class ${x.perClass.join(' / ')})`)].join('\n'));
    });
}
