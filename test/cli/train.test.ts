/**
 * `tpusim train` as a user runs it: the run folder it writes, a resumed run with the bits of
 * an uninterrupted one (after a clean stop, and after a kill in the middle of an epoch), and
 * the refusals that come before any work (a run folder that is a file or not empty, bad
 * numbers). Small synthetic runs on one host thread, a few seconds each.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optimizerFrom } from '../../src/cli/train.ts';
import { readCheckpoint } from '../../src/layers/checkpoint.ts';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;
const base = ['train', '--image-size', '32', '--count', '256', '--threads', '1', '--seed', '3'];
const tmp = (): string => mkdtempSync(join(tmpdir(), 'tpusim-train-'));
const train = (args: string[]): string => execFileSync('node', [bin, ...base, ...args], { encoding: 'utf8', timeout: 120_000 });
/** The bytes of the weights file a run folder's model.json lists (saves name it by content). */
const modelWeights = (run: string): Buffer => {
  const json = JSON.parse(readFileSync(join(run, 'model', 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  return readFileSync(join(run, 'model', json.weightsManifest[0]!.paths[0]!));
};

describe('optimizerFrom', () => {
  it('multiplies the learning rate (given, or the optimizer\'s own) by the decay once per epoch, whatever the step', () => {
    const rates = (o: ReturnType<typeof optimizerFrom>) => [0, 1, 2, 5].map((epoch) => o.schedule(7 * epoch + 3, epoch));
    expect(rates(optimizerFrom('adam', undefined, 0.5))).toEqual([0.001, 0.0005, 0.00025, 0.001 / 32]);
    expect(rates(optimizerFrom('sgd', undefined, 0.1))).toEqual([0.01, 0.01 * 0.1, 0.01 * 0.1 ** 2, 0.01 * 0.1 ** 5]);
    expect(rates(optimizerFrom('momentum', 0.2, 0.9))).toEqual([0.2, 0.2 * 0.9, 0.2 * 0.9 ** 2, 0.2 * 0.9 ** 5]);
    expect(rates(optimizerFrom('rmsprop', 0.003))).toEqual([0.003, 0.003, 0.003, 0.003]);
  });
});

describe('tpusim train', () => {
  it('writes its run folder: settings, history, curves-ready history, checkpoints, the model', () => {
    const out = join(tmp(), 'run');
    const text = train(['--epochs', '2', '--out', out]);
    expect(text.split('\n')[0]).toMatch(/^squeeze-fast: 27,212 params, 32 x 32, 8 simulated core\(s\), global batch 128 \(16 per core\)/);
    expect(text).toMatch(/data: synthetic flowers drawn by tpusim \(no download\)/);
    expect(text).toMatch(/epoch 2\/2: 2 steps {2}loss [\d.]+ {2}accuracy [\d.]+ {2}val_loss [\d.]+ {2}val_accuracy [\d.]+ {2}tpu [\d.]+ (us|ms|s) {2}host/);
    for (const f of ['run.json', 'history.json', 'curves.svg', 'profile.md', 'profile.json', 'model/model.json', 'model/classes.json', 'checkpoints/epoch-0002.ckpt']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(modelWeights(out).length).toBe(27_212 * 4);
    // the host's load is recorded beside the host time of each epoch
    const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { hostSeconds: number[]; hostLoad: number[] };
    expect(h.hostLoad).toHaveLength(h.hostSeconds.length);
    for (const l of h.hostLoad) expect(Number.isFinite(l) && l >= 0).toBe(true);
    const c = readCheckpoint(join(out, 'checkpoints', 'epoch-0002.ckpt'));
    expect([c.epoch, c.step, c.history.epoch]).toEqual([2, 4, [0, 1]]);
    expect(c.slots.size).toBe(2 * c.weights.size - 0); // Adam: m and v per trained weight (all are trained)
  });

  it('--resume continues from the last checkpoint with the bits of the uninterrupted run, after a stop or a kill mid-epoch', async () => {
    const whole = join(tmp(), 'whole');
    train(['--epochs', '4', '--out', whole]);
    const stopped = join(tmp(), 'stopped');
    train(['--epochs', '2', '--out', stopped]);
    execFileSync('node', [bin, 'train', '--resume', stopped, '--epochs', '4', '--threads', '1'], { encoding: 'utf8', timeout: 120_000 });
    expect(modelWeights(stopped)).toEqual(modelWeights(whole));
    const history = (dir: string) => JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as { history: unknown; deviceSeconds: unknown; steps: unknown; hostLoad: unknown[] };
    expect(history(stopped).history).toEqual(history(whole).history);
    expect(history(stopped).hostLoad).toHaveLength(4);
    // killed while epoch 3 runs: epoch 2's checkpoint is whole, and a resume gives the same bits
    const killed = join(tmp(), 'killed');
    const child = spawn('node', [bin, ...base, '--epochs', '4', '--out', killed], { stdio: 'ignore' });
    const after2 = join(killed, 'checkpoints', 'epoch-0002.ckpt');
    for (let waited = 0; !existsSync(after2) && waited < 60_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(killed, 'checkpoints', 'epoch-0004.ckpt'))).toBe(false);
    execFileSync('node', [bin, 'train', '--resume', killed, '--threads', '1'], { encoding: 'utf8', timeout: 120_000 });
    expect(modelWeights(killed)).toEqual(modelWeights(whole));
    expect(history(killed).history).toEqual(history(whole).history);
  }, 180_000); // five training processes in sequence: 70 s measured beside a training run on 2 cores

  /**
   * A training option that changes what is learned: 2 epochs with `flags`, 2 without, and 1
   * with then `--resume` to 2. Returns the first line of the run with them, its settings,
   * and each run's weights.
   */
  function trainedWith(flags: string[]) {
    const [whole, plain, resumed] = [join(tmp(), 'whole'), join(tmp(), 'plain'), join(tmp(), 'resumed')];
    const firstLine = train(['--epochs', '2', ...flags, '--out', whole]).split('\n')[0]!;
    const plainLine = train(['--epochs', '2', '--out', plain]).split('\n')[0]!;
    train(['--epochs', '1', ...flags, '--out', resumed]);
    execFileSync('node', [bin, 'train', '--resume', resumed, '--epochs', '2', '--threads', '1'], { encoding: 'utf8', timeout: 120_000 });
    const settings = (JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as { settings: Record<string, unknown> }).settings;
    return { firstLine, plainLine, settings, whole: modelWeights(whole), plain: modelWeights(plain), resumed: modelWeights(resumed) };
  }

  // flip-zoom draws four numbers per image (flip's one, then the zoom's three): the stream a resume restarts
  it('--augment flip-zoom: announced, kept in run.json, changes what is learned, and a resumed run has the bits of the whole one', () => {
    const r = trainedWith(['--augment', 'flip-zoom']);
    expect(r.firstLine).toMatch(/host threads 1, augment flip-zoom$/);
    expect(r.plainLine).not.toMatch(/augment/);
    expect(r.settings.augment).toBe('flip-zoom');
    expect(r.plain).not.toEqual(r.whole);
    expect(r.resumed).toEqual(r.whole);
  }, 180_000);

  it('squeeze-90 trains with its recipe (flips, zooms, lr x 0.95 per epoch) unless told otherwise; the codelab\'s models train on the images as they are, at a constant rate', () => {
    const tiny = ['--image-size', '16', '--count', '16', '--batch', '8', '--epochs', '1', '--threads', '1'];
    const run = (model: string, flags: string[] = []) => {
      const out = join(tmp(), 'run');
      const firstLine = execFileSync('node', [bin, 'train', '--model', model, ...tiny, ...flags, '--out', out], { encoding: 'utf8', timeout: 120_000 }).split('\n')[0]!;
      const { augment, lrDecay } = (JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { settings: { augment: string; lrDecay?: number } }).settings;
      return { firstLine, augment, lrDecay };
    };
    const s90 = run('squeeze-90');
    expect(s90.firstLine).toMatch(/adam \(lr x 0\.95 per epoch\), .*host threads 1, augment flip-zoom$/);
    expect(s90).toMatchObject({ augment: 'flip-zoom', lrDecay: 0.95 });
    expect(run('squeeze-90', ['--augment', 'none', '--lr-decay', '1'])).toEqual({ firstLine: expect.not.stringMatching(/augment/), augment: 'none', lrDecay: 1 });
    expect(run('little-squeeze')).toEqual({ firstLine: expect.not.stringMatching(/augment|per epoch/), augment: 'none', lrDecay: undefined });
  }, 120_000); // three small runs, about 5 s each

  it('--lr-decay: announced, kept in run.json, changes what is learned, and a resumed run has the bits of the whole one', () => {
    const r = trainedWith(['--lr-decay', '0.5']);
    expect(r.firstLine).toMatch(/, adam \(lr x 0\.5 per epoch\), default precision,/);
    expect(r.plainLine).not.toMatch(/per epoch/);
    expect(r.settings.lrDecay).toBe(0.5);
    expect(r.plain).not.toEqual(r.whole);
    expect(r.resumed).toEqual(r.whole);
  }, 180_000);

  it('refuses a bad run folder, save target or number with one line before any work', () => {
    const dir = tmp();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['--out', file], /--out .*a-file: exists and is not a folder/],
      [['--out', dir], /--out .*: the folder is not empty \(use a new folder, or --resume/],
      [['--save', file, '--out', join(dir, 'r1')], /--save .*a-file: exists and is not a folder/],
      [['--lr', '0x10', '--out', join(dir, 'r2')], /--lr must be a positive number, got '0x10'/],
      [['--image-size', '100000', '--out', join(dir, 'r3')], /--image-size 100000 is more than 1024/],
      [['--lr-decay', '1.5', '--out', join(dir, 'r5')], /--lr-decay must be at most 1 .*got '1.5'/],
      [['--batch', '12', '--out', join(dir, 'r4')], /--batch 12 must be a multiple of --cores 8/],
      [['--resume', dir], /--resume .*: not a run folder \(no run.json\)/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync('node', [bin, 'train', ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    for (const r of ['r1', 'r2', 'r3', 'r4', 'r5']) expect(existsSync(join(dir, r)), r).toBe(false); // nothing created
  });
});
