import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XlaBuilder, f32 } from '../../src/xla/builder.ts';
import { evaluate } from '../../src/xla/evaluate.ts';
import { HloParseError, parse } from '../../src/xla/parse.ts';
import { print } from '../../src/xla/print.ts';
import { HloVerifyError } from '../../src/xla/verify.ts';
import { randomGraph } from './random-graph.ts';
import { compile } from '../../src/xla/compiler.ts';

describe('HLO text', () => {
  it('prints a dot the XLA way, default attrs omitted, metadata kept', () => {
    const b = new XlaBuilder('f');
    const x = b.parameter(0, f32([32, 784]), 'x');
    const w = b.parameter(1, f32([784, 128]), 'w');
    b.withSource('dense_1', () => b.dot(x, w));
    const text = print(b.build(b.op(2)));
    expect(text).toContain('ROOT %2 = f32[32,128]{1,0} dot(%x.0, %w.1), lhs_contracting_dims={1}, rhs_contracting_dims={0}, metadata={source="dense_1"}');
    expect(text).not.toContain('precision');
  });

  it('round-trips random graphs: print(parse(print(m))) === print(m), same values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const { module, args } = randomGraph(seed, 10);
        const text = print(module);
        const back = parse(text);
        expect(print(back)).toBe(text);
        const [a, c] = [evaluate(module, args), evaluate(back, args)];
        a.forEach((v, i) => expect(c[i]!.data).toEqual(v.data));
      }),
      { seed: 5, numRuns: 60 },
    );
  });

  it('round-trips compiled modules too (fusions, tiles, reordered ids)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const { module, args } = randomGraph(seed, 10);
        const compiled = compile(module).module;
        const text = print(compiled);
        const back = parse(text);
        expect(print(back)).toBe(text);
        expect(evaluate(back, args).map((l) => Array.from(l.data))).toEqual(evaluate(compiled, args).map((l) => Array.from(l.data)));
      }),
      { seed: 17, numRuns: 30 },
    );
  });

  it('parses hand-written text with bare names and tuples', () => {
    const m = parse(`HloModule m
ENTRY %m {
  %x = f32[2,3]{1,0} parameter(0)
  %e = f32[2,3]{1,0} exp(%x)
  %s = f32[2]{0} reduce(%e), dimensions={1}
  ROOT %t = (f32[2,3], f32[2]) tuple(%e, %s)
}`);
    expect(m.entry.outputs).toEqual([1, 2]);
    const [e, s] = evaluate(m, [[0, 0, 0, 1, 1, 1]]);
    expect(e!.data[0]).toBe(1);
    expect(s!.data[1]).toBeCloseTo(3 * Math.E, 5);
  });

  it('prints constants exactly, including -0, nan and inf', () => {
    const b = new XlaBuilder('c');
    b.constant([-0, NaN, Infinity, -Infinity, 1 / 3], [5]);
    const m = b.build(b.op(0));
    const back = parse(print(m));
    const v = back.entry.instructions[0]!;
    expect(v.op === 'constant' && Object.is(v.attrs.value[0], -0)).toBe(true);
    expect(print(back)).toBe(print(m));
  });

  it('names the line of a syntax error and the instruction of a shape error', () => {
    expect(() => parse('HloModule m\nENTRY %m {\n  %x = f32[2]{0} parameter(0)\n  %y = f32[2]{0} frobnicate(%x)\n}')).toThrow(/line 4: unknown op 'frobnicate'/);
    expect(() => parse('HloModule m\nENTRY %m {\n  %x = f32[2]{0} parameter(0)\n  ROOT %y = f32[3]{0} exp(%x)\n}')).toThrow(HloVerifyError);
    expect(() => parse('nonsense')).toThrow(HloParseError);
  });
});
