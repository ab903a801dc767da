import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

describe('tpusim summary', () => {
  it('prints a preset summary as JSON with Keras counts', () => {
    const out = JSON.parse(execFileSync('node', [bin, 'summary', 'squeezenet-bn', '--image-size', '16', '--json'], { encoding: 'utf8' })) as {
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
    expect(r.stderr).toMatch(/dense, convnet, little-squeeze, squeeze-dense, squeeze-fast, squeezenet-bn/);
  });
});
