/**
 * `tpusim train --model mobilenet-transfer --backbone MODEL_DIR` as a user runs it, on a tiny
 * backbone imported here from a GraphDef built in the test (16 x 16 input) and synthetic
 * flowers: the run trains the head with the backbone frozen (its bits in the saved model are
 * the imported ones), `--unfreeze-epochs` adds a fine-tuning phase that changes them, a run
 * resumed at the phase boundary or inside fine-tuning ends with the uninterrupted run's
 * bits, and the option refusals come before any work.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/layers/index.ts';
import { encodeGraphDef } from '../../src/tfgraph/index.ts';
import { convNodes, fusedBatchNorm, node, placeholder } from '../tfgraph/graphs.ts';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tpusim-transfer-'));
const backbone = join(dir, 'backbone');
const base = ['train', '--model', 'mobilenet-transfer', '--backbone', backbone, '--count', '32', '--batch', '16', '--threads', '1', '--seed', '3'];
const train = (args: string[]): string => execFileSync('node', [bin, ...base, ...args], { encoding: 'utf8', timeout: 180_000 });
const weights = async (path: string): Promise<Map<string, Float32Array>> => new Map((await loadModel(path)).weights.map((w) => [w.fullName, w.value!]));

beforeAll(() => {
  const graph = [
    placeholder('input', [1, 16, 16, 3]),
    ...convNodes({ name: 'b/c0', x: 'input', op: 'Conv2D', filter: [3, 3, 3, 8], seed: 1, stride: 2 }),
    ...fusedBatchNorm('b/c0/bn', 'b/c0/conv', 8, 10),
    node('b/c0/Relu6', 'Relu6', ['b/c0/bn']),
    ...convNodes({ name: 'b/dw', x: 'b/c0/Relu6', op: 'DepthwiseConv2dNative', filter: [3, 3, 8, 1], seed: 2, stride: 2 }),
    node('b/dw/Relu6', 'Relu6', ['b/dw/conv']),
  ];
  writeFileSync(join(dir, 'g.pb'), encodeGraphDef({ nodes: graph }));
  execFileSync('node', [bin, 'import', join(dir, 'g.pb'), '--out', backbone], { encoding: 'utf8' });
}, 60_000);

describe('tpusim train --model mobilenet-transfer', () => {
  it('trains the head on the frozen backbone, then fine-tunes it all with --unfreeze-epochs', async () => {
    const frozen = join(dir, 'frozen');
    const text = train(['--epochs', '1', '--out', frozen]);
    expect(text.split('\n')[0]).toMatch(/^mobilenet-transfer: 341 params, 16 x 16, 8 simulated core\(s\), global batch 16/);
    const imported = await weights(backbone);
    const a = await weights(frozen);
    for (const [name, v] of imported) expect(a.get(name), name).toEqual(v);
    expect(a.get('head/dense/kernel')!.length).toBe(8 * 5);

    const tuned = join(dir, 'tuned');
    const t2 = train(['--epochs', '1', '--unfreeze-epochs', '2', '--fine-tune-lr', '0.01', '--out', tuned]);
    expect(t2).toMatch(/fine-tuning: the backbone unfrozen, 341 trainable params, learning rate 0\.01, epochs 2 to 3/);
    expect(t2).toMatch(/epoch 3\/3: /);
    const after = await weights(tuned);
    expect(after.get('b/c0/kernel')!.some((v, i) => v !== imported.get('b/c0/kernel')![i])).toBe(true);

    // resumed at the phase boundary, and inside fine-tuning: the uninterrupted run's bits
    for (const [runName, epochs, unfreeze] of [['boundary', 1, 0], ['inside', 1, 1]] as const) {
      const run = join(dir, runName);
      train(['--epochs', String(epochs), ...(unfreeze > 0 ? ['--unfreeze-epochs', String(unfreeze), '--fine-tune-lr', '0.01'] : []), '--out', run]);
      const json = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { settings: Record<string, unknown> };
      writeFileSync(join(run, 'run.json'), JSON.stringify({ ...json, settings: { ...json.settings, unfreezeEpochs: 2, fineTuneLr: 0.01 } }));
      execFileSync('node', [bin, 'train', '--resume', run, '--threads', '1'], { encoding: 'utf8', timeout: 180_000 });
      expect(await weights(run), runName).toEqual(after);
    }
  }, 600_000);

  it.each([
    [['--model', 'mobilenet-transfer'], /--model mobilenet-transfer needs --backbone MODEL_DIR/],
    [['--model', 'convnet', '--backbone', 'x'], /--backbone is for --model mobilenet-transfer, not convnet/],
    [['--model', 'convnet', '--unfreeze-epochs', '1'], /--unfreeze-epochs and --fine-tune-lr are for --model mobilenet-transfer/],
    [['--model', 'mobilenet-transfer', '--backbone', '@backbone', '--fine-tune-lr', '0.1'], /--fine-tune-lr is the learning rate of the --unfreeze-epochs phase/],
    [['--model', 'mobilenet-transfer', '--backbone', '@backbone', '--image-size', '32'], /--image-size 32: the backbone .* takes 16 x 16 images \(import it with --image-size 32\)/],
    [['--model', 'mobilenet-transfer', '--backbone', '@nowhere'], /cannot read the model '.*nowhere': no such file/],
  ])('%j: exit 2 before any work', (args, message) => {
    const r = spawnSync('node', [bin, 'train', ...args.map((a) => (a.startsWith('@') ? join(dir, a.slice(1)) : a)), '--out', join(dir, 'refused')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
