/**
 * @module tpu/board-worker
 * The module a board's worker thread serves (through host/threads): it owns one group of the
 * board's cores (./core-group.ts) and runs their local instructions between collectives; the
 * main thread (./parallel-board.ts) does the collectives, so no core ever sees another
 * core's memory. Each export is one request.
 *
 * Imports ./core-group, ./config and ./program (types).
 */
import type { SystemConfig } from './config.ts';
import { CoreGroup, type CoreWrite, type GroupResult, type GroupStop } from './core-group.ts';
import type { Program } from './program.ts';

let group: CoreGroup | undefined;

const cores = (): CoreGroup => {
  if (!group) throw new Error('board worker: no cores (onStart was not given any)');
  return group;
};

/** Thread start: the system and the ids of the cores this thread holds. */
export function onStart(data: { readonly system: SystemConfig; readonly coreIds: readonly number[] }): void {
  group = new CoreGroup(data.system, data.coreIds);
}

/** Loads a program on every core of the thread, with its initial data. */
export function load(program: Program, initial: readonly (readonly [string, Float32Array])[]): void {
  cores().load(program, initial);
}

/** Writes the same values into a buffer of every core of the thread. */
export function writeAll(name: string, data: Float32Array): void {
  cores().writeAll(name, data);
}

/** Frees every core's device variables. */
export function dropVariables(): void {
  cores().dropVariables();
}

/** A copy of one core's buffer. */
export function read(core: number, name: string): Float32Array {
  return cores().read(core, name);
}

/** Writes the run's inputs, starts the run and advances to the first collective or the end. */
export function start(execute: boolean, writes: readonly CoreWrite[]): GroupStop {
  const g = cores();
  g.write(writes);
  g.start(execute);
  return g.advance();
}

/** Completes a collective and advances to the next one or the end. */
export function complete(timing: { readonly startCycle: number; readonly cycles: number; readonly bytes: number }, data: readonly Float32Array[] | null): GroupStop {
  const g = cores();
  g.complete(timing, data);
  return g.advance();
}

/** After the run: end cycles, the buffers asked for, and profiles when asked. */
export function finish(reads: readonly string[], profile: boolean): GroupResult {
  return cores().finish(reads, profile);
}
