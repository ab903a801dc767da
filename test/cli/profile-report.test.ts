import { describe, expect, it } from 'vitest';
import { hloOpCosts, hloOwner, profileReport, profileSummary } from '../../src/cli/profile-report.ts';
import type { History } from '../../src/layers/index.ts';
import { DEFAULT_CORE_CONFIG, TensorCore, buildProfile, peakFlopsPerSecond, type InstructionRecord, type Profile } from '../../src/tpu/index.ts';

const PEAK_PER_CYCLE = 128 * 128 * 2;

/** One instruction record, named as the executor names it (`#i kind 'label'`). */
function record(index: number, r: Omit<InstructionRecord, 'index' | 'name' | 'cycles' | 'flops' | 'bytes'> & { label?: string; flops?: number; bytes?: number }): InstructionRecord {
  return {
    index,
    kind: r.kind,
    name: `#${index} ${r.kind}${r.label ? ` '${r.label}'` : ''}`,
    unit: r.unit,
    startCycle: r.startCycle,
    endCycle: r.endCycle,
    cycles: r.endCycle - r.startCycle,
    flops: r.flops ?? 0,
    bytes: r.bytes ?? 0,
  };
}

/**
 * A step of 10,000 cycles: busy MXU 5000, VPU 500, DMA 3000, ICI 2000 (an all-reduce of 1 MiB);
 * 2500 cycles' worth of peak flops, so MXU utilisation is 25%.
 */
function syntheticProfile(): Profile {
  return buildProfile(
    [
      record(0, { kind: 'dma', unit: 'dma', startCycle: 0, endCycle: 1000, label: '%1 parameter x', bytes: 4096 }),
      record(1, { kind: 'matmul', unit: 'mxu', startCycle: 1000, endCycle: 5000, label: '%3 fusion conv2d', flops: PEAK_PER_CYCLE * 2000 }),
      record(2, { kind: 'vpu-binary', unit: 'vpu', startCycle: 5000, endCycle: 5500, label: '%3 fusion conv2d' }),
      record(3, { kind: 'matmul', unit: 'mxu', startCycle: 5000, endCycle: 6000, label: '%5 dot fc1', flops: PEAK_PER_CYCLE * 500 }),
      record(4, { kind: 'all-reduce', unit: 'ici', startCycle: 6000, endCycle: 8000, label: '%7 all-reduce', bytes: 1 << 20 }),
      record(5, { kind: 'dma', unit: 'dma', startCycle: 8000, endCycle: 10000, bytes: 8192 }),
    ],
    DEFAULT_CORE_CONFIG,
  );
}

const HISTORY: History = {
  epoch: [0, 1],
  history: { loss: [1.5, 1.1], accuracy: [0.3, 0.5], val_loss: [], val_accuracy: [] },
  deviceSeconds: [0.0002, 0.00016],
  hostSeconds: [32, 8],
  steps: [10, 10],
};

describe('hloOwner', () => {
  it('is the label after the kind, whatever it contains', () => {
    expect(hloOwner("#3 matmul '%12 fusion conv2d'")).toBe('%12 fusion conv2d');
    expect(hloOwner("#4 dma 'input_output_alias'")).toBe('input_output_alias');
    expect(hloOwner("#5 vpu-binary '%2 add block 'a''")).toBe("%2 add block 'a'");
    expect(hloOwner('#6 dma')).toBe('(no HLO op)');
  });

  it('groups every instruction under one op: shares add up to 1, cycles to the units\' busy cycles', () => {
    const ops = hloOpCosts(syntheticProfile());
    expect(ops).toHaveLength(5);
    expect(ops.reduce((t, o) => t + o.share, 0)).toBeCloseTo(1, 12);
    expect(ops.reduce((t, o) => t + o.busyCycles, 0)).toBe(10500);
  });
});

