/**
 * @module tpu/collectives
 * All-reduce (sum) across cores as real data movement over the interconnect, its simulated
 * time, a timing-only twin for pod sizes, and the alpha-beta model it is checked against.
 * Imports bfloat16 (addF32) and ./config.
 *
 * ## Layout
 * Cores sit on a D-dimensional torus of rings `dims` (node index = i0 + n0 * (i1 + n1 * ...)):
 * a board ring is [cores]; a pod of x by y chips is [x * coresPerChip, y] (the x ring threads
 * through both cores of each chip). Every node has one outgoing link per dimension, to its
 * +1 neighbour, with the configured bandwidth and per-hop latency. (A v2 chip has 4 links
 * for its 2 cores: one +x and one +y link per core, which is this model.)
 *
 * ## Algorithm (this defines the summation order, hence the bits)
 * Reduce-scatter along dim 0, then dim 1, ...; then all-gather along the dims in reverse.
 * Along a dim of size n, every ring's nodes hold the same segment [lo, hi) of the buffer,
 * cut into n chunks, chunk j = [lo + floor(j len / n), lo + floor((j + 1) len / n)).
 * - reduce-scatter, steps s = 0 .. n-2: position p sends chunk (p - s) mod n to p + 1, which
 *   sets own = f32(received + own). So chunk j is summed in ring order starting at position
 *   j: ((x_j + x_{j+1}) + x_{j+2}) + ... + x_{j-1}, each add rounded to f32; position p ends
 *   owning chunk (p + 1) mod n, which becomes its segment for the next dim.
 * - all-gather, steps s = 0 .. n-2: position p sends chunk (p + 1 - s) mod n to p + 1, which
 *   copies it. Every node ends with the same bits (the finished sums are copied, never
 *   recomputed). Error: each value is a sum of N = prod(dims) terms in a tree of depth
 *   sum(n_d - 1), so |result - exact| <= sum(n_d - 1) * 2^-24 * sum|x| (to first order).
 *
 * ## Time
 * Event-driven per message: a message leaves when its data is ready (the sender received
 * the previous step's chunk, or finished the previous phase) and its link is free; it
 * occupies the link for bytes / bandwidth and arrives one latency later. The add of a
 * received chunk is not charged (one VPU add per vreg, far faster than the link).
 * For equal chunks this gives exactly the alpha-beta model
 *   sum over dims d of  2 (n_d - 1) / n_d * bytes_d / bandwidth + 2 (n_d - 1) * latency,
 * bytes_d = bytes / (n_0 ... n_{d-1}); for one ring, 2 (n - 1) / n * bytes / bw + hops * latency
 * with hops = 2 (n - 1). Timing-only mode runs the same events without data.
 * The `bidirectional` option (off by default) sends the second half of the buffer the other
 * way round every ring and over the dims in reverse order, so both directions of every link
 * carry data at once; its time is the slower half's alpha-beta time.
 */
import { addF32 } from '../bfloat16/index.ts';
import type { LinkConfig, Topology } from './config.ts';

/** Result of an all-reduce. */
export interface AllReduceTiming {
  /** Simulated time (s). */
  readonly seconds: number;
  /** Point-to-point messages sent. */
  readonly messages: number;
  /** Bytes summed over all links. */
  readonly linkBytes: number;
  /** Hops on the critical path: sum of 2 (n_d - 1). */
  readonly hops: number;
}

/** Bad all-reduce arguments: names what is wrong. */
export class CollectiveError extends Error {
  override readonly name = 'CollectiveError';
  readonly userFacing = true;
}

/** The torus dims of a topology: ring [cores]; torus of x by y chips [x * coresPerChip, y]. */
export function topologyDims(topology: Topology, coresPerChip: number): number[] {
  return topology.kind === 'ring' ? [topology.cores] : [topology.x * coresPerChip, topology.y];
}

/** Options of an all-reduce. */
export interface AllReduceOptions {
  /**
   * Use both directions of every link: the first half of the buffer runs the algorithm
   * above; the second half runs it on the reversed rings (position p sends to p - 1) and
   * over the dims in reverse order, on the links of the other direction. Halves the
   * bandwidth term; a different (but still fixed) summation order for the second half.
   * Default false.
   */
  readonly bidirectional?: boolean;
  /**
   * Called after every step of every ring (for pictures, e.g. `tpusim viz`): which chunks
   * moved and when; the buffers already hold that step's result. Default: none.
   */
  readonly observe?: (step: AllReduceStep) => void;
}

