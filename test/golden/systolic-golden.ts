/**
 * The runs whose cycle traces are kept as golden files in this folder, shared by the test
 * (test/mxu/trace.test.ts) and the regeneration script (regenerate-systolic.ts).
 */
import { mxuConfig, type MatmulShape } from '../../src/mxu/config.ts';
import { randomOperands, renderTrace, traceMatmul } from '../../src/mxu/trace.ts';

/** One golden run: array size, shape, seed, overlap, and its file name. */
export interface GoldenTrace {
  readonly file: string;
  readonly rows: number;
  readonly cols: number;
  readonly shape: MatmulShape;
  readonly seed: number;
  readonly overlap: boolean;
}

export const GOLDEN_TRACES: readonly GoldenTrace[] = [
  // 2 row folds x 2 column folds on a 2 x 2 array: partial tiles and overlapped weight loads.
  { file: 'systolic-2x2-m3-k3-n3.txt', rows: 2, cols: 2, shape: { m: 3, k: 3, n: 3 }, seed: 1, overlap: true },
  // The same back to back (SCALE-Sim's model).
  { file: 'systolic-2x2-m3-k3-n3-no-overlap.txt', rows: 2, cols: 2, shape: { m: 3, k: 3, n: 3 }, seed: 1, overlap: false },
];

/** The text a golden file must hold. */
export function goldenTraceText(g: GoldenTrace): string {
  const { a, b } = randomOperands(g.shape, g.seed);
  const config = mxuConfig({ rows: g.rows, cols: g.cols, overlap: g.overlap });
  return `${renderTrace(traceMatmul(a, b, g.shape, { config }))}\n`;
}
