/**
 * @module tpu/board-worker
 * The body of a board worker thread (started by ./parallel-board.ts): it owns a contiguous
 * block of the board's TensorCores and runs their local instructions between collectives.
 * The main thread does the collectives, so no core ever sees another core's memory.
 *
 * Imports ./core and ./executor (types). Importing this file outside a board worker does
 * nothing but define `handleBoardRequest` and `serveRequests` (the request loop any worker of
 * ours runs; the board loop only starts when workerData says so).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { SystemConfig } from './config.ts';
import { TensorCore } from './core.ts';
import type { InstructionRecord, ProgramRun } from './executor.ts';
import type { Program } from './program.ts';

/** workerData marker that turns the worker loop on. */
export const BOARD_WORKER_MARKER = 'tpusim-board-worker';

/** A request from the main thread. Every request gets exactly one reply with its id. */
export type BoardRequest = { readonly id: number } & (
  | { readonly type: 'init'; readonly system: SystemConfig; readonly coreIds: readonly number[] }
  | { readonly type: 'load'; readonly program: Program }
  | { readonly type: 'write'; readonly core: number; readonly name: string; readonly data: Float32Array }
  | { readonly type: 'read'; readonly core: number; readonly name: string }
  | { readonly type: 'start'; readonly execute: boolean }
  | { readonly type: 'advance' }
  | { readonly type: 'complete'; readonly startCycle: number; readonly cycles: number; readonly bytes: number; readonly data: readonly Float32Array[] | null }
  | { readonly type: 'records' }
);

/** What `advance` reports: done, or the next all-reduce with each local core's ready cycle and data. */
export interface AdvanceReply {
  readonly done: boolean;
  readonly buffer: string | null;
  /** Values in that buffer. */
  readonly values: number;
  readonly ready: readonly number[];
  readonly data: readonly Float32Array[] | null;
}

/** A reply of any worker served by `serveRequests`: ok with a value, or the error's message. */
export type WorkerReply = { readonly id: number } & ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string; readonly userFacing: boolean; readonly stack?: string });

/**
 * The request loop of a worker thread (the other end of ./parallel-board.ts's `WorkerRpc`):
 * announces readiness, then answers every request with exactly one reply carrying its id,
 * the handler's value (copied) or the error's message and `userFacing` flag. Synchronous
 * handlers only: requests are answered in arrival order.
 */
export function serveRequests<Req extends { readonly id: number }>(port: MessagePort, handle: (req: Req) => unknown): void {
  port.on('message', (req: Req) => {
    try {
      port.postMessage({ id: req.id, ok: true, value: handle(req) } satisfies WorkerReply);
    } catch (err) {
      const userFacing = (err as { userFacing?: unknown } | null)?.userFacing === true;
      const message = err instanceof Error ? err.message : String(err);
      port.postMessage({ id: req.id, ok: false, message, userFacing, ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) } satisfies WorkerReply);
    }
  });
  port.postMessage({ ready: true });
}

interface State {
  cores: TensorCore[];
  runs: ProgramRun[];
  execute: boolean;
}

function local(st: State, core: number): TensorCore {
  const c = st.cores.find((x) => x.id === core);
  if (!c) throw new RangeError(`board worker: core ${core} is not on this thread`);
  return c;
}

function advance(st: State): AdvanceReply {
  for (const run of st.runs) {
    while (!run.done && run.current.kind !== 'all-reduce') run.step();
  }
  const first = st.runs[0]!;
  if (first.done) return { done: true, buffer: null, values: 0, ready: [], data: null };
  const instr = first.current;
  const buffer = instr.kind === 'all-reduce' ? instr.buffer : '';
  return {
    done: false,
    buffer,
    values: st.cores[0]!.size(buffer),
    ready: st.runs.map((r) => r.readyCycle()),
    data: st.execute ? st.cores.map((c) => c.data(buffer)) : null,
  };
}

/** Handles one request against the worker's state; returns the reply value. */
export function handleBoardRequest(st: State, req: BoardRequest): unknown {
  switch (req.type) {
    case 'init':
      st.cores = req.coreIds.map((id) => new TensorCore({ config: req.system.core, id }));
      return null;
    case 'load':
      for (const c of st.cores) c.load(req.program);
      return null;
    case 'write':
      local(st, req.core).write(req.name, req.data);
      return null;
    case 'read':
      return local(st, req.core).read(req.name);
    case 'start':
      st.execute = req.execute;
      st.runs = st.cores.map((c) => c.start(req.execute));
      return null;
    case 'advance':
      return advance(st);
    case 'complete': {
      const buffer = st.runs[0]!.current.kind === 'all-reduce' ? (st.runs[0]!.current as { buffer: string }).buffer : '';
      st.runs.forEach((run, i) => {
        if (req.data) st.cores[i]!.data(buffer).set(req.data[i]!);
        run.complete(req.startCycle, req.cycles, req.bytes);
      });
      return null;
    }
    case 'records':
      return st.runs.map((r): readonly InstructionRecord[] => r.records);
  }
}

if (workerData?.marker === BOARD_WORKER_MARKER && parentPort) {
  const st: State = { cores: [], runs: [], execute: true };
  serveRequests<BoardRequest>(parentPort, (req) => handleBoardRequest(st, req));
}
