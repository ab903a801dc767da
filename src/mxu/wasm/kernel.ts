/**
 * @module mxu/wasm/kernel
 * The MXU's functional kernel in WebAssembly SIMD (AssemblyScript, built by
 * scripts/build-wasm.mjs into build/wasm/mxu-kernel.wasm). Loaded by ../wasm-loader.ts; the
 * public entry point is ../kernel.ts `matmulFast`.
 *
 * Imports nothing. Works on linear memory laid out by the loader; never allocates. The
 * memory is imported and shared (helper threads instantiate this module on it, see
 * ../worker.ts); only `matmulChunks` uses atomics, everything else is plain single-thread
 * code on disjoint regions.
 *
 * ## Numerics (must equal ../reference.ts bit for bit)
 * Operands arrive as raw f32 and are rounded to bf16 while they are packed (`bf16x4`, the
 * rule of bfloat16's `f32BitsToBf16Bits` on four lanes: NaN -> quiet NaN of its sign;
 * exponent 0 -> signed zero when flushing; else add 0x7FFF plus the lowest kept bit and keep
 * the high 16 bits). For each output (m, n) and each row fold of R = `rows` values of k:
 *   s = +0;  for k in fold (ascending): s = f32(s + f32(a[m,k] * b[k,n]))
 *   c[m,n] = f32(c[m,n] + s)            (c starts at +0; folds in ascending order)
 * Vectorised ACROSS n only: one f32x4 lane per output column, so every lane keeps exactly
 * the scalar order above. NOTE: a multiply then a separate add, never a fused multiply-add
 * (relaxed-simd madd): a bf16 x bf16 product is exact in f32 only while it neither under- nor
 * overflows, and the spec rounds it to f32 before the add. WASM float arithmetic is IEEE
 * round-to-nearest-even with subnormals (no flush-to-zero), matching JS's Math.fround.
 * The multi-pass precisions (../reference.ts) pack each operand's bf16 pieces at once
 * (`finishRun`: bfloat16/split.ts's formulas, in the same f32 steps, instead of the entry
 * rounding), run one `matmul` per term on them, and sum the terms with `addPass` and
 * `finishPasses` in `combinePasses`' order.
 *
 * ## Memory layout (all f32, 16-byte aligned, set up by the loader)
 * - packed A: blocks of MR = 4 rows; block i holds, for each k, the 4 values a[4i..4i+3, k]
 *   (rows past M are +0). Address of (block i, k): aP + (i*K + k) * 16.
 * - packed B: panels of 8 columns (2 vectors), then, if ceil(N/4) is odd, one 4-column
 *   panel, covering ceil(N/4)*4 columns (columns past N are +0). Panel p holds, for each k, its columns'
 *   b[k, ...] contiguously. Address of (8-wide panel p, k): bP + (p*K + k) * 32.
 * - C: ceil(M/4)*4 rows of ceil(N/4)*4 columns, row-major; padding rows and columns hold
 *   values the caller drops (they may be NaN from 0 * Inf, which is harmless).
 *
 * ## Blocking
 * fold (R values of k) -> chunk of MC_BLOCKS row blocks (A chunk stays in L2) -> panel
 * (its R x 8 slice of B stays in L1) -> row block: one micro-kernel call computes a 4 x 8
 * tile's fold sum s in 8 registers and adds it into C. Several threads split a pass by row
 * chunks (`matmulChunks`); each chunk runs this same loop nest on its rows.
 * Why 4 x 8: 8 accumulators + 2 B vectors + a broadcast + a product temporary fit the 16 XMM
 * registers V8 gives WASM on x64 (it keeps one as scratch); 4 x 12 and 6 x 8 spill and were
 * slower when measured, 5 x 8, 3 x 12 and 8 x 4 too, and so was unrolling k.
 */

/** Rows of A per register block. */
const MR: i32 = 4;
/** Row blocks per cache chunk (128 rows of A x one fold: 64 KiB at R = 128). */
const MC_BLOCKS: i32 = 32;

/** First free byte of linear memory: the loader lays its buffers out from here. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * bf16(x) on four f32 bit patterns, kept as f32 (the low 16 bits zero). `flush` is all ones
 * to flush subnormal inputs to signed zero, all zeros to round them like other values.
 * NOTE: no wrap-around: only NaN patterns (|x| > 0x7F800000) could carry past the sign bit,
 * and their lanes are replaced (x != x holds exactly for them: WASM compares are IEEE).
 */
