/**
 * @module layers/replica-pool
 * Where the replicas of a strategy run on the host: `LocalReplicas` runs them all on the
 * calling thread; `ReplicaPool` spreads them over worker threads (./replica-worker.ts), one
 * contiguous block per thread, and keeps them there for the length of a fit.
 *
 * What crosses threads, and when:
 * - once per pool: each block's weights and optimizer slots (they stay on the worker);
 * - once per compiled module: the lowered program (compiled and lowered once, here);
 * - once per compiled training step: the plan and one SharedArrayBuffer holding every
 *   replica's all-reduce buffer (workers write their gradients into it, the main thread
 *   all-reduces it in place with the strategy's collective, workers read the sums back);
 * - per step: the block's batch shards (moved, not copied) and a noise scalar out; each
 *   replica's loss, correct count and device seconds back;
 * - on `states()` (end of an epoch, end of fit): copies of the weights and slots.
 *
 * Both run ./replicas.ts's `ReplicaSet`, replica by replica in order, with the same modules
 * and arguments, and the all-reduce runs on the main thread over the buffers in replica
 * order, so results do not depend on the thread count.
 *
 * Imports tpu (WorkerRpc), xla (module type), ./engine, ./replicas, ./replica-worker
 * (types, marker), ./step (type), ./layer (type).
 */
import { WorkerRpc } from '../tpu/index.ts';
import type { HloModule } from '../xla/index.ts';
import type { Engine, PortableModule } from './engine.ts';
import type { LayerWeight } from './layer.ts';
import { REPLICA_WORKER_MARKER, type ReplicaRequestBody } from './replica-worker.ts';
import { ReplicaSet, sumsLength, type ReplicaScalars, type ReplicaState, type Shard, type TrainPlan } from './replicas.ts';
import type { TrainStep } from './step.ts';

/** A plan with every replica's all-reduce buffer. */
export interface PlanHandle {
  readonly plan: TrainPlan;
  /** One buffer per replica, in replica order; all-reduce them between grad and update. */
  readonly sums: readonly Float32Array[];
}

/** Runs every replica's modules (see the module doc). */
export interface ReplicaExecutor {
  /** Host threads used. */
  readonly threads: number;
  plan(step: TrainStep): Promise<PlanHandle>;
  /** The gradient module on every replica (shards in replica order); fills `h.sums`. */
  grad(h: PlanHandle, shards: readonly Shard[], noise: number): Promise<ReplicaScalars>;
  /** The update module on every replica, from the all-reduced `h.sums`; device seconds per replica. */
  update(h: PlanHandle, rate: number): Promise<number[]>;
  /** An evaluation module on the first `shards.length` replicas. */
  evaluate(m: HloModule, shards: readonly Shard[]): Promise<ReplicaScalars>;
  /** The replicas' states (copies when they live on workers). */
  states(): Promise<ReplicaState[]>;
  close(): Promise<void>;
}

/** A compiled step as indices into `weights` and module ids. */
function planOf(step: TrainStep, weights: readonly LayerWeight[], ids: { grad: number; update: number }, slotCount: number): TrainPlan {
  const index = (w: LayerWeight) => weights.indexOf(w);
  return {
    ...ids,
    trainable: step.trainable.map(index),
    frozen: step.frozen.map(index),
    states: step.states.map(index),
    slotCount,
    sizes: [...step.trainable, ...step.states].map((w) => w.size),
  };
}

/** Module ids in first-use order. */
class ModuleIds {
  readonly modules: HloModule[] = [];
  private readonly ids = new Map<HloModule, number>();
  /** The id of `m` and whether it is new. */
  of(m: HloModule): { id: number; fresh: boolean } {
    const id = this.ids.get(m);
    if (id !== undefined) return { id, fresh: false };
    this.ids.set(m, this.modules.length);
    this.modules.push(m);
    return { id: this.modules.length - 1, fresh: true };
  }
}

/** Every replica on the calling thread, on the host states themselves. */
export class LocalReplicas implements ReplicaExecutor {
  readonly threads = 1;
  private readonly set: ReplicaSet;
  private readonly ids = new ModuleIds();
  private readonly plans = new WeakMap<TrainStep, PlanHandle>();

  constructor(
    private readonly host: ReplicaState[],
    engine: Engine,
    private readonly weights: readonly LayerWeight[],
    private readonly slotCount: number,
  ) {
    this.set = new ReplicaSet(host, (id, args) => engine.run(this.ids.modules[id]!, args));
  }

  plan(step: TrainStep): Promise<PlanHandle> {
    let h = this.plans.get(step);
    if (!h) {
      const plan = planOf(step, this.weights, { grad: this.ids.of(step.grad).id, update: this.ids.of(step.update).id }, this.slotCount);
      h = { plan, sums: this.host.map(() => new Float32Array(sumsLength(plan))) };
      this.plans.set(step, h);
    }
    return Promise.resolve(h);
  }

  grad(h: PlanHandle, shards: readonly Shard[], noise: number): Promise<ReplicaScalars> {
    return Promise.resolve(this.set.grad(h.plan, shards, noise, h.sums));
  }

  update(h: PlanHandle, rate: number): Promise<number[]> {
    return Promise.resolve(this.set.update(h.plan, rate, h.sums));
  }

  evaluate(m: HloModule, shards: readonly Shard[]): Promise<ReplicaScalars> {
    return Promise.resolve(this.set.evaluate(this.ids.of(m).id, shards));
  }

