/**
 * @module tfgraph/errors
 * Errors of reading and converting a TensorFlow graph: each names the file and, when one is
 * at fault, the node (name and op type). Both carry `userFacing = true`, so the CLI prints
 * them as one line. Imports nothing.
 */

/** The bytes are not a GraphDef, or a node or constant in it is malformed. */
export class GraphDefError extends Error {
  override readonly name = 'GraphDefError';
  readonly userFacing = true;
}

/** A valid graph tpusim cannot convert: unsupported ops (all listed at once), bad attrs, a missing input node. */
export class GraphImportError extends Error {
  override readonly name = 'GraphImportError';
  readonly userFacing = true;
}
