/**
 * The ring view's recording is the collectives' own all-reduce, observed: the hook changes
 * neither bits nor time, every step sends one chunk from each core to the next, the
 * reduce-scatter leaves core p owning the finished chunk p + 1, and every core ends with
 * the sum of all (2^n - 1 with core i starting at 2^i).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_CONFIG, allReduce } from '../../src/tpu/index.ts';
import { recordAllReduce } from '../../src/viz/allreduce-record.ts';

/** Seeded values in [-1, 1), one buffer per core. */
function inputs(cores: number, values: number): Float32Array[] {
  let s = 7;
  return Array.from({ length: cores }, () => Float32Array.from({ length: values }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 2 ** 31 - 1)));
}

describe('recordAllReduce', () => {
  it('8 cores: 7 reduce-scatter then 7 all-gather steps, each core sending one chunk to the next', () => {
    const rec = recordAllReduce(8);
    expect(rec.frames.map((f) => `${f.kind[0]}${f.step}`)).toEqual([...Array.from({ length: 7 }, (_, s) => `r${s}`), ...Array.from({ length: 7 }, (_, s) => `a${s}`)]);
    for (const f of rec.frames) expect(f.messages.map((m) => [m.from, m.to])).toEqual(Array.from({ length: 8 }, (_, p) => [p, (p + 1) % 8]));
    expect(rec.initial.map((b) => b[0])).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
    const afterScatter = rec.frames[6]!.buffers;
    for (let p = 0; p < 8; p++) expect(afterScatter[p]![(p + 1) % 8]).toBe(255);
    for (const b of rec.frames.at(-1)!.buffers) expect(b).toEqual(new Array(8).fill(255));
    expect(rec.seconds).toBeCloseTo(14e-6, 7); // 14 hops of 1 us; 4-byte chunks take ~0.06 ns per link
  });

  it('observing changes neither the bits nor the simulated time', () => {
    const plain = inputs(5, 37);
    const watched = plain.map((b) => b.slice());
    const t0 = allReduce(plain, [5], DEFAULT_LINK_CONFIG);
    let steps = 0;
    const t1 = allReduce(watched, [5], DEFAULT_LINK_CONFIG, { observe: () => steps++ });
    expect(steps).toBe(8);
    expect(t1).toEqual(t0);
    watched.forEach((b, i) => expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(plain[i]!.buffer)));
  });

  it('refuses ring sizes it cannot draw, naming --cores', () => {
    expect(() => recordAllReduce(1)).toThrow('--cores must be an integer in 2..16 for the ring view, got 1');
    expect(() => recordAllReduce(17)).toThrow(/got 17/);
  });
});