  states(): Promise<ReplicaState[]> {
    return Promise.resolve(this.host);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Replicas on worker threads, one contiguous block each. Create with `start`, release with `close`. */
export class ReplicaPool implements ReplicaExecutor {
  private readonly ids = new ModuleIds();
  private readonly plans = new WeakMap<TrainStep, PlanHandle>();
  private readonly planIds = new WeakMap<PlanHandle, number>();
  private planCount = 0;

  private constructor(
    private readonly workers: readonly WorkerRpc<ReplicaRequestBody>[],
    /** Replica indices held by each worker. */
    readonly blocks: readonly (readonly number[])[],
    private readonly portable: (m: HloModule) => PortableModule,
    private readonly weights: readonly LayerWeight[],
    private readonly slotCount: number,
  ) {}

  get threads(): number {
    return this.workers.length;
  }

  /** Starts up to `threads` workers for `replicas` replicas (never one without a replica). The engine must be portable. */
  static async start(o: { replicas: number; threads: number; engine: Engine; weights: readonly LayerWeight[]; slotCount: number }): Promise<ReplicaPool> {
    const { portable } = o.engine;
    if (!portable) throw new Error(`engine '${o.engine.name}' cannot run on worker threads`);
    const R = o.replicas;
    const per = Math.ceil(R / Math.max(1, Math.min(o.threads, R)));
    const blocks = Array.from({ length: Math.ceil(R / per) }, (_, w) => Array.from({ length: Math.min(R, (w + 1) * per) - w * per }, (_, i) => w * per + i));
    const url = new URL('./replica-worker.ts', import.meta.url);
    const started = await Promise.allSettled(blocks.map(() => WorkerRpc.start<ReplicaRequestBody>(url, { marker: REPLICA_WORKER_MARKER })));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((w) => w.close()));
      throw failed.reason;
    }
    return new ReplicaPool(workers, blocks, (m) => portable.call(o.engine, m), o.weights, o.slotCount);
  }

  /** Gives each worker its block of `states` (copied); before any plan. */
  async setStates(states: readonly ReplicaState[]): Promise<void> {
    await this.all((w) => ({ type: 'states', states: this.blocks[w]!.map((r) => states[r]!) }));
  }

  async plan(step: TrainStep): Promise<PlanHandle> {
    let h = this.plans.get(step);
    if (h) return h;
    const ids = { grad: await this.load(step.grad), update: await this.load(step.update) };
    const plan = planOf(step, this.weights, ids, this.slotCount);
    const n = sumsLength(plan);
    const R = this.blocks.reduce((a, b) => a + b.length, 0);
    const buffer = new SharedArrayBuffer(R * n * Float32Array.BYTES_PER_ELEMENT);
    h = { plan, sums: Array.from({ length: R }, (_, r) => new Float32Array(buffer, r * n * Float32Array.BYTES_PER_ELEMENT, n)) };
    const id = this.planCount++;
    await this.all((w) => ({ type: 'plan', plan: id, spec: plan, sums: buffer, first: this.blocks[w]![0]! }));
    this.plans.set(step, h);
    this.planIds.set(h, id);
    return h;
  }

  private planId(h: PlanHandle): number {
    const id = this.planIds.get(h);
    if (id === undefined) throw new Error('replica pool: a plan of another executor');
    return id;
  }

  async grad(h: PlanHandle, shards: readonly Shard[], noise: number): Promise<ReplicaScalars> {
    const plan = this.planId(h);
    const replies = await this.all((w) => {
      const mine = this.blocks[w]!.map((r) => shards[r]!);
      const x = join(mine.map((s) => s.x));
      const y = join(mine.map((s) => s.y));
      return [{ type: 'grad', plan, x, y, noise }, [x.buffer as ArrayBuffer, y.buffer as ArrayBuffer]];
    });
    return merge(replies as ReplicaScalars[]);
  }

  async update(h: PlanHandle, rate: number): Promise<number[]> {
    const plan = this.planId(h);
    return ((await this.all(() => ({ type: 'update', plan, rate }))) as number[][]).flat();
  }

  async evaluate(m: HloModule, shards: readonly Shard[]): Promise<ReplicaScalars> {
    const module = await this.load(m);
    const busy = this.blocks.map((b) => b.filter((r) => r < shards.length)).filter((b) => b.length > 0);
    const replies = await Promise.all(
      busy.map((b, w) => {
        const x = join(b.map((r) => shards[r]!.x));
        const y = join(b.map((r) => shards[r]!.y));
        return this.workers[w]!.request({ type: 'evaluate', module, x, y, count: b.length }, [x.buffer as ArrayBuffer, y.buffer as ArrayBuffer]);
      }),
    );
    return merge(replies as ReplicaScalars[]);
  }

  async states(): Promise<ReplicaState[]> {
    return ((await this.all(() => ({ type: 'read-states' }))) as ReplicaState[][]).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  /** Makes a module runnable on every worker (once); its id. */
  private async load(m: HloModule): Promise<number> {
    const { id, fresh } = this.ids.of(m);
    if (fresh) {
      const portable = this.portable(m);
      await this.all(() => ({ type: 'module', module: id, portable }));
    }
    return id;
  }

  /** One request per worker; replies in worker order. A body may come with buffers to move. */
  private all(body: (worker: number) => ReplicaRequestBody | [ReplicaRequestBody, ArrayBuffer[]]): Promise<unknown[]> {
    return Promise.all(
      this.workers.map((rpc, w) => {
        const b = body(w);
        return Array.isArray(b) ? rpc.request(b[0], b[1]) : rpc.request(b);
      }),
    );
  }
}

/** Concatenates consecutive shards into a fresh buffer (its own, so it can be moved). */
function join(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Per-replica scalars of consecutive blocks, in replica order. */
function merge(parts: readonly ReplicaScalars[]): ReplicaScalars {
  return { loss: parts.flatMap((p) => p.loss), correct: parts.flatMap((p) => p.correct), seconds: parts.flatMap((p) => p.seconds) };
}
