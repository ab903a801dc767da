import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { fixedLenFeature, parseSingleExample, varLenFeature } from '../../src/data/features.ts';
import { loadFlowers, parseSplitFile, prepareFlowers, shardName, splitShards, writeSynthFlowers } from '../../src/data/flowers.ts';
import { decodeJpeg } from '../../src/data/image.ts';
import { encodeExample, int64Feature } from '../../src/data/example.ts';
import { flowerExample } from '../../src/data/flower-transforms.ts';
import { encodeRecords } from '../../src/data/tfrecord.ts';
import { synthFlowerJpeg, FLOWER_CLASSES } from '../../src/data/synth.ts';

/** The codelab's reading spec (what its notebook parses). */
const CODELAB_SPEC = {
  image: fixedLenFeature([], 'string'),
  class: fixedLenFeature([], 'int64'),
  label: fixedLenFeature([], 'string'),
  size: fixedLenFeature([2], 'int64'),
  one_hot_class: varLenFeature('float32'),
};

let photos = ''; // class folders of small JPEGs (synthetic, 2 per class, 40x30)
let shards = '';

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'tpusim-flowers-'));
  photos = join(root, 'photos');
  for (const [c, name] of FLOWER_CLASSES.entries()) {
    mkdirSync(join(photos, name), { recursive: true });
    for (let i = 0; i < 2; i++) writeFileSync(join(photos, name, `img${i}.jpg`), synthFlowerJpeg(c, i * 5 + c, 40).jpeg);
  }
  writeFileSync(join(photos, 'daisy', 'notes.txt'), 'not an image');
  shards = join(root, 'shards');
  await prepareFlowers({ src: photos, out: shards, size: 24, shards: 4, workers: 0 });
});

describe('flowers prepare', () => {
  it('writes shards named like the codelab, with the record count', () => {
    expect(readdirSync(shards).sort()).toEqual(['flowers00-3.tfrec', 'flowers01-3.tfrec', 'flowers02-3.tfrec', 'flowers03-1.tfrec']);
    expect(shardName(0, 230)).toBe('flowers00-230.tfrec');
  });

  it("writes the codelab's schema: JPEG image, class, label, size, one_hot_class", async () => {
    const records = await Dataset.tfrecord(readdirSync(shards).sort().map((f) => join(shards, f))).toArray();
    expect(records).toHaveLength(10);
    const seen = new Set<string>();
    for (const r of records) {
      const p = parseSingleExample(r, CODELAB_SPEC);
      const cls = Number(p.class[0]);
      const label = new TextDecoder().decode(p.label[0]);
      expect(label).toBe(FLOWER_CLASSES[cls]);
      expect([...p.size]).toEqual([24n, 24n]);
      expect([...p.one_hot_class.values]).toEqual([0, 1, 2, 3, 4].map((k) => (k === cls ? 1 : 0)));
      const img = decodeJpeg(p.image[0]!);
      expect([img.height, img.width]).toEqual([24, 24]);
      seen.add(label);
    }
    expect(seen.size).toBe(5);
  });
});

