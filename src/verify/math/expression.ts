/**
 * Equivalence of two LaTeX expressions: normalised text, then exact big-rational values, then numeric
 * evaluation (at fixed points when there are free variables), with 100-digit evaluation by the compute engine
 * for constants too large or too small for doubles.
 *
 * Every step is bounded by the input (see `_limits.ts`), so the verdict never depends on the machine's
 * speed or load. The wall clock only guards the engine against a hang that the limits did not foresee: when
 * it fires, {@link TimeGuardError} is thrown and the check is reported as an error, not as a verdict.
 *
 * @module
 */
import { engineLimitExceeded, MAX_ENGINE_CALLS } from "./_limits.ts";
import { exactValue } from "./exact.ts";
import { type Complex, freeVariables, integerVariables, numericSample, numericValue } from "./numeric.ts";
import { computeEngine, type MathJson, parseLatex } from "./parse.ts";
import { cequals, complex, type ComplexRational, parseDecimal, rational } from "./rational.ts";

/** How a verdict was reached: compared text, exact rationals, numeric evaluation or the CAS. */
export type VerdictPath = "string" | "exact" | "numeric" | "symbolic" | "structure";

/** The outcome of one comparison. */
export interface EquivalenceVerdict {
  equal: boolean;
  path: VerdictPath;
  reason: string;
}

/** The engine budget of one check: a count of calls (deterministic) and a last-resort wall-clock guard. */
export interface Budget {
  /** `performance.now()` value after which a running engine call is cancelled as a {@link TimeGuardError}. */
  guardDeadline: number;
  /** Engine calls this check may still make; counts down, so where a check gives up never depends on time. */
  engineCalls: number;
}

/** A fresh budget for one check with a wall-clock guard of `guardMs` milliseconds. */
export function checkBudget(guardMs: number): Budget {
  return { guardDeadline: performance.now() + guardMs, engineCalls: MAX_ENGINE_CALLS };
}

/** Thrown when the wall-clock guard cancels an engine call: the check has no verdict. */
export class TimeGuardError extends Error {
  constructor(what: string) {
    super(`the time guard stopped ${what}`);
    this.name = "TimeGuardError";
  }
}

/** Relative tolerance of numeric comparisons in double precision. */
const RELATIVE_TOLERANCE = 1e-9;
/** Tolerance when a decimal literal meets an inexact value: only rounding of the last bits is forgiven. */
const DECIMAL_TOLERANCE = 4e-16;
/** Magnitudes outside this range are confirmed with the engine's big decimals. */
const SAFE_RANGE = [1e-8, 1e12] as const;
/** Points assigned to free variables (offset per variable), evaluated in complex arithmetic. */
const SAMPLE_POINTS = [0.7134, 1.3772, 2.2913, 0.4536, 1.8827, 2.9641, 0.2617];
/**
 * Points with negative coordinates (each row a sign pattern over the variables), evaluated in real
 * arithmetic only: they tell `|x|` from `x`, while a point where either side leaves the reals (`\sqrt{x}`,
 * `\ln x`) is skipped, so `\sqrt{xy}` still equals `\sqrt{x}\sqrt{y}`.
 */
const SIGNED_POINTS = [
  { magnitude: 0.6317, signs: [-1, -1, -1] },
  { magnitude: 1.4529, signs: [-1, 1, -1] },
  { magnitude: 3.2718, signs: [-1, -1, 1] },
  { magnitude: 0.3861, signs: [1, -1, -1] },
  { magnitude: 7.9173, signs: [-1, 1, 1] },
  { magnitude: 12.5376, signs: [-1, -1, -1] },
];
/** Values of variables that must be integers (sum bounds, factorial arguments), offset per variable. */
const INTEGER_POINTS = [3, 5, 2, 7, 4, 9, 6, 8, 1, 10, 12, 11, 13];
/** A difference below this fraction of the largest intermediate value may be rounding: the point is skipped. */
const CANCELLATION = 1e-11;

function verdict(equal: boolean, path: VerdictPath, reason: string): EquivalenceVerdict {
  return { equal, path, reason };
}

/** Reads simple numeric literals (`-12`, `.5`, `\frac{3}{4}`, `3/4`) without the parser. */
export function literalValue(latex: string): ComplexRational | null {
  const decimal = parseDecimal(latex);
  if (decimal && !/[eE]/.test(latex)) return complex(decimal);
  const fraction = /^(-?)(?:\\frac\{(\d+)\}\{(\d+)\}|(\d+)\/(\d+))$/.exec(latex);
  if (!fraction) return null;
  const top = BigInt(fraction[2] ?? fraction[4]);
  const bottom = BigInt(fraction[3] ?? fraction[5]);
  if (bottom === 0n) return null;
  return complex(rational(fraction[1] === "-" ? -top : top, bottom));
}

