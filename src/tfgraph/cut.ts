/**
 * @module tfgraph/cut
 * Which part of a graph an import converts: the output node (`--output`, or the one node
 * nothing consumes), the input placeholder (`--input`, or the one placeholder the output
 * depends on), and every node between them in topological order, with how many nodes of
 * that part consume each (a convolution is folded with its batch norm only when the norm
 * is its one consumer). All unsupported ops of the part are reported in one error.
 *
 * Imports ./graph-def (types), ./errors.
 * Invariants: `order` ends with the output; every data input of a node in `order` is in
 * `order` before it; control inputs ("^name") are dropped (a frozen graph needs none).
 */
import { GraphImportError } from './errors.ts';
import type { TfGraph, TfNode } from './graph-def.ts';

/** A reference to a node's output: "name" or "name:k". */
export interface Ref {
  readonly name: string;
  readonly index: number;
}

/** Parses an input string; null for a control input ("^name"). */
export function parseRef(input: string): Ref | null {
  if (input.startsWith('^')) return null;
  const m = /^(.*):(\d+)$/.exec(input);
  return m ? { name: m[1]!, index: Number(m[2]) } : { name: input, index: 0 };
}

/** The data inputs of a node. */
export function dataInputs(node: TfNode): Ref[] {
  return node.inputs.map(parseRef).filter((r): r is Ref => r !== null);
}

/** The part of a graph to convert. */
export interface GraphCut {
  readonly input: TfNode;
  readonly output: TfNode;
  /** Input to output, topologically. */
  readonly order: readonly TfNode[];
  /** Node name -> number of consumers inside the cut (the output counts one for the model). */
  readonly consumers: ReadonlyMap<string, number>;
}

/** Options of `cutGraph`. */
export interface CutOptions {
  /** The input placeholder's name. */
  readonly input?: string;
  /** The node whose value the model returns (a feature extractor stops early). */
  readonly output?: string;
  /** Op types the converter handles (the rest are listed in one error). */
  readonly supported: ReadonlySet<string>;
}

const list = (nodes: readonly TfNode[]): string => nodes.map((n) => `'${n.name}' (${n.op})`).join(', ');

function pickOutput(g: TfGraph, byName: ReadonlyMap<string, TfNode>, name: string | undefined): TfNode {
  if (name !== undefined) {
    const n = byName.get(name);
    if (!n) throw new GraphImportError(`--output '${name}': no node of that name in the graph`);
    return n;
  }
  const used = new Set(g.nodes.flatMap((n) => dataInputs(n).map((r) => r.name)));
  const ends = g.nodes.filter((n) => !used.has(n.name) && n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'NoOp');
  if (ends.length !== 1) throw new GraphImportError(`the graph has ${ends.length} end nodes (${list(ends.slice(0, 8))}); choose one with --output NAME`);
  return ends[0]!;
}

/**
 * Cuts the graph between its input and output.
 * @throws GraphImportError naming the node: an unknown --input/--output, a missing input
 *   node, a cycle, a second placeholder, and every unsupported op of the cut at once
 */
export function cutGraph(g: TfGraph, o: CutOptions): GraphCut {
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const output = pickOutput(g, byName, o.output);
  if (o.input !== undefined) {
    const n = byName.get(o.input);
    if (!n) throw new GraphImportError(`--input '${o.input}': no node of that name in the graph`);
    if (n.op !== 'Placeholder') throw new GraphImportError(`--input '${o.input}' is a ${n.op}, not a Placeholder`);
  }
  const order: TfNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const placeholders: TfNode[] = [];
  // iterative DFS (a deep network would overflow the call stack with recursion)
  const stack: { node: TfNode; next: number }[] = [{ node: output, next: 0 }];
  state.set(output.name, 'visiting');
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const refs = top.node.op === 'Placeholder' ? [] : dataInputs(top.node);
    if (top.next < refs.length) {
      const ref = refs[top.next++]!;
      const child = byName.get(ref.name);
      if (!child) throw new GraphImportError(`node '${top.node.name}' (${top.node.op}) takes '${ref.name}', which is not in the graph`);
      const s = state.get(child.name);
      if (s === 'visiting') throw new GraphImportError(`the graph has a cycle through '${child.name}' (${child.op})`);
      if (s === undefined) {
        state.set(child.name, 'visiting');
        stack.push({ node: child, next: 0 });
      }
      continue;
    }
    stack.pop();
    state.set(top.node.name, 'done');
    order.push(top.node);
    if (top.node.op === 'Placeholder') placeholders.push(top.node);
  }
  const input = o.input !== undefined ? byName.get(o.input)! : placeholders[0];
  if (!input || !placeholders.includes(input)) throw new GraphImportError(`the output '${output.name}' does not depend on ${o.input === undefined ? 'any Placeholder' : `'${o.input}'`}`);
  const others = placeholders.filter((p) => p !== input);
  if (others.length > 0) throw new GraphImportError(`the output '${output.name}' depends on more than one input: ${list(placeholders)}; tpusim imports one-input graphs`);
  const unsupported = order.filter((n) => !o.supported.has(n.op));
  if (unsupported.length > 0) {
    throw new GraphImportError(`${unsupported.length} node(s) use ops tpusim cannot import: ${list(unsupported)} (supported: ${[...o.supported].sort().join(', ')})`);
  }
  const consumers = new Map<string, number>([[output.name, 1]]);
  for (const n of order) for (const r of dataInputs(n)) consumers.set(r.name, (consumers.get(r.name) ?? 0) + 1);
  return { input, output, order, consumers };
}
