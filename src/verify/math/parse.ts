/**
 * LaTeX to MathJSON through @cortex-js/compute-engine, with one shared engine and a bounded parse cache.
 *
 * Parsing is non-canonical so the engine does not rewrite or approximate anything: the exact and numeric
 * evaluators of this library give the parse its meaning.
 *
 * @module
 */
import { ComputeEngine } from "@cortex-js/compute-engine";

/** A MathJSON expression as produced by the compute engine. */
export type MathJson = number | string | { num?: string; str?: string; sym?: string } | MathJson[];

let engine: ComputeEngine | undefined;

/** The shared compute engine (created on first use; creating one costs about 200 ms). */
export function computeEngine(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

const CACHE_LIMIT = 20_000;
const cache = new Map<string, MathJson | null>();

/** True when the parse holds an `Error` node anywhere. */
export function hasError(json: MathJson): boolean {
  if (!Array.isArray(json)) return false;
  return json[0] === "Error" || json.some((part) => hasError(part));
}

/** Parses LaTeX into MathJSON; null when the engine reports a syntax error or throws. Never throws. */
export function parseLatex(latex: string): MathJson | null {
  const cached = cache.get(latex);
  if (cached !== undefined) return cached;
  let json: MathJson | null;
  try {
    json = computeEngine().parse(latex, { form: "raw" }).json as MathJson;
    if (hasError(json)) json = null;
  } catch {
    json = null;
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(latex, json);
  return json;
}

/** Empties the parse cache (benchmarks use it to measure cold parses). */
export function clearParseCache(): void {
  cache.clear();
}

/** A mixed number such as `3\frac{1}{2}` or `-3\frac{1}{2}` (read in MATH as ±(3 + 1/2)). */
export interface MixedNumber {
  negative: boolean;
  whole: number;
  top: number;
  bottom: number;
}

/** Recognises the arguments of an `InvisibleOperator` that form a mixed number; null otherwise. */
export function mixedNumber(args: readonly MathJson[]): MixedNumber | null {
  if (args.length !== 2) return null;
  const [first, fraction] = args;
  const negative = Array.isArray(first) && first[0] === "Negate" && first.length === 2;
  const whole = negative ? (first as MathJson[])[1] : first;
  if (typeof whole !== "number" || !Number.isInteger(whole) || whole < 0) return null;
  if (!Array.isArray(fraction) || (fraction[0] !== "Divide" && fraction[0] !== "Rational")) return null;
  const [, top, bottom] = fraction;
  if (typeof top !== "number" || typeof bottom !== "number") return null;
  if (!Number.isInteger(top) || !Number.isInteger(bottom) || top < 0 || bottom <= 0) return null;
  return { negative, whole, top, bottom };
}
