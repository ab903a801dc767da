/**
 * @module layers/random
 * The seeded generator behind weight initialisers: a counter-free mulberry32 stream, with
 * streams derived from (model seed, layer index, weight index) so a weight's initial value
 * does not depend on what else the model contains before it is built. Host-side setup only
 * (initial values), never training arithmetic.
 *
 * Imports nothing.
 */

/** Mixes several integers into one 32-bit seed (murmur3's finaliser after each). */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** A deterministic stream of uniform [0, 1) numbers (mulberry32). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next uniform number in [0, 1), with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
