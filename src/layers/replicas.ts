/**
 * @module layers/replicas
 * The replicas of a data-parallel step and the code that runs them, written once for any
 * host thread: the main thread runs all replicas in one `ReplicaSet`; each worker thread
 * (./replica-worker.ts) runs its contiguous block in its own. Because both run this same
 * code, replica by replica in index order, with the same modules and arguments, the results
 * do not depend on how the replicas are spread over threads.
 *
 * Everything here is plain, clonable data (indices, not LayerWeight objects) so that it can
 * cross to a worker: a `TrainPlan` names a compiled step's modules by id and its weights by
 * their index in `model.weights`; a `ReplicaState` holds one replica's weights and
 * optimizer slots.
 *
 * One step = `grad` on every replica, an all-reduce of the `sums` buffers (by the caller,
 * over every replica's buffer), then `update` on every replica (./step.ts has the module
 * signatures).
 *
 * Imports ./engine (types).
 */
import type { EngineRun } from './engine.ts';

/** One replica's weights (in `model.weights` order) and optimizer slots (per weight; empty until trained). */
export interface ReplicaState {
  readonly weights: Float32Array[];
  readonly slots: Float32Array[][];
}

/** A compiled training step as ids and indices. */
export interface TrainPlan {
  /** Module id of the gradient module. */
  readonly grad: number;
  /** Module id of the update module. */
  readonly update: number;
  /** Indices (into model.weights) of the trained weights, in argument order. */
  readonly trainable: readonly number[];
  /** Indices of the other weights, in argument order. */
  readonly frozen: readonly number[];
  /** Indices of the frozen weights the forward pass updates (moving stats), in output order. */
  readonly states: readonly number[];
  /** Optimizer slots per trained weight. */
  readonly slotCount: number;
  /** Values of each summed output of the gradient module (grads, then new states). */
  readonly sizes: readonly number[];
}

/** Runs the module with this id on the current thread. */
export type ModuleRunner = (module: number, args: readonly Float32Array[]) => EngineRun;

/** One replica's examples: x [b, ...input], labels [b] or [b, N]. */
export interface Shard {
  readonly x: Float32Array;
  readonly y: Float32Array;
}

/** Per-replica scalars of a gradient or evaluation run, in local replica order. */
export interface ReplicaScalars {
  readonly loss: number[];
  readonly correct: number[];
  readonly seconds: number[];
}

/** Total values of a plan's summed outputs (one replica's all-reduce buffer). */
export function sumsLength(plan: TrainPlan): number {
  return plan.sizes.reduce((a, n) => a + n, 0);
}

/** A block of replicas held by one host thread. */
export class ReplicaSet {
  constructor(
    /** The states of the replicas held, in replica order (mutated by `update`). */
    readonly states: ReplicaState[],
    private readonly run: ModuleRunner,
  ) {}

  /**
   * Runs the gradient module on every replica held; writes each replica's grads and new
   * states, concatenated, into `sums[i]` (the all-reduce buffer).
   */
  grad(plan: TrainPlan, shards: readonly Shard[], noise: number, sums: readonly Float32Array[]): ReplicaScalars {
    const out: ReplicaScalars = { loss: [], correct: [], seconds: [] };
    this.states.forEach((st, i) => {
      const shard = shards[i]!;
      const args = [shard.x, shard.y, Float32Array.of(noise), ...plan.trainable.map((w) => st.weights[w]!), ...plan.frozen.map((w) => st.weights[w]!)];
      const r = this.run(plan.grad, args);
      out.loss.push(r.outputs[0]![0]!);
      out.correct.push(r.outputs[1]![0]!);
      out.seconds.push(r.deviceSeconds);
      let o = 0;
      for (const part of r.outputs.slice(2)) {
        sums[i]!.set(part, o);
        o += part.length;
      }
    });
    return out;
  }

  /** Applies the summed grads and states in `sums[i]` on every replica held; returns device seconds per replica. */
  update(plan: TrainPlan, rate: number, sums: readonly Float32Array[]): number[] {
    if (plan.trainable.length + plan.states.length === 0) return this.states.map(() => 0);
    const nT = plan.trainable.length;
    const k = plan.slotCount;
    return this.states.map((st, i) => {
      // NOTE: copies, never views: an output may alias an argument, and sums[i] is reused next step.
      const parts = split(sums[i]!, plan.sizes);
      const slots = plan.trainable.flatMap((w) => slotsOf(st, w, k));
      const args = [Float32Array.of(rate), ...plan.trainable.map((w) => st.weights[w]!), ...parts.slice(0, nT), ...slots, ...parts.slice(nT)];
      const run = this.run(plan.update, args);
      plan.trainable.forEach((w, j) => {
        st.weights[w] = run.outputs[j]!;
        st.slots[w] = run.outputs.slice(nT + j * k, nT + (j + 1) * k);
      });
      plan.states.forEach((w, j) => (st.weights[w] = run.outputs[nT + nT * k + j]!));
      return run.deviceSeconds;
    });
  }

  /** Runs an evaluation module (x, labels, weights...) -> (loss, correct) on the first `shards.length` replicas held. */
  evaluate(module: number, shards: readonly Shard[]): ReplicaScalars {
    const out: ReplicaScalars = { loss: [], correct: [], seconds: [] };
    shards.forEach((shard, i) => {
      const r = this.run(module, [shard.x, shard.y, ...this.states[i]!.weights]);
      out.loss.push(r.outputs[0]![0]!);
      out.correct.push(r.outputs[1]![0]!);
      out.seconds.push(r.deviceSeconds);
    });
    return out;
  }
}

/** A weight's optimizer slots, zeros on first use. */
function slotsOf(st: ReplicaState, w: number, k: number): Float32Array[] {
  if (st.slots[w]!.length !== k) st.slots[w] = Array.from({ length: k }, () => new Float32Array(st.weights[w]!.length));
  return st.slots[w]!;
}

/** Copies a buffer's consecutive parts of `sizes` values. */
function split(buf: Float32Array, sizes: readonly number[]): Float32Array[] {
  let o = 0;
  return sizes.map((n) => buf.slice(o, (o += n)));
}

/** Splits `data` of `count` equal consecutive shards. */
export function shardsOf(x: Float32Array, y: Float32Array, count: number): Shard[] {
  const [nx, ny] = [x.length / count, y.length / count];
  return Array.from({ length: count }, (_, i) => ({ x: x.subarray(i * nx, (i + 1) * nx), y: y.subarray(i * ny, (i + 1) * ny) }));
}
