/**
 * @module tpu/core-group
 * A block of a board's TensorCores held by one host thread: it loads their program, moves
 * host data in and out, and steps their local instructions up to the next collective. The
 * board (./board.ts on the calling thread, ./parallel-board.ts over worker threads) does the
 * collectives between groups, so no core ever reads another core's memory.
 *
 * Imports ./core, ./executor (types), ./profile, ./program, ./config.
 * Invariant: every core of a group runs the same program; a group stops at a collective only
 * when all of its cores stand at it.
 */
import type { SystemConfig } from './config.ts';
import { TensorCore } from './core.ts';
import type { ProgramRun } from './executor.ts';
import { buildProfile, type Profile } from './profile.ts';
import type { Program } from './program.ts';

/** Where a group stopped: at the end, or at an all-reduce with each core's ready cycle (and data). */
export interface GroupStop {
  readonly done: boolean;
  /** Values in the all-reduce's buffer. */
  readonly values: number;
  /** Each core's ready cycle for the all-reduce. */
  readonly ready: readonly number[];
  /** Each core's all-reduce buffer (when executing). */
  readonly data: readonly Float32Array[] | null;
}

/** What a finished run reports per core. */
export interface GroupResult {
  /** Each core's last end cycle. */
  readonly cycles: readonly number[];
  /** Each core's values of the buffers asked for, in order. */
  readonly reads: readonly (readonly Float32Array[])[];
  /** Each core's full profile, when asked for. */
  readonly profiles?: readonly Profile[];
}

/** Host writes of one run: [core id, buffer, values]. */
export type CoreWrite = readonly [number, string, Float32Array];

/** The cores of one host thread. */
export class CoreGroup {
  readonly cores: readonly TensorCore[];
  private runs: ProgramRun[] = [];
  private execute = true;

  constructor(
    readonly system: SystemConfig,
    coreIds: readonly number[],
  ) {
    this.cores = coreIds.map((id) => new TensorCore({ config: system.core, id }));
  }

  /** Loads `program` on every core and writes its initial data (constants). */
  load(program: Program, initial: Iterable<readonly [string, Float32Array]> = []): void {
    for (const c of this.cores) c.load(program);
    for (const [name, data] of initial) for (const c of this.cores) c.write(name, data);
  }

  /** Writes host values into cores' buffers. */
  write(writes: readonly CoreWrite[]): void {
    for (const [id, name, data] of writes) this.core(id).write(name, data);
  }

  /** Writes the same values into a buffer of every core (a device variable). */
  writeAll(name: string, data: Float32Array): void {
    for (const c of this.cores) c.write(name, data);
  }

  /** Frees every core's device variables (and unloads the program). */
  dropVariables(): void {
    for (const c of this.cores) c.dropVariables();
  }

  /** A copy of one core's buffer. */
  read(id: number, name: string): Float32Array {
    return this.core(id).read(name);
  }

  /** Starts a run of the loaded program on every core. */
  start(execute: boolean): void {
    this.execute = execute;
    this.runs = this.cores.map((c) => c.start(execute));
  }

  /** Runs every core's local instructions until all stand at the next all-reduce or the end. */
  advance(): GroupStop {
    for (const run of this.runs) {
      while (!run.done && run.current.kind !== 'all-reduce') run.step();
    }
    const first = this.runs[0]!;
    if (first.done) return { done: true, values: 0, ready: [], data: null };
    const buffer = this.collectiveBuffer();
    return {
      done: false,
      values: this.cores[0]!.size(buffer),
      ready: this.runs.map((r) => r.readyCycle()),
      data: this.execute ? this.cores.map((c) => c.data(buffer)) : null,
    };
  }

  /** Completes the all-reduce every core stands at: the summed data (when executing) and its timing. */
  complete(timing: { readonly startCycle: number; readonly cycles: number; readonly bytes: number }, data: readonly Float32Array[] | null): void {
    const buffer = this.collectiveBuffer();
    this.runs.forEach((run, i) => {
      if (data) {
        const own = this.cores[i]!.data(buffer);
        if (data[i] !== own) own.set(data[i]!);
      }
      run.complete(timing.startCycle, timing.cycles, timing.bytes);
    });
  }

  /** After the last instruction: each core's end cycle, the buffers asked for, and (when asked) profiles. */
  finish(reads: readonly string[], profile: boolean): GroupResult {
    const cycles = this.runs.map((r) => r.records.reduce((t, rec) => Math.max(t, rec.endCycle), 0));
    return {
      cycles,
      reads: this.cores.map((c) => reads.map((name) => c.read(name))),
      ...(profile ? { profiles: this.runs.map((r) => buildProfile(r.records, this.system.core)) } : {}),
    };
  }

  private collectiveBuffer(): string {
    const instr = this.runs[0]!.current;
    return instr.kind === 'all-reduce' ? instr.buffer : '';
  }

  private core(id: number): TensorCore {
    const c = this.cores.find((x) => x.id === id);
    if (!c) throw new RangeError(`core ${id} is not in this group`);
    return c;
  }
}
