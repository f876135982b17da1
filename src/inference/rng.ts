/**
 * Seeded random numbers for sampling. Every generated sequence owns its own generator, seeded from
 * (run seed, prompt key, sample index), so a sequence's samples do not depend on which other sequences share
 * its batch, on the batch size, or on whether a run was resumed.
 *
 * @module
 */

/** Hashes a string to 32 bits (FNV-1a followed by a murmur3 finaliser), starting from `basis`. */
function hashString32(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return finalize32(h);
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function finalize32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A xoshiro128** generator: 128 bits of state, period 2^128 - 1, fast in 32-bit integer arithmetic.
 * Create one per sequence with {@link sequenceRng}.
 */
export class SeededRng {
  #state: Uint32Array;

  /** Starts from four 32-bit words of state (not all zero). */
  constructor(state: ArrayLike<number>) {
    this.#state = Uint32Array.from(state);
    if (this.#state.length !== 4 || this.#state.every((word) => word === 0)) {
      throw new Error("SeededRng: the state must be four 32-bit words, not all zero");
    }
  }

  /** The next uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#state;
    const product = Math.imul(s[1], 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const shifted = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= shifted;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }
}

/**
 * The generator of one sequence: seeded from the run's seed, a key that names the prompt (its id, or its
 * index in the input) and the index of the sample among the prompt's `n` samples.
 */
export function sequenceRng(seed: number, promptKey: string | number, sampleIndex: number): SeededRng {
  const text = `${seed}\u0000${typeof promptKey}:${promptKey}\u0000${sampleIndex}`;
  const state = [
    hashString32(text, 0x811c9dc5),
    hashString32(text, 0x9e3779b9),
    hashString32(text, 0x7f4a7c15),
    hashString32(text, 0x2545f491),
  ];
  if (!state.some((word) => word !== 0)) state[0] = 1;
  return new SeededRng(state);
}
