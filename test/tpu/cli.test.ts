import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseBytes } from '../../src/cli/allreduce.ts';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

describe('tpusim device and allreduce', () => {
  it('device --json reports the v2-8 peaks', () => {
    const out = JSON.parse(execFileSync('node', [bin, 'device', '--json'], { encoding: 'utf8' })) as {
      peaks: { cores: number; flopsPerSecondPerCore: number };
    };
    expect(out.peaks.cores).toBe(8);
    expect(out.peaks.flopsPerSecondPerCore).toBe(128 * 128 * 2 * 700e6);
  });

  it('allreduce --json moves data over 8 cores and matches the model', () => {
    const out = JSON.parse(execFileSync('node', [bin, 'allreduce', '--cores', '8', '--bytes', '64KB', '--json'], { encoding: 'utf8' })) as {
      mode: string;
      coresIdentical: boolean;
      simulatedSeconds: number;
      modelSeconds: number;
    };
    expect(out.mode).toBe('data');
    expect(out.coresIdentical).toBe(true);
    expect(out.simulatedSeconds).toBeCloseTo(out.modelSeconds, 12);
  });

  it('bad arguments print one line and exit 2', () => {
    for (const args of [
      ['allreduce', '--bytes', '3'],
      ['allreduce', '--topology', 'torus:4x4', '--cores', '8'],
      ['device', '--config', 'v3-8'],
    ]) {
      const r = spawnSync('node', [bin, ...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('parses sizes', () => {
    expect(parseBytes('4MB', '--bytes')).toBe(4e6);
    expect(parseBytes('1GiB', '--bytes')).toBe(2 ** 30);
    expect(parseBytes('4096', '--bytes')).toBe(4096);
    expect(() => parseBytes('4 parsecs', '--bytes')).toThrow(/--bytes must be a whole number of bytes, like 4096, 4MB or 1GiB/);
    expect(() => parseBytes('6', '--bytes')).toThrow(/--bytes must be a multiple of 4 bytes/);
    expect(() => parseBytes('1TB', '--bytes')).toThrow(/--bytes 1TB per core needs about 931 GiB; the limit is 8\.00 GiB, a simulated core's HBM/);
  });
});
