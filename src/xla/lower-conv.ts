/**
 * @module xla/lower-conv
 * Convolutions on the MXU without im2col in memory: the forward conv, its input gradient and
 * its filter gradient (all HLO `convolution`s) load a block of their input into vector
 * memory once (padded and dilated as the conv sees it: a "slab"), and the matmul reads the
 * im2col patches out of it through a feed address pattern (mxu/feed.ts), as a TPU's conv
 * emitter streams windows from vector memory. HBM traffic is about input + output + weights.
 * The MXU sees exactly the A of the im2col definition (xla/ops/linalg.ts: rows (b, oh, ow),
 * contraction (kh, kw, c), holes +0), so values are the interpreter's bit for bit, and
 * cycles are those of matmuls of the same shapes.
 *
 * Plans (`planConv`, the reason recorded in `why`):
 * - rows: blocks of output rows (whole images when they fit), the whole contraction per
 *   matmul, the filter [KH*KW*C, N] resident in vector memory; a fused epilogue (bias,
 *   activation) runs on each block before it is stored (./lower-kernel.ts chunkedKernel).
 * - stream: the filter gradient's shape (a huge contraction B*Ho*Wo, a small result): the
 *   contraction in blocks of whole folds of the array's rows, each block's slab and filter
 *   rows loaded, matmuls accumulating in the MXU ('default' precision only).
 * - im2col: when neither fits the budget (or a multi-pass precision needs a huge
 *   contraction whole), the patches are written to HBM and the dot is tiled
 *   (./lower-dot.ts): correct on any core, at the old cost.
 *
 * Imports ./lower-emit, ./lower-kernel, ./lower-chunk, ./lower-dot, ./lower-reduce (block
 * starts), ./ops (sizes), ./hlo.
 */
import type { FeedPattern } from '../mxu/feed.ts';
import type { ConvAttrs, HloInstruction, Shape } from './hlo.ts';
import { planChunks } from './lower-chunk.ts';
import { tiledDot } from './lower-dot.ts';
import type { Emitter } from './lower-emit.ts';
import { chunkedKernel, kernel, wholeKernel, type KVal, type KernelTarget } from './lower-kernel.ts';
import { blockStarts } from './lower-reduce.ts';
import { sizeOf, stridesOf } from './ops/index.ts';

type Conv = Extract<HloInstruction, { op: 'convolution' }>;

/**
 * Where a conv operand lives: an HBM buffer and the strides (values) of the operand's dims
 * in it: row-major for a plain value, permuted for a transpose the conv reads through (XLA's
 * transpose folding: the transpose is never written).
 */
export interface OperandView {
  readonly buf: string;
  readonly strides: readonly number[];
}

const isRowMajor = (dims: readonly number[], strides: readonly number[]): boolean => stridesOf(dims).every((s, i) => dims[i] === 1 || s === strides[i]);

/** A convolution as the MXU sees it: x [B, H, W, C] * w [KH, KW, C, N] -> [B, Ho, Wo, N]. */
export interface ConvGeometry {
  readonly b: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly n: number;
  readonly ho: number;
  readonly wo: number;
  readonly strides: readonly [number, number];
  /** Filter (window) dilation. */
  readonly dilation: readonly [number, number];
  /** Input dilation (a transposed conv: holes between input values). */
  readonly lhsDilation: readonly [number, number];
  /** Padding before the first input row / column (negative crops). */
  readonly padLow: readonly [number, number];
  /** Columns of the padded, dilated input that the windows read: (Wo-1)*sw + (KW-1)*dw + 1. */
  readonly wn: number;
}

/** The geometry of a conv of x by w giving out. */
export function convGeometry(x: readonly number[], w: readonly number[], out: readonly number[], a: ConvAttrs): ConvGeometry {
  const [b, h, wd, c] = x as [number, number, number, number];
  const [kh, kw, , n] = w as [number, number, number, number];
  const [, ho, wo] = out as [number, number, number];
  return {
    b, h, w: wd, c, kh, kw, n, ho, wo,
    strides: a.strides,
    dilation: a.rhsDilation,
    lhsDilation: a.lhsDilation,
    padLow: [a.padding[0][0], a.padding[1][0]],
    wn: (wo - 1) * a.strides[1] + (kw - 1) * a.rhsDilation[1] + 1,
  };
}

