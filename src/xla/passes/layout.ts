/**
 * @module xla/passes/layout
 * Layout and tiling: every array is stored row-major with its two minor dims cut into the
 * VPU's 8 x 128 tiles (sublanes x lanes), as on the TPU; the MXU then sees 128-wide
 * tiles of the same data (its folds are counted by mxu/cycles). The pass records the tile
 * on the module (printed on every shape as `{1,0:T(8,128)}`), and `tiledBytes` gives the
 * padded footprint that buffer assignment and the memory report use.
 *
 * Pre: none. Post: `m.tile` is set. No instruction changes, so evaluation is identical.
 * Example: before `f32[32,100]{1,0}`, after `f32[32,100]{1,0:T(8,128)}` (occupying 32 x 128).
 */
import { DEFAULT_VPU_CONFIG } from '../../vpu/config.ts';
import type { HloModule, Shape } from '../hlo.ts';
import { bytesPerElement, sizeOf } from '../ops/index.ts';
import type { Pass } from '../pipeline.ts';

/** Bytes of an array stored with its two minor dims padded to the tile (rank < 2: the lane dim only). */
export function tiledBytes(shape: Shape, tile: readonly [number, number] | undefined): number {
  const dims = shape.dims;
  if (!tile || dims.length === 0) return sizeOf(dims) * bytesPerElement(shape.dtype);
  const up = (v: number, t: number): number => Math.ceil(v / t) * t;
  const rank = dims.length;
  const minor = up(dims[rank - 1]!, tile[1]);
  const second = rank >= 2 ? up(dims[rank - 2]!, tile[0]) : 1;
  const outer = sizeOf(dims.slice(0, Math.max(0, rank - 2)));
  // NOTE: every element takes a 32-bit slot in a vreg tile, whatever its dtype.
  return outer * second * minor * 4;
}

/** The layout pass with the TPU v2 tile (8 sublanes x 128 lanes). */
export function layoutPass(tile: readonly [number, number] = [DEFAULT_VPU_CONFIG.sublanes, DEFAULT_VPU_CONFIG.lanes]): Pass {
  return {
    name: 'layout',
    run: (m: HloModule) => (m.tile && m.tile[0] === tile[0] && m.tile[1] === tile[1] ? m : { ...m, tile }),
  };
}

/** The layout pass with TPU v2 defaults. */
export const layout: Pass = layoutPass();
