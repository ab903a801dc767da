/**
 * @module vpu/wasm/kernels
 * The VPU's hottest elementwise ops in WebAssembly SIMD (AssemblyScript, built by
 * scripts/build-wasm.mjs into build/wasm/vpu-kernels.wasm): binary arithmetic, comparisons
 * into f32 masks, select, the row fold of an axis-0 reduction, and transpose. Loaded by ../wasm.ts, which copies operands into linear memory
 * and the result out; the JS loops of ../kernels.ts are the reference and the fallback.
 *
 * Imports nothing. Never allocates. Every array holds `n` f32 values at a 16-byte aligned
 * address, readable (and, for `out`, writable) up to n rounded up to a multiple of 4; the
 * lanes past n compute garbage the loader never copies out.
 *
 * ## Numerics (equal to ../ops.ts bit for bit, NaN payloads aside, which ops.ts leaves unspecified)
 * WASM float arithmetic is IEEE binary32 with round-to-nearest-even and subnormals kept, so
 * f32x4.add / sub / mul / div are `Math.fround(a op b)` (double rounding through f64 is
 * innocuous for these), a - b == a + (-b) exactly, and f32x4.max / min propagate NaN and
 * order -0 below +0 like Math.max / Math.min. Comparisons are IEEE (false with a NaN except
 * ne); a true lane is all ones, and-ed with 1.0f to give the stored mask value 1 (else +0).
 * select takes a where mask != 0 (NaN counts as set, -0 does not), like `mask[i] !== 0`.
 */

/** Binary op codes (order of ../wasm.ts BINARY_CODES). */
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 4;
const MIN = 5;

@inline
function binaryOp(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD:
      return f32x4.add(x, y);
    case SUB:
      return f32x4.sub(x, y);
    case MUL:
      return f32x4.mul(x, y);
    case DIV:
      return f32x4.div(x, y);
    case MAX:
      return f32x4.max(x, y);
    default:
      return f32x4.min(x, y);
  }
}

/** Compare op codes (order of ../wasm.ts COMPARE_CODES). */
const EQ = 0;
const NE = 1;
const LT = 2;
const LE = 3;
const GT = 4;

@inline
function compareOp(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case EQ:
      return f32x4.eq(x, y);
    case NE:
      return f32x4.ne(x, y);
    case LT:
      return f32x4.lt(x, y);
    case LE:
      return f32x4.le(x, y);
    case GT:
      return f32x4.gt(x, y);
    default:
      return f32x4.ge(x, y);
  }
}

/**
 * out = a op b elementwise. `mode` says which operand is a scalar: 0 none, 1 b (= `s`),
 * 2 a (= `s`); a scalar operand's address is ignored.
 */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32, mode: i32, s: f32): void {
  const sv = f32x4.splat(s);
  const end = out + (<usize>((n + 3) & ~3) << 2);
  let pa = a;
  let pb = b;
  if (mode == 1) {
    for (let po = out; po < end; po += 16, pa += 16) v128.store(po, binaryOp(op, v128.load(pa), sv));
  } else if (mode == 2) {
    for (let po = out; po < end; po += 16, pb += 16) v128.store(po, binaryOp(op, sv, v128.load(pb)));
  } else {
    for (let po = out; po < end; po += 16, pa += 16, pb += 16) v128.store(po, binaryOp(op, v128.load(pa), v128.load(pb)));
  }
}

/** out = (a op b) ? 1 : 0 elementwise; `mode` as in `binary`. */
export function compare(op: i32, a: usize, b: usize, out: usize, n: i32, mode: i32, s: f32): void {
  const sv = f32x4.splat(s);
  const one = f32x4.splat(1.0);
  const end = out + (<usize>((n + 3) & ~3) << 2);
  let pa = a;
  let pb = b;
  if (mode == 1) {
    for (let po = out; po < end; po += 16, pa += 16) v128.store(po, v128.and(compareOp(op, v128.load(pa), sv), one));
  } else if (mode == 2) {
    for (let po = out; po < end; po += 16, pb += 16) v128.store(po, v128.and(compareOp(op, sv, v128.load(pb)), one));
  } else {
    for (let po = out; po < end; po += 16, pa += 16, pb += 16) v128.store(po, v128.and(compareOp(op, v128.load(pa), v128.load(pb)), one));
  }
}