// @ts-ignore: decorator
@inline function bf16x4(x: v128, flush: v128): v128 {
  const lsb = v128.and(i32x4.shr_u(x, 16), i32x4.splat(1));
  const rounded = v128.and(i32x4.add(i32x4.add(x, i32x4.splat(0x7fff)), lsb), i32x4.splat(<i32>0xffff0000));
  const sign = v128.and(x, i32x4.splat(<i32>0x80000000));
  const isNaN = f32x4.ne(x, x);
  const isFlushed = v128.and(i32x4.eq(v128.and(x, i32x4.splat(0x7f800000)), i32x4.splat(0)), flush);
  const special = v128.or(sign, v128.and(isNaN, i32x4.splat(0x7fc00000)));
  return v128.bitselect(special, rounded, v128.or(isNaN, isFlushed));
}

/** The `flush` mask of `bf16x4` from the loader's flag (1 = flush subnormals, 0 = keep). */
// @ts-ignore: decorator
@inline function flushMask(flush: i32): v128 {
  return i32x4.splat(flush ? -1 : 0);
}

/**
 * Rounds `count` (a multiple of 4) f32 values at `p` to bf16 in place.
 * NOTE: the pack steps copy first and round the packed block after, while it is still in L1:
 * rounding four rows inside the 4 x 4 transpose kept too many vectors alive, and V8 spilled.
 */
function roundRun(p: usize, count: i32, fm: v128): void {
  const end = p + <usize>count * 4;
  for (; p < end; p += 16) v128.store(p, bf16x4(v128.load(p), fm));
}

/**
 * Truncation to bf16 on four f32 bit patterns (bfloat16/split.ts `truncateBits`): NaN ->
 * quiet NaN of its sign; exponent 0 -> signed zero when flushing; else the top 16 bits.
 */
// @ts-ignore: decorator
@inline function trunc16x4(x: v128, flush: v128): v128 {
  const sign = v128.and(x, i32x4.splat(<i32>0x80000000));
  const isNaN = f32x4.ne(x, x);
  const isFlushed = v128.and(i32x4.eq(v128.and(x, i32x4.splat(0x7f800000)), i32x4.splat(0)), flush);
  const special = v128.or(sign, v128.and(isNaN, i32x4.splat(0x7fc00000)));
  return v128.bitselect(special, v128.and(x, i32x4.splat(<i32>0xffff0000)), v128.or(isNaN, isFlushed));
}

/**
 * Finishes a packed run of `count` (a multiple of 4) raw f32 values at `p`: with `pieces` < 2
 * rounds them to bf16 in place (the default one-pass mode); with 2 or 3 splits each x into
 * the bf16 pieces of bfloat16/split.ts `splitArray`, in the same f32 steps:
 *   hi = trunc16(x); r = x - hi; (3 pieces: mid = trunc16(r); r = r - mid); lo = bf16(r)
 * hi replaces x at p, mid goes to p + pieceBytes, lo to p + (pieces - 1) * pieceBytes: the
 * pieces' packed buffers lie `pieceBytes` apart, in the same layout. Both subtractions are
 * exact (they only drop leading bits), as in JS.
 */
function finishRun(p: usize, count: i32, fm: v128, pieces: i32, pieceBytes: usize): void {
  if (pieces < 2) {
    roundRun(p, count, fm);
    return;
  }
  const end = p + <usize>count * 4;
  const loOffset = <usize>(pieces - 1) * pieceBytes;
  if (pieces == 2) {
    for (; p < end; p += 16) {
      const x = v128.load(p);
      const hi = trunc16x4(x, fm);
      v128.store(p, hi);
      v128.store(p + loOffset, bf16x4(f32x4.sub(x, hi), fm));
    }
    return;
  }
  for (; p < end; p += 16) {
    const x = v128.load(p);
    const hi = trunc16x4(x, fm);
    const r = f32x4.sub(x, hi);
    const mid = trunc16x4(r, fm);
    v128.store(p, hi);
    v128.store(p + pieceBytes, mid);
    v128.store(p + loOffset, bf16x4(f32x4.sub(r, mid), fm));
  }
}

