/**
 * train's images: a run folder's augmentation is checked when the run is rebuilt from it, so
 * a hand-edited or newer run.json is one line naming the field, not a silent run without it.
 * (The images themselves are tested through `tpusim train` in ./train.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { RunSettings } from '../../src/cli/run-dir.ts';
import { augmentationOf } from '../../src/cli/train-data.ts';

describe('augmentationOf', () => {
  const settings = (augment?: string) => ({ model: 'squeeze-fast', data: 'synthetic', seed: 1, ...(augment === undefined ? {} : { augment }) }) as unknown as RunSettings;

  it("is the run's augmentation, 'none' for a run saved before --augment existed", () => {
    expect(augmentationOf(settings('flip-zoom'))).toBe('flip-zoom');
    expect(augmentationOf(settings('flip'))).toBe('flip');
    expect(augmentationOf(settings())).toBe('none');
  });

  it('refuses an augmentation it does not know, naming run.json and the choices', () => {
    expect(() => augmentationOf(settings('rotate'))).toThrow(/run.json's augment must be one of none, flip, flip-zoom; got 'rotate'/);
  });
});
