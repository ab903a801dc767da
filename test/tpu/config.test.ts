import { describe, expect, it } from 'vitest';
import { PRESETS, coreConfig, parseTopology, peakFlopsPerSecond, systemPeaks, systemPreset, topologyCores } from '../../src/tpu/index.ts';

describe('TPU v2 configs and peaks', () => {
  it('peak is 128 * 128 * 2 * 700e6 = 22.9 TFLOP/s per core', () => {
    const peak = peakFlopsPerSecond(coreConfig());
    expect(peak).toBe(128 * 128 * 2 * 700e6);
    expect(peak / 1e12).toBeCloseTo(22.9, 1);
  });

  it('v2-8 is 8 cores on 4 chips in a ring; v2-512 is 16 x 16 chips, 512 cores', () => {
    const v28 = systemPeaks(systemPreset('v2-8'));
    expect(v28.cores).toBe(8);
    expect(v28.chips).toBe(4);
    expect(v28.flopsPerSecond / 1e12).toBeCloseTo(183.5, 1);
    expect(v28.hbmBytes).toBe(64 * 2 ** 30);
    expect(v28.ridgeFlopsPerByte).toBeCloseTo(65.5, 1); // flops per HBM byte where a core turns compute-bound
    const pod = PRESETS['v2-512']!;
    expect(topologyCores(pod.topology, pod.coresPerChip)).toBe(512);
  });

  it('parses topologies and rejects bad ones in one line', () => {
    expect(parseTopology('ring', 8)).toEqual({ kind: 'ring', cores: 8 });
    expect(parseTopology('torus:4x2', 8)).toEqual({ kind: 'torus', x: 4, y: 2 });
    expect(() => parseTopology('mesh', 8)).toThrow(/topology must be 'ring' or 'torus:XxY'/);
    expect(() => parseTopology('torus:17x1', 8)).toThrow(/torus x must be an integer in 1..16 chips, got 17/);
    expect(() => systemPreset('v9-1')).toThrow(/unknown config 'v9-1'; valid: v2-8/);
    expect(() => coreConfig({ vmemBytes: -1 })).toThrow(/vmemBytes must be a positive number/);
  });
});
