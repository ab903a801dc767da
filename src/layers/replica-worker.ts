/**
 * @module layers/replica-worker
 * The body of a training worker thread (started by ./replica-pool.ts): it holds a
 * contiguous block of a strategy's replicas (their weights and optimizer slots stay here
 * between steps) and runs their modules with ./replicas.ts's `ReplicaSet`, the same code
 * the main thread runs when there are no workers.
 *
 * Per step the main thread sends the block's batch shards and a noise scalar; the worker
 * writes the gradient sums into a SharedArrayBuffer the main thread all-reduces in place,
 * and replies with each replica's loss, correct count and device seconds only.
 *
 * Imports tpu (the worker request loop), ./engine (portable runners), ./replicas.
 * Importing this file outside such a worker only defines `handleReplicaRequest`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveRequests } from '../tpu/index.ts';
import { portableRunner, type EngineRun, type PortableModule } from './engine.ts';
import { ReplicaSet, shardsOf, sumsLength, type ReplicaScalars, type ReplicaState, type TrainPlan } from './replicas.ts';

/** workerData marker that turns the worker loop on. */
export const REPLICA_WORKER_MARKER = 'tpusim-replica-worker';

/** A request from the main thread (every one gets exactly one reply with its id). */
export type ReplicaRequest = { readonly id: number } & ReplicaRequestBody;

/** A request without its id. */
export type ReplicaRequestBody =
  /** Replaces the states of the replicas held (the block, in order). */
  | { readonly type: 'states'; readonly states: ReplicaState[] }
  /** Makes a module runnable under an id (once per compiled module). */
  | { readonly type: 'module'; readonly module: number; readonly portable: PortableModule }
  /** A training step's plan; `sums` holds every replica's all-reduce buffer, the block's starting at replica `first`. */
  | { readonly type: 'plan'; readonly plan: number; readonly spec: TrainPlan; readonly sums: SharedArrayBuffer; readonly first: number }
  /** The gradient module on the block's shards (x and y: the block's examples, consecutive). */
  | { readonly type: 'grad'; readonly plan: number; readonly x: Float32Array; readonly y: Float32Array; readonly noise: number }
  | { readonly type: 'update'; readonly plan: number; readonly rate: number }
  /** An evaluation module on the first `count` replicas of the block. */
  | { readonly type: 'evaluate'; readonly module: number; readonly x: Float32Array; readonly y: Float32Array; readonly count: number }
  /** Copies of the states held. */
  | { readonly type: 'read-states' };

/** What a worker holds. */
export interface ReplicaWorkerState {
  set: ReplicaSet | undefined;
  readonly runners: Map<number, (args: readonly Float32Array[]) => EngineRun>;
  readonly plans: Map<number, { readonly spec: TrainPlan; readonly sums: Float32Array[] }>;
}

/** A fresh worker state. */
export function replicaWorkerState(): ReplicaWorkerState {
  return { set: undefined, runners: new Map(), plans: new Map() };
}

function setOf(st: ReplicaWorkerState): ReplicaSet {
  if (!st.set) throw new Error('replica worker: no states yet');
  return st.set;
}

function planOf(st: ReplicaWorkerState, id: number): { readonly spec: TrainPlan; readonly sums: Float32Array[] } {
  const p = st.plans.get(id);
  if (!p) throw new Error(`replica worker: no plan ${id}`);
  return p;
}

function runModule(st: ReplicaWorkerState, id: number, args: readonly Float32Array[]): EngineRun {
  const r = st.runners.get(id);
  if (!r) throw new Error(`replica worker: no module ${id}`);
  return r(args);
}

/** Handles one request against the worker's state; returns the reply value. */
export function handleReplicaRequest(st: ReplicaWorkerState, req: ReplicaRequestBody): ReplicaScalars | number[] | ReplicaState[] | null {
  switch (req.type) {
    case 'states':
      st.set = new ReplicaSet(req.states, (id, args) => runModule(st, id, args));
      return null;
    case 'module':
      st.runners.set(req.module, portableRunner(req.portable));
      return null;
    case 'plan': {
      const n = sumsLength(req.spec);
      const sums = setOf(st).states.map((_, i) => new Float32Array(req.sums, (req.first + i) * n * Float32Array.BYTES_PER_ELEMENT, n));
      st.plans.set(req.plan, { spec: req.spec, sums });
      return null;
    }
    case 'grad': {
      const p = planOf(st, req.plan);
      const set = setOf(st);
      return set.grad(p.spec, shardsOf(req.x, req.y, set.states.length), req.noise, p.sums);
    }
    case 'update': {
      const p = planOf(st, req.plan);
      return setOf(st).update(p.spec, req.rate, p.sums);
    }
    case 'evaluate':
      return setOf(st).evaluate(req.module, shardsOf(req.x, req.y, req.count));
    case 'read-states':
      return setOf(st).states;
  }
}

if (workerData?.marker === REPLICA_WORKER_MARKER && parentPort) {
  const st = replicaWorkerState();
  serveRequests<ReplicaRequest>(parentPort, (req) => handleReplicaRequest(st, req));
}
