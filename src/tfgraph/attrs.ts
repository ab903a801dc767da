/**
 * @module tfgraph/attrs
 * Reading a node's attributes as the converter needs them (strides, window sizes, padding,
 * data format, epsilon), each check failing with a GraphImportError that names the node,
 * its op type and the attribute.
 *
 * Imports ./graph-def (types), ./errors.
 */
import { GraphImportError } from './errors.ts';
import type { TfNode } from './graph-def.ts';

/** "'name' (Op)": how every message names a node. */
export const nodeText = (n: TfNode): string => `'${n.name}' (${n.op})`;

/** A GraphImportError about `node`. */
export function nodeError(node: TfNode, what: string): GraphImportError {
  return new GraphImportError(`node ${nodeText(node)}: ${what}`);
}

/** An integer list attribute, or `fallback` when absent. */
export function intList(node: TfNode, key: string, fallback?: readonly number[]): readonly number[] {
  const a = node.attrs[key];
  if (a === undefined && fallback !== undefined) return fallback;
  if (a?.kind !== 'list') throw nodeError(node, `attr '${key}' must be a list of integers`);
  return a.value.i;
}

/** A string attribute, or `fallback` when absent. */
export function str(node: TfNode, key: string, fallback?: string): string {
  const a = node.attrs[key];
  if (a === undefined && fallback !== undefined) return fallback;
  if (a?.kind !== 's') throw nodeError(node, `attr '${key}' must be a string`);
  return a.value;
}

/** A float attribute, or `fallback` when absent. */
export function float(node: TfNode, key: string, fallback: number): number {
  const a = node.attrs[key];
  if (a === undefined) return fallback;
  if (a.kind !== 'f') throw nodeError(node, `attr '${key}' must be a float`);
  return a.value;
}

/** A boolean attribute, or `fallback` when absent. */
export function bool(node: TfNode, key: string, fallback: boolean): boolean {
  const a = node.attrs[key];
  if (a === undefined) return fallback;
  if (a.kind !== 'b') throw nodeError(node, `attr '${key}' must be a boolean`);
  return a.value;
}

/** The data format, which must be NHWC (TensorFlow's default). */
export function checkNhwc(node: TfNode): void {
  const f = str(node, 'data_format', 'NHWC');
  if (f !== 'NHWC') throw nodeError(node, `data_format '${f}' is not supported (tpusim imports NHWC graphs)`);
}

/** TensorFlow 'SAME' / 'VALID' as tpusim's padding names (TensorFlow's rules on both sides). */
export function padding(node: TfNode): 'same' | 'valid' {
  const p = str(node, 'padding');
  if (p === 'SAME') return 'same';
  if (p === 'VALID') return 'valid';
  throw nodeError(node, `padding '${p}' is not supported (SAME and VALID are)`);
}

/**
 * The spatial pair of a 4-entry NHWC attribute ([1, h, w, 1]: strides, ksize, dilations);
 * batch and channel entries must be 1.
 */
export function spatial(node: TfNode, key: string, fallback?: readonly number[]): [number, number] {
  const v = intList(node, key, fallback);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || !(v[1]! >= 1) || !(v[2]! >= 1)) {
    throw nodeError(node, `attr '${key}' [${v.join(', ')}] is not supported (tpusim takes [1, h, w, 1])`);
  }
  return [v[1]!, v[2]!];
}
