import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

describe('tpusim summary', () => {
  it('prints a preset summary as JSON with Keras counts', () => {
    const out = JSON.parse(execFileSync('node', [bin, 'summary', 'squeeze-90', '--image-size', '16', '--json'], { encoding: 'utf8' })) as {
      rows: { name: string; type: string; outputShape: (number | null)[]; params: number }[];
      totalParams: number;
      trainableParams: number;
      nonTrainableParams: number;
    };
    expect(out.rows[0]).toMatchObject({ type: 'InputLayer', outputShape: [null, 16, 16, 3], params: 0 });
    expect(out.rows.at(-1)).toMatchObject({ type: 'Dense', outputShape: [null, 5] });
    expect(out.trainableParams + out.nonTrainableParams).toBe(out.totalParams);
    expect(out.nonTrainableParams).toBeGreaterThan(0);
  });

  it('rejects an unknown model with one line listing the presets, exit 2', () => {
    const r = spawnSync('node', [bin, 'summary', 'resnet'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/dense, convnet, little-squeeze, squeeze-dense, squeeze-fast, squeeze-90/);
  });
});

describe('tpusim train', () => {
  it('trains a preset on synthetic flowers over 2 cores and reports per-epoch history as JSON', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'tpusim-train-'));
    try {
      const args = [bin, 'train', '--model', 'squeeze-fast', '--image-size', '16', '--count', '16', '--batch', '8', '--cores', '2', '--epochs', '2', '--steps-per-epoch', '3', '--validation-steps', '1', '--save', join(dir, 'm'), '--out', join(dir, 'run'), '--json'];
      const out = JSON.parse(execFileSync('node', args, { encoding: 'utf8' })) as {
        params: number;
        cores: number;
        history: { steps: number[]; history: { loss: number[]; val_accuracy: number[] }; deviceSeconds: number[]; hostSeconds: number[] };
      };
      expect(out.cores).toBe(2);
      expect(out.history.steps).toEqual([3, 3]);
      expect(out.history.history.loss).toHaveLength(2);
      expect(out.history.history.val_accuracy).toHaveLength(2);
      expect(out.history.deviceSeconds[0]!).toBeGreaterThan(0);
      expect((await readdir(join(dir, 'm'))).sort()).toEqual(['model.json', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('trains from a folder of TFRecord shards (the codelab split: 13 train, 3 validation)', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'tpusim-shards-'));
    try {
      execFileSync('node', [bin, 'flowers', 'synth', '--out', dir, '--count', '64', '--size', '8', '--shards', '16', '--workers', '0', '--json'], { encoding: 'utf8' });
      const out = JSON.parse(execFileSync('node', [bin, 'train', '--model', 'little-squeeze', '--data', dir, '--image-size', '8', '--batch', '4', '--cores', '1', '--epochs', '1', '--out', join(dir, 'run'), '--json'], { encoding: 'utf8' })) as {
        history: { steps: number[]; history: { val_loss: number[] } };
      };
      expect(out.history.steps[0]).toBe(13); // 13 shards x 4 images, batches of 4
      expect(out.history.history.val_loss[0]).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a batch that does not split over the cores with one line, exit 2', () => {
    const r = spawnSync('node', [bin, 'train', '--model', 'dense', '--batch', '6', '--cores', '4'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--batch 6 must be a multiple of --cores 4/);
  });
});
