/**
 * @module data/interleave
 * `interleave`: many inner datasets read in a round-robin cycle, deterministic or as-ready.
 * Imports nothing of ours but ./transforms (for prefetch).
 *
 * Deterministic (TensorFlow's documented order): `cycleLength` slots; each turn takes up to
 * `blockLength` elements from one slot; a slot that runs dry is refilled with the next input
 * element when its turn next comes. Non-deterministic: every open slot reads ahead and the
 * first element ready is emitted (fast, but the order depends on timing).
 */
import { prefetch, type Source } from './transforms.ts';

/** Options of {@link interleave}. */
export interface InterleaveOptions {
  /** How many inner datasets are open at once (default 1). */
  readonly cycleLength?: number;
  /** Elements taken from one inner dataset per turn (default 1). */
  readonly blockLength?: number;
  /** Keep TensorFlow's round-robin order (default true). */
  readonly deterministic?: boolean;
  /** Elements each open inner dataset reads ahead (default 0: none; deterministic only). */
  readonly readAhead?: number;
}

/** Round-robin interleave of the datasets `fn` makes from each input element. */
export function interleave<T, U>(src: Source<T>, fn: (x: T) => Source<U>, opts: InterleaveOptions = {}): Source<U> {
  const cycle = Math.max(1, opts.cycleLength ?? 1);
  const block = Math.max(1, opts.blockLength ?? 1);
  if (opts.deterministic === false) return { [Symbol.asyncIterator]: () => racing(src, fn, cycle) };
  const ahead = opts.readAhead ?? 0;
  const open = ahead > 0 ? (x: T) => prefetch(fn(x), ahead)[Symbol.asyncIterator]() : (x: T) => fn(x)[Symbol.asyncIterator]();
  return { [Symbol.asyncIterator]: () => roundRobin(src, open, cycle, block) };
}

async function* roundRobin<T, U>(src: Source<T>, open: (x: T) => AsyncIterator<U>, cycle: number, block: number): AsyncGenerator<U> {
  const input = src[Symbol.asyncIterator]();
  const slots: (AsyncIterator<U> | undefined)[] = new Array(cycle).fill(undefined);
  let inputDone = false;
  try {
    for (let i = 0; ; i = (i + 1) % cycle) {
      if (slots[i] === undefined && !inputDone) {
        const r = await input.next();
        if (r.done) inputDone = true;
        else slots[i] = open(r.value);
      }
      const it = slots[i];
      if (it !== undefined) {
        for (let k = 0; k < block; k++) {
          const r = await it.next();
          if (r.done) {
            slots[i] = undefined;
            break;
          }
          yield r.value;
        }
      }
      if (inputDone && slots.every((s) => s === undefined)) return;
    }
  } finally {
    await Promise.all(slots.map((s) => s?.return?.()));
    await input.return?.();
  }
}

async function* racing<T, U>(src: Source<T>, fn: (x: T) => Source<U>, cycle: number): AsyncGenerator<U> {
  const input = src[Symbol.asyncIterator]();
  const open = new Map<number, { it: AsyncIterator<U>; next: Promise<{ id: number; r: IteratorResult<U> }> }>();
  let inputDone = false;
  let nextId = 0;
  const pull = (id: number, it: AsyncIterator<U>) => it.next().then((r) => ({ id, r }));
  try {
    for (;;) {
      while (!inputDone && open.size < cycle) {
        const r = await input.next();
        if (r.done) inputDone = true;
        else {
          const id = nextId++;
          const it = fn(r.value)[Symbol.asyncIterator]();
          open.set(id, { it, next: pull(id, it) });
        }
      }
      if (open.size === 0) return;
      const { id, r } = await Promise.race([...open.values()].map((s) => s.next));
      const slot = open.get(id)!;
      if (r.done) open.delete(id);
      else {
        slot.next = pull(id, slot.it);
        yield r.value;
      }
    }
  } finally {
    await Promise.all([...open.values()].map((s) => s.it.return?.()));
    await input.return?.();
  }
}
