import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    // 10 images over 4 shards: floor(4 x 0.19) = 0 validation shards, sizes within one of each other
    expect(readdirSync(shards).sort()).toEqual(['flowers00-3.tfrec', 'flowers01-3.tfrec', 'flowers02-2.tfrec', 'flowers03-2.tfrec']);
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

describe('flowers prepare: the split, the classes, complete or nothing', () => {
  /** 5 class folders of `n` images each (and what else `extra` adds). */
  function photoFolder(n: number, extra?: (root: string) => void): string {
    const root = mkdtempSync(join(tmpdir(), 'tpusim-photos-'));
    for (const [c, name] of FLOWER_CLASSES.entries()) {
      mkdirSync(join(root, name));
      for (let i = 0; i < n; i++) writeFileSync(join(root, name, `f${i}.jpg`), synthFlowerJpeg(c, i * 7 + c, 20).jpeg);
    }
    extra?.(root);
    return root;
  }
  const labelsOf = async (dir: string, split: 'train' | 'validation'): Promise<string[]> => {
    const set = await loadFlowers({ src: dir, split, size: 8, workers: 0 });
    return (await set.dataset.toArray()).map((f) => FLOWER_CLASSES[f.label]!);
  };

  it("writes the codelab's 16 shards, 3 of them validation; with SPLIT.txt, exactly its images are the validation shards'", async () => {
    const src = photoFolder(8, (root) => writeFileSync(join(root, 'SPLIT.txt'), 'daisy/f0.jpg\ndaisy/f1.jpg\ntulips/f3.jpg\n'));
    const out = join(mkdtempSync(join(tmpdir(), 'tpusim-shards-')), 'out');
    const r = await prepareFlowers({ src, out, size: 16, workers: 0 });
    expect(r.files).toHaveLength(16);
    expect([r.images, r.validationImages, r.split]).toEqual([40, 3, join(src, 'SPLIT.txt')]);
    const { validation } = splitShards(readdirSync(out).filter((f) => f.endsWith('.tfrec')).sort());
    expect(validation.reduce((a, f) => a + Number(/-(\d+)\.tfrec$/.exec(f)![1]), 0)).toBe(3);
    expect((await labelsOf(out, 'validation')).sort()).toEqual(['daisy', 'daisy', 'tulips']);
    expect(await labelsOf(out, 'train')).toHaveLength(37);
  });

  it('keeps the codelab class ids when a class is missing, and refuses an extra or empty class folder by name', async () => {
    const noDaisy = photoFolder(4, (root) => rmSync(join(root, 'daisy'), { recursive: true }));
    const out = join(mkdtempSync(join(tmpdir(), 'tpusim-shards-')), 'out');
    await prepareFlowers({ src: noDaisy, out, size: 16, shards: 4, workers: 0 });
    const set = await loadFlowers({ src: out, size: 8, workers: 0 });
    const labels = new Set((await set.dataset.toArray()).map((f) => f.label));
    expect([...labels].sort()).toEqual([1, 2, 3, 4]); // dandelion stays 1
    const extra = photoFolder(2, (root) => mkdirSync(join(root, 'cacti')));
    await expect(prepareFlowers({ src: extra, out: join(out, 'x'), size: 16, shards: 4, workers: 0 })).rejects.toThrow(/cacti' is not a flower class folder/);
    const empty = photoFolder(2, (root) => rmSync(join(root, 'roses', 'f0.jpg')) ?? rmSync(join(root, 'roses', 'f1.jpg')));
    await expect(prepareFlowers({ src: empty, out: join(out, 'y'), size: 16, shards: 4, workers: 0 })).rejects.toThrow(/class folder '.*roses' holds no .jpg files/);
  });

  it('names a bad image and leaves no shards; refuses a folder that holds shards already', async () => {
    const bad = photoFolder(4, (root) => writeFileSync(join(root, 'roses', 'broken.jpg'), 'not a jpeg at all'));
    const out = join(mkdtempSync(join(tmpdir(), 'tpusim-shards-')), 'out');
    await expect(prepareFlowers({ src: bad, out, size: 16, shards: 4, workers: 0 })).rejects.toThrow(/roses\/broken\.jpg/);
    expect(readdirSync(out)).toEqual([]); // nothing that looks like a dataset, no partial folder
    await prepareFlowers({ src: photoFolder(4), out, size: 16, shards: 4, workers: 0 });
    await expect(prepareFlowers({ src: photoFolder(4), out, size: 16, shards: 2, workers: 0 })).rejects.toThrow(/already holds .tfrec shards/);
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
