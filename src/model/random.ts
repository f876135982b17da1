/**
 * A small seeded random number generator (mulberry32) with normal samples, so that random weights are the
 * same for the same seed on every machine.
 *
 * @module
 */

/** A deterministic stream of random numbers. */
export interface Rng {
  /** A uniform sample in [0, 1). */
  uniform(): number;
  /** A standard normal sample (Box-Muller). */
  normal(): number;
}

/** Creates a generator from an integer seed; equal seeds give equal streams. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { uniform, normal };
}
