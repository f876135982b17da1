/**
 * Deterministic limits on the work of one check. The compute engine's numeric evaluation can run for seconds
 * or without end on small inputs (`\binom{10^{10}}{10^5}`, `\sum_{k=1}^{10^7}`, `((a+10)^{4096})^{4096}`), and
 * some of them ignore its time limit; so an expression reaches the engine only when its size, operations and
 * numbers are within these limits. Everything here depends on the input alone, never on the clock, so a
 * verdict is the same on a busy and an idle machine.
 *
 * The engine's simplifier is not used at all: no size limit made it both useful and bounded (12-node inputs
 * took up to 200 ms, `(x+y+1)^6 - z` 380 ms, with no step count to cap); expressions with variables are
 * decided by evaluation at fixed points instead.
 *
 * @module
 */
import { numericValue } from "./numeric.ts";
import { type MathJson, mixedNumber } from "./parse.ts";

/** Longest normalised answer compared beyond its text, in characters (MATH answers are under 100). */
export const MAX_ANSWER_CHARS = 1000;
/** Most items of a list, set, tuple, union or matrix that are compared one by one. */
export const MAX_ITEMS = 64;
/** Most compute-engine calls (100-digit evaluations) one check may make. */
export const MAX_ENGINE_CALLS = 4;

const ARITHMETIC = ["Add", "Subtract", "Negate", "Multiply", "Divide", "Rational", "Delimiter", "Power"];
const ROOTS = ["Sqrt", "Root", "Abs", "Complex", "InvisibleOperator"];
const TRANSCENDENTAL = new Set([
  "Sin",
  "Cos",
  "Tan",
  "Cot",
  "Sec",
  "Csc",
  "Arcsin",
  "Arccos",
  "Arctan",
  "Sinh",
  "Cosh",
  "Tanh",
  "Exp",
  "Ln",
  "Log",
  "Lb",
  "Lg",
]);

/**
 * Limits of the one engine task, the 100-digit evaluation of a constant (measured: a median of 0.4 ms and
 * under 15 ms for 99% of random expressions within them on an idle core; `(x^{4096})^{4096}`-style towers,
 * which the limits refuse, ran for minutes and ignored the engine's own time limit).
 */
const LIMITS = {
  /** Most MathJSON nodes of both expressions together. */
  nodes: 60,
  /** Deepest nesting. */
  depth: 12,
  /** Operations the engine may see. */
  heads: new Set([...ARITHMETIC, ...ROOTS, ...TRANSCENDENTAL, "Factorial", "Binomial"]),
  /** Largest |exponent| of a power; an exponent must be a plain number (a literal or a fraction of them). */
  exponent: 10_000,
  /** Largest argument of a factorial or binomial. */
  combinatorial: 1000,
  /** Largest |argument| of a transcendental function (trigonometric, exponential, logarithm). */
  transcendental: 1e4,
  /** Most orders of magnitude of a value, estimated from above by {@link ordersOfMagnitude}. */
  orders: 5000,
  /** Most digits of a number literal. */
  digits: 400,
};

/**
 * Why `expressions` may not go to the engine's 100-digit evaluation, or null when they may: too many nodes,
 * too deep, an operation outside the set, an exponent, factorial or function argument too large, a value of
 * too many orders of magnitude, or a huge literal. Depends on the input only.
 */
export function engineLimitExceeded(expressions: MathJson[]): string | null {
  let nodes = 0;
  const visit = (json: MathJson, depth: number): string | null => {
    if (++nodes > LIMITS.nodes) return `more than ${LIMITS.nodes} terms`;
    if (depth > LIMITS.depth) return `nested deeper than ${LIMITS.depth}`;
    if (!Array.isArray(json)) return literalTooLong(json);
    const [head, ...args] = json;
    if (typeof head !== "string" || !LIMITS.heads.has(head)) return `the operation ${JSON.stringify(head)}`;
    const own = operationLimit(head, args);
    if (own) return own;
    for (const arg of args) {
      const inner = visit(arg, depth + 1);
      if (inner) return inner;
    }
    return null;
  };
  for (const json of expressions) {
    const reason = visit(json, 0) ??
      (ordersOfMagnitude(json) > LIMITS.orders ? `a value beyond 10^${LIMITS.orders}` : null);
    if (reason) return `${reason} (limits of the 100-digit check)`;
  }
  return null;
}