/** How a conv is lowered, and why. */
export type ConvPlan =
  | { readonly kind: 'rows'; readonly images: number; readonly rows: number; readonly why: string }
  | { readonly kind: 'stream'; readonly kBlock: number; readonly why: string }
  | { readonly kind: 'im2col'; readonly why: string };

/** Padded rows a slab of `rows` output rows spans. */
const slabRows = (g: ConvGeometry, rows: number): number => (rows - 1) * g.strides[0] + (g.kh - 1) * g.dilation[0] + 1;

/**
 * Chooses how to lower a conv within `budget` vector-memory values on an array of `arrayRows`
 * rows. `epilogue` counts the fused ops after the conv (each may hold a temporary of the
 * output block's size).
 */
export function planConv(g: ConvGeometry, precision: ConvAttrs['precision'], budget: number, arrayRows: number, epilogue: number): ConvPlan {
  const kc = g.kh * g.kw * g.c;
  const weights = kc * g.n;
  const rowBlock = (images: number, rows: number): number => images * slabRows(g, rows) * g.wn * g.c + images * rows * g.wo * g.n * (2 + epilogue);
  if (weights <= budget / 2) {
    const room = budget - weights;
    if (rowBlock(1, g.ho) <= room) {
      let images = 1;
      while (images < g.b && rowBlock(images + 1, g.ho) <= room) images++;
      return { kind: 'rows', images, rows: g.ho, why: `${images} whole image(s) of ${g.b} per matmul; filter [${kc}, ${g.n}] resident` };
    }
    let rows = g.ho;
    while (rows > 1 && rowBlock(1, rows) > room) rows--;
    if (rowBlock(1, rows) <= room) return { kind: 'rows', images: 1, rows, why: `${rows} of ${g.ho} output rows per matmul; filter [${kc}, ${g.n}] resident` };
  }
  const m = g.b * g.ho * g.wo;
  if (precision === 'default' && m * g.n * (2 + epilogue) <= budget / 2) {
    // per block of kBlock contraction indices: its slab (one more padded row band per window
    // row it touches), its filter rows, and the accumulators
    const kRow = g.kw * g.c;
    const need = (kBlock: number): number => {
      const windowRows = Math.min(g.kh, Math.ceil(kBlock / kRow) + 1);
      return m * g.n * (2 + epilogue) + g.b * ((g.ho - 1) * g.strides[0] + (windowRows - 1) * g.dilation[0] + 1) * g.wn * g.c + kBlock * g.n;
    };
    let folds = 0;
    while ((folds + 1) * arrayRows < kc + arrayRows && need((folds + 1) * arrayRows) <= budget) folds++;
    if (folds > 0) {
      const kBlock = Math.min(folds * arrayRows, Math.ceil(kc / arrayRows) * arrayRows);
      return { kind: 'stream', kBlock, why: `contraction ${kc} streamed ${kBlock} at a time (${Math.ceil(kc / kBlock)} accumulating matmuls); result [${m}, ${g.n}] resident` };
    }
  }
  return { kind: 'im2col', why: `neither a block of output rows with the filter [${kc}, ${g.n}] nor a streamed contraction fits ${budget} values of vector memory${precision !== 'default' ? ` in '${precision}' precision` : ''}: patches in HBM` };
}

const ceilDiv = (a: number, b: number): number => -Math.floor(-a / b);

/** Zeros a vector-memory buffer of `rows` rows of `cols` values with one VPU broadcast of a zero row. */
function zero(e: Emitter, buf: string, rows: number, cols: number): void {
  const row = e.acquire(cols);
  e.copyAll(e.fill(0, cols), row);
  e.emit({ kind: 'vpu-broadcast', x: row, out: buf, rows });
  e.release(row);
}

/** A slab in memory: its buffer and the strides of its (b, h, w, c) dims (the padded, dilated input as the conv reads it). */
interface Slab {
  readonly buf: string;
  readonly strides: readonly [number, number, number, number];
}