/**
 * Rounds a: [M, K] (row-major f32 at `src`) to bf16 and packs it into MR-row blocks at `dst`
 * (ceil(M/4) * K * 4 floats), zero-filling rows past M. `flush`: 1 flushes subnormals.
 * With `pieces` 2 or 3, packs the precision split's pieces instead (`finishRun`): hi at
 * `dst`, the others `pieceBytes` apart.
 */
export function packA(src: usize, dst: usize, m: i32, k: i32, flush: i32, pieces: i32, pieceBytes: usize): void {
  const blocks = (m + MR - 1) / MR;
  const full = m / MR;
  const stride = <usize>k * 4;
  const fm = flushMask(flush);
  for (let i = 0; i < full; i++) {
    const out = dst + <usize>i * k * MR * 4;
    packBlock4(src + <usize>i * MR * stride, out, k, stride);
    finishRun(out, k * MR, fm, pieces, pieceBytes);
  }
  for (let i = full; i < blocks; i++) {
    for (let r = 0; r < MR; r++) {
      const row = i * MR + r;
      let out = dst + (<usize>i * k * MR + r) * 4;
      let from = src + <usize>row * stride;
      for (let kk = 0; kk < k; kk++, out += MR * 4, from += 4) store<f32>(out, row < m ? load<f32>(from) : 0);
    }
    finishRun(dst + <usize>i * k * MR * 4, k * MR, fm, pieces, pieceBytes);
  }
}

/** Address (values) of index `i` of a mixed-radix digit space: `n` (count, stride) i32 pairs at `pairs`. */
function digitAddress(pairs: usize, n: i32, i: i32): i32 {
  let address = 0;
  let rem = i;
  for (let d = n - 1; d >= 0; d--) {
    const count = load<i32>(pairs + (<usize>d << 3));
    address += (rem % count) * load<i32>(pairs + (<usize>d << 3), 4);
    rem /= count;
  }
  return address;
}

/**
 * Packs A read through a feed pattern (../feed.ts) from the raw f32 buffer at `src`, rounding
 * to bf16 as `packA` does: A[m, k] = src[offset + address(rows, rowStart + m) + address(cols,
 * colStart + k)]. `desc` holds the pattern's i32 words (../feed.ts `feedWords`); `table` is
 * scratch for K i32 column addresses. Runs of 4 contiguous columns go through 4 x 4
 * transposes like `packBlock4`; the rest value by value. `pieces`, `pieceBytes` as in packA.
 */
export function packAFeed(src: usize, dst: usize, m: i32, k: i32, desc: usize, table: usize, flush: i32, pieces: i32, pieceBytes: usize): void {
  const nr = load<i32>(desc);
  const nc = load<i32>(desc, 4);
  const offset = load<i32>(desc, 8);
  const rowStart = load<i32>(desc, 12);
  const colStart = load<i32>(desc, 16);
  const rowPairs = desc + 20;
  const colPairs = rowPairs + (<usize>nr << 3);
  for (let kk = 0; kk < k; kk++) store<i32>(table + (<usize>kk << 2), digitAddress(colPairs, nc, colStart + kk));
  const blocks = (m + MR - 1) / MR;
  const fm = flushMask(flush);
  for (let i = 0; i < blocks; i++) {
    const out = dst + <usize>i * k * MR * 4;
    const row = i * MR;
    if (row + MR <= m) {
      const p0 = src + (<usize>(offset + digitAddress(rowPairs, nr, rowStart + row)) << 2);
      const p1 = src + (<usize>(offset + digitAddress(rowPairs, nr, rowStart + row + 1)) << 2);
      const p2 = src + (<usize>(offset + digitAddress(rowPairs, nr, rowStart + row + 2)) << 2);
      const p3 = src + (<usize>(offset + digitAddress(rowPairs, nr, rowStart + row + 3)) << 2);
      gather4(p0, p1, p2, p3, table, out, k);
    } else {
      for (let r = 0; r < MR; r++) {
        let o = out + (<usize>r << 2);
        if (row + r < m) {
          const p = src + (<usize>(offset + digitAddress(rowPairs, nr, rowStart + row + r)) << 2);
          for (let kk = 0; kk < k; kk++, o += 16) store<f32>(o, load<f32>(p + (<usize>load<i32>(table + (<usize>kk << 2)) << 2)));
        } else {
          for (let kk = 0; kk < k; kk++, o += 16) store<f32>(o, 0);
        }
      }
    }
    finishRun(out, k * MR, fm, pieces, pieceBytes);
  }
}