function literalTooLong(json: MathJson): string | null {
  const text = typeof json === "number"
    ? String(json)
    : typeof json === "object" && !Array.isArray(json)
    ? json.num
    : undefined;
  if (text === undefined) return null;
  const digits = text.replace(/[^0-9]/g, "").length;
  return digits > LIMITS.digits || /e[+-]?\d{4,}/i.test(text)
    ? `a number with more than ${LIMITS.digits} digits`
    : null;
}

/** A plain number's value (a literal, possibly negated or a fraction of literals), else NaN. */
function plainNumber(json: MathJson): number {
  if (typeof json === "number") return json;
  if (!Array.isArray(json)) {
    return typeof json === "object" && json.num !== undefined ? Number(json.num) : NaN;
  }
  const [head, ...args] = json;
  if ((head === "Negate" || head === "Delimiter") && args.length === 1) {
    return head === "Negate" ? -plainNumber(args[0]) : plainNumber(args[0]);
  }
  if ((head === "Divide" || head === "Rational") && args.length === 2) {
    return plainNumber(args[0]) / plainNumber(args[1]);
  }
  return NaN;
}

function operationLimit(head: string, args: MathJson[]): string | null {
  // The engine reads `3\frac{1}{2}` as a product; this library reads it as the mixed number 3 + 1/2.
  if (head === "InvisibleOperator" && mixedNumber(args)) return "a mixed number";
  if (head === "Power" && !(Math.abs(plainNumber(args[1])) <= LIMITS.exponent)) {
    return `an exponent that is not a number within ±${LIMITS.exponent}`;
  }
  if (
    (head === "Factorial" || head === "Binomial") && !args.every((arg) => size(arg) <= LIMITS.combinatorial)
  ) {
    return `a factorial or binomial beyond ${LIMITS.combinatorial}`;
  }
  if (TRANSCENDENTAL.has(head) && !(size(args[0]) <= LIMITS.transcendental)) {
    return `a function argument beyond ${LIMITS.transcendental}`;
  }
  return null;
}

/** |value| of a double evaluation, Infinity when it is not a finite number. */
function size(json: MathJson): number {
  const value = numericValue(json);
  const magnitude = Math.hypot(value.re, value.im);
  return Number.isFinite(magnitude) ? magnitude : Infinity;
}

/**
 * An upper estimate of |log10 |value|| of a constant: how many orders of magnitude its digits span. The
 * engine's cost grows with it, so it bounds towers and huge factorials before they reach the engine.
 */
export function ordersOfMagnitude(json: MathJson): number {
  if (!Array.isArray(json)) {
    const value = plainNumber(json);
    return Number.isNaN(value) ? 1 : value === 0 ? 0 : Math.abs(Math.log10(Math.abs(value)));
  }
  const [head, ...args] = json;
  const parts = args.map(ordersOfMagnitude);
  const total = parts.reduce((sum, part) => sum + part, 0);
  switch (head) {
    case "Multiply":
    case "Divide":
    case "Rational":
    case "InvisibleOperator":
      return total;
    case "Power":
      return parts[0] * size(args[1]) + 1;
    case "Exp":
      return size(args[0]) * Math.LOG10E + 1;
    case "Factorial": {
      const n = size(args[0]);
      return n * Math.log10(Math.max(n, 2));
    }
    case "Binomial":
      return size(args[0]) * Math.log10(2) + 1;
    default:
      return Math.max(0, ...parts) + 1;
  }
}