/**
 * Loads the padded, dilated rows [r0, r0 + rows) (all Wn columns) of images [b0, b0 + nb)
 * of x (HBM) into a fresh slab of nb x rows x Wn x C values (vector memory, or HBM when
 * `memory` says): holes and padding are +0, as the im2col definition says. The slab keeps
 * the dims in the order x is stored in (row-major x: [nb, rows, Wn, C]; x read through a
 * transpose: that transpose's source order), so the copy moves the longest contiguous runs
 * and the feed's address pattern does the rest.
 */
function loadSlab(e: Emitter, x: OperandView, g: ConvGeometry, at: { b0: number; nb: number; r0: number; rows: number }, memory: 'vmem' | 'hbm' = 'vmem'): Slab {
  const { b0, nb, r0, rows } = at;
  const extents = [nb, rows, g.wn, g.c];
  // storage order: the logical dims sorted by their stride in x, outermost first
  const order = [0, 1, 2, 3].sort((a, b) => x.strides[b]! - x.strides[a]! || a - b);
  const stored = stridesOf(order.map((d) => extents[d]!));
  const strides = [0, 0, 0, 0] as [number, number, number, number];
  order.forEach((d, i) => (strides[d] = stored[i]!));
  const size = nb * rows * g.wn * g.c;
  const buf = e.acquire(size, memory);
  const [lh, lw] = g.lhsDilation;
  const [ph, pw] = g.padLow;
  const hLo = Math.max(0, ceilDiv(r0 - ph, lh));
  const hHi = Math.min(g.h - 1, Math.floor((r0 + rows - 1 - ph) / lh));
  const wLo = Math.max(0, ceilDiv(-pw, lw));
  const wHi = Math.min(g.w - 1, Math.floor((g.wn - 1 - pw) / lw));
  const [hc, wc] = [hHi - hLo + 1, wHi - wLo + 1];
  const written = hc > 0 && wc > 0 ? nb * hc * wc * g.c : 0;
  if (written < size) {
    // zero rows of at least a vreg row (128 lanes) of the innermost stored dims
    let inner = 1;
    for (let i = 3; i >= 0 && inner < 128; i--) inner *= extents[order[i]!]!;
    if (memory === 'vmem') zero(e, buf, size / inner, inner);
    else e.copyAll(e.fill(0, size), buf);
  }
  if (written > 0) {
    const xs = x.strides;
    const src = b0 * xs[0]! + hLo * xs[1]! + wLo * xs[2]!;
    const dst = (ph + hLo * lh - r0) * strides[1] + (pw + wLo * lw) * strides[2];
    e.copy(x.buf, buf, [nb, hc, wc, g.c], xs, src, [strides[0], lh * strides[1], lw * strides[2], strides[3]], dst);
  }
  return { buf, strides };
}

/** The feed reading the im2col rows (b, oh, ow) and contraction (kh, kw, c) of a slab. */
function slabFeed(g: ConvGeometry, slab: Slab, s: { nb: number; outRows: number; windowRows: number; colStart?: number }): FeedPattern {
  const [sb, sh, sw, sc] = slab.strides;
  return {
    offset: 0,
    rows: [
      { count: s.nb, stride: sb },
      { count: s.outRows, stride: g.strides[0] * sh },
      { count: g.wo, stride: g.strides[1] * sw },
    ],
    cols: [
      { count: s.windowRows, stride: g.dilation[0] * sh },
      { count: g.kw, stride: g.dilation[1] * sw },
      { count: g.c, stride: sc },
    ],
    ...(s.colStart ? { colStart: s.colStart } : {}),
  };
}