/** One step of one ring of an all-reduce, as `AllReduceOptions.observe` sees it. */
export interface AllReduceStep {
  readonly dim: number;
  readonly kind: 'reduce-scatter' | 'all-gather';
  /** Step within the phase, 0 .. n-2. */
  readonly step: number;
  /** The messages of this step: chunk j = values [lo, hi) from core `from` to core `to`, times in s. */
  readonly messages: readonly { from: number; to: number; chunk: number; lo: number; hi: number; startSeconds: number; arriveSeconds: number }[];
}

/** The alpha-beta model of the all-reduce time (s); bidirectional: the slower of the two halves. */
export function allReduceModelSeconds(bytes: number, dims: readonly number[], link: LinkConfig, options: AllReduceOptions = {}): number {
  if (options.bidirectional) {
    return Math.max(allReduceModelSeconds(bytes / 2, dims, link), allReduceModelSeconds(bytes / 2, [...dims].reverse(), link));
  }
  let seconds = 0;
  let share = bytes;
  for (const n of dims) {
    seconds += ((2 * (n - 1)) / n) * (share / link.bytesPerSecond) + 2 * (n - 1) * link.latencySeconds;
    share /= n;
  }
  return seconds;
}

interface State {
  readonly dims: readonly number[];
  /** +1: position p sends to p + 1; -1: to p - 1 (the other direction of every link). */
  readonly dir: 1 | -1;
  readonly link: LinkConfig;
  readonly data: Float32Array[] | null;
  /** Per node: segment stack [lo, hi) (top = current). */
  readonly segments: [number, number][][];
  /** Per node: time its current data is complete. */
  readonly ready: Float64Array;
  /** Per node, dim and direction: time its outgoing link is free. */
  readonly linkFree: Float64Array;
  readonly observe: AllReduceOptions['observe'];
  messages: number;
  linkBytes: number;
}

/** Nodes of every ring along `dim`, each listed by position. */
function rings(dims: readonly number[], dim: number): number[][] {
  const total = dims.reduce((a, b) => a * b, 1);
  const stride = dims.slice(0, dim).reduce((a, b) => a * b, 1);
  const n = dims[dim]!;
  const out: number[][] = [];
  for (let node = 0; node < total; node++) {
    if (Math.floor(node / stride) % n !== 0) continue; // node is position 0 of its ring
    out.push(Array.from({ length: n }, (_, p) => node + p * stride));
  }
  return out;
}

const chunkBounds = (lo: number, hi: number, n: number, j: number): [number, number] => [
  lo + Math.floor((j * (hi - lo)) / n),
  lo + Math.floor(((j + 1) * (hi - lo)) / n),
];

// NOTE: bound once to a local: tsx and vitest compile imports to getter calls on a module
// object, and a getter per element made this loop ~20x slower.
const add = addF32;

/** own[lo + i] = f32(msg[i] + own[lo + i]): the reduce-scatter's add (a small function so V8 optimizes it alone). */
function accumulate(own: Float32Array, msg: Float32Array, lo: number): void {
  const n = msg.length;
  for (let i = 0; i < n; i++) own[lo + i] = add(msg[i]!, own[lo + i]!);
}

/** Runs one phase (reduce-scatter or all-gather) along one dim for every ring. */
function phase(st: State, dim: number, kind: 'reduce-scatter' | 'all-gather'): void {
  const n = st.dims[dim]!;
  if (n === 1) return;
  const { bytesPerSecond, latencySeconds } = st.link;
  for (const forward of rings(st.dims, dim)) {
    // reversed ring: position p's next is the node before it in the forward ring
    const ring = st.dir === 1 ? forward : [forward[0]!, ...forward.slice(1).reverse()];
    const parent = kind === 'reduce-scatter' ? st.segments[ring[0]!]!.at(-1)! : st.segments[ring[0]!]!.at(-2)!;
    let recvAt = ring.map((node) => st.ready[node]!);
    for (let s = 0; s < n - 1; s++) {
      const next = new Array<number>(n);
      const sends: { to: number; lo: number; msg: Float32Array | null }[] = [];
      const seen: AllReduceStep['messages'][number][] = [];
      for (let p = 0; p < n; p++) {
        const j = (((kind === 'reduce-scatter' ? p - s : p + 1 - s) % n) + n) % n;
        const [lo, hi] = chunkBounds(parent[0], parent[1], n, j);
        const from = ring[p]!;
        const bytes = 4 * (hi - lo);
        const linkId = (from * st.dims.length + dim) * 2 + (st.dir === 1 ? 0 : 1);
        const start = Math.max(recvAt[p]!, st.linkFree[linkId]!);
        st.linkFree[linkId] = start + bytes / bytesPerSecond;
        next[(p + 1) % n] = start + bytes / bytesPerSecond + latencySeconds;
        st.messages++;
        st.linkBytes += bytes;
        sends.push({ to: ring[(p + 1) % n]!, lo, msg: st.data ? st.data[from]!.slice(lo, hi) : null });
        if (st.observe) seen.push({ from, to: ring[(p + 1) % n]!, chunk: j, lo, hi, startSeconds: start, arriveSeconds: next[(p + 1) % n]! });
      }
      for (const { to, lo, msg } of sends) {
        if (!msg) continue;
        const own = st.data![to]!;
        if (kind === 'all-gather') own.set(msg, lo);
        else accumulate(own, msg, lo);
      }
      st.observe?.({ dim, kind, step: s, messages: seen });
      recvAt = next;
    }
    ring.forEach((node, p) => {
      st.ready[node] = recvAt[p]!;
      if (kind === 'reduce-scatter') st.segments[node]!.push(chunkBounds(parent[0], parent[1], n, (p + 1) % n));
      else st.segments[node]!.pop();
    });
  }
}

