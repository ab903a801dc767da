/**
 * @module host/idle-cpus
 * How many host CPUs this process could use now: the CPUs minus what OTHER processes kept
 * busy over the last window, measured from the kernel's per-CPU time counters (os.cpus())
 * and this process's own CPU time (process.cpuUsage(), all of its threads). Unlike the load
 * average, it is not fooled by this process's own work, nor by a run that ended a minute
 * ago (the 1-minute load average takes minutes to decay, and a process that starts right
 * after another would see a busy machine that is in fact idle). Work of niced (low-priority)
 * processes does not count: they give their CPU to this process when it asks.
 *
 * Imports node:os and node:process only.
 */
import { availableParallelism, cpus } from 'node:os';

/** One reading of the counters, in milliseconds. */
export interface CpuSample {
  /** Wall-clock time of the reading (performance.now()). */
  readonly wallMs: number;
  /**
   * Busy time summed over every CPU (user + sys + irq). Niced time is left out: a
   * low-priority process gives its CPU to this one when asked.
   */
  readonly busyMs: number;
  /** This process's CPU time (user + system, all threads). */
  readonly ownMs: number;
  /** CPUs the counters cover (os.cpus().length). */
  readonly counted: number;
}

/** Reads the counters now. */
export function sampleCpus(): CpuSample {
  let busy = 0;
  const all = cpus();
  for (const c of all) busy += c.times.user + c.times.sys + c.times.irq;
  const own = process.cpuUsage();
  return { wallMs: performance.now(), busyMs: busy, ownMs: (own.user + own.system) / 1000, counted: all.length };
}

/**
 * CPUs (whole ones) of the `cpuCount` this process may use that other processes did not keep
 * busy between two readings, rounded to the nearest whole CPU (a quarter of a CPU of
 * background noise does not take a CPU away). At least 1: this process always has its own.
 * When the counters cover more CPUs than `cpuCount` (a process limited to some of the
 * host's CPUs), the others' busy share of all of them is taken as their share of ours.
 */
export function idleCpusBetween(before: CpuSample, after: CpuSample, cpuCount: number): number {
  const wall = after.wallMs - before.wallMs;
  if (!(wall > 0) || !(after.counted > 0)) return 1;
  const othersBusy = Math.max(0, after.busyMs - before.busyMs - (after.ownMs - before.ownMs)) / wall; // CPUs
  const others = after.counted > cpuCount ? (othersBusy / after.counted) * cpuCount : othersBusy;
  return Math.max(1, Math.min(cpuCount, Math.round(cpuCount - others)));
}

/** The shortest window worth measuring; shorter ones are extended by the next call. */
const MIN_WINDOW_MS = 200;

/** The start of the current window: this module's load, then each answered call. */
let last: CpuSample = sampleCpus();
let lastAnswer: number | undefined;

/**
 * Host CPUs this process could run on now (see the module doc): measured over the time since
 * the previous call (or since this module loaded), at least 1, at most availableParallelism().
 */
export function idleHostCpus(): number {
  const now = sampleCpus();
  const cpuCount = availableParallelism();
  if (now.wallMs - last.wallMs < MIN_WINDOW_MS && lastAnswer !== undefined) return lastAnswer;
  lastAnswer = idleCpusBetween(last, now, cpuCount);
  last = now;
  return lastAnswer;
}
