/**
 * @module tpu/board
 * A system of TensorCores (a v2-8 board, or a pod slice) running one program on every core
 * (SPMD, data parallel) with all-reduce between them. Imports ./core-group, ./collectives,
 * ./config, ./memory, ./profile, ./program.
 *
 * Execution: cores step through the program together, collective by collective. Between
 * collectives each core runs its local instructions on its own (no core ever reads another
 * core's memory outside a collective). An `all-reduce` starts on all cores at the latest of
 * their ready cycles (a barrier; a simplification: the real ring could start pipelining
 * earlier), moves the data over the interconnect (./collectives.ts), and ends on all cores at
 * start + ceil(seconds x clock).
 * Host threads: this class runs every core on the calling thread (one ./core-group.ts);
 * ./parallel-board.ts runs the same loop with groups of cores on worker threads, with the
 * same bits and cycles for any thread count. `collectiveStep` is the one place both do a
 * collective.
 */
import { allReduce, allReduceTiming, topologyDims, type AllReduceTiming } from './collectives.ts';
import { checkTopology, topologyCores, type SystemConfig } from './config.ts';
import { CoreGroup, type CoreWrite, type GroupStop } from './core-group.ts';
import type { TensorCore } from './core.ts';
import { BYTES_PER_VALUE } from './memory.ts';
import type { Profile } from './profile.ts';
import type { Program } from './program.ts';

/** What one run writes first and reads after. */
export interface BoardRunOptions {
  /** false = timing only: cycles without computing data. Default true. */
  readonly execute?: boolean;
  /** Host values written into cores' buffers before the run (the infeed). */
  readonly writes?: readonly CoreWrite[];
  /** Buffers read from every core after the run (the outfeed). */
  readonly reads?: readonly string[];
  /** Build every core's full profile (per instruction). Default true. */
  readonly profile?: boolean;
}

/** The result of an SPMD run. */
export interface BoardRun {
  /** One profile per core (identical timing on every core for SPMD programs); empty with `profile: false`. */
  readonly profiles: readonly Profile[];
  /** The last end over all cores. */
  readonly totalCycles: number;
  readonly seconds: number;
  /** Each all-reduce's timing, in program order. */
  readonly collectives: readonly AllReduceTiming[];
  /** Per core (in id order), the values of `reads`. */
  readonly reads: readonly (readonly Float32Array[])[];
}

/** The timing and summed data of one all-reduce, given where every group stopped. */
export function collectiveStep(
  system: SystemConfig,
  dims: readonly number[],
  stops: readonly GroupStop[],
  execute: boolean,
): { readonly timing: AllReduceTiming; readonly complete: { readonly startCycle: number; readonly cycles: number; readonly bytes: number }; readonly data: readonly (readonly Float32Array[])[] | null } {
  const startCycle = stops.reduce((t, s) => s.ready.reduce((a, b) => Math.max(a, b), t), 0);
  const values = stops[0]!.values;
  const options = { bidirectional: system.bidirectionalRings ?? false };
  const buffers = execute ? stops.flatMap((s) => s.data!) : null;
  const timing = buffers ? allReduce(buffers, dims, system.link, options) : allReduceTiming(values, dims, system.link, options);
  let offset = 0;
  const data = buffers
    ? stops.map((s) => {
        const mine = buffers.slice(offset, offset + s.ready.length);
        offset += s.ready.length;
        return mine;
      })
    : null;
  return { timing, complete: { startCycle, cycles: Math.ceil(timing.seconds * system.core.mxu.clockHz), bytes: values * BYTES_PER_VALUE }, data };
}

/** A board or pod of identical cores, all on the calling thread. */
export class Board {
  /** Torus dims of the interconnect (see ./collectives.ts). */
  readonly dims: readonly number[];
  private readonly group: CoreGroup;

  constructor(readonly system: SystemConfig) {
    checkTopology(system.topology);
    const n = topologyCores(system.topology, system.coresPerChip);
    this.dims = topologyDims(system.topology, system.coresPerChip);
    this.group = new CoreGroup(system, Array.from({ length: n }, (_, id) => id));
  }

  /** The cores, in id order. */
  get cores(): readonly TensorCore[] {
    return this.group.cores;
  }

  /** Loads the same program on every core, and its initial data (constants). */
  load(program: Program, initial: Iterable<readonly [string, Float32Array]> = []): void {
    this.group.load(program, initial);
  }

  /** Writes the same values into a buffer of every core (a device variable). */
  writeAll(name: string, data: Float32Array): void {
    this.group.writeAll(name, data);
  }

  /** Frees every core's device variables (and unloads the program). */
  dropVariables(): void {
    this.group.dropVariables();
  }

  /** A copy of one core's buffer. */
  read(core: number, name: string): Float32Array {
    return this.group.read(core, name);
  }

  /** Sums host buffers (one per core) in place with the board's all-reduce; returns its timing. */
  allReduce(buffers: readonly Float32Array[]): AllReduceTiming {
    return allReduce(buffers, this.dims, this.system.link, { bidirectional: this.system.bidirectionalRings ?? false });
  }

  /** Runs the loaded program on every core: writes, run (collectives included), reads. */
  run(options: BoardRunOptions = {}): BoardRun {
    const execute = options.execute ?? true;
    this.group.write(options.writes ?? []);
    this.group.start(execute);
    const collectives: AllReduceTiming[] = [];
    for (let stop = this.group.advance(); !stop.done; stop = this.group.advance()) {
      const step = collectiveStep(this.system, this.dims, [stop], execute);
      collectives.push(step.timing);
      this.group.complete(step.complete, step.data?.[0] ?? null);
    }
    const r = this.group.finish(options.reads ?? [], options.profile ?? true);
    const totalCycles = Math.max(0, ...r.cycles);
    return { profiles: r.profiles ?? [], totalCycles, seconds: totalCycles / this.system.core.mxu.clockHz, collectives, reads: r.reads };
  }
}
