/**
 * @module tpu/profile
 * The profile of a program run: time per instruction and per kind, busy cycles and
 * utilisation per unit, MXU utilisation against peak, and whether the run is compute-,
 * memory- or communication-bound. Imports ./config, ./executor (types), ./program.
 *
 * Definitions:
 * - total cycles = the last instruction's end; seconds = cycles / clock.
 * - unit busy = sum of its instructions' cycles (a unit runs one instruction at a time).
 * - MXU utilisation = useful flops (2 M K N per matmul) / (peak flops per cycle x total
 *   cycles): the fraction of the core's peak the whole program achieved.
 * - bound: the unit with the most busy cycles decides: MXU or VPU -> 'compute', DMA ->
 *   'memory', ICI -> 'communication'. (On a roofline this is which resource is the
 *   bottleneck when the others overlap with it.)
 */
import type { TensorCoreConfig } from './config.ts';
import type { InstructionRecord } from './executor.ts';
import { UNITS, type Unit } from './program.ts';

/** What limits a run. */
export type Bound = 'compute' | 'memory' | 'communication';

/** Per-unit totals. */
export interface UnitProfile {
  readonly busyCycles: number;
  /** busy / total cycles. */
  readonly utilisation: number;
}

/** Totals per instruction kind. */
export interface KindProfile {
  readonly kind: string;
  readonly count: number;
  readonly cycles: number;
}

/** The profile of one run on one core. */
export interface Profile {
  readonly totalCycles: number;
  readonly seconds: number;
  readonly clockHz: number;
  readonly units: { readonly [U in Unit]: UnitProfile };
  readonly flops: number;
  readonly mxuUtilisation: number;
  readonly achievedFlopsPerSecond: number;
  readonly bound: Bound;
  readonly byKind: readonly KindProfile[];
  readonly ops: readonly InstructionRecord[];
}

const BOUND_OF: { readonly [U in Unit]: Bound } = { mxu: 'compute', vpu: 'compute', dma: 'memory', ici: 'communication' };

/** Builds the profile of a run from its instruction records. */
export function buildProfile(records: readonly InstructionRecord[], core: TensorCoreConfig): Profile {
  const totalCycles = records.reduce((t, r) => Math.max(t, r.endCycle), 0);
  const busy: Record<Unit, number> = { mxu: 0, vpu: 0, dma: 0, ici: 0 };
  const kinds = new Map<string, { count: number; cycles: number }>();
  let flops = 0;
  for (const r of records) {
    busy[r.unit] += r.cycles;
    flops += r.flops;
    const k = kinds.get(r.kind) ?? { count: 0, cycles: 0 };
    kinds.set(r.kind, { count: k.count + 1, cycles: k.cycles + r.cycles });
  }
  const share = (c: number): number => (totalCycles > 0 ? c / totalCycles : 0);
  const units = Object.fromEntries(UNITS.map((u) => [u, { busyCycles: busy[u], utilisation: share(busy[u]) }])) as Record<Unit, UnitProfile>;
  const top = UNITS.reduce((a, b) => (busy[b] > busy[a] ? b : a));
  const clockHz = core.mxu.clockHz;
  const peakPerCycle = core.mxu.rows * core.mxu.cols * 2;
  return {
    totalCycles,
    seconds: totalCycles / clockHz,
    clockHz,
    units,
    flops,
    mxuUtilisation: totalCycles > 0 ? flops / (peakPerCycle * totalCycles) : 0,
    achievedFlopsPerSecond: totalCycles > 0 ? flops / (totalCycles / clockHz) : 0,
    bound: BOUND_OF[top],
    byKind: [...kinds].map(([kind, v]) => ({ kind, ...v })).sort((a, b) => b.cycles - a.cycles),
    ops: records,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** A text rendering of a profile: summary, units, kinds, and the slowest instructions. */
export function renderProfile(p: Profile, maxOps = 12): string {
  const lines = [
    `total ${p.totalCycles} cycles = ${(p.seconds * 1e6).toFixed(2)} us at ${(p.clockHz / 1e6).toFixed(0)} MHz; ${p.bound}-bound`,
    `MXU utilisation ${pct(p.mxuUtilisation)} (${(p.achievedFlopsPerSecond / 1e12).toFixed(2)} TFLOP/s achieved)`,
    'unit   busy cycles   busy',
    ...UNITS.map((u) => `${u.padEnd(6)} ${String(p.units[u].busyCycles).padStart(11)}   ${pct(p.units[u].utilisation).padStart(6)}`),
    'kind            count      cycles',
    ...p.byKind.map((k) => `${k.kind.padEnd(14)} ${String(k.count).padStart(6)} ${String(k.cycles).padStart(11)}`),
    `slowest instructions (start..end cycles):`,
    ...[...p.ops]
      .sort((a, b) => b.cycles - a.cycles)
      .slice(0, maxOps)
      .map((r) => `  ${r.name.padEnd(32)} ${r.unit.padEnd(4)} ${String(r.cycles).padStart(9)}  ${r.startCycle}..${r.endCycle}`),
  ];
  return lines.join('\n');
}
