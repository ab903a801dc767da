import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToSquare, encodeJpeg, FLOWER_CLASSES, loadFlowers, synthFlowerJpeg, writeSynthFlowers, type Dataset } from '../../src/data/index.ts';
import { openSavedModel, readImage } from '../../src/cli/predict.ts';
import { preset, saveModel, type BatchLike, type Model } from '../../src/layers/index.ts';
import { SeededRandom } from '../../src/layers/random.ts';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

/** Runs the CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
function tpusim(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [bin, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

let dir = '';
let m: Model;
const SIZE = 8;
/** A run folder (the model in RUN/model/) and a model folder with a classes.json. */
const run = () => join(dir, 'run');
const named = () => join(dir, 'named');
/** A 20 x 12 JPEG (not square: the crop is exercised) and a square synthetic flower. */
const images = () => [join(dir, 'wide.jpg'), join(dir, 'flower.jpg')];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tpusim-predict-'));
  m = preset('little-squeeze', { imageSize: SIZE, seed: 5 });
  await saveModel(m, join(run(), 'model'));
  await saveModel(m, named());
  await writeFile(join(named(), 'classes.json'), JSON.stringify(['a', 'b', 'c', 'd', 'e']));
  const r = new SeededRandom(3);
  const wide = encodeJpeg({ height: 12, width: 20, channels: 3, data: Uint8Array.from({ length: 12 * 20 * 3 }, () => Math.floor(256 * r.next())) });
  await writeFile(images()[0]!, wide);
  await writeFile(images()[1]!, synthFlowerJpeg(1, 2, 16).jpeg);
  await writeFile(join(dir, 'notes.txt'), 'not a jpeg');
  await mkdir(join(dir, 'folder.jpg'));
  await writeSynthFlowers({ out: join(dir, 'shards'), count: 32, size: SIZE, shards: 16, workers: 0 });
  await writeSynthFlowers({ out: join(dir, 'few'), count: 4, size: SIZE, shards: 4, workers: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface PredictJson {
  model: string;
  imageSize: number;
  images: { file: string; top: { class: string; index: number; probability: number }[] }[];
}

describe('tpusim predict', () => {
  it('loads a run folder, decodes as training does, and prints the top K of the same probabilities', async () => {
    const x = new Float32Array(2 * SIZE * SIZE * 3);
    for (const [i, f] of images().entries()) x.set(decodeToSquare(await readFile(f), SIZE).data, i * SIZE * SIZE * 3);
    const want = await m.predict(x);
    const [json, text] = await Promise.all([tpusim('predict', run(), ...images(), '--top', '5', '--json'), tpusim('predict', named(), images()[1]!)]);
    expect(json.stderr).toBe('');
    const out = JSON.parse(json.stdout) as PredictJson;
    expect(out.model).toBe(join(run(), 'model', 'model.json'));
    expect(out.imageSize).toBe(SIZE);
    out.images.forEach((im, i) => {
      expect(im.file).toBe(images()[i]);
      expect(im.top.map((t) => t.class)).toEqual(im.top.map((t) => FLOWER_CLASSES[t.index]));
      // every class, highest first, each the model's own output bit for bit
      expect(im.top.map((t) => t.probability)).toEqual([...want.subarray(i * 5, i * 5 + 5)].sort((a, b) => b - a));
      im.top.forEach((t) => expect(t.probability).toBe(want[i * 5 + t.index]));
    });
    // a model folder with a classes.json beside model.json names the classes from it; default top 3
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(images()[1]);
    const best = out.images[1]!.top[0]!;
    expect(lines[1]).toBe(`  1. ${'abcde'[best.index]}  ${best.probability.toFixed(4)}`);
  });

  it('a file that is not a JPEG is one line naming it, exit 2', async () => {
    const r = await tpusim('predict', run(), images()[0]!, join(dir, 'notes.txt'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tpusim: '.*notes\.txt': not a decodable JPEG \(.*\)\n$/);
  });

  it('bad images and model folders: messages that name the file', async () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.jpg'), /cannot read '.*missing\.jpg': no such file/],
      [join(dir, 'notes.txt'), /'.*notes\.txt': not a decodable JPEG/],
      [join(dir, 'folder.jpg'), /'.*folder\.jpg' is a directory, not a JPEG file/],
    ];
    for (const [file, message] of cases) await expect(readImage(file, SIZE)).rejects.toThrow(message);
    await expect(openSavedModel(join(dir, 'shards'))).rejects.toThrow(/'.*shards' holds no saved model/);
    const odd = join(dir, 'odd');
    await saveModel(m, odd);
    await writeFile(join(odd, 'classes.json'), '["a", "b"]');
    await expect(openSavedModel(odd)).rejects.toThrow(/'.*odd\/classes\.json' names 2 classes; the model has 5 outputs/);
  });
});

describe('tpusim evaluate', () => {
  it('gives the loss and accuracy evaluate() gives on the validation shards, and runs on synthetic images', async () => {
    const [json, text] = await Promise.all([
      tpusim('evaluate', run(), '--data', join(dir, 'shards'), '--workers', '0', '--json'),
      tpusim('evaluate', named(), '--data', 'synthetic', '--split', 'all', '--count', '8', '--limit', '10', '--batch', '4'),
    ]);
    expect(json.stderr).toBe('');
    const out = JSON.parse(json.stdout) as { images: number; loss: number; accuracy: number; split: string };
    expect(out).toMatchObject({ images: 6, split: 'validation' }); // 3 of 16 shards of 2
    const validation = await loadFlowers({ src: join(dir, 'shards'), split: 'validation', size: SIZE, workers: 0 });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const want = await m.evaluate(validation.dataset.batch(32) as unknown as Dataset<BatchLike>);
    expect(out.loss).toBe(want.loss);
    expect(out.accuracy).toBe(want.accuracy);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}on 10 images \(all split of synthetic\)\n$/);
  });

  it('an empty split is one line, exit 2', async () => {
    const r = await tpusim('evaluate', run(), '--data', join(dir, 'few'), '--workers', '0'); // 4 shards: floor(0.19 * 4) = 0 validation shards
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tpusim: no images in the validation split of '.*few'\n$/);
  });
});
