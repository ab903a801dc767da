import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/tpusim.js', import.meta.url).pathname;

describe('tpusim numerics', () => {
  it('prints f32, bf16 and f16 facts as JSON', () => {
    const out = JSON.parse(execFileSync('node', [bin, 'numerics', '--json'], { encoding: 'utf8' })) as {
      formats: { name: string; largest: number }[];
      values: { label: string; bf16: number; f16: number }[];
    };
    expect(out.formats.map((f) => f.name)).toEqual(['f32', 'bf16', 'f16']);
    const v70000 = out.values.find((v) => v.label.includes('70000'))!;
    expect(v70000.bf16).toBe(70144);
    expect(v70000.f16).toBeNull(); // Infinity has no JSON form: f16 overflows
  });

  it('rejects a bad option value with one line and exit code 2', () => {
    const r = spawnSync('node', [bin, 'numerics', '--subnormals', 'sometimes'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--subnormals must be one of flush, keep/);
  });
});
