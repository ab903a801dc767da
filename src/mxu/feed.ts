/**
 * @module mxu/feed
 * The address pattern of the MXU's streamed operand: how A[M, K] is read out of a buffer in
 * vector memory instead of from a dense row-major [M, K] copy. On a TPU the convolution
 * emitter streams windows of the activation from vector memory into the array through such
 * an address generator, so im2col patches are never written anywhere; this is that
 * generator. The array itself sees exactly the same A, so values and cycles are those of a
 * matmul of the same shape.
 *
 * Imports nothing of ours.
 *
 * ## The pattern
 *   A[m, k] = src[offset + address(rows, rowStart + m) + address(cols, colStart + k)]
 * where address(digits, i) writes i in mixed radix over the digits' counts (outermost first)
 * and sums digit x stride. For a convolution of a padded block x [B, H, W, C] with a KH x KW
 * window and strides (sh, sw), rows are (b, oh, ow) with strides (H*W*C, sh*W*C, sw*C) and
 * columns are (kh, kw, c) with strides (W*C, C, 1): the contraction order (kh, kw, c) of the
 * im2col definition in xla/ops/linalg.ts.
 * Invariants (checkFeed): counts >= 1, strides >= 0, rowStart + M <= prod(row counts),
 * colStart + K <= prod(col counts), and every address of the whole digit space lies in src.
 */

/** One mixed-radix digit of a row or column index: how many values it takes and how far apart they are. */
export interface FeedDigit {
  /** Values of the digit (>= 1). */
  readonly count: number;
  /** Distance in src between consecutive values of the digit (values, >= 0). */
  readonly stride: number;
}

/** How the MXU reads A[M, K] from a source buffer (see the module doc). */
export interface FeedPattern {
  /** Offset of the digit space's origin in src (values). */
  readonly offset: number;
  /** Digits of the row index, outermost first. */
  readonly rows: readonly FeedDigit[];
  /** Digits of the contraction index, outermost first. */
  readonly cols: readonly FeedDigit[];
  /** First row of the digit space that A's row 0 reads. Default 0. */
  readonly rowStart?: number;
  /** First column of the digit space that A's column 0 reads. Default 0. */
  readonly colStart?: number;
}

const product = (digits: readonly FeedDigit[]): number => digits.reduce((p, d) => p * d.count, 1);

/** The address of index i of a digit space (mixed radix, outermost digit first). */
export function feedAddress(digits: readonly FeedDigit[], index: number): number {
  let address = 0;
  let rem = index;
  for (let d = digits.length - 1; d >= 0; d--) {
    const { count, stride } = digits[d]!;
    address += (rem % count) * stride;
    rem = Math.floor(rem / count);
  }
  return address;
}

/** The largest address of a whole digit space (strides are non-negative). */
const maxAddress = (digits: readonly FeedDigit[]): number => digits.reduce((a, d) => a + (d.count - 1) * d.stride, 0);

/**
 * What is wrong with a pattern for an [m, k] operand read from `srcValues` values, or null.
 * The message names the field.
 */
export function checkFeed(p: FeedPattern, shape: { readonly m: number; readonly k: number }, srcValues: number): string | null {
  const ints = (xs: readonly number[]): boolean => xs.every((x) => Number.isSafeInteger(x) && x >= 0);
  for (const [name, digits] of [['rows', p.rows], ['cols', p.cols]] as const) {
    if (!digits.every((d) => ints([d.count, d.stride]) && d.count >= 1)) return `feed ${name}: counts must be integers >= 1 and strides integers >= 0`;
  }
  const rowStart = p.rowStart ?? 0;
  const colStart = p.colStart ?? 0;
  if (!ints([p.offset, rowStart, colStart])) return 'feed offset, rowStart and colStart must be integers >= 0';
  if (rowStart + shape.m > product(p.rows)) return `feed rows: rowStart ${rowStart} + m ${shape.m} exceeds the ${product(p.rows)} rows of the pattern`;
  if (colStart + shape.k > product(p.cols)) return `feed cols: colStart ${colStart} + k ${shape.k} exceeds the ${product(p.cols)} columns of the pattern`;
  const last = p.offset + maxAddress(p.rows) + maxAddress(p.cols);
  if (last >= srcValues) return `feed reads up to value ${last} of a ${srcValues}-value buffer`;
  return null;
}

/**
 * A as a dense row-major [M, K] array, read from src through the pattern: the plain
 * definition the fast kernel's gathering pack is tested against.
 */
export function gatherFeed(src: Float32Array, p: FeedPattern, shape: { readonly m: number; readonly k: number }): Float32Array {
  const { m, k } = shape;
  const out = new Float32Array(m * k);
  const colAddress = Int32Array.from({ length: k }, (_, j) => feedAddress(p.cols, (p.colStart ?? 0) + j));
  for (let i = 0; i < m; i++) {
    const base = p.offset + feedAddress(p.rows, (p.rowStart ?? 0) + i);
    for (let j = 0; j < k; j++) out[i * k + j] = src[base + colAddress[j]!]!;
  }
  return out;
}

/**
 * The pattern as i32 words for the WASM kernel: [rowDigits, colDigits, offset, rowStart,
 * colStart, (count, stride) per row digit, (count, stride) per column digit].
 */
export function feedWords(p: FeedPattern): Int32Array {
  const words = [p.rows.length, p.cols.length, p.offset, p.rowStart ?? 0, p.colStart ?? 0];
  for (const d of [...p.rows, ...p.cols]) words.push(d.count, d.stride);
  return Int32Array.from(words);
}