/** Compares two normalised LaTeX expressions. Never throws. */
export function expressionsEqual(gold: string, response: string, budget: Budget): EquivalenceVerdict {
  if (compact(gold) === compact(response)) return verdict(true, "string", "identical after normalisation");
  const goldLiteral = literalValue(gold);
  const responseLiteral = literalValue(response);
  if (goldLiteral && responseLiteral) return exactVerdict(goldLiteral, responseLiteral);
  const goldJson = parseLatex(gold);
  const responseJson = parseLatex(response);
  if (goldJson === null || responseJson === null) {
    return verdict(false, "string", `could not parse ${goldJson === null ? "gold" : "response"} as LaTeX`);
  }
  const goldExact = goldLiteral ?? exactValue(goldJson);
  const responseExact = responseLiteral ?? exactValue(responseJson);
  if (goldExact && responseExact) return exactVerdict(goldExact, responseExact);
  const decimalMeetsInexact = (goldLiteral !== null && gold.includes(".")) ||
    (responseLiteral !== null && response.includes("."));
  return jsonEqual(
    goldJson,
    responseJson,
    budget,
    decimalMeetsInexact ? DECIMAL_TOLERANCE : RELATIVE_TOLERANCE,
  );
}

function compact(latex: string): string {
  return latex.replace(/\s+/g, "");
}

function exactVerdict(gold: ComplexRational, response: ComplexRational): EquivalenceVerdict {
  return cequals(gold, response)
    ? verdict(true, "exact", "equal exact values")
    : verdict(false, "exact", "different exact values");
}

/** Compares two parsed expressions numerically, falling back to the CAS. */
export function jsonEqual(
  gold: MathJson,
  response: MathJson,
  budget: Budget,
  tolerance = RELATIVE_TOLERANCE,
): EquivalenceVerdict {
  const variables = [...freeVariables(gold, freeVariables(response))].sort();
  const numeric = variables.length === 0
    ? constantsEqual(gold, response, budget, tolerance)
    : pointsEqual(gold, response, variables);
  if (numeric !== null) return numeric;
  return variables.length === 0
    ? verdict(false, "numeric", "could not evaluate the values to compare them")
    : verdict(false, "numeric", "could not evaluate both answers at enough points to compare them");
}

/** Equality of two complex doubles within tolerance; null when either is NaN. */
export function close(a: Complex, b: Complex, absolute = 0, relative = RELATIVE_TOLERANCE): boolean | null {
  if ([a.re, a.im, b.re, b.im].some(Number.isNaN)) return null;
  if (![a.re, a.im, b.re, b.im].every(Number.isFinite)) return a.re === b.re && a.im === b.im;
  const difference = Math.hypot(a.re - b.re, a.im - b.im);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return difference <= relative * scale || difference <= absolute;
}

function magnitude(value: Complex): number {
  return Math.hypot(value.re, value.im);
}

function constantsEqual(
  gold: MathJson,
  response: MathJson,
  budget: Budget,
  tolerance: number,
): EquivalenceVerdict | null {
  const a = numericValue(gold);
  const b = numericValue(response);
  const equal = close(a, b, 0, tolerance);
  if (equal === null) return null;
  const safe = [magnitude(a), magnitude(b)].every((m) => m >= SAFE_RANGE[0] && m <= SAFE_RANGE[1]);
  if (
    safe || mentionsInfinity(gold) || mentionsInfinity(response) ||
    (!equal && Number.isFinite(magnitude(a)) && Number.isFinite(magnitude(b)) && !nearZero(a, b))
  ) {
    return verdict(equal, "numeric", equal ? "equal numeric values" : "different numeric values");
  }
  return bigDecimalEqual(gold, response, budget);
}

function mentionsInfinity(json: MathJson): boolean {
  if (typeof json === "string") return json === "PositiveInfinity" || json === "NegativeInfinity";
  return Array.isArray(json) && json.some(mentionsInfinity);
}

function nearZero(a: Complex, b: Complex): boolean {
  return Math.min(magnitude(a), magnitude(b)) < SAFE_RANGE[0] && Math.max(magnitude(a), magnitude(b)) < 1e-6;
}

