/**
 * Conformance with TensorFlow.js: scripts written for tfjs-layers (./conformance/scripts.ts)
 * run once with tfjs (core + layers, CPU backend) and once with tpusim's `tf` namespace in
 * its place, from the same seeded weights. Their Histories (same keys, same order) and
 * predictions agree within the precision's bound: 'highest' (bf16x6, about f32) 1e-5
 * relative for losses and 1e-5 absolute for probabilities; 'default' (one bf16 pass, as
 * the codelab trained) 2e-3 relative and 1e-2 absolute. Accuracies agree to f32 rounding.
 * The same holds data-parallel on 8 simulated cores (models without batch norm). Saved
 * files load both ways: tpusim's in tfjs and tfjs's in tpusim, predicting the same.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import * as ours from '../../src/tf/index.ts';
import { tfjs } from '../layers/tfjs.ts';
import { registerFileIo } from './conformance/file-io.ts';
import { SCRIPTS, saveAndLoad, type ScriptResult, type Tfjs } from './conformance/scripts.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tpusim-tf-conformance-'));
  dirs.push(d);
  return d;
}

let theirs: Tfjs;
let defaults: ours.tpu.TpuDefaults;
beforeAll(async () => {
  const { tf, tfl } = await tfjs();
  registerFileIo(tf.io);
  theirs = { ...tf, ...tfl } as Tfjs;
  defaults = ours.tpu.getDefaults();
});
afterAll(async () => {
  ours.tpu.setDefaults(defaults);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** tpusim's namespace where a script expects tfjs's (the one changed import). */
const tpusim = ours as unknown as Tfjs;

const BOUNDS = {
  highest: { loss: 1e-5, prediction: 1e-5 },
  default: { loss: 2e-3, prediction: 1e-2 },
} as const;

function compare(got: ScriptResult, want: ScriptResult, bound: { loss: number; prediction: number }): void {
  expect(Object.keys(got.history)).toEqual(Object.keys(want.history));
  for (const [key, values] of Object.entries(want.history)) {
    values.forEach((v, epoch) => {
      const g = got.history[key]![epoch]!;
      const ok = /acc/i.test(key) ? Math.abs(g - v) <= 1e-6 : Math.abs(g - v) <= bound.loss * Math.max(Math.abs(v), 1e-3);
      if (!ok) expect.fail(`${key} at epoch ${epoch}: tpusim ${g}, tfjs ${v}`);
    });
  }
  expect(got.predictions.length).toBe(want.predictions.length);
  want.predictions.forEach((v, i) => {
    if (!(Math.abs(got.predictions[i]! - v) <= bound.prediction)) expect.fail(`prediction ${i}: tpusim ${got.predictions[i]}, tfjs ${v}`);
  });
}

describe('tfjs scripts run on tpusim by changing the import', () => {
  for (const precision of ['highest', 'default'] as const) {
    for (const [name, script] of Object.entries(SCRIPTS)) {
      it(`${name}, precision '${precision}': History and predictions within ${BOUNDS[precision].loss} / ${BOUNDS[precision].prediction}`, async () => {
        const want = await script(theirs, await tempDir());
        ours.tpu.setDefaults({ precision }); // one core
        const got = await script(tpusim, await tempDir());
        compare(got, want, BOUNDS[precision]);
      });
    }
  }

  // NOTE: fire has batch norm, whose statistics are per core under data parallelism (as on
  // TPUs), so it differs from one device; callbacksAndEvaluate's batches of 10 do not split.
  for (const name of ['mlp', 'convnet', 'saveAndLoad', 'earlyStopping']) {
    it(`${name} on 8 simulated cores (tf.tpu.strategy), 'highest': the same bounds`, async () => {
      const want = await SCRIPTS[name]!(theirs, await tempDir());
      ours.tpu.setDefaults({ precision: 'highest', strategy: ours.tpu.strategy({ cores: 8, threads: 1 }) });
      const got = await SCRIPTS[name]!(tpusim, await tempDir());
      compare(got, want, BOUNDS.highest);
    });
  }

  it("saved files load both ways: tpusim's in tfjs, tfjs's in tpusim", async () => {
    ours.tpu.setDefaults({ precision: 'highest' }); // one core
    const [ourDir, theirDir] = [await tempDir(), await tempDir()];
    const mine = await saveAndLoad(tpusim, ourDir);
    const them = await saveAndLoad(theirs, theirDir);
    const inputs = Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const tfjsOnOurs = (await theirs.loadLayersModel(`file://${ourDir}/model.json`)).predict(theirs.tensor2d(inputs, [4, 3])) as tfc.Tensor;
    const oursOnOurs = (await ours.loadLayersModel(`file://${ourDir}/model.json`)).predict(ours.tensor2d(inputs, [4, 3]));
    const loaded = await ours.loadLayersModel(`file://${theirDir}/model.json`);
    expect(loaded).toBeInstanceOf(ours.Sequential); // tfjs wrote a Sequential topology
    const oursOnTfjs = loaded.predict(ours.tensor2d(inputs, [4, 3]));
    const grown = (await ours.loadLayersModel(`file://${theirDir}/model.json`)) as ours.Sequential;
    grown.add(ours.layers.activation({ activation: 'linear' }));
    expect(grown.layers.map((l) => l.className)).toEqual(['Dense', 'Dense', 'Activation']);
    const tfjsOnTfjs = (await theirs.loadLayersModel(`file://${theirDir}/model.json`)).predict(theirs.tensor2d(inputs, [4, 3])) as tfc.Tensor;
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5));
    close(await tfjsOnOurs.data(), await oursOnOurs.data());
    close(await oursOnTfjs.data(), await tfjsOnTfjs.data());
    compare(mine, them, BOUNDS.highest);
  });
});
