/**
 * @module tfgraph
 * Public surface of TensorFlow frozen-graph import: reading a GraphDef (./graph-def.ts),
 * cutting it (./cut.ts) and converting it into a tpusim model (./convert.ts), batch norms
 * folded into their convolutions (./fold.ts). A plain list of export lines.
 */
export { GraphDefError, GraphImportError } from './errors.ts';
export { encodeGraphDef, readGraphDef, type TfAttr, type TfDType, type TfGraph, type TfNode, type TfShape, type TfTensor } from './graph-def.ts';
export { cutGraph, type CutOptions, type GraphCut } from './cut.ts';
export { SUPPORTED_OPS, convertGraph, type ConvertOptions } from './convert.ts';