/** Interleaves 4 rows read through a column address table (values): 4 x 4 transposes over contiguous runs. */
function gather4(p0: usize, p1: usize, p2: usize, p3: usize, table: usize, out: usize, k: i32): void {
  let kk = 0;
  while (kk < k) {
    const t = table + (<usize>kk << 2);
    const a = load<i32>(t);
    if (kk + 4 <= k && load<i32>(t, 4) == a + 1 && load<i32>(t, 8) == a + 2 && load<i32>(t, 12) == a + 3) {
      const o = <usize>a << 2;
      const r0 = v128.load(p0 + o);
      const r1 = v128.load(p1 + o);
      const r2 = v128.load(p2 + o);
      const r3 = v128.load(p3 + o);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      v128.store(out, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 0);
      v128.store(out, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
      v128.store(out, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
      v128.store(out, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
      kk += 4;
      out += 64;
    } else {
      const o = <usize>a << 2;
      store<f32>(out, load<f32>(p0 + o), 0);
      store<f32>(out, load<f32>(p1 + o), 4);
      store<f32>(out, load<f32>(p2 + o), 8);
      store<f32>(out, load<f32>(p3 + o), 12);
      kk += 1;
      out += 16;
    }
  }
}

/** Interleaves 4 whole rows (stride bytes apart) k by k: 4 x 4 transposes, then a tail. */
function packBlock4(from: usize, out: usize, k: i32, stride: usize): void {
  let kk = 0;
  for (; kk + 4 <= k; kk += 4, from += 16, out += 64) {
    const r0 = v128.load(from);
    const r1 = v128.load(from + stride);
    const r2 = v128.load(from + 2 * stride);
    const r3 = v128.load(from + 3 * stride);
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0k0 r1k0 r0k1 r1k1
    const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // r0k2 r1k2 r0k3 r1k3
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    v128.store(out, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 0);
    v128.store(out, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
    v128.store(out, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
    v128.store(out, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
  }
  for (; kk < k; kk++, from += 4, out += 16) {
    for (let r = 0; r < MR; r++) store<f32>(out + <usize>r * 4, load<f32>(from + <usize>r * stride));
  }
}

/** Copies `width` (4 or 8) columns of b starting at `col0` into a panel, zero-filling past N. */
function packPanel(src: usize, out: usize, k: i32, n: i32, col0: i32, width: i32): void {
  let from = src + <usize>col0 * 4;
  const stride = <usize>n * 4;
  if (col0 + width <= n) {
    // Whole panel inside B: straight vector copies, one k row at a time.
    for (let kk = 0; kk < k; kk++, from += stride, out += <usize>width * 4) {
      v128.store(out, v128.load(from));
      if (width == 8) v128.store(out, v128.load(from, 16), 16);
    }
    return;
  }
  for (let kk = 0; kk < k; kk++, from += stride) {
    for (let j = 0; j < width; j++, out += 4) store<f32>(out, col0 + j < n ? load<f32>(from + <usize>j * 4) : 0);
  }
}

/**
 * Rounds b: [K, N] (row-major f32 at `src`) to bf16 and packs it into column panels at `dst`
 * (K * ceil(N/4) * 4 floats): 8-wide panels first, then 4-wide ones. `flush`, `pieces` and
 * `pieceBytes` as in packA.
 */
export function packB(src: usize, dst: usize, k: i32, n: i32, flush: i32, pieces: i32, pieceBytes: usize): void {
  const vectors = (n + 3) >> 2;
  const wide = vectors >> 1;
  const fm = flushMask(flush);
  for (let p = 0; p < wide; p++) {
    const out = dst + <usize>p * k * 32;
    packPanel(src, out, k, n, p * 8, 8);
    finishRun(out, k * 8, fm, pieces, pieceBytes);
  }
  if (vectors & 1) {
    const out = dst + <usize>wide * k * 32;
    packPanel(src, out, k, n, wide * 8, 4);
    finishRun(out, k * 4, fm, pieces, pieceBytes);
  }
}

/**
 * The 4 x 8 micro-kernel: one fold of `kl` values of k for a tile of 4 rows and 8 columns,
 * then c += s. `ldc` is C's row stride in bytes.
 */
// @ts-ignore: decorator
@inline function tile4x8(ap: usize, bp: usize, cp: usize, kl: i32, ldc: usize): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  for (let kk = 0; kk < kl; kk++) {
    const b0 = v128.load(bp, 0);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap, 0);
    s00 = f32x4.add(s00, f32x4.mul(a0, b0));
    s01 = f32x4.add(s01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(ap, 4);
    s10 = f32x4.add(s10, f32x4.mul(a1, b0));
    s11 = f32x4.add(s11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(ap, 8);
    s20 = f32x4.add(s20, f32x4.mul(a2, b0));
    s21 = f32x4.add(s21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(ap, 12);
    s30 = f32x4.add(s30, f32x4.mul(a3, b0));
    s31 = f32x4.add(s31, f32x4.mul(a3, b1));
    ap += 16;
    bp += 32;
  }
  v128.store(cp, f32x4.add(v128.load(cp, 0), s00), 0);
  v128.store(cp, f32x4.add(v128.load(cp, 16), s01), 16);
  cp += ldc;
  v128.store(cp, f32x4.add(v128.load(cp, 0), s10), 0);
  v128.store(cp, f32x4.add(v128.load(cp, 16), s11), 16);
  cp += ldc;
  v128.store(cp, f32x4.add(v128.load(cp, 0), s20), 0);
  v128.store(cp, f32x4.add(v128.load(cp, 16), s21), 16);
  cp += ldc;
  v128.store(cp, f32x4.add(v128.load(cp, 0), s30), 0);
  v128.store(cp, f32x4.add(v128.load(cp, 16), s31), 16);
}

/** The 4 x 4 micro-kernel for the last, odd column vector (same order as tile4x8). */
// @ts-ignore: decorator
@inline function tile4x4(ap: usize, bp: usize, cp: usize, kl: i32, ldc: usize): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  for (let kk = 0; kk < kl; kk++) {
    const b0 = v128.load(bp, 0);
    s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(ap, 0), b0));
    s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(ap, 4), b0));
    s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(ap, 8), b0));
    s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(ap, 12), b0));
    ap += 16;
    bp += 16;
  }
  v128.store(cp, f32x4.add(v128.load(cp), s0));
  cp += ldc;
  v128.store(cp, f32x4.add(v128.load(cp), s1));
  cp += ldc;
  v128.store(cp, f32x4.add(v128.load(cp), s2));
  cp += ldc;
  v128.store(cp, f32x4.add(v128.load(cp), s3));
}

