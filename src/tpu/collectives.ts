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

/** The alpha-beta model of the all-reduce time (s). */
export function allReduceModelSeconds(bytes: number, dims: readonly number[], link: LinkConfig): number {
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
  readonly link: LinkConfig;
  readonly data: Float32Array[] | null;
  /** Per node: segment stack [lo, hi) (top = current). */
  readonly segments: [number, number][][];
  /** Per node: time its current data is complete. */
  readonly ready: Float64Array;
  /** Per node and dim: time its outgoing link is free. */
  readonly linkFree: Float64Array;
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
  for (const ring of rings(st.dims, dim)) {
    const parent = kind === 'reduce-scatter' ? st.segments[ring[0]!]!.at(-1)! : st.segments[ring[0]!]!.at(-2)!;
    let recvAt = ring.map((node) => st.ready[node]!);
    for (let s = 0; s < n - 1; s++) {
      const next = new Array<number>(n);
      const sends: { to: number; lo: number; msg: Float32Array | null }[] = [];
      for (let p = 0; p < n; p++) {
        const j = (((kind === 'reduce-scatter' ? p - s : p + 1 - s) % n) + n) % n;
        const [lo, hi] = chunkBounds(parent[0], parent[1], n, j);
        const from = ring[p]!;
        const bytes = 4 * (hi - lo);
        const linkId = from * st.dims.length + dim;
        const start = Math.max(recvAt[p]!, st.linkFree[linkId]!);
        st.linkFree[linkId] = start + bytes / bytesPerSecond;
        next[(p + 1) % n] = start + bytes / bytesPerSecond + latencySeconds;
        st.messages++;
        st.linkBytes += bytes;
        sends.push({ to: ring[(p + 1) % n]!, lo, msg: st.data ? st.data[from]!.slice(lo, hi) : null });
      }
      for (const { to, lo, msg } of sends) {
        if (!msg) continue;
        const own = st.data![to]!;
        if (kind === 'all-gather') own.set(msg, lo);
        else accumulate(own, msg, lo);
      }
      recvAt = next;
    }
    ring.forEach((node, p) => {
      st.ready[node] = recvAt[p]!;
      if (kind === 'reduce-scatter') st.segments[node]!.push(chunkBounds(parent[0], parent[1], n, (p + 1) % n));
      else st.segments[node]!.pop();
    });
  }
}

function simulate(values: number, dims: readonly number[], link: LinkConfig, data: Float32Array[] | null): AllReduceTiming {
  const nodes = dims.reduce((a, b) => a * b, 1);
  for (const n of dims) if (!Number.isSafeInteger(n) || n < 1) throw new CollectiveError(`all-reduce: ring sizes must be positive integers, got [${dims.join(', ')}]`);
  if (!Number.isSafeInteger(values) || values < 1) throw new CollectiveError(`all-reduce: buffer must hold a positive integer number of values, got ${values}`);
  const st: State = {
    dims,
    link,
    data,
    segments: Array.from({ length: nodes }, () => [[0, values] as [number, number]]),
    ready: new Float64Array(nodes),
    linkFree: new Float64Array(nodes * dims.length),
    messages: 0,
    linkBytes: 0,
  };
  for (let d = 0; d < dims.length; d++) phase(st, d, 'reduce-scatter');
  for (let d = dims.length - 1; d >= 0; d--) phase(st, d, 'all-gather');
  return {
    seconds: st.ready.reduce((a, b) => Math.max(a, b), 0),
    messages: st.messages,
    linkBytes: st.linkBytes,
    hops: dims.reduce((h, n) => h + 2 * (n - 1), 0),
  };
}

/**
 * Sums `buffers` (one per core, node order as in the module doc) in place: every buffer
 * ends with the same bits. Returns the simulated time.
 * @example allReduce([new Float32Array([1]), new Float32Array([2])], [2], DEFAULT_LINK_CONFIG) // both hold [3]
 */
export function allReduce(buffers: readonly Float32Array[], dims: readonly number[], link: LinkConfig): AllReduceTiming {
  const nodes = dims.reduce((a, b) => a * b, 1);
  if (buffers.length !== nodes) throw new CollectiveError(`all-reduce: ${buffers.length} buffers for ${nodes} cores (dims [${dims.join(', ')}])`);
  const values = buffers[0]!.length;
  buffers.forEach((b, i) => {
    if (b.length !== values) throw new CollectiveError(`all-reduce: core ${i}'s buffer has ${b.length} values, core 0's has ${values}`);
  });
  return simulate(values, dims, link, [...buffers]);
}

/** The same all-reduce's time without moving data (for pod sizes). */
export function allReduceTiming(values: number, dims: readonly number[], link: LinkConfig): AllReduceTiming {
  return simulate(values, dims, link, null);
}