/** One block of a rows plan: output rows [oh0, oh0 + rows) of images [b0, b0 + nb) into a fresh [nb*rows*Wo, N] buffer. */
function rowsBlock(e: Emitter, conv: Conv, x: OperandView, wv: string, g: ConvGeometry, at: { b0: number; nb: number; oh0: number; rows: number }): string {
  const slabH = slabRows(g, at.rows);
  const slab = loadSlab(e, x, g, { b0: at.b0, nb: at.nb, r0: at.oh0 * g.strides[0], rows: slabH });
  const m = at.nb * at.rows * g.wo;
  const out = e.acquire(m * g.n);
  const feed = slabFeed(g, slab, { nb: at.nb, outRows: at.rows, windowRows: g.kh });
  e.emit({ kind: 'matmul', a: slab.buf, b: wv, out, shape: { m, k: g.kh * g.kw * g.c, n: g.n }, precision: conv.attrs.precision, feed });
  e.release(slab.buf);
  return out;
}

/** Blocks of a rows plan as (image, row) starts, and the output elements each covers. */
function rowBlocks(g: ConvGeometry, plan: Extract<ConvPlan, { kind: 'rows' }>): { starts: { b0: number; oh0: number }[]; values: number } {
  const starts: { b0: number; oh0: number }[] = [];
  if (plan.rows === g.ho) for (const b0 of blockStarts(g.b, plan.images)) starts.push({ b0, oh0: 0 });
  else for (let b0 = 0; b0 < g.b; b0++) for (const oh0 of blockStarts(g.ho, plan.rows)) starts.push({ b0, oh0 });
  return { starts, values: plan.images * plan.rows * g.wo * g.n };
}

/** The streamed conv (filter-gradient shape): returns the vector-memory result [B*Ho*Wo, N]. */
function streamConv(e: Emitter, x: OperandView, w: OperandView, g: ConvGeometry, kBlock: number): string {
  const kc = g.kh * g.kw * g.c;
  const kRow = g.kw * g.c;
  const m = g.b * g.ho * g.wo;
  const acc = e.acquire(m * g.n);
  for (let k0 = 0; k0 < kc; k0 += kBlock) {
    const k1 = Math.min(kc, k0 + kBlock);
    const [kh0, kh1] = [Math.floor(k0 / kRow), Math.floor((k1 - 1) / kRow)];
    const slabH = (g.ho - 1) * g.strides[0] + (kh1 - kh0) * g.dilation[0] + 1;
    const slab = loadSlab(e, x, g, { b0: 0, nb: g.b, r0: kh0 * g.dilation[0], rows: slabH });
    const wb = e.acquire((k1 - k0) * g.n);
    filterRows(e, w, g, k0, k1, wb);
    const feed = slabFeed(g, slab, { nb: g.b, outRows: g.ho, windowRows: kh1 - kh0 + 1, colStart: k0 - kh0 * kRow });
    e.emit({ kind: 'matmul', a: slab.buf, b: wb, out: acc, shape: { m, k: k1 - k0, n: g.n }, precision: 'default', feed, ...(k0 > 0 ? { accumulate: true } : {}) });
    e.release(slab.buf, wb);
  }
  return acc;
}

/** Rows [k0, k1) of the filter as the matrix [KH*KW*C, N] into `dst` (one DMA when it is stored row-major, else a few boxes). */
function filterRows(e: Emitter, w: OperandView, g: ConvGeometry, k0: number, k1: number, dst: string): void {
  const dims = [g.kh, g.kw, g.c, g.n];
  if (isRowMajor(dims, w.strides)) {
    e.emit({ kind: 'dma', src: w.buf, dst, srcOffset: k0 * g.n, values: (k1 - k0) * g.n });
    return;
  }
  const rowDims = [g.kh, g.kw, g.c];
  for (const box of rangeBoxes(rowDims, k0, k1 - k0)) {
    const rowStart = box.start.reduce((a, v, i) => a + v * stridesOf(rowDims)[i]!, 0);
    const base = box.start.reduce((a, v, i) => a + v * w.strides[i]!, 0);
    e.copy(w.buf, dst, [...box.sizes, g.n], w.strides, base, [...stridesOf(rowDims).map((v) => v * g.n), 1], (rowStart - k0) * g.n);
  }
}

