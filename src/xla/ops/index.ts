/**
 * @module xla/ops
 * The op registry (house style A): one OpDef per HLO op, typed `{ [K in OpName]: OpDef<K> }`
 * so an op without a shape rule, reference, gradient or cost does not compile. Adding an op
 * = one OpAttrs member in ../hlo.ts + one OpDef in a family file + one row in the op test
 * table (test/xla/ops.test.ts).
 *
 * Imports the family files; defines `fusion` here because its cost is the sum of its body's
 * costs, which needs the whole registry. Explicit object, no registration by side effect.
 */
import type { TensorCoreConfig } from '../../tpu/config.ts';
import type { HloComputation, OpName, Shape } from '../hlo.ts';
import { elementwiseOps } from './elementwise.ts';
import { linalgOps } from './linalg.ts';
import { reduceOps } from './reduce.ts';
import { shapeOps } from './shape.ts';
import { sourceOps } from './source.ts';
import { ShapeRuleError, costOf, nonDifferentiable, trafficOf, type OpCost, type OpDef } from './types.ts';

/** Cost of the computation inside a fusion: its ops' compute, but only the fusion's own traffic. */
export function fusedCost(computation: HloComputation, inputs: readonly Shape[], shape: Shape, config: TensorCoreConfig): OpCost {
  const byId = new Map(computation.instructions.map((i) => [i.id, i]));
  let mxu = 0;
  let vpu = 0;
  for (const instr of computation.instructions) {
    const def = opRegistry[instr.op] as OpDef<typeof instr.op>;
    const c = def.cost(instr.operands.map((o) => byId.get(o)!.shape), instr.shape, instr.attrs as never, config);
    if (c.unit === 'mxu') mxu += c.computeCycles;
    else vpu += c.computeCycles;
  }
  // NOTE: an output fusion runs its epilogue on the VPU while the MXU streams the next tile.
  return costOf(mxu > 0 ? 'mxu' : 'vpu', mxu > 0 ? Math.max(mxu, vpu) : vpu, trafficOf(inputs, shape), config);
}

const fusion: OpDef<'fusion'> = {
  name: 'fusion',
  arity: 'variadic',
  shape: (inputs, a) => {
    const c = a.computation;
    if (c.outputs.length !== 1) throw new ShapeRuleError(`fused computation ${c.name} must have one output`);
    const params = c.instructions.filter((i) => i.op === 'parameter');
    if (params.length !== inputs.length) throw new ShapeRuleError(`fused computation ${c.name} takes ${params.length} operands, got ${inputs.length}`);
    return c.instructions.find((i) => i.id === c.outputs[0])!.shape;
  },
  evaluate: (inputs, a, _s, ctx) => ctx.run(a.computation, inputs)[0]!.data,
  // NOTE: fusion happens after autodiff; a fused graph is not differentiated again.
  vjp: nonDifferentiable(),
  cost: (inputs, shape, a, config) => fusedCost(a.computation, inputs, shape, config),
};

/** Every op's definition, by name. */
export const opRegistry: { readonly [K in OpName]: OpDef<K> } = {
  ...sourceOps,
  ...elementwiseOps,
  ...shapeOps,
  ...reduceOps,
  ...linalgOps,
  fusion,
};

/** All op names, in registry order. */
export const OP_NAMES: readonly OpName[] = Object.keys(opRegistry) as OpName[];

/** The definition of an op (typed by its name). */
export function opDef<K extends OpName>(op: K): OpDef<K> {
  return opRegistry[op] as OpDef<K>;
}

export * from './types.ts';
export { ELEMENTWISE, shapesEqual, toDType } from './elementwise.ts';
