/**
 * @module bfloat16/formats
 * The codelab's argument for bf16 over f16, computed rather than asserted: the range and
 * precision of f32, bf16 and f16, and what each does to a few telling values.
 *
 * Imports ./convert and @petamoriken/float16 (the f16 reference rounding). Pure data out;
 * printing is `formatTable`, used by `tpusim numerics`.
 */
import { f16round } from '@petamoriken/float16';
import { fromBf16Bits, roundToBf16, BF16, type SubnormalMode } from './convert.ts';

/** Range and precision facts of one floating-point format. */
export interface FormatFacts {
  readonly name: 'f32' | 'bf16' | 'f16';
  readonly bits: number;
  readonly exponentBits: number;
  readonly mantissaBits: number;
  readonly largest: number;
  readonly smallestNormal: number;
  readonly epsilon: number;
}

/** What rounding one value to each format gives, and its relative error. */
export interface ValueFate {
  readonly label: string;
  readonly value: number;
  readonly f32: number;
  readonly bf16: number;
  readonly f16: number;
}

/** The full comparison printed by `tpusim numerics`. */
export interface NumericsReport {
  readonly subnormals: SubnormalMode;
  readonly formats: readonly FormatFacts[];
  readonly values: readonly ValueFate[];
}

const FORMATS: readonly FormatFacts[] = [
  {
    name: 'f32',
    bits: 32,
    exponentBits: 8,
    mantissaBits: 23,
    largest: 3.4028234663852886e38,
    smallestNormal: 2 ** -126,
    epsilon: 2 ** -23,
  },
  {
    name: 'bf16',
    bits: 16,
    exponentBits: 8,
    mantissaBits: 7,
    largest: fromBf16Bits(BF16.max),
    smallestNormal: fromBf16Bits(BF16.minNormal),
    epsilon: fromBf16Bits(BF16.epsilon),
  },
  { name: 'f16', bits: 16, exponentBits: 5, mantissaBits: 10, largest: 65504, smallestNormal: 2 ** -14, epsilon: 2 ** -10 },
];

const TELLING_VALUES: readonly { label: string; value: number }[] = [
  { label: 'activation 70000', value: 70000 },
  { label: 'small weight 1e-6', value: 1e-6 },
  { label: 'one third', value: 1 / 3 },
  { label: 'gradient 1e-8', value: 1e-8 },
];

/**
 * Computes the comparison table. The bf16 column honours the subnormal setting; f16 keeps
 * its subnormals (as IEEE half does).
 * @example numericsReport().values[0].f16 // Infinity: 70000 overflows f16
 */
export function numericsReport(subnormals: SubnormalMode = 'flush'): NumericsReport {
  const values = TELLING_VALUES.map(({ label, value }) => ({
    label,
    value,
    f32: Math.fround(value),
    bf16: roundToBf16(value, subnormals),
    f16: f16round(value),
  }));
  return { subnormals, formats: FORMATS, values };
}

function fmt(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  return x.toPrecision(8).replace(/\.?0+(e|$)/, '$1');
}

function relError(exact: number, got: number): string {
  if (!Number.isFinite(got)) return 'overflow';
  if (got === 0 && exact !== 0) return 'underflow';
  const e = Math.abs(got - exact) / Math.abs(exact);
  return e === 0 ? 'exact' : `${e.toExponential(1)} rel`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** Renders the report as two aligned plain-text tables. */
export function formatTable(report: NumericsReport): string {
  const head = ['', ...report.formats.map((f) => f.name)];
  const facts = table([
    head,
    ['bits (exp/mantissa)', ...report.formats.map((f) => `${f.bits} (${f.exponentBits}/${f.mantissaBits})`)],
    ['largest', ...report.formats.map((f) => fmt(f.largest))],
    ['smallest normal', ...report.formats.map((f) => fmt(f.smallestNormal))],
    ['epsilon', ...report.formats.map((f) => fmt(f.epsilon))],
  ]);
  const fates = table([
    ['value', 'f32', 'bf16', 'f16'],
    ...report.values.map((v) => [
      v.label,
      `${fmt(v.f32)} (${relError(v.value, v.f32)})`,
      `${fmt(v.bf16)} (${relError(v.value, v.bf16)})`,
      `${fmt(v.f16)} (${relError(v.value, v.f16)})`,
    ]),
  ]);
  return [
    facts,
    '',
    fates,
    '',
    'bf16 keeps f32\'s range (no loss scaling, gradients like 1e-8 survive) and gives up precision;',
    `f16 keeps precision but overflows past 65504 and rounds to 0 below 3e-8. Subnormals: ${report.subnormals}.`,
  ].join('\n');
}