/** The filter as a dense [KH*KW*C, N] buffer (`memory`): a copy when it is read through a transpose. */
function denseFilter(e: Emitter, w: OperandView, g: ConvGeometry, memory: 'vmem' | 'hbm'): string {
  const kc = g.kh * g.kw * g.c;
  if (memory === 'hbm' && isRowMajor([g.kh, g.kw, g.c, g.n], w.strides)) return w.buf;
  const out = e.acquire(kc * g.n, memory);
  e.copy(w.buf, out, [g.kh, g.kw, g.c, g.n], w.strides, 0, stridesOf([g.kh, g.kw, g.c, g.n]), 0);
  return out;
}

/**
 * The boxes that make up the row-major index range [start, start + count) of `dims`: each a
 * start index and sizes (1 on its leading dims, a run on one dim, whole trailing dims).
 */
export function rangeBoxes(dims: readonly number[], start: number, count: number): { start: number[]; sizes: number[] }[] {
  const boxes: { start: number[]; sizes: number[] }[] = [];
  const tail = (k: number): number => sizeOf(dims.slice(k));
  for (let pos = start, end = start + count; pos < end; ) {
    let k = dims.length; // boxes of whole dims k..: the largest aligned block that fits
    while (k > 0 && pos % tail(k - 1) === 0 && pos + tail(k - 1) <= end) k--;
    const block = tail(k);
    const along = k > 0 ? dims[k - 1]! - (Math.floor(pos / block) % dims[k - 1]!) : 1;
    const n = Math.max(1, Math.min(Math.floor((end - pos) / block), along));
    const idx = dims.map((_, i) => Math.floor(pos / tail(i + 1)) % dims[i]!);
    boxes.push({ start: idx, sizes: dims.map((d, i) => (i < k - 1 ? 1 : i === k - 1 ? n : d)) });
    pos += n * block;
  }
  return boxes;
}

/** The im2col patch matrix [B*Ho*Wo, KH*KW*C] of x written to HBM (the fallback). */
function patchesInHbm(e: Emitter, x: OperandView, g: ConvGeometry): string {
  const rows = slabRows(g, g.ho);
  const xp = loadSlab(e, x, g, { b0: 0, nb: g.b, r0: 0, rows }, 'hbm');
  const kc = g.kh * g.kw * g.c;
  const patches = e.acquire(g.b * g.ho * g.wo * kc, 'hbm');
  const [sb, sh, sw, sc] = xp.strides;
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const src = i * g.dilation[0] * sh + j * g.dilation[1] * sw;
      e.copy(xp.buf, patches, [g.b, g.ho, g.wo, g.c], [sb, g.strides[0] * sh, g.strides[1] * sw, sc], src, [g.ho * g.wo * kc, g.wo * kc, kc, 1], (i * g.kw + j) * g.c);
    }
  }
  e.release(xp.buf);
  return patches;
}

/** A kernel body holding one convolution, with where its free operands live. */
export interface ConvKernel {
  readonly body: readonly HloInstruction[];
  readonly inputs: ReadonlyMap<number, KVal>;
  /** Where a value the conv reads (its input and filter) lives in HBM. */
  readonly hbm: (id: number) => OperandView;
  readonly shapeOf: (id: number) => Shape;
  readonly root: number;
  readonly dst: string;
  readonly target: KernelTarget;
}

/** The plan a kernel's conv gets (for the compile report and tests). */
export function convPlanOf(k: Pick<ConvKernel, 'body' | 'shapeOf' | 'target'>): ConvPlan {
  const conv = k.body.find((i): i is Conv => i.op === 'convolution')!;
  const g = convGeometry(k.shapeOf(conv.operands[0]!).dims, k.shapeOf(conv.operands[1]!).dims, conv.shape.dims, conv.attrs);
  return planConv(g, conv.attrs.precision, k.target.budget * 4, k.target.core.mxu.rows, k.body.length - 1);
}

/**
 * Lowers a kernel whose body holds one convolution (alone, or fused with an epilogue):
 * rows plan with the epilogue per block, streamed contraction, or patches in HBM; a body the
 * blocks cannot carry is split (the conv to HBM, then the rest as a kernel).
 * NOTE: a conv kernel may use 4 kernel budgets of vector memory: it runs alone, and slabs
 * and filters are what make it fast.
 */