/**
 * out = mask != 0 ? a : b elementwise. `mode` bit 0: a is the scalar `sa`; bit 1: b is the
 * scalar `sb` (a scalar operand's address is ignored).
 */
export function select(mask: usize, a: usize, b: usize, out: usize, n: i32, mode: i32, sa: f32, sb: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(sa);
  const vb = f32x4.splat(sb);
  const end = out + (<usize>((n + 3) & ~3) << 2);
  let pm = mask;
  let pa = a;
  let pb = b;
  for (let po = out; po < end; po += 16, pm += 16, pa += 16, pb += 16) {
    const m = f32x4.ne(v128.load(pm), zero);
    const x = mode & 1 ? va : v128.load(pa);
    const y = mode & 2 ? vb : v128.load(pb);
    v128.store(po, v128.bitselect(x, y, m));
  }
}

/**
 * The per-sublane fold of ../reduce.ts axis 0: acc[S, C] starts at the identity `id`, then
 * for r = 0, 1, ...: acc[r % S, c] = f(acc[r % S, c], x[r, c]) with f = add (kind 0), max (1)
 * or min (2). Vectorised across c only, so each accumulator sees exactly the scalar order; the
 * last cols % 4 columns of a row go one at a time (a vector would spill into the next
 * sublane's accumulators). Addresses need no alignment here.
 */
export function foldRows(kind: i32, x: usize, rows: i32, cols: i32, acc: usize, S: i32, id: f32, init: i32): void {
  const total = S * cols;
  if (init) for (let i = 0; i < total; i++) store<f32>(acc + (<usize>i << 2), id);
  const vecEnd = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const pa = acc + (<usize>((r % S) * cols) << 2);
    const px = x + (<usize>(r * cols) << 2);
    for (let c = 0; c < vecEnd; c += 4) {
      const o = <usize>c << 2;
      const u = v128.load(pa + o);
      const v = v128.load(px + o);
      v128.store(pa + o, kind == 0 ? f32x4.add(u, v) : kind == 1 ? f32x4.max(u, v) : f32x4.min(u, v));
    }
    for (let c = vecEnd; c < cols; c++) {
      const o = <usize>c << 2;
      const u = load<f32>(pa + o);
      const v = load<f32>(px + o);
      store<f32>(pa + o, kind == 0 ? u + v : kind == 1 ? max<f32>(u, v) : min<f32>(u, v));
    }
  }
}

/**
 * out[C, R] = x[R, C] transposed (values only move), in blocks of 8 x 8: a block touches 8
 * input lines and 8 output lines. NOTE: small square blocks on purpose: rows of x and of out
 * are often a power of two times 4 bytes apart, so a bigger block maps all its lines to one
 * L1 cache set and thrashes it (measured: 64 x 8 blocks ran 3x slower on a 32 x 4096 input,
 * 16 x 16 blocks 3x slower on 1024 x 576).
 */
export function transpose(x: usize, rows: i32, cols: i32, out: usize): void {
  for (let r0 = 0; r0 < rows; r0 += 8) {
    const r1 = min<i32>(rows, r0 + 8);
    for (let c0 = 0; c0 < cols; c0 += 8) {
      const c1 = min<i32>(cols, c0 + 8);
      for (let c = c0; c < c1; c++) {
        for (let r = r0; r < r1; r++) store<u32>(out + (<usize>(c * rows + r) << 2), load<u32>(x + (<usize>(r * cols + c) << 2)));
      }
    }
  }
}

/** First free byte of linear memory (after static data), for the loader's layout. */
export function heapBase(): usize {
  return __heap_base;
}
