/**
 * @module cli/profile-report
 * The report of a training run that `tpusim train` writes: what one training step does on
 * a simulated TensorCore (time, cycles, per-unit busy time, MXU utilisation and TFLOP/s
 * against peak, what bounds it, the all-reduce's share, cycles per instruction kind, the
 * HLO ops that cost most) and how fast the host simulated each epoch. `profileSummary`
 * gives it as a JSON-able object, `profileReport` as markdown text.
 *
 * Imports tpu (profile, config, program types), layers (History type), ./progress (formatSeconds).
 *
 * Invariants:
 * - the profile is core 0's, of one step after the first (the first also stages weights);
 *   every core runs the same program on its shard, so per-core numbers times `cores` are
 *   the board's.
 * - an instruction's HLO op is the label after its kind (`#3 matmul '%12 fusion conv2d'`:
 *   `%12 fusion conv2d`), as the lowering writes it; unlabelled instructions are grouped as
 *   `(no HLO op)`.
 * - shares of busy cycles are of the sum over all units (units overlap, so it exceeds the
 *   step's cycles); utilisations are of the step's cycles.
 * - every number in the summary is finite (0 where there is nothing to divide by).
 */
import { DEFAULT_CORE_CONFIG, UNITS, peakFlopsPerSecond, type Profile, type TensorCoreConfig, type Unit } from '../tpu/index.ts';
import type { History } from '../layers/index.ts';
import { formatSeconds } from './progress.ts';

/** What the report is made from. */
export interface ProfileReportInput {
  /** Core 0's profile of one training step (any step after the first). */
  readonly profile: Profile;
  /** Cores the step ran on (data parallel). */
  readonly cores: number;
  /** The fit's history: host and simulated time per epoch. */
  readonly history?: History;
  /** Images per step (the global batch): images per epoch = steps x this. */
  readonly globalBatch?: number;
  /** The model's name, for the title. */
  readonly model?: string;
  /** Which step (0-based, of the fit) was profiled. */
  readonly step?: number;
  /** The all-reduce's own timing (e.g. `allReduceTiming`); default: the ICI unit's busy time. */
  readonly allReduce?: { readonly seconds: number; readonly bytes?: number };
  /** The core the step ran on, for its peak. Default: derived from the profile, else TPU v2. */
  readonly core?: TensorCoreConfig;
  /** HLO ops listed. Default 10. */
  readonly topOps?: number;
}

/** One HLO op's share of a step. */
export interface HloOpCost {
  /** As the lowering labels it: `%12 fusion conv2d`. */
  readonly owner: string;
  readonly instructions: number;
  readonly busyCycles: number;
  /** Of all units' busy cycles. */
  readonly share: number;
  readonly byUnit: { readonly [U in Unit]: number };
}

/** One epoch's speed. */
export interface EpochSpeed {
  /** 1-based, as printed. */
  readonly epoch: number;
  readonly steps: number;
  /** Images trained on (steps x global batch); 0 when the batch is not known. */
  readonly images: number;
  readonly hostSeconds: number;
  readonly hostImagesPerSecond: number;
  readonly deviceSeconds: number;
  readonly deviceImagesPerSecond: number;
}

/** The report as data (`tpusim train --json`, or a file). */
export interface ProfileSummary {
  readonly model?: string;
  readonly cores: number;
  readonly profiledStep?: number;
  readonly step: { readonly cycles: number; readonly seconds: number; readonly clockHz: number };
  readonly units: { readonly [U in Unit]: { readonly busyCycles: number; readonly busySeconds: number; readonly utilisation: number } };
  readonly mxu: {
    readonly utilisation: number;
    readonly flops: number;
    readonly achievedFlopsPerSecond: number;
    readonly peakFlopsPerSecond: number;
    /** All cores together. */
    readonly boardAchievedFlopsPerSecond: number;
    readonly boardPeakFlopsPerSecond: number;
  };
  readonly bound: Profile['bound'];
  /** The busiest unit, which decides `bound`. */
  readonly busiestUnit: Unit;
  readonly allReduce: { readonly count: number; readonly seconds: number; readonly share: number; readonly bytes: number; readonly source: 'ici-busy' | 'given' };
  readonly byKind: readonly { readonly kind: string; readonly count: number; readonly cycles: number; readonly share: number }[];
  readonly topOps: readonly HloOpCost[];
  readonly epochs: readonly EpochSpeed[];
}

const NO_OWNER = '(no HLO op)';

/** `a / b`, or 0 when b is 0 or the result is not finite. */
const ratio = (a: number, b: number): number => (b !== 0 && Number.isFinite(a / b) ? a / b : 0);