/**
 * One MXU pass: c = a . b with fold depth `rows`, on packed operands (see the layout above).
 * Writes all ceil(M/4)*4 x ceil(N/4)*4 values of C, padding included. `clear` 1 starts the
 * accumulators at +0; 0 continues from the values already in C (a matmul that accumulates).
 */
export function matmul(aP: usize, bP: usize, c: usize, m: i32, k: i32, n: i32, rows: i32, clear: i32): void {
  const blocks = (m + MR - 1) / MR;
  const vectors = (n + 3) >> 2;
  const wide = vectors >> 1;
  const ldc = <usize>vectors * 16;
  if (clear) memory.fill(c, 0, <usize>blocks * MR * ldc);
  for (let k0 = 0; k0 < k; k0 += rows) {
    const kl = min(rows, k - k0);
    for (let chunk = 0; chunk < blocks; chunk += MC_BLOCKS) {
      const chunkEnd = min(blocks, chunk + MC_BLOCKS);
      for (let p = 0; p < wide; p++) {
        const bp = bP + (<usize>p * k + k0) * 32;
        for (let i = chunk; i < chunkEnd; i++) {
          tile4x8(aP + (<usize>i * k + k0) * 16, bp, c + <usize>i * MR * ldc + <usize>p * 32, kl, ldc);
        }
      }
      if (vectors & 1) {
        const bp = bP + <usize>wide * k * 32 + <usize>k0 * 16;
        for (let i = chunk; i < chunkEnd; i++) {
          tile4x4(aP + (<usize>i * k + k0) * 16, bp, c + <usize>i * MR * ldc + <usize>wide * 32, kl, ldc);
        }
      }
    }
  }
}

