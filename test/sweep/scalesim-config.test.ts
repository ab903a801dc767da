/** SCALE-Sim .cfg files: the array, ws only, SRAM sizes, and errors naming file, line and key. */
import { describe, expect, it } from 'vitest';
import { ScaleSimConfigError, parseScaleSimConfig } from '../../src/sweep/scalesim-config.ts';

// SCALE-Sim v2's configs/google.cfg, as shipped
const GOOGLE = `[general]
run_name = GoogleTPU_v1_ws

[architecture_presets]
ArrayHeight:    256
ArrayWidth:     256
IfmapSramSzkB:    6144
FilterSramSzkB:   6144
OfmapSramSzkB:    2048
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : ws
Bandwidth : 10
MemoryBanks: 1

[run_presets]
InterfaceBandwidth: CALC
`;

describe('parseScaleSimConfig', () => {
  it("reads SCALE-Sim's google.cfg: the array, the dataflow, the SRAM sizes, the run name", () => {
    expect(parseScaleSimConfig(GOOGLE, 'google.cfg')).toEqual({ runName: 'GoogleTPU_v1_ws', rows: 256, cols: 256, dataflow: 'ws', sramKb: { ifmap: 6144, filter: 6144, ofmap: 2048 } });
  });

  it('takes keys in any case, = or :, comments, CRLF, and no SRAM sizes', () => {
    const c = parseScaleSimConfig('# tpu\r\n[x]\r\narrayheight = 128 ; rows\r\nARRAYWIDTH: 64\r\nDataflow: WS\r\n', 'a.cfg');
    expect([c.rows, c.cols, c.runName, c.sramKb.ifmap]).toEqual([128, 64, null, null]);
  });

  const cases: [string, string, RegExp][] = [
    ['output stationary', GOOGLE.replace('Dataflow : ws', 'Dataflow : os'), /^g\.cfg: line 13: Dataflow os \(output stationary\) is not modelled: tpusim's MXU is weight stationary/],
    ['input stationary', GOOGLE.replace('Dataflow : ws', 'Dataflow : is'), /line 13: Dataflow is \(input stationary\) is not modelled/],
    ['an unknown dataflow', GOOGLE.replace('Dataflow : ws', 'Dataflow : rs'), /line 13: Dataflow 'rs' is not modelled/],
    ['no dataflow', GOOGLE.replace('Dataflow : ws\n', ''), /^g\.cfg: no Dataflow/],
    ['no array height', GOOGLE.replace('ArrayHeight:    256\n', ''), /^g\.cfg: no ArrayHeight/],
    ['a bad width', GOOGLE.replace('ArrayWidth:     256', 'ArrayWidth: 12x'), /^g\.cfg: line 6: ArrayWidth must be a positive integer, got '12x'/],
    ['a bad SRAM size', GOOGLE.replace('OfmapSramSzkB:    2048', 'OfmapSramSzkB: -1'), /line 9: OfmapSramSzkB must be a positive number, got '-1'/],
    ['a line that is not a key', `${GOOGLE}garbage\n`, /line 19: expected 'Key : value' or a \[section\], got 'garbage'/],
  ];
  it.each(cases)('%s: one error naming the file and line', (_, text, message) => {
    expect(() => parseScaleSimConfig(text, 'g.cfg')).toThrow(ScaleSimConfigError);
    expect(() => parseScaleSimConfig(text, 'g.cfg')).toThrow(message);
  });
});
