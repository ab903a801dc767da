/**
 * @module viz/timeline
 * A simulated program run as a timeline: one lane per unit (MXU, VPU, DMA, ICI), one bar per
 * instruction group, that is consecutive instructions of one unit lowered from the same HLO
 * op. Built from the executor's instruction records (tpu/executor.ts `InstructionRecord`,
 * the data `tpusim compile --simulate` reports), nothing re-timed.
 *
 * Imports tpu (types, UNITS) only.
 *
 * Invariants: a bar runs from its first instruction's start to its last one's end; its busy
 * cycles are the sum of its instructions' cycles, so a lane's busy cycles equal the
 * profile's busy cycles of that unit (tested against the text report).
 */
import { UNITS, type InstructionRecord, type Unit } from '../tpu/index.ts';

/** Consecutive instructions of one unit from one HLO op. */
export interface TimelineBar {
  readonly unit: Unit;
  /** The HLO op, as the lowering labels it (`%12 fusion conv_1`); `(no HLO op)` when unlabelled. */
  readonly op: string;
  readonly startCycle: number;
  readonly endCycle: number;
  readonly instructions: number;
  /** Sum of the instructions' cycles (less than end - start when the unit idled between them). */
  readonly busyCycles: number;
  /** Instruction kinds in the group, e.g. `matmul x3, dma`. */
  readonly kinds: string;
  /** Bytes moved (DMA, all-reduce). */
  readonly bytes: number;
  /** [start, end) cycles when the unit was busy on this group: its instructions, back-to-back ones merged. */
  readonly busy: readonly (readonly [number, number])[];
}

/** One unit's lane. */
export interface TimelineLane {
  readonly unit: Unit;
  readonly busyCycles: number;
  readonly bars: readonly TimelineBar[];
}

/** The whole timeline. */
export interface Timeline {
  /** What ran, e.g. the compile input. */
  readonly title: string;
  readonly totalCycles: number;
  readonly clockHz: number;
  /** What bounds the run (the profile's word: compute, memory, communication). */
  readonly bound: string;
  readonly instructions: number;
  readonly lanes: readonly TimelineLane[];
}

/** What the timeline is built from. */
export interface TimelineInput {
  readonly title: string;
  /** The executor's records of one run, any order. */
  readonly records: readonly InstructionRecord[];
  /** owners[i]: the HLO op program instruction i was lowered from (xla `LoweredModule.owners`). */
  readonly owners: readonly string[];
  readonly totalCycles: number;
  readonly clockHz: number;
  readonly bound: string;
}

/** `matmul x3, dma` from the kinds of a group, in first-seen order. */
function kindsText(kinds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k} x${n}` : k)).join(', ');
}

/** The busy spans of a group in time order, touching ones merged. */
function busySpans(group: readonly InstructionRecord[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const r of group) {
    const last = spans.at(-1);
    if (last && r.startCycle <= last[1]) last[1] = Math.max(last[1], r.endCycle);
    else spans.push([r.startCycle, r.endCycle]);
  }
  return spans;
}

/** The bars of one unit: its records in time order, consecutive ones of one op merged. */
function laneBars(unit: Unit, records: readonly InstructionRecord[], owners: readonly string[]): TimelineBar[] {
  const mine = records.filter((r) => r.unit === unit).sort((a, b) => a.startCycle - b.startCycle || a.index - b.index);
  const bars: TimelineBar[] = [];
  let group: InstructionRecord[] = [];
  let op = '';
  const close = (): void => {
    if (group.length === 0) return;
    bars.push({
      unit,
      op,
      startCycle: group[0]!.startCycle,
      endCycle: group.reduce((e, r) => Math.max(e, r.endCycle), 0),
      instructions: group.length,
      busyCycles: group.reduce((t, r) => t + r.cycles, 0),
      kinds: kindsText(group.map((r) => r.kind)),
      bytes: group.reduce((t, r) => t + r.bytes, 0),
      busy: busySpans(group),
    });
    group = [];
  };
  for (const r of mine) {
    const owner = owners[r.index];
    const name = owner === undefined || owner === '?' || owner === '' ? '(no HLO op)' : owner;
    if (name !== op) close();
    op = name;
    group.push(r);
  }
  close();
  return bars;
}

/**
 * The timeline of one run.
 * @example
 * const run = runLowered(lowered, args, { execute: false });
 * const { ops, totalCycles, clockHz, bound } = run.profile;
 * buildTimeline({ title: 'step', records: ops, owners: lowered.owners, totalCycles, clockHz, bound })
 */
export function buildTimeline(input: TimelineInput): Timeline {
  const lanes = UNITS.map((unit): TimelineLane => {
    const bars = laneBars(unit, input.records, input.owners);
    return { unit, busyCycles: bars.reduce((t, b) => t + b.busyCycles, 0), bars };
  });
  return { title: input.title, totalCycles: input.totalCycles, clockHz: input.clockHz, bound: input.bound, instructions: input.records.length, lanes };
}