describe('profileSummary', () => {
  it('gives time, units, utilisation against peak, bound, all-reduce share, kinds, top ops and epoch speeds', () => {
    const s = profileSummary({ profile: syntheticProfile(), cores: 8, history: HISTORY, globalBatch: 64, model: 'tiny', step: 1, topOps: 4 });
    expect(s.step).toEqual({ cycles: 10000, seconds: 10000 / 700e6, clockHz: 700e6 });
    expect(s.units.mxu).toEqual({ busyCycles: 5000, busySeconds: 5000 / 700e6, utilisation: 0.5 });
    expect(s.units.ici.utilisation).toBe(0.2);
    expect(s.mxu.utilisation).toBe(0.25);
    expect(s.mxu.peakFlopsPerSecond).toBeCloseTo(peakFlopsPerSecond(DEFAULT_CORE_CONFIG), -3);
    expect(s.mxu.achievedFlopsPerSecond).toBeCloseTo(0.25 * peakFlopsPerSecond(DEFAULT_CORE_CONFIG), -3);
    expect(s.mxu.boardPeakFlopsPerSecond).toBeCloseTo(8 * s.mxu.peakFlopsPerSecond, -3);
    expect([s.bound, s.busiestUnit]).toEqual(['compute', 'mxu']);
    expect(s.allReduce).toEqual({ count: 1, seconds: 2000 / 700e6, share: 0.2, bytes: 1 << 20, source: 'ici-busy' });
    expect(s.byKind.map((k) => [k.kind, k.count, k.cycles])).toEqual([['matmul', 2, 5000], ['dma', 2, 3000], ['all-reduce', 1, 2000], ['vpu-binary', 1, 500]]);
    expect(s.byKind[0]!.share).toBeCloseTo(5000 / 10500, 12);
    expect(s.topOps.map((o) => [o.owner, o.instructions, o.busyCycles])).toEqual([
      ['%3 fusion conv2d', 2, 4500],
      ['%7 all-reduce', 1, 2000],
      ['(no HLO op)', 1, 2000],
      ['%1 parameter x', 1, 1000],
    ]);
    expect(s.topOps[0]!.byUnit).toEqual({ mxu: 4000, vpu: 500, dma: 0, ici: 0 });
    expect(s.epochs.map((e) => [e.epoch, e.images, e.hostImagesPerSecond, Math.round(e.deviceImagesPerSecond)])).toEqual([
      [1, 640, 20, 3200000],
      [2, 640, 80, 4000000],
    ]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('takes a given all-reduce timing, and divides nothing by zero', () => {
    const s = profileSummary({ profile: syntheticProfile(), cores: 8, allReduce: { seconds: 1e-6, bytes: 4 } });
    expect(s.allReduce).toMatchObject({ seconds: 1e-6, bytes: 4, source: 'given', share: 1e-6 / (10000 / 700e6) });
    const empty = profileSummary({ profile: buildProfile([], DEFAULT_CORE_CONFIG), cores: 1, history: { ...HISTORY, hostSeconds: [0, 0], deviceSeconds: [0, 0] } });
    expect(empty.step.cycles).toBe(0);
    expect(empty.mxu.peakFlopsPerSecond).toBe(peakFlopsPerSecond(DEFAULT_CORE_CONFIG));
    expect(empty.epochs.every((e) => e.images === 0 && e.hostImagesPerSecond === 0)).toBe(true);
    expect(JSON.stringify(empty)).not.toMatch(/null|NaN/);
  });
});

describe('profileReport', () => {
  it('renders the summary as markdown', () => {
    const text = profileReport({ profile: syntheticProfile(), cores: 8, history: HISTORY, globalBatch: 64, model: 'tiny', step: 1, topOps: 3 });
    const lines = text.split('\n');
    expect(lines[0]).toBe('# Training profile: tiny on 8 cores');
    expect(lines).toEqual(
      expect.arrayContaining([
        "Core 0's profile of step 1 (0-based); every core runs the same program on its shard of the batch.",
        '- simulated step time: 14.29 us (10,000 cycles at 700 MHz)',
        '- the MXU is the busiest unit: compute-bound',
        '- MXU utilisation: 25.0%, 5.73 TFLOP/s of 22.94 TFLOP/s peak per core; 45.88 TFLOP/s of 183.50 TFLOP/s on 8 cores',
        '- all-reduce: 2.86 us per step (20.0% of the step), 1 all-reduce instruction(s), 1.00 MiB',
        '| MXU | 5,000 | 7.14 us | 50.0% |',
        '| matmul | 2 | 5,000 | 47.6% |',
        '## Top 3 HLO ops by busy cycles',
        '| 1 | `%3 fusion conv2d` | 2 | 4,500 | 42.9% | 4,000 | 500 | 0 | 0 |',
        '| 1 | 10 | 640 | 32.00 s | 20.0 | 200.00 us | 3,200,000 |',
      ]),
    );
    expect(text).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('reports a real run on a TensorCore: a labelled DMA and matmul, one core', () => {
    const core = new TensorCore();
    const shape = { m: 256, k: 256, n: 128 };
    core.load({
      buffers: [
        { name: 'x_hbm', memory: 'hbm', values: shape.m * shape.k },
        { name: 'a', memory: 'vmem', values: shape.m * shape.k },
        { name: 'b', memory: 'vmem', values: shape.k * shape.n },
        { name: 'c', memory: 'vmem', values: shape.m * shape.n },
      ],
      instructions: [
        { kind: 'dma', src: 'x_hbm', dst: 'a', label: '%1 parameter x' },
        { kind: 'matmul', a: 'a', b: 'b', out: 'c', shape, deps: [0], label: '%2 dot fc1' },
      ],
    });
    const profile = core.run({ execute: false });
    const s = profileSummary({ profile, cores: 1 });
    expect(s.topOps.map((o) => o.owner).sort()).toEqual(['%1 parameter x', '%2 dot fc1']);
    expect(s.mxu.flops).toBe(2 * shape.m * shape.k * shape.n);
    expect(s.allReduce.count).toBe(0);
    const text = profileReport({ profile, cores: 1 });
    expect(text).toContain('# Training profile on 1 core\n');
    expect(text).toContain('- all-reduce: none (one core)');
    expect(text).not.toContain('## Speed per epoch');
  });
});
