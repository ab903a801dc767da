/**
 * SCALE-Sim topology files: both formats as SCALE-Sim's own files spell them (trailing
 * commas, padded cells, CRLF), depthwise expansion, the ofmap rule, errors that name file,
 * line and column, and formatTopology -> parseTopology round trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyError, formatTopology, layerMatmul, ofmapDims, parseTopology, type LayerSpec } from '../../src/sweep/topology.ts';

// SCALE-Sim v2's topologies/conv_nets/alexnet.csv, byte for byte in its layout (padded cells, trailing commas)
const ALEXNET = `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1     ,224         ,224        ,11           ,11          ,3       ,96        ,4      ,
Conv2     ,27         ,27        ,5            ,5           ,96      ,256       ,1      ,
Conv3     ,13          ,13         ,3            ,3           ,256     ,384       ,1      ,
Conv4     ,13          ,13         ,3            ,3           ,384     ,384       ,1      ,
Conv5     ,13          ,13         ,3            ,3           ,384     ,256       ,1      ,
`;

describe('parseTopology', () => {
  it("reads SCALE-Sim's conv format with its padding and trailing commas", () => {
    const layers = parseTopology(ALEXNET, 'alexnet.csv');
    expect(layers.map((l) => l.name)).toEqual(['Conv1', 'Conv2', 'Conv3', 'Conv4', 'Conv5']);
    expect(layers[0]).toEqual({ name: 'Conv1', ifmapHeight: 224, ifmapWidth: 224, filterHeight: 11, filterWidth: 11, channels: 3, filters: 96, strideHeight: 4, strideWidth: 4 });
    // SCALE-Sim's ofmap rule: ceil((224 - 11 + 4) / 4) = 55 (not floor((224 - 11) / 4) + 1 = 54)
    expect(ofmapDims(layers[0]!)).toEqual({ height: 55, width: 55 });
    expect(layerMatmul(layers[0]!)).toEqual({ m: 3025, k: 363, n: 96 });
    expect(layerMatmul(layers[1]!, 4)).toEqual({ m: 4 * 23 * 23, k: 2400, n: 256 });
  });

  it('takes CRLF, a BOM, blank lines, no trailing comma and a ninth stride-width column', () => {
    const text = '\uFEFFLayer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Stride height,Stride width\r\n\r\nc1,10,12,3,3,4,8,1,2\r\n';
    const [l] = parseTopology(text, 't.csv');
    expect(l).toMatchObject({ name: 'c1', strideHeight: 1, strideWidth: 2 });
    expect(ofmapDims(l!)).toEqual({ height: 8, width: 6 }); // ceil((12 - 3 + 2) / 2)
  });

  it("reads the GEMM format as SCALE-Sim does: IFMAP M x K, filter 1 x K, N filters", () => {
    const [l] = parseTopology('Layer Name, M, N, K,\nTest 1, 256, 128, 256,\n', 'mnk.csv');
    expect(layerMatmul(l!)).toEqual({ m: 256, k: 256, n: 128 });
  });

  it("expands a depthwise 'DP' row into one single-channel layer per channel, as SCALE-Sim", () => {
    const layers = parseTopology('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv_DP_1, 10, 10, 3, 3, 4, 1, 1,\n', 'dw.csv');
    expect(layers.map((l) => l.name)).toEqual(['Conv_DP_1Channel_0', 'Conv_DP_1Channel_1', 'Conv_DP_1Channel_2', 'Conv_DP_1Channel_3']);
    expect(layers.every((l) => l.channels === 1)).toBe(true);
  });

  const HEAD = 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n';
  const cases: [string, string, number, number | null, RegExp][] = [
    ['empty file', '', 1, null, /the file is empty/],
    ['unknown header', 'a,b,c\n1,2,3\n', 1, null, /the header 'a, b, c' is neither SCALE-Sim's conv format/],
    ['no rows', HEAD, 1, null, /no layers after the header/],
    ['a word for a number', `${HEAD}c1, 10, ten, 3, 3, 4, 8, 1,\n`, 2, 3, /IFMAP Width must be a positive integer, got 'ten'/],
    ['zero filters', `${HEAD}c1, 10, 10, 3, 3, 4, 0, 1,\n`, 2, 7, /Num Filter must be a positive integer, got '0'/],
    ['a decimal stride', `${HEAD}ok, 9, 9, 1, 1, 1, 1, 1,\nc2, 10, 10, 3, 3, 4, 8, 1.5,\n`, 3, 8, /Strides must be a positive integer, got '1.5'/],
    ['too few cells', `${HEAD}c1, 10, 10, 3, 3, 4,\n`, 2, null, /expected 8 or 9 values .* got 6/],
    ['no name', `${HEAD} , 10, 10, 3, 3, 4, 8, 1,\n`, 2, 1, /the layer name is empty/],
    ['filter taller than the input', `${HEAD}c1, 2, 10, 3, 3, 4, 8, 1,\n`, 2, 4, /Filter Height 3 is larger than IFMAP Height 2/],
    ['a huge value', `${HEAD}c1, 99999999, 10, 3, 3, 4, 8, 1,\n`, 2, 2, /IFMAP Height 99999999 is larger than/],
    ['a GEMM row short of K', 'Layer, M, N, K,\ng1, 4, 5,\n', 2, null, /expected 4 values \(Layer name, M, N, K\), got 3/],
  ];
  it.each(cases)('%s: a TopologyError naming file, line and column', (_, text, line, column, message) => {
    let caught: unknown;
    try {
      parseTopology(text, 'bad.csv');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TopologyError);
    const e = caught as TopologyError;
    expect([e.file, e.line, e.column]).toEqual(['bad.csv', line, column]);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`bad.csv: line ${line}${column === null ? ':' : `, column ${column}:`}`)).toBe(true);
    expect(e.userFacing).toBe(true);
  });
});

describe('formatTopology', () => {
  const side = fc.integer({ min: 1, max: 300 });
  const layer: fc.Arbitrary<LayerSpec> = fc
    .record({ name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), h: side, w: side, fh: fc.integer({ min: 1, max: 7 }), fw: fc.integer({ min: 1, max: 7 }), c: side, k: side, sh: fc.integer({ min: 1, max: 4 }), sw: fc.integer({ min: 1, max: 4 }) })
    .filter((r) => r.fh <= r.h && r.fw <= r.w && !r.name.includes('DP'))
    .map((r) => ({ name: r.name, ifmapHeight: r.h, ifmapWidth: r.w, filterHeight: r.fh, filterWidth: r.fw, channels: r.c, filters: r.k, strideHeight: r.sh, strideWidth: r.sw }));

  it('round-trips through parseTopology (one stride column when strides agree, two otherwise)', () => {
    fc.assert(
      fc.property(fc.array(layer, { minLength: 1, maxLength: 6 }), (layers) => {
        expect(parseTopology(formatTopology(layers), 'x.csv')).toEqual(layers);
      }),
      { seed: 15, numRuns: 200 },
    );
  });

  it("writes SCALE-Sim's header and trailing commas", () => {
    const text = formatTopology(parseTopology(ALEXNET, 'alexnet.csv'));
    expect(text.split('\n')[0]).toBe('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,');
    expect(text.split('\n')[1]).toBe('Conv1, 224, 224, 11, 11, 3, 96, 4,');
  });
});
