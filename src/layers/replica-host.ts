/**
 * @module layers/replica-host
 * Which host threads run a trainer's replicas, and the host's copies of their state.
 *
 * Outside fit every replica runs on the calling thread (`LocalReplicas`, over the host
 * copies; replica 0's weights are the model's). During fit a strategy with more than one
 * thread moves them to a `ReplicaPool`:
 * - `threads: N` (N > 1): the workers start when fit starts (while the first step compiles)
 *   and every step runs on them;
 * - `threads: 'auto'` (the default): steps run on the calling thread until one takes at
 *   least the strategy's `autoThreadsStepSeconds` (0.25 s by default) of host time; then, if
 *   the host has at least 2 idle CPUs (`spareThreads`), workers start in the background,
 *   and the first step after they are ready moves the replicas there. Tiny models never pay
 *   the workers' start-up (about a second); big ones on an idle host soon run in parallel;
 *   on a host busy with other work, where workers would only split this process's share
 *   of the CPUs, everything stays on the main thread.
 * Either way the bits are the same (./replica-pool.ts), so the switch is invisible in the
 * results. While the replicas are on workers, the host copies and the model's weights are
 * refreshed by `sync` (fit calls it at every epoch end) and when fit ends.
 *
 * Imports ./replica-pool, ./replicas (types), ./engine (type), ./model (type).
 */
import type { Engine } from './engine.ts';
import type { Model } from './model.ts';
import { LocalReplicas, ReplicaPool, type ReplicaExecutor } from './replica-pool.ts';
import type { ReplicaState } from './replicas.ts';

/** What a ReplicaHost needs to know. */
export interface ReplicaHostOptions {
  readonly model: Model;
  readonly engine: Engine;
  readonly replicas: number;
  /** Optimizer slots per trained weight. */
  readonly slotCount: number;
  /** Most host threads to use (1: never start workers). */
  readonly threads: number;
  /** Start the workers only once a step proves long enough (see the module doc). */
  readonly auto: boolean;
  /** With `auto`: the host seconds of a main-thread step that start the workers. */
  readonly autoStepSeconds: number;
  /** With `auto`: host threads that could run now (fewer than 2: stay on the calling thread). */
  readonly spareThreads: () => number;
}

/** The replicas of one trainer and where they run. */
export class ReplicaHost {
  private host: ReplicaState[] | undefined;
  private local: LocalReplicas | undefined;
  private starting: Promise<ReplicaPool> | undefined;
  /** The started pool, once ready. */
  private pool: ReplicaPool | undefined;
  /** The replicas live on the pool (their states were moved there). */
  private onPool = false;
  private used = 1;

  constructor(private readonly o: ReplicaHostOptions) {}

  /** Host copies of the replicas' states, made from the model's weights on first use. */
  states(): ReplicaState[] {
    this.host ??= Array.from({ length: this.o.replicas }, (_, r) => ({
      weights: this.o.model.weights.map((w) => (r === 0 ? w.value! : w.value!.slice())),
      slots: this.o.model.weights.map(() => []),
    }));
    return this.host;
  }

  /** Drops the host copies (the model's weights were replaced); workers get the new ones at the next step. */
  reset(): void {
    this.host = undefined;
    this.local = undefined;
    this.onPool = false;
  }

  /** True while the replicas live on worker threads (the model's weights lag until `sync`). */
  get onWorkers(): boolean {
    return this.onPool;
  }

  /** Host threads running the replicas now. */
  get threads(): number {
    return this.onPool ? this.pool!.threads : 1;
  }

  /** True once started workers are ready (they take over at the next step). */
  get workersReady(): boolean {
    return this.pool !== undefined;
  }

  /** The most host threads that ran steps since the last `beginFit`. */
  get threadsUsed(): number {
    return this.used;
  }

  /** Where the next step runs (moving the replicas to the workers when they are ready, or must be waited for). */
  async executor(): Promise<ReplicaExecutor> {
    // NOTE: steps on this thread are synchronous work between microtasks; without a turn of
    // the event loop the workers' "ready" messages would wait until fit ends.
    if (this.starting && !this.pool && this.o.auto) await new Promise((resolve) => setImmediate(resolve));
    if (this.starting && (this.onPool || this.pool || !this.o.auto)) {
      const pool = await this.starting;
      if (!this.onPool) {
        await pool.setStates(this.states());
        this.onPool = true;
        this.local = undefined;
        this.used = Math.max(this.used, pool.threads);
      }
      return pool;
    }
    return (this.local ??= new LocalReplicas(this.states(), this.o.engine, this.o.model.weights, this.o.slotCount));
  }

  /** Fit starts: with a fixed thread count above 1, start the workers now (not awaited). */
  beginFit(): void {
    this.used = 1;
    if (!this.o.auto) this.start();
  }

  /** A step took `hostSeconds`; with 'auto', a long one on this thread starts the workers. */
  noteStep(hostSeconds: number): void {
    if (this.o.auto && !this.onPool && hostSeconds >= this.o.autoStepSeconds) this.start();
  }

  /** Copies the workers' states to the host and the model (no-op when the replicas are here). */
  async sync(): Promise<void> {
    if (!this.onPool) return;
    this.host = await this.pool!.states();
    this.local = undefined;
    this.publish();
  }

  /** The model's weights are replica 0's. */
  publish(): void {
    const w0 = this.states()[0]!.weights;
    this.o.model.weights.forEach((w, i) => (w.value = w0[i]!));
  }

  /** Syncs (when `sync`) and stops the workers; a no-op without them. */
  async endFit(sync: boolean): Promise<void> {
    const starting = this.starting;
    if (!starting) return;
    try {
      if (sync) await this.sync();
    } finally {
      [this.starting, this.pool, this.onPool] = [undefined, undefined, false];
      await starting.then((p) => p.close(), () => undefined);
    }
  }

  private start(): void {
    const threads = Math.min(this.o.threads, this.o.replicas, this.o.auto ? this.o.spareThreads() : Infinity);
    if (this.starting || threads < 2 || !this.o.engine.portable) return;
    const o = { replicas: this.o.replicas, threads, engine: this.o.engine, weights: this.o.model.weights, slotCount: this.o.slotCount };
    this.starting = ReplicaPool.start(o).then((p) => (this.pool = p));
    this.starting.catch(() => undefined); // a start-up failure is reported where the pool is awaited
  }
}
