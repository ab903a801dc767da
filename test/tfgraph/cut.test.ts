/**
 * cutGraph: which nodes an import converts (input to output, topologically, control inputs
 * dropped), the consumer counts that decide batch-norm folding, and its errors: unknown
 * --input/--output, several end nodes or inputs, a missing input node, a cycle, and every
 * unsupported op at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutGraph, dataInputs, parseRef } from '../../src/tfgraph/cut.ts';
import { GraphImportError } from '../../src/tfgraph/errors.ts';
import type { TfNode } from '../../src/tfgraph/graph-def.ts';
import { constF, node, placeholder } from './graphs.ts';

const ALL = new Set(['Placeholder', 'Const', 'Relu', 'Add', 'Identity', 'NoOp']);
const GRAPH: TfNode[] = [
  node('out', 'Add', ['b', 'a:0', '^init']),
  node('b', 'Relu', ['a']),
  node('a', 'Relu', ['x']),
  placeholder('x', [1, 2, 2, 1]),
  node('init', 'NoOp'),
  node('unused', 'Relu', ['x']),
  node('side', 'Identity', ['unused']),
];

describe('cutGraph', () => {
  it('orders the part between input and output topologically, drops control inputs, counts consumers', () => {
    expect(parseRef('^init')).toBeNull();
    expect(parseRef('a:2')).toEqual({ name: 'a', index: 2 });
    expect(dataInputs(GRAPH[0]!).map((r) => r.name)).toEqual(['b', 'a']);
    const c = cutGraph({ nodes: GRAPH }, { output: 'out', supported: ALL });
    expect(c.order.map((n) => n.name)).toEqual(['x', 'a', 'b', 'out']);
    expect([c.input.name, c.output.name]).toEqual(['x', 'out']);
    expect(Object.fromEntries(c.consumers)).toEqual({ x: 1, a: 2, b: 1, out: 1 });
  });

  it('any node order in the file gives an order where inputs come first (property)', () => {
    const chain: TfNode[] = [placeholder('x', [1, 1, 1, 1]), ...Array.from({ length: 12 }, (_, i) => node(`n${i}`, 'Add', [i === 0 ? 'x' : `n${i - 1}`, i > 1 ? `n${i - 2}` : 'x']))];
    fc.assert(
      fc.property(fc.shuffledSubarray(chain, { minLength: chain.length, maxLength: chain.length }), (nodes) => {
        const c = cutGraph({ nodes }, { supported: ALL });
        const at = new Map(c.order.map((n, i) => [n.name, i]));
        for (const n of c.order) for (const r of dataInputs(n)) expect(at.get(r.name)!).toBeLessThan(at.get(n.name)!);
        expect(c.output.name).toBe('n11');
      }),
      { numRuns: 30, seed: 14 },
    );
  });

  it('errors name the nodes', () => {
    const g = { nodes: GRAPH };
    expect(() => cutGraph(g, { supported: ALL })).toThrow(/the graph has 2 end nodes \('out' \(Add\), 'side' \(Identity\)\); choose one with --output NAME/);
    expect(() => cutGraph(g, { output: 'zz', supported: ALL })).toThrow("--output 'zz': no node of that name in the graph");
    expect(() => cutGraph(g, { output: 'out', input: 'a', supported: ALL })).toThrow("--input 'a' is a Relu, not a Placeholder");
    expect(() => cutGraph({ nodes: [placeholder('x', [1]), node('r', 'Relu', ['y'])] }, { supported: ALL })).toThrow("node 'r' (Relu) takes 'y', which is not in the graph");
    expect(() => cutGraph({ nodes: [node('p', 'Relu', ['q']), node('q', 'Relu', ['p']), node('o', 'Relu', ['p'])] }, { output: 'o', supported: ALL })).toThrow(/cycle through/);
    const two = [placeholder('x', [1]), placeholder('y', [1]), node('o', 'Add', ['x', 'y'])];
    expect(() => cutGraph({ nodes: two }, { supported: ALL })).toThrow(/depends on more than one input: 'x' \(Placeholder\), 'y' \(Placeholder\)/);
    expect(() => cutGraph({ nodes: [constF('c', [1], [1]), node('o', 'Relu', ['c'])] }, { supported: ALL })).toThrow("the output 'o' does not depend on any Placeholder");
    const bad = [placeholder('x', [1]), node('t', 'Tanh', ['x']), node('s', 'Sigmoid', ['t'])];
    expect(() => cutGraph({ nodes: bad }, { supported: ALL })).toThrow(GraphImportError);
    expect(() => cutGraph({ nodes: bad }, { supported: ALL })).toThrow(/2 node\(s\) use ops tpusim cannot import: 't' \(Tanh\), 's' \(Sigmoid\)/);
  });
});