/**
 * Moves the first `n` columns of each of the `m` rows of C (row stride `ldc` floats) together,
 * so C becomes a dense [M, N] block at `c` (rows only move down in memory: safe in place).
 */
export function compactRows(c: usize, m: i32, n: i32, ldc: i32): void {
  for (let i = 1; i < m; i++) memory.copy(c + <usize>i * n * 4, c + <usize>i * ldc * 4, <usize>n * 4);
}

/**
 * Replaces every NaN among `count` f32 values at `ptr` by the canonical quiet NaN
 * 0x7FC00000 (x86 makes negative default NaNs; ../reference.ts step 5). `count` % 4 == 0.
 */
export function canonicalizeNaNs(ptr: usize, count: i32): void {
  const canonical = i32x4.splat(0x7fc00000);
  const end = ptr + <usize>count * 4;
  for (let p = ptr; p < end; p += 16) {
    const x = v128.load(p);
    v128.store(p, v128.bitselect(canonical, x, f32x4.ne(x, x)));
  }
}

/**
 * Adds one small-term pass result into the running sum of a precision mode (../reference.ts
 * `combinePasses`): t = f32(t + c) on `count` (% 4 == 0) values.
 */
export function addPass(t: usize, c: usize, count: i32): void {
  const end = t + <usize>count * 4;
  for (; t < end; t += 16, c += 16) v128.store(t, f32x4.add(v128.load(t), v128.load(c)));
}

/**
 * The last step of a precision mode (../reference.ts `combinePasses`, then step 5): with t
 * the sum of the small terms and c the hi.hi pass, c = canonical(f32((finite(t) ? t : +0) + c)).
 */
export function finishPasses(t: usize, c: usize, count: i32): void {
  const exponent = i32x4.splat(0x7f800000);
  const canonical = i32x4.splat(0x7fc00000);
  const end = c + <usize>count * 4;
  for (; c < end; t += 16, c += 16) {
    const s = v128.load(t);
    const small = v128.andnot(s, i32x4.eq(v128.and(s, exponent), exponent)); // non-finite -> +0
    const x = f32x4.add(small, v128.load(c));
    v128.store(c, v128.bitselect(canonical, x, f32x4.ne(x, x)));
  }
}

/**
 * Computes row chunks of one pass until none is left; any number of threads sharing this
 * (shared) memory may call it at once with the same arguments. The control block at `ctl`:
 * an i64 word (job generation << 32 | next chunk) from which chunks are claimed by
 * compare-and-swap, and an i32 count of finished chunks at ctl + 8 (woken on each change).
 * A call whose `gen` is not the block's current generation (a message that arrived after
 * its job was finished) claims nothing. Chunk i covers row blocks [i*chunkBlocks, ...) and
 * is computed by `matmul` exactly as in a one-thread pass: rows never interact, so the bits
 * do not depend on which thread computed which chunk.
 */
export function matmulChunks(ctl: usize, gen: u32, aP: usize, bP: usize, c: usize, m: i32, k: i32, n: i32, rows: i32, chunkBlocks: i32, clear: i32): void {
  const blocks = (m + MR - 1) / MR;
  const chunks = (blocks + chunkBlocks - 1) / chunkBlocks;
  const ldc = <usize>((n + 3) >> 2) * 16;
  const tag = <i64>gen << 32;
  for (;;) {
    const old = atomic.load<i64>(ctl);
    if ((old & 0xffffffff00000000) != tag) return;
    const i = <i32>(old & 0xffffffff);
    if (i >= chunks) return;
    if (atomic.cmpxchg<i64>(ctl, old, old + 1) != old) continue;
    const b0 = i * chunkBlocks;
    const b1 = min(blocks, b0 + chunkBlocks);
    matmul(aP + <usize>b0 * k * 16, bP, c + <usize>b0 * MR * ldc, (b1 - b0) * MR, k, n, rows, clear);
    atomic.add<i32>(ctl, 1, 8);
    atomic.notify(ctl + 8);
  }
}
