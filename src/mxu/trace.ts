/**
 * @module mxu/trace
 * A cycle-by-cycle trace of a small stepped matmul, as plain data (for `--json` and
 * figures) and as text (for the terminal and the golden file under test/golden/).
 *
 * Imports ./config, ./stepped, ./reference, ./report and the array/feeder types.
 *
 * Each frame is the state at the END of one cycle: every PE's registers, what the
 * weight-load port and the feeder did, which PEs did a real MAC (a valid activation inside
 * the tile's used rows and columns), and the results added into the accumulators.
 */
import type { PeState } from './array.ts';
import type { MatmulShape, MxuConfig, Precision } from './config.ts';
import type { AccumulatorWrite } from './feeder.ts';
import { referenceMatmul } from './reference.ts';
import { mxuReport, formatReport, type MxuReport } from './report.ts';
import { SteppedMxu, type CycleEvents } from './stepped.ts';

/** The state at the end of one cycle. */
export interface TraceFrame {
  readonly events: CycleEvents;
  /** pes: [R][C] registers. */
  readonly pes: PeState[][];
  /** busy: [R][C], whether the PE did a MAC on real operands this cycle. */
  readonly busy: boolean[][];
  readonly outputs: AccumulatorWrite[];
}

/** A whole traced run. */
export interface SystolicTrace {
  readonly rows: number;
  readonly cols: number;
  readonly overlap: boolean;
  readonly shape: MatmulShape;
  readonly precision: Precision;
  /** a: [M, K], b: [K, N] as given; c: [M, N] result. */
  readonly a: number[];
  readonly b: number[];
  readonly c: number[];
  readonly frames: TraceFrame[];
  readonly report: MxuReport;
  /** Whether c equals referenceMatmul bit for bit. */
  readonly matchesReference: boolean;
}

/**
 * Seeded small-integer operands in [-4, 4] (readable in a trace; exact in bf16).
 * @example randomOperands({ m: 2, k: 2, n: 2 }, 1).a.length // 4
 */
export function randomOperands(shape: MatmulShape, seed: number): { a: Float32Array; b: Float32Array } {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  const next = () => {
    // xorshift32: deterministic, no dependency.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) % 9) - 4;
  };
  return {
    a: Float32Array.from({ length: shape.m * shape.k }, next),
    b: Float32Array.from({ length: shape.k * shape.n }, next),
  };
}

/**
 * Steps a matmul to the end, recording a frame per cycle. Meant for small arrays.
 * @example
 * const { a, b } = randomOperands({ m: 5, k: 4, n: 4 }, 1);
 * renderTrace(traceMatmul(a, b, { m: 5, k: 4, n: 4 }, { config: mxuConfig({ rows: 4, cols: 4 }) }))
 */
export function traceMatmul(
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
  options: { readonly config: MxuConfig; readonly precision?: Precision },
): SystolicTrace {
  const precision = options.precision ?? 'default';
  const mxu = new SteppedMxu(a, b, shape, { config: options.config, precision, recordOutputs: true });
  const frames: TraceFrame[] = [];
  while (!mxu.done) {
    mxu.step();
    const pes = mxu.snapshot();
    const busy = pes.map((row, r) =>
      row.map((pe, c) => {
        const tile = pe.actTile >= 0 ? mxu.tileList[pe.actTile] : undefined;
        return tile !== undefined && r < tile.kr && c < tile.nc;
      }),
    );
    frames.push({ events: mxu.events, pes, busy, outputs: mxu.feeder.lastOutputs });
  }
  const c = mxu.result();
  const ref = referenceMatmul(a, b, shape, { config: options.config, precision });
  const same = new Uint32Array(c.buffer).every((x, i) => x === new Uint32Array(ref.buffer)[i]);
  return {
    rows: options.config.rows,
    cols: options.config.cols,
    overlap: options.config.overlap,
    shape,
    precision,
    a: Array.from(a),
    b: Array.from(b),
    c: Array.from(c),
    frames,
    report: mxuReport(shape, options.config, precision),
    matchesReference: same,
  };
}

/** A number in at most 7 characters. */
function num(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const s = x.toPrecision(3);
  return s.length <= 7 ? s : x.toExponential(1);
}

/** One cycle drawn as text: per array row, lines for activations, weights and psums. */
export function renderFrame(frame: TraceFrame): string {
  const { events, pes, busy } = frame;
  const width = 11;
  const cell = (s: string) => s.padEnd(width);
  const load = events.loadRow ? `tile ${events.loadRow.tile} row ${events.loadRow.row} -> shadow` : '-';
  const stream = events.streamStart !== null ? `tile ${events.streamStart} starts` : '-';
  const lines = [`cycle ${events.cycle}   weight load: ${load}   stream: ${stream}`];
  lines.push(`${' '.repeat(10)}${pes[0]!.map((_, c) => cell(`col ${c}`)).join('')}`);
  pes.forEach((row, r) => {
    const act = row.map((pe) => cell(pe.actTile < 0 ? '  .' : `${num(pe.act)} ->`));
    const w = row.map((pe) => {
      const active = pe.weightTile < 0 ? '.' : num(pe.weight);
      const shadow = pe.shadowTile > pe.weightTile ? ` [${num(pe.shadow)}]` : '';
      return cell(`${active}${shadow}`);
    });
    // A psum travels with its activation's wave: no wave, nothing worth showing.
    const psum = row.map((pe, c) => cell(pe.actTile < 0 ? '  .' : `${busy[r]![c] ? '*' : ' '}${num(pe.psum)} v`));
    lines.push(`row ${r}  a ${act.join('')}`, `       w ${w.join('')}`, `       p ${psum.join('')}`);
  });
  if (frame.outputs.length > 0) {
    const outs = frame.outputs.map((o) => `c${o.pass > 0 ? `(pass ${o.pass})` : ''}[${o.m},${o.n}] = ${num(o.value)}`);
    lines.push(`  accumulators: ${outs.join(', ')}`);
  }
  return lines.map((line) => line.trimEnd()).join('\n');
}

/** Legend, every frame, then the result and the report. */
export function renderTrace(trace: SystolicTrace): string {
  const { shape } = trace;
  const head = [
    `systolic array ${trace.rows} x ${trace.cols}, C[${shape.m}x${shape.n}] = A[${shape.m}x${shape.k}] . B[${shape.k}x${shape.n}], precision ${trace.precision}, overlap ${trace.overlap ? 'on' : 'off'}`,
    'legend: a = activation register (moves right), w = active weight [shadow weight being loaded],',
    '        p = partial sum register (moves down), * = PE did a real MAC this cycle, . = empty',
  ];
  const matrix = (v: number[], rows: number, cols: number) =>
    Array.from({ length: rows }, (_, i) => `  ${v.slice(i * cols, (i + 1) * cols).map((x) => num(x).padStart(6)).join(' ')}`);
  const tail = [
    'A =',
    ...matrix(trace.a, shape.m, shape.k),
    'B =',
    ...matrix(trace.b, shape.k, shape.n),
    'C = A . B =',
    ...matrix(trace.c, shape.m, shape.n),
    `matches the numerics reference bit for bit: ${trace.matchesReference ? 'yes' : 'NO'}`,
    formatReport(trace.report),
  ];
  return [...head, '', ...trace.frames.map(renderFrame).join('\n\n').split('\n'), '', ...tail].map((l) => l.trimEnd()).join('\n');
}