export function convKernel(e: Emitter, k: ConvKernel, planned?: ConvPlan): void {
  const conv = k.body.find((i): i is Conv => i.op === 'convolution')!;
  const [xId, wId] = conv.operands as [number, number];
  const [x, w] = [k.hbm(xId), k.hbm(wId)];
  const g = convGeometry(k.shapeOf(xId).dims, k.shapeOf(wId).dims, conv.shape.dims, conv.attrs);
  const rest = k.body.filter((i) => i !== conv);
  const plan = planned ?? convPlanOf(k);
  const n = sizeOf(conv.shape.dims);
  const restInputs = (convBuf: KVal): Map<number, KVal> => {
    const usedByRest = new Set(rest.flatMap((i) => i.operands));
    return new Map([...[...k.inputs].filter(([id]) => usedByRest.has(id)), [conv.id, convBuf]]);
  };
  if (plan.kind === 'rows') {
    const { starts, values } = rowBlocks(g, plan);
    const wv = denseFilter(e, w, g, 'vmem');
    const block = (start: number): string => {
      const b0 = Math.floor(start / (g.ho * g.wo * g.n));
      const oh0 = Math.floor(start / (g.wo * g.n)) % g.ho;
      return rowsBlock(e, conv, x, wv, g, { b0, nb: plan.images, oh0, rows: plan.rows });
    };
    const offsets = starts.map((s) => (s.b0 * g.ho + s.oh0) * g.wo * g.n);
    const chunkPlan = rest.length === 0 ? null : planChunks(rest, k.root, k.shapeOf);
    if (rest.length === 0 || (chunkPlan && chunkPlan.mode.get(conv.id) === 'chunked' && sizeOf(k.shapeOf(k.root).dims) === n && values % chunkPlan.alignment === 0 && offsets.every((o) => o % chunkPlan.alignment === 0))) {
      const plan2 = chunkPlan ?? { mode: new Map([[conv.id, 'chunked' as const]]), alignment: 1 };
      const usedByRest = new Set(rest.flatMap((i) => i.operands));
      chunkedKernel(e, {
        body: rest,
        inputs: new Map([...k.inputs].filter(([id]) => usedByRest.has(id) && id !== conv.id)),
        resident: [wv],
        shapeOf: k.shapeOf,
        root: rest.length === 0 ? conv.id : k.root,
        dst: k.dst,
        plan: plan2,
        budget: k.target.budget * 4,
        layout: { starts: offsets, len: values },
        produce: new Map([[conv.id, (start: number) => block(start)]]),
      });
      e.release(wv);
      return;
    }
    e.release(wv);
  }
  if (rest.length > 0) {
    // the epilogue cannot ride on the blocks: the conv to HBM, then the rest as its own kernel
    const tmp = e.acquire(n, 'hbm');
    convKernel(e, { ...k, body: [conv], root: conv.id, dst: tmp });
    kernel(e, rest, restInputs({ buf: tmp }), new Map([[conv.id, conv.shape]]), k.root, k.dst, k.target);
    e.release(tmp);
    return;
  }
  if (plan.kind === 'stream') {
    const acc = streamConv(e, x, w, g, plan.kBlock);
    wholeKernel(e, { body: [], inputs: new Map(), shapeOf: k.shapeOf, root: conv.id, dst: k.dst, values: new Map([[conv.id, { buf: acc }]]) });
    return;
  }
  const patches = patchesInHbm(e, x, g);
  const dense = denseFilter(e, w, g, 'hbm');
  const kc = g.kh * g.kw * g.c;
  const dot: Extract<HloInstruction, { op: 'dot' }> = {
    id: conv.id,
    op: 'dot',
    operands: [xId, wId],
    shape: { dims: [g.b * g.ho * g.wo, g.n], dtype: conv.shape.dtype },
    attrs: { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [], precision: conv.attrs.precision },
  };
  tiledDot(e, dot, { buf: patches, shape: { dims: [g.b * g.ho * g.wo, kc], dtype: 'f32' } }, { buf: dense, shape: { dims: [kc, g.n], dtype: 'f32' } }, k.dst, { budget: k.target.budget, rows: k.target.core.mxu.rows });
  e.release(patches, dense);
}
