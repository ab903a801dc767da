/**
 * `tpusim matmul`, spawned as users run it (bin/tpusim.js, so under tsx: worker threads
 * included). Few spawns: each costs about half a second.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { matmulFast } from '../../src/mxu/kernel.ts';
import { readNpy, writeNpy } from '../../src/mxu/npy.ts';
import { firstBitDifference, randomOperand } from '../mxu/kernel-operands.ts';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;
const run = promisify(execFile);

/** Runs the CLI; resolves with exit code, stdout and stderr (never rejects on exit != 0). */
async function tpusim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [bin, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('tpusim matmul', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpusim-matmul-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // NOTE: `matmul` takes --threads literally (training keeps passes under 2^22 MACs on one
  // thread): 20 rows of A are five 4-row blocks, so both threads compute here.
  it('reports cycles, utilisation and error; the stepped array agrees (JSON; --threads 2)', async () => {
    const r = await tpusim('matmul', '-m', '20', '-k', '70', '-n', '9', '--array', '8x4', '--precision', 'highest', '--stepped', '--threads', '2', '--json');
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      report: { cycles: number; overallUtilPercent: number; passes: number; seconds: number };
      stepped: { cycles: number; bitsEqualFast: boolean };
      threads: number;
      maxRelError: number;
    };
    expect(out.threads).toBe(2);
    expect(out.report.passes).toBe(6);
    expect(out.stepped.cycles).toBe(out.report.cycles);
    expect(out.stepped.bitsEqualFast).toBe(true);
    expect(out.report.overallUtilPercent).toBeGreaterThan(0);
    expect(out.report.seconds).toBeCloseTo(out.report.cycles / 700e6, 12);
    expect(out.maxRelError).toBeLessThan(2 ** -20);
  });

  it('reports the threads that computed: one 4-row block of A is one thread, whatever --threads says', async () => {
    const r = await tpusim('matmul', '-m', '4', '-k', '300', '-n', '40', '--threads', '2', '--json');
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { threads: number }).threads).toBe(1);
  });

  it('--threads 2 on a pass past the threading threshold (512 x 128 x 64 = 2^22 MACs) gives the one-thread bits', async () => {
    const [m, k, n] = [512, 128, 64];
    writeNpy(join(dir, 'ta.npy'), { shape: [m, k], data: randomOperand(m * k, 3, 0.01, 8) });
    writeNpy(join(dir, 'tb.npy'), { shape: [k, n], data: randomOperand(k * n, 4, 0.01, 8) });
    const operands = ['--a', join(dir, 'ta.npy'), '--b', join(dir, 'tb.npy')];
    const [one, two] = await Promise.all(['1', '2'].map((t) => tpusim('matmul', ...operands, '--threads', t, '--out', join(dir, `c${t}.npy`), '--json')));
    for (const r of [one!, two!]) expect(r.stderr).toBe('');
    expect((JSON.parse(two!.stdout) as { threads: number }).threads).toBe(2);
    const [c1, c2] = ['1', '2'].map((t) => readNpy(join(dir, `c${t}.npy`)).data);
    expect(c1!.length).toBe(m * n);
    expect(firstBitDifference(c2!, c1!)).toBe(-1);
  });

  it('multiplies .npy operands into --out with the fast kernel bits', async () => {
    const [m, k, n] = [7, 130, 5];
    const a = randomOperand(m * k, 1, 0.05, 8);
    const b = randomOperand(k * n, 2, 0.05, 8);
    writeNpy(join(dir, 'a.npy'), { shape: [m, k], data: a });
    writeNpy(join(dir, 'b.npy'), { shape: [k, n], data: b });
    const r = await tpusim('matmul', '--a', join(dir, 'a.npy'), '--b', join(dir, 'b.npy'), '--out', join(dir, 'c.npy'), '--precision', 'high');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Total Cycles\s+\d+/);
    const c = readNpy(join(dir, 'c.npy'));
    expect(c.shape).toEqual([m, n]);
    const expected = matmulFast(a, b, { m, k, n }, { config: { rows: 128, subnormals: 'flush' }, precision: 'high' });
    expect(firstBitDifference(c.data, expected)).toBe(-1);
  });

  it('rejects bad arguments with one line naming the argument and exit code 2', async () => {
    writeNpy(join(dir, 'bad-k.npy'), { shape: [4, 2], data: new Float32Array(8) });
    writeNpy(join(dir, 'ok-a.npy'), { shape: [3, 5], data: new Float32Array(15) });
    const cases: [string[], RegExp][] = [
      [['-m', 'Infinity', '-k', '4', '-n', '4'], /-m must be a positive integer, got 'Infinity'/],
      [['-m', '4', '-k', '4', '-n', '4', '--precision', 'best'], /--precision must be one of default, high, highest; got 'best'/],
      [['--a', join(dir, 'ok-a.npy'), '--b', join(dir, 'bad-k.npy')], /--b .*bad-k\.npy: shape \(4, 2\) does not match --a .*\(3, 5\): K must agree/],
      [['-m', '4', '-k', '4', '-n', '4', '--array', '128by128'], /--array must look like 128x128/],
    ];
    const results = await Promise.all(cases.map(([args]) => tpusim('matmul', ...args)));
    results.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  });
});
