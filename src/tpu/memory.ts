/**
 * @module tpu/memory
 * A TensorCore memory (HBM or vector memory): named f32 buffers with a capacity. Imports
 * nothing of ours.
 *
 * Allocation is by size only (no addresses, no fragmentation): a buffer fits while the sum
 * of live buffers stays within capacity. Data is created lazily on first access, so a
 * timing-only run of a big program never touches host memory for it.
 * Invariant: `usedBytes` == sum of live buffers' bytes <= `capacityBytes`.
 */

/** Which memory of a core. */
export type MemoryKind = 'hbm' | 'vmem';

/** Bytes per stored value (f32). */
export const BYTES_PER_VALUE = 4;

/** A buffer does not fit: names the buffer, the memory, and both sizes. */
export class OutOfMemoryError extends Error {
  override readonly name = 'OutOfMemoryError';
  readonly userFacing = true;
}

/** A buffer is missing or used wrongly: names it. */
export class BufferError extends Error {
  override readonly name = 'BufferError';
  readonly userFacing = true;
}

interface Buffer {
  readonly values: number;
  data: Float32Array | null;
  /** A view's storage: the buffer whose first `values` values it is. */
  readonly of?: string;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${bytes} bytes (${v.toFixed(u === 0 ? 0 : 2)} ${units[u]})`;
}

/** One memory of one core. */
export class Memory {
  private readonly buffers = new Map<string, Buffer>();
  /** Bytes held by live buffers. */
  usedBytes = 0;

  constructor(
    /** Which memory this is. */
    readonly kind: MemoryKind,
    /** Capacity (bytes). */
    readonly capacityBytes: number,
    /** Label for errors, e.g. 'core 3'. */
    readonly owner = 'core',
  ) {}

  /**
   * Reserves a buffer of `values` f32 values; throws OutOfMemoryError naming the buffer and
   * both sizes when it does not fit.
   */
  allocate(name: string, values: number): void {
    if (!Number.isSafeInteger(values) || values < 1) throw new BufferError(`buffer '${name}': size must be a positive integer of values, got ${values}`);
    if (this.buffers.has(name)) throw new BufferError(`buffer '${name}' is already allocated in ${this.owner} ${this.kind}`);
    const bytes = values * BYTES_PER_VALUE;
    const free = this.capacityBytes - this.usedBytes;
    if (bytes > free) {
      throw new OutOfMemoryError(
        `${this.owner} ${this.kind}: buffer '${name}' needs ${formatBytes(bytes)} but only ${formatBytes(free)} of ${formatBytes(this.capacityBytes)} are free`,
      );
    }
    this.buffers.set(name, { values, data: null });
    this.usedBytes += bytes;
  }

  /**
   * Declares `name` as a view of the first `values` values of live buffer `of` (no new
   * storage: it does not count against capacity). Free views before their storage.
   */
  view(name: string, of: string, values: number): void {
    const base = this.get(of);
    if (base.of !== undefined || values > base.values || !Number.isSafeInteger(values) || values < 1) throw new BufferError(`view '${name}' of ${values} values does not fit in '${of}' (${base.values} values) in ${this.owner} ${this.kind}`);
    if (this.buffers.has(name)) throw new BufferError(`buffer '${name}' is already allocated in ${this.owner} ${this.kind}`);
    this.buffers.set(name, { values, data: null, of });
  }

  /** Releases a buffer (or a view). */
  free(name: string): void {
    const b = this.get(name);
    this.buffers.delete(name);
    if (b.of === undefined) this.usedBytes -= b.values * BYTES_PER_VALUE;
  }

  /** Whether a buffer of that name is live here. */
  has(name: string): boolean {
    return this.buffers.has(name);
  }

  /** Number of values in a buffer. */
  size(name: string): number {
    return this.get(name).values;
  }

  /** The buffer's data (zeros until written), created on first access; a view's is its storage's prefix. */
  data(name: string): Float32Array {
    const b = this.get(name);
    b.data ??= b.of === undefined ? new Float32Array(b.values) : this.data(b.of).subarray(0, b.values);
    return b.data;
  }

  private get(name: string): Buffer {
    const b = this.buffers.get(name);
    if (!b) throw new BufferError(`no buffer '${name}' in ${this.owner} ${this.kind}`);
    return b;
  }
}