describe('flowers loaders', () => {
  it("split shards like the codelab: the first floor(0.19 n) are validation (3 of 16)", () => {
    const names = Array.from({ length: 16 }, (_, i) => shardName(i, 230));
    const { train, validation } = splitShards(names);
    expect(validation).toEqual(names.slice(0, 3));
    expect(train).toHaveLength(13);
  });

  it('load shards decoded to f32 squares; a split file selects records by name', async () => {
    const all = await (await loadFlowers({ src: shards, size: 16, workers: 0 })).dataset.toArray();
    expect(all).toHaveLength(10);
    expect(all[0]!.image.length).toBe(16 * 16 * 3);
    const splitFile = join(mkdtempSync(join(tmpdir(), 'tpusim-split-')), 'SPLIT.txt');
    writeFileSync(splitFile, '# validation\ndaisy/img0.jpg\nroses/img1.jpg\n\n');
    const val = await (await loadFlowers({ src: shards, split: 'validation', splitFile, size: 8, workers: 0 })).dataset.toArray();
    expect(val.map((f) => f.label).sort()).toEqual([0, 2]);
    const train = await (await loadFlowers({ src: shards, split: 'train', splitFile, size: 8, workers: 1 })).dataset.toArray();
    expect(train).toHaveLength(8);
  });

  it('load class folders with a split file; without one, a stable hash split', async () => {
    const splitFile = join(mkdtempSync(join(tmpdir(), 'tpusim-split-')), 'SPLIT.txt');
    writeFileSync(splitFile, 'tulips/img1.jpg\n');
    const val = await loadFlowers({ src: photos, split: 'validation', splitFile, size: 8, workers: 0 });
    expect(val.form).toBe('folder');
    expect(val.sources).toEqual([join(photos, 'tulips', 'img1.jpg')]);
    expect((await val.dataset.toArray()).map((f) => f.label)).toEqual([4]);
    const t = await loadFlowers({ src: photos, split: 'train', size: 8, workers: 0 });
    const v = await loadFlowers({ src: photos, split: 'validation', size: 8, workers: 0 });
    expect(t.sources.length + v.sources.length).toBe(10);
    expect(new Set([...t.sources, ...v.sources]).size).toBe(10);
  });

  it('a shuffle seed mixes the classes of a folder listing (same order for the same seed)', async () => {
    const listed = await loadFlowers({ src: photos, split: 'all', size: 8, workers: 0 });
    const labels = (set: { dataset: { toArray(): Promise<{ label: number }[]> } }) => set.dataset.toArray().then((xs) => xs.map((x) => x.label));
    expect(await labels(listed)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const a = await loadFlowers({ src: photos, split: 'all', size: 8, workers: 0, shuffleSeed: 7 });
    const b = await loadFlowers({ src: photos, split: 'all', size: 8, workers: 0, shuffleSeed: 7 });
    expect(a.sources).toEqual(b.sources);
    expect(new Set(a.sources)).toEqual(new Set(listed.sources));
    expect(await labels(a)).not.toEqual(await labels(listed));
  });

  it('parses split files and reports bad lines and folders as DataError', async () => {
    expect(parseSplitFile('daisy/a.jpg\r\n  roses\\b.jpg \n# c\n')).toEqual(['daisy/a.jpg', 'roses/b.jpg']);
    expect(() => parseSplitFile('ok/a.jpg\nnot-a-path\n', 'S.txt')).toThrow(/S\.txt:2: expected 'class\/file\.jpg'/);
    await expect(loadFlowers({ src: join(photos, 'nope') })).rejects.toThrow(DataError);
  });

  it('a malformed record fails with file, record index and byte offset (even from a worker)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpusim-badflowers-'));
    const good = encodeExample(flowerExample({ jpeg: synthFlowerJpeg(0, 1, 8).jpeg, classIndex: 0, height: 8, width: 8, filename: 'daisy/a.jpg' }));
    const noImage = encodeExample({ class: int64Feature([1]) });
    writeFileSync(join(dir, 'flowers00-2.tfrec'), encodeRecords([good, noImage]));
    const where = new RegExp(`flowers00-2\\.tfrec, record 1, byte ${good.length + 16}: feature 'image': is missing`);
    for (const workers of [0, 1]) {
      const set = await loadFlowers({ src: dir, size: 8, workers });
      await expect(set.dataset.toArray()).rejects.toThrow(where);
    }
  });

  it('write synthetic shards in the same schema', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tpusim-synth-'));
    const files = await writeSynthFlowers({ out, count: 6, size: 16, shards: 2, workers: 0 });
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(['flowers00-3.tfrec', 'flowers01-3.tfrec']);
    const set = await loadFlowers({ src: out, size: 16, workers: 0 });
    expect((await set.dataset.toArray()).map((f) => f.label)).toEqual([0, 3, 1, 4, 2, 0]); // 2 shards read in parallel
  });
});