/** One run of the algorithm on the state's segment, reduce-scatter over dims in `order`, all-gather back. */
function runPart(st: State, order: readonly number[]): void {
  for (const d of order) phase(st, d, 'reduce-scatter');
  for (const d of [...order].reverse()) phase(st, d, 'all-gather');
}

function simulate(
  values: number,
  dims: readonly number[],
  link: LinkConfig,
  data: Float32Array[] | null,
  options: AllReduceOptions,
): AllReduceTiming {
  const nodes = dims.reduce((a, b) => a * b, 1);
  for (const n of dims) if (!Number.isSafeInteger(n) || n < 1) throw new CollectiveError(`all-reduce: ring sizes must be positive integers, got [${dims.join(', ')}]`);
  if (!Number.isSafeInteger(values) || values < 1) throw new CollectiveError(`all-reduce: buffer must hold a positive integer number of values, got ${values}`);
  const linkFree = new Float64Array(nodes * dims.length * 2);
  const order = dims.map((_, d) => d);
  const parts: { lo: number; hi: number; dir: 1 | -1; order: readonly number[] }[] = options.bidirectional
    ? [
        { lo: 0, hi: values >> 1, dir: 1, order },
        { lo: values >> 1, hi: values, dir: -1, order: [...order].reverse() },
      ]
    : [{ lo: 0, hi: values, dir: 1, order }];
  let [seconds, messages, linkBytes] = [0, 0, 0];
  for (const part of parts) {
    if (part.hi === part.lo) continue;
    const st: State = {
      dims,
      dir: part.dir,
      link,
      data,
      segments: Array.from({ length: nodes }, () => [[part.lo, part.hi] as [number, number]]),
      ready: new Float64Array(nodes),
      linkFree,
      observe: options.observe,
      messages: 0,
      linkBytes: 0,
    };
    runPart(st, part.order);
    seconds = Math.max(seconds, st.ready.reduce((a, b) => Math.max(a, b), 0));
    messages += st.messages;
    linkBytes += st.linkBytes;
  }
  return { seconds, messages, linkBytes, hops: dims.reduce((h, n) => h + 2 * (n - 1), 0) };
}

/**
 * Sums `buffers` (one per core, node order as in the module doc) in place: every buffer
 * ends with the same bits. Returns the simulated time.
 * @example allReduce([new Float32Array([1]), new Float32Array([2])], [2], DEFAULT_LINK_CONFIG) // both hold [3]
 */
export function allReduce(
  buffers: readonly Float32Array[],
  dims: readonly number[],
  link: LinkConfig,
  options: AllReduceOptions = {},
): AllReduceTiming {
  const nodes = dims.reduce((a, b) => a * b, 1);
  if (buffers.length !== nodes) throw new CollectiveError(`all-reduce: ${buffers.length} buffers for ${nodes} cores (dims [${dims.join(', ')}])`);
  const values = buffers[0]!.length;
  buffers.forEach((b, i) => {
    if (b.length !== values) throw new CollectiveError(`all-reduce: core ${i}'s buffer has ${b.length} values, core 0's has ${values}`);
  });
  return simulate(values, dims, link, [...buffers], options);
}

/** The same all-reduce's time without moving data (for pod sizes). */
export function allReduceTiming(values: number, dims: readonly number[], link: LinkConfig, options: AllReduceOptions = {}): AllReduceTiming {
  return simulate(values, dims, link, null, options);
}
