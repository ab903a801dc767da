/**
 * @module sweep/scalesim-config
 * Reads a SCALE-Sim .cfg file (INI: `[section]`, `Key : value` or `Key = value`, `#` and `;`
 * comments, keys in any case as Python's configparser reads them) for what tpusim models:
 * the array (ArrayHeight x ArrayWidth), the dataflow (weight stationary only: the MXU's), the
 * three SRAM sizes and the run name. Every other key is accepted and ignored.
 *
 * Imports nothing. Errors name the file, the line and the key.
 */

/** What tpusim takes from a SCALE-Sim config. */
export interface ScaleSimConfig {
  readonly runName: string | null;
  readonly rows: number;
  readonly cols: number;
  readonly dataflow: 'ws';
  /** IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB (kB), when given. */
  readonly sramKb: { readonly ifmap: number | null; readonly filter: number | null; readonly ofmap: number | null };
}

/** A bad config file: names the file, the line (0 for a missing key) and the problem. */
export class ScaleSimConfigError extends Error {
  override readonly name = 'ScaleSimConfigError';
  readonly userFacing = true;
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}${line > 0 ? `: line ${line}` : ''}: ${problem}`);
  }
}

/** Dataflows SCALE-Sim knows, and why tpusim takes only one. */
const DATAFLOWS = { ws: 'weight stationary', os: 'output stationary', is: 'input stationary' } as const;

interface Entry {
  readonly value: string;
  readonly line: number;
}

/** key (lower case) -> last value and its line. */
function entries(text: string, file: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';') || /^\[.*\]$/.test(t)) return;
    const m = /^([^:=]+?)\s*[:=]\s*(.*)$/.exec(t);
    if (!m) throw new ScaleSimConfigError(file, i + 1, `expected 'Key : value' or a [section], got '${t}'`);
    out.set(m[1]!.toLowerCase(), { value: m[2]!.replace(/\s[#;].*$/, '').trim(), line: i + 1 });
  });
  return out;
}

/** A positive number (integer when `integer`) under `key`, or null when absent and optional. */
function numberAt(map: Map<string, Entry>, file: string, key: string, options: { integer: boolean; required: boolean }): number | null {
  const e = map.get(key.toLowerCase());
  if (!e) {
    if (options.required) throw new ScaleSimConfigError(file, 0, `no ${key} (the config must give ArrayHeight, ArrayWidth and Dataflow)`);
    return null;
  }
  const n = (options.integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(e.value) ? Number(e.value) : NaN;
  if (!(n > 0) || !Number.isSafeInteger(Math.ceil(n))) {
    throw new ScaleSimConfigError(file, e.line, `${key} must be a positive ${options.integer ? 'integer' : 'number'}, got '${e.value}'`);
  }
  return n;
}

/**
 * Parses a SCALE-Sim config for tpusim: a weight-stationary array and its SRAM sizes.
 * @throws ScaleSimConfigError naming the file, the line and the key (a dataflow other than ws is refused)
 * @example parseScaleSimConfig('[architecture_presets]\nArrayHeight: 128\nArrayWidth: 128\nDataflow : ws\n', 'tpu.cfg').rows // 128
 */
export function parseScaleSimConfig(text: string, file: string): ScaleSimConfig {
  const map = entries(text, file);
  const rows = numberAt(map, file, 'ArrayHeight', { integer: true, required: true })!;
  const cols = numberAt(map, file, 'ArrayWidth', { integer: true, required: true })!;
  const df = map.get('dataflow');
  if (!df) throw new ScaleSimConfigError(file, 0, 'no Dataflow (the config must give ArrayHeight, ArrayWidth and Dataflow)');
  const flow = df.value.toLowerCase();
  if (flow !== 'ws') {
    const what = flow in DATAFLOWS ? `${flow} (${DATAFLOWS[flow as keyof typeof DATAFLOWS]})` : `'${df.value}'`;
    throw new ScaleSimConfigError(file, df.line, `Dataflow ${what} is not modelled: tpusim's MXU is weight stationary, so only 'Dataflow : ws' is taken (SCALE-Sim's dataflows: ws, os, is)`);
  }
  const kb = (key: string) => numberAt(map, file, key, { integer: false, required: false });
  return {
    runName: map.get('run_name')?.value || null,
    rows,
    cols,
    dataflow: 'ws',
    sramKb: { ifmap: kb('IfmapSramSzkB'), filter: kb('FilterSramSzkB'), ofmap: kb('OfmapSramSzkB') },
  };
}
