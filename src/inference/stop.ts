/**
 * Stop strings and incremental detokenisation. A sequence's text is rebuilt as tokens arrive (decoding only
 * a short window, not the whole completion, per token), stop strings are searched only where new text can
 * complete one, and the final text is cut exactly before the first stop string.
 *
 * @module
 */

/** Turns token ids into text. */
export type DecodeTokens = (ids: readonly number[]) => string;

/** Where a stop string was found in a text. */
export interface StopMatch {
  /** Index of the stop string's first character in the text. */
  index: number;
  /** The stop string that matched. */
  stop: string;
}

/** Finds the earliest occurrence of any of a set of stop strings. */
export class StopMatcher {
  readonly stops: readonly string[];
  readonly #longest: number;

  /** Creates a matcher; empty strings are rejected (they would match everywhere). */
  constructor(stops: readonly string[]) {
    if (stops.some((stop) => stop.length === 0)) {
      throw new Error("stop strings must be non-empty; remove the empty string from `stop`");
    }
    this.stops = [...stops];
    this.#longest = stops.reduce((longest, stop) => Math.max(longest, stop.length), 0);
  }

  /**
   * The earliest stop string in `text` that ends after `newFrom` (text before `newFrom` was already
   * searched). Among stops starting at the same index, the longest wins.
   */
  find(text: string, newFrom = 0): StopMatch | undefined {
    if (this.stops.length === 0) return undefined;
    const from = Math.max(0, newFrom - this.#longest + 1);
    let best: StopMatch | undefined;
    for (const stop of this.stops) {
      const index = text.indexOf(stop, from);
      if (index < 0) continue;
      if (!best || index < best.index || (index === best.index && stop.length > best.stop.length)) {
        best = { index, stop };
      }
    }
    return best;
  }
}

/**
 * Rebuilds a completion's text token by token. It decodes a window that starts a few tokens back (so
 * tokenisers that merge bytes or strip leading spaces see enough context) and holds back text that ends in
 * an incomplete UTF-8 character (U+FFFD).
 */
export class IncrementalDecoder {
  readonly #decode: DecodeTokens;
  readonly #ids: number[] = [];
  #prefixOffset = 0;
  #readOffset = 0;
  /** The text decoded so far. */
  text = "";

  /** Creates a decoder that calls `decode` on short windows of token ids. */
  constructor(decode: DecodeTokens) {
    this.#decode = decode;
  }

  /** Appends a token; returns the length of the text before the token (where new text starts). */
  push(token: number): number {
    const before = this.text.length;
    this.#ids.push(token);
    const prefixText = this.#decode(this.#ids.slice(this.#prefixOffset, this.#readOffset));
    const windowText = this.#decode(this.#ids.slice(this.#prefixOffset));
    if (windowText.length > prefixText.length && !windowText.endsWith("\uFFFD")) {
      this.text += windowText.slice(prefixText.length);
      this.#prefixOffset = this.#readOffset;
      this.#readOffset = this.#ids.length;
    }
    return before;
  }
}

/** Cuts `text` before its first stop string; returns the text and the stop that matched, if any. */
export function cutAtStop(text: string, matcher: StopMatcher): { text: string; stop?: string } {
  const match = matcher.find(text);
  return match ? { text: text.slice(0, match.index), stop: match.stop } : { text };
}