function pointsEqual(gold: MathJson, response: MathJson, variables: string[]): EquivalenceVerdict | null {
  let compared = 0;
  const integers = integerVariables(gold, integerVariables(response));
  const points: { values: Record<string, number>; real: boolean }[] = [];
  for (let point = 0; point < SAMPLE_POINTS.length; point++) {
    const values: Record<string, number> = {};
    variables.forEach((name, k) =>
      values[name] = SAMPLE_POINTS[(point + 2 * k) % SAMPLE_POINTS.length] + 0.1 * k
    );
    points.push({ values, real: false });
  }
  for (const { magnitude, signs } of SIGNED_POINTS) {
    const values: Record<string, number> = {};
    variables.forEach((name, k) => values[name] = signs[k % signs.length] * (magnitude + 0.13 * k));
    points.push({ values, real: true });
  }
  points.forEach(({ values }, point) => {
    variables.forEach((name, k) => {
      if (integers.has(name)) values[name] = INTEGER_POINTS[(point + 3 * k) % INTEGER_POINTS.length];
    });
  });
  for (const { values, real } of points) {
    const a = numericSample(gold, values, { real });
    const b = numericSample(response, values, { real });
    const equal = close(a.value, b.value, 1e-12);
    if (equal === false) {
      const difference = Math.hypot(a.value.re - b.value.re, a.value.im - b.value.im);
      if (difference <= CANCELLATION * Math.max(a.scale, b.scale)) continue;
      return verdict(false, "numeric", `differ at ${formatPoint(values)}`);
    }
    if (equal) compared++;
  }
  return compared >= 3 ? verdict(true, "numeric", `equal at ${compared} points`) : null;
}

function formatPoint(values: Record<string, number>): string {
  return Object.entries(values).map(([name, value]) => `${name}=${value}`).join(", ");
}

/** log10 of |x| for a MathJSON number from the engine; -Infinity for zero, NaN when not a number. */
function log10Magnitude(json: unknown): number {
  const text = typeof json === "number" ? String(json) : (json as { num?: string })?.num;
  if (typeof text !== "string") return NaN;
  const match = /^[+-]?(\d*\.?\d*)(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) return NaN;
  const mantissa = Number(match[1]);
  return mantissa === 0 ? -Infinity : Math.log10(mantissa) + Number(match[2] ?? 0);
}

/**
 * Runs `work` on the engine when the expressions are within its limits and the check has engine calls left;
 * returns `{ skipped }` with the reason otherwise. The work runs in its own scope (symbols it declares do not
 * outlive it) under the wall-clock guard; a guard that fires throws {@link TimeGuardError}.
 */
function onEngine<T>(
  expressions: MathJson[],
  budget: Budget,
  work: () => T,
): { value: T } | { skipped: string } {
  const exceeded = engineLimitExceeded(expressions);
  if (exceeded) return { skipped: exceeded };
  if (budget.engineCalls <= 0) return { skipped: `more than ${MAX_ENGINE_CALLS} engine calls in one check` };
  budget.engineCalls--;
  const ce = computeEngine();
  const remaining = budget.guardDeadline - performance.now();
  if (remaining <= 0) throw new TimeGuardError("the check before its 100-digit evaluation");
  ce.pushScope();
  try {
    return { value: ce.withTimeLimit(remaining, work as () => T extends Promise<unknown> ? never : T) };
  } catch (error) {
    const { name, cause } = error as { name?: string; cause?: unknown };
    if (name === "CancellationError" && cause === "timeout") {
      throw new TimeGuardError("the engine's 100-digit evaluation");
    }
    return { skipped: `the engine failed: ${(error as Error)?.message ?? error}` };
  } finally {
    ce.popScope();
  }
}

/** Confirms extreme or near-zero constants with 100-digit big decimals: |a - b| <= 1e-85 (|a| + |b|). */
function bigDecimalEqual(gold: MathJson, response: MathJson, budget: Budget): EquivalenceVerdict | null {
  const ce = computeEngine();
  const outcome = onEngine([gold, response], budget, () => {
    const previous = ce.precision;
    ce.precision = 100;
    try {
      const difference = log10Magnitude(ce.box(["Abs", ["Subtract", gold, response]] as never).N().json);
      const size = log10Magnitude(ce.box(["Add", ["Abs", gold], ["Abs", response]] as never).N().json);
      if (Number.isNaN(difference) || Number.isNaN(size)) return null;
      const equal = difference === -Infinity || difference <= size - 85;
      return verdict(equal, "symbolic", `${equal ? "equal" : "different"} at 100-digit precision`);
    } finally {
      ce.precision = previous;
    }
  });
  return "value" in outcome ? outcome.value : null;
}
