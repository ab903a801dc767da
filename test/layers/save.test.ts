/**
 * saveModel is atomic as a whole (src/layers/save.ts): a child process saves over and over
 * (./fixtures/save-loop.ts) and is killed with SIGKILL at many points; after every kill the
 * folder loads to one whole save, never a model.json paired with another save's weights.
 * Also: older saves (weights.bin) still load, and the next save removes what kills left.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dense, loadModel, saveModel, sequential, toTfjs, weightsFileName } from '../../src/layers/index.ts';

const FIXTURE = new URL('./fixtures/save-loop.ts', import.meta.url).pathname;
const KILLS = 12;

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'tpusim-save-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Runs the save loop from save `first` on, kills it `delayMs` after its first save; the last save it reported. */
async function killedSaveLoop(dir: string, first: number, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let reported = first - 1;
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/saved (\d+)/g)) reported = Number(m[1]);
      if (reported >= first) resolve();
    });
    void exited.then(() => reject(new Error(`the save loop exited before its first save:\n${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  await exited;
  return reported;
}

/** The save a folder loads to: every weight holds its number g, and its topology is g's. */
async function loadedSave(dir: string): Promise<number> {
  const m = await loadModel(dir);
  const g = m.weights[0]!.value![0]!;
  for (const w of m.weights) expect(w.value!.every((v) => v === g), `weight ${w.name} holds one save's values`).toBe(true);
  expect(m.outputShape[1], `save ${g}'s topology`).toBe(3 + (g % 2));
  return g;
}

describe('saveModel: atomic as a whole', () => {
  it(`a save loop killed at ${KILLS} points always leaves one whole save; the next save removes what the kills left`, async () => {
    const dir = await tempDir();
    let next = 1;
    for (let i = 0; i < KILLS; i++) {
      const reported = await killedSaveLoop(dir, next, (i * 7) % 40);
      const g = await loadedSave(dir);
      expect(g).toBeGreaterThanOrEqual(reported); // the save reported last, or the one after it
      next = Math.max(g, reported) + 2;
    }
    const m = sequential([dense({ units: 3, inputShape: [64], name: 'd' })], { name: 'm' });
    const { weights } = await saveModel(m, dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', weightsFileName(toTfjs(m).weights)]);
    expect(weights).toBe(join(dir, weightsFileName(toTfjs(m).weights)));
  });

  it('loads an older save (model.json + weights.bin); saving over it removes weights.bin and keeps other files', async () => {
    const dir = await tempDir();
    const m = sequential([dense({ units: 3, inputShape: [4], name: 'd' })], { name: 'm' });
    for (const w of m.weights) w.value = new Float32Array(w.size).fill(7);
    const { json, weights } = toTfjs(m); // the older layout: weights.bin
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(join(dir, 'weights.bin'), weights);
    await writeFile(join(dir, 'classes.json'), '["a","b","c"]');
    await writeFile(join(dir, 'model.json.tmp-999999999-1'), 'left by a killed save');
    expect((await loadModel(dir)).weights.every((w) => w.value!.every((v) => v === 7))).toBe(true);
    await saveModel(m, dir);
    expect((await readdir(dir)).sort()).toEqual(['classes.json', 'model.json', weightsFileName(weights)]);
    expect((await loadModel(dir)).weights.every((w) => w.value!.every((v) => v === 7))).toBe(true);
  });
});
