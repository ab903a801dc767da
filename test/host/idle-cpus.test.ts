import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { idleCpusBetween, type CpuSample } from '../../src/host/idle-cpus.ts';

const at = (wallMs: number, busyMs: number, ownMs: number, counted = 2): CpuSample => ({ wallMs, busyMs, ownMs, counted });

describe('idleCpusBetween', () => {
  it('an idle host: every CPU is free', () => {
    expect(idleCpusBetween(at(0, 0, 0), at(1000, 0, 0), 2)).toBe(2);
  });

  it("this process's own work does not count against it", () => {
    // both CPUs busy for the whole second, all of it ours (main thread + a worker)
    expect(idleCpusBetween(at(0, 0, 0), at(1000, 2000, 2000), 2)).toBe(2);
  });

  it('another process busy on one CPU leaves one', () => {
    expect(idleCpusBetween(at(0, 0, 0), at(1000, 1000 + 900, 900), 2)).toBe(1);
  });

  it('background noise under half a CPU is ignored; more takes a CPU away', () => {
    expect(idleCpusBetween(at(0, 0, 0), at(1000, 400, 0), 2)).toBe(2);
    expect(idleCpusBetween(at(0, 0, 0), at(1000, 600, 0), 2)).toBe(1);
  });

  it('counters over more CPUs than this process may use: the busy share carries over', () => {
    // 8 CPUs counted, 4 of them busy with others = half; we may use 2 -> 1 idle
    expect(idleCpusBetween(at(0, 0, 0, 8), at(1000, 4000, 0, 8), 2)).toBe(1);
    expect(idleCpusBetween(at(0, 0, 0, 8), at(1000, 1000, 0, 8), 2)).toBe(2);
  });

  it('always between 1 and the CPU count, for any readings', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.integer({ min: 1, max: 64 }),
        (wall, busy, own, cpus) => {
          const n = idleCpusBetween(at(0, 0, 0, cpus), at(wall, busy, own, cpus), cpus);
          return Number.isInteger(n) && n >= 1 && n <= cpus;
        },
      ),
    );
  });
});
