/**
 * @module mxu/wasm/array-mac
 * The stepped systolic array's MAC loop in WebAssembly SIMD (AssemblyScript, built by
 * scripts/build-wasm.mjs into build/wasm/mxu-array-mac.wasm). Loaded by ../array.ts, whose
 * `macAllJs` is the same loop in plain JavaScript (its readable spec).
 *
 * Imports nothing. The memory is imported: one per array, laid out by ../array.ts (act ring,
 * psum slots, active weights, from byte 0); never allocates.
 *
 * ## Numerics (must equal Math.fround's bits)
 * Every PE: psum = f32(psum + f32(act * weight)). A multiply then a separate add
 * (`f32x4.mul` then `f32x4.add`), never a fused multiply-add: the spec rounds the product to
 * f32 before the add. WASM float arithmetic is IEEE round-to-nearest-even with subnormals,
 * so each lane gives exactly `Math.fround`'s bits (NaN payloads aside, which the MXU
 * canonicalises on the way out).
 */

/**
 * ps[i] = ps[i] + act[i] * w[i] for i < n (byte pointers, f32 values, any 4-byte alignment):
 * two vectors per turn (about 10% faster than one), then one vector, then scalars.
 */
function seg(ps: usize, act: usize, w: usize, n: i32): void {
  while (n >= 8) {
    v128.store(ps, f32x4.add(v128.load(ps, 0, 4), f32x4.mul(v128.load(act, 0, 4), v128.load(w, 0, 4))), 0, 4);
    v128.store(ps, f32x4.add(v128.load(ps, 16, 4), f32x4.mul(v128.load(act, 16, 4), v128.load(w, 16, 4))), 16, 4);
    ps += 32;
    act += 32;
    w += 32;
    n -= 8;
  }
  while (n >= 4) {
    v128.store(ps, f32x4.add(v128.load(ps, 0, 4), f32x4.mul(v128.load(act, 0, 4), v128.load(w, 0, 4))), 0, 4);
    ps += 16;
    act += 16;
    w += 16;
    n -= 4;
  }
  while (n != 0) {
    store<f32>(ps, load<f32>(ps) + load<f32>(act) * load<f32>(w));
    ps += 4;
    act += 4;
    w += 4;
    n -= 1;
  }
}

/**
 * One cycle of MACs over the whole R x C array. Row r works on psum slot `slot` (row 0's is
 * `slot0`, each next row's the one before, wrapping to R - 1); its activations are ring slots
 * (q + c) mod C, so a row is two segments: columns [0, C - q) read ring slots q.., columns
 * [C - q, C) wrap to ring slot 0. `act`, `ps`, `w`: byte offsets of the act ring [R, C], the
 * psum slots [R, C] and the active weights [R, C].
 */
export function mac(slot0: i32, rows: i32, cols: i32, q: i32, act: usize, ps: usize, w: usize): void {
  const rowBytes = <usize>cols << 2;
  const split = cols - q;
  let slot = slot0;
  let rowOff: usize = 0;
  for (let r = 0; r < rows; r++) {
    const pb = ps + <usize>slot * rowBytes;
    seg(pb, act + rowOff + (<usize>q << 2), w + rowOff, split);
    seg(pb + (<usize>split << 2), act + rowOff, w + rowOff + (<usize>split << 2), q);
    slot = slot != 0 ? slot - 1 : rows - 1;
    rowOff += rowBytes;
  }
}
