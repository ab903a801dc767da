/**
 * @module xla/hbm-bound
 * A lower bound of the HBM a compiled module's lowering holds per core, from shapes alone and
 * in time linear in the instructions, so a caller can refuse a module that cannot fit before
 * the lowering (which emits every tile's instructions) runs. Every HLO value the lowering
 * keeps lives in HBM (./lower.ts): the data there before the run (parameters, constants,
 * iota, rng) all at once, plus at least the largest value written during it. Reshapes share
 * their operand's buffer and transposes may be read through, so neither counts. The
 * lowering's own `memory.hbm.total` is at least this (its pooled scratch holds every value
 * alive at once). Values are f32 in HBM: 4 bytes each.
 *
 * Imports ./hlo (types), ./ops (sizeOf).
 */
import type { HloInstruction, HloModule } from './hlo.ts';
import { sizeOf } from './ops/index.ts';

/** What the bound is made of. */
export interface HbmBound {
  /** resident + largest. */
  readonly bytes: number;
  /** Parameters, constants and generated inputs: in HBM before the run. */
  readonly residentBytes: number;
  /** The largest value written during the run, and the instruction that writes it. */
  readonly largestBytes: number;
  readonly largest: HloInstruction | null;
}

const RESIDENT = new Set(['parameter', 'constant', 'iota', 'rng']);
const VIEWS = new Set(['reshape', 'transpose']);

/** The lower bound of the HBM `m`'s lowering holds per core (see the module comment). */
export function hbmLowerBound(m: HloModule): HbmBound {
  let residentBytes = 0;
  let largestBytes = 0;
  let largest: HloInstruction | null = null;
  for (const i of m.entry.instructions) {
    const bytes = 4 * sizeOf(i.shape.dims);
    if (RESIDENT.has(i.op)) residentBytes += bytes;
    else if (!VIEWS.has(i.op) && bytes > largestBytes) [largestBytes, largest] = [bytes, i];
  }
  return { bytes: residentBytes + largestBytes, residentBytes, largestBytes, largest };
}