/**
 * The HLO op of an instruction record's name: `#3 matmul '%12 fusion conv2d'` -> `%12 fusion conv2d`.
 * @example hloOwner("#3 matmul '%12 fusion conv2d'") // '%12 fusion conv2d'
 */
export function hloOwner(recordName: string): string {
  const open = recordName.indexOf("'");
  const close = recordName.lastIndexOf("'");
  return open >= 0 && close > open ? recordName.slice(open + 1, close) : NO_OWNER;
}

/** Busy cycles per HLO op, most first. */
export function hloOpCosts(profile: Profile): HloOpCost[] {
  const groups = new Map<string, { instructions: number; busyCycles: number; byUnit: Record<Unit, number> }>();
  let total = 0;
  for (const r of profile.ops) {
    const owner = hloOwner(r.name);
    const g = groups.get(owner) ?? { instructions: 0, busyCycles: 0, byUnit: { mxu: 0, vpu: 0, dma: 0, ici: 0 } };
    g.instructions++;
    g.busyCycles += r.cycles;
    g.byUnit[r.unit] += r.cycles;
    groups.set(owner, g);
    total += r.cycles;
  }
  return [...groups]
    .map(([owner, g]) => ({ owner, ...g, share: ratio(g.busyCycles, total) }))
    .sort((a, b) => b.busyCycles - a.busyCycles || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
}

/** Peak flop/s of the core that ran: given, else what the profile implies, else TPU v2's. */
function peakOf(p: Profile, core: TensorCoreConfig | undefined): number {
  if (core) return peakFlopsPerSecond(core);
  if (p.mxuUtilisation > 0 && p.achievedFlopsPerSecond > 0) return p.achievedFlopsPerSecond / p.mxuUtilisation;
  return peakFlopsPerSecond(DEFAULT_CORE_CONFIG);
}

/** Host and simulated images/s per epoch. */
function epochSpeeds(h: History | undefined, globalBatch: number | undefined): EpochSpeed[] {
  if (!h) return [];
  return h.steps.map((steps, i) => {
    const images = steps * (globalBatch ?? 0);
    const hostSeconds = h.hostSeconds[i] ?? 0;
    const deviceSeconds = h.deviceSeconds[i] ?? 0;
    const epoch = (h.epoch[i] ?? i) + 1;
    return { epoch, steps, images, hostSeconds, hostImagesPerSecond: ratio(images, hostSeconds), deviceSeconds, deviceImagesPerSecond: ratio(images, deviceSeconds) };
  });
}

/** The report as a JSON-able object. */
export function profileSummary(input: ProfileReportInput): ProfileSummary {
  const p = input.profile;
  const busyAll = UNITS.reduce((t, u) => t + p.units[u].busyCycles, 0);
  const units = Object.fromEntries(
    UNITS.map((u) => [u, { busyCycles: p.units[u].busyCycles, busySeconds: ratio(p.units[u].busyCycles, p.clockHz), utilisation: p.units[u].utilisation }]),
  ) as ProfileSummary['units'];
  const peak = peakOf(p, input.core);
  const iciOps = p.ops.filter((r) => r.unit === 'ici');
  const allReduceSeconds = input.allReduce?.seconds ?? units.ici.busySeconds;
  return {
    ...(input.model !== undefined ? { model: input.model } : {}),
    cores: input.cores,
    ...(input.step !== undefined ? { profiledStep: input.step } : {}),
    step: { cycles: p.totalCycles, seconds: p.seconds, clockHz: p.clockHz },
    units,
    mxu: {
      utilisation: p.mxuUtilisation,
      flops: p.flops,
      achievedFlopsPerSecond: p.achievedFlopsPerSecond,
      peakFlopsPerSecond: peak,
      boardAchievedFlopsPerSecond: p.achievedFlopsPerSecond * input.cores,
      boardPeakFlopsPerSecond: peak * input.cores,
    },
    bound: p.bound,
    busiestUnit: UNITS.reduce((a, b) => (p.units[b].busyCycles > p.units[a].busyCycles ? b : a)),
    allReduce: {
      count: iciOps.length,
      seconds: allReduceSeconds,
      share: ratio(allReduceSeconds, p.seconds),
      bytes: input.allReduce?.bytes ?? iciOps.reduce((t, r) => t + r.bytes, 0),
      source: input.allReduce ? 'given' : 'ici-busy',
    },
    byKind: p.byKind.map((k) => ({ kind: k.kind, count: k.count, cycles: k.cycles, share: ratio(k.cycles, busyAll) })),
    topOps: hloOpCosts(p).slice(0, input.topOps ?? 10),
    epochs: epochSpeeds(input.history, input.globalBatch),
  };
}

/** 1234567 -> `1,234,567`. */
const grouped = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const tflops = (x: number): string => `${(x / 1e12).toFixed(2)} TFLOP/s`;

/** A byte count for people: `512 B`, `1.50 KiB`, `3.20 MiB`. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let [v, i] = [bytes, 0];
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${v} B` : `${v.toFixed(2)} ${units[i]}`;
}

/** A markdown table. */
function table(head: readonly string[], rows: readonly (readonly string[])[], align: string): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), `|${[...align].map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

const WHY_BOUND: { readonly [U in Unit]: string } = {
  mxu: 'the MXU is the busiest unit: compute-bound',
  vpu: 'the VPU is the busiest unit: compute-bound (elementwise work, not matmuls)',
  dma: 'DMA is the busiest unit: memory-bound (HBM traffic)',
  ici: 'the interconnect is the busiest unit: communication-bound (all-reduce)',
};

/** The step's headline numbers. */
function headline(s: ProfileSummary): string[] {
  const ar = s.allReduce;
  return [
    '## One training step',
    '',
    `- simulated step time: ${formatSeconds(s.step.seconds)} (${grouped(s.step.cycles)} cycles at ${(s.step.clockHz / 1e6).toFixed(0)} MHz)`,
    `- ${WHY_BOUND[s.busiestUnit]}`,
    `- MXU utilisation: ${pct(s.mxu.utilisation)}, ${tflops(s.mxu.achievedFlopsPerSecond)} of ${tflops(s.mxu.peakFlopsPerSecond)} peak per core` +
      (s.cores > 1 ? `; ${tflops(s.mxu.boardAchievedFlopsPerSecond)} of ${tflops(s.mxu.boardPeakFlopsPerSecond)} on ${s.cores} cores` : ''),
    ar.count > 0 || ar.source === 'given'
      ? `- all-reduce: ${formatSeconds(ar.seconds)} per step (${pct(ar.share)} of the step), ${ar.count} all-reduce instruction(s), ${formatBytes(ar.bytes)}`
      : `- all-reduce: none${s.cores === 1 ? ' (one core)' : ' in the profiled program'}`,
  ];
}

/**
 * The report as markdown text.
 * @example
 * writeFileSync('report.md', profileReport({ profile, cores: 8, history, globalBatch: 64, model: 'squeeze-fast', step: 1 }));
 */
export function profileReport(input: ProfileReportInput): string {
  const s = profileSummary(input);
  const title = `# Training profile${s.model ? `: ${s.model}` : ''} on ${s.cores} core${s.cores === 1 ? '' : 's'}`;
  const step = s.profiledStep !== undefined ? `step ${s.profiledStep} (0-based)` : 'one step after the first';
  const which = `Core 0's profile of ${step}; every core runs the same program on its shard of the batch.`;
  const unitRows = UNITS.map((u) => [u.toUpperCase(), grouped(s.units[u].busyCycles), formatSeconds(s.units[u].busySeconds), pct(s.units[u].utilisation)]);
  const kindRows = s.byKind.map((k) => [k.kind, grouped(k.count), grouped(k.cycles), pct(k.share)]);
  const opRows = s.topOps.map((o, i) => [String(i + 1), `\`${o.owner}\``, grouped(o.instructions), grouped(o.busyCycles), pct(o.share), ...UNITS.map((u) => grouped(o.byUnit[u]))]);
  const parts = [title, '', which, '', ...headline(s), ''];
  parts.push('## Units', '', table(['unit', 'busy cycles', 'busy time', 'utilisation'], unitRows, 'lrrr'), '');
  parts.push('## Cycles by instruction kind', '', table(['kind', 'count', 'cycles', 'share of busy cycles'], kindRows, 'lrrr'), '');
  parts.push(`## Top ${s.topOps.length} HLO ops by busy cycles`, '', table(['#', 'HLO op', 'instructions', 'busy cycles', 'share', ...UNITS.map((u) => u.toUpperCase())], opRows, 'rlrrrrrrr'), '');
  if (s.epochs.length > 0) {
    const rows = s.epochs.map((e) => [String(e.epoch), grouped(e.steps), grouped(e.images), formatSeconds(e.hostSeconds), e.hostImagesPerSecond.toFixed(1), formatSeconds(e.deviceSeconds), grouped(e.deviceImagesPerSecond)]);
    parts.push('## Speed per epoch', '', table(['epoch', 'steps', 'images', 'host time', 'host images/s', 'simulated TPU time', 'simulated images/s'], rows, 'rrrrrrr'), '');
    parts.push('Host images/s is how fast this machine simulates; simulated images/s is how fast the TPU would train (validation included in both times).', '');
  }
  return parts.join('\n');
}
