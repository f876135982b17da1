/**
 * Numeric evaluation of MathJSON in complex double precision, with values assigned to free variables.
 *
 * Used for random-point equivalence of expressions that are not exact rationals. Anything unknown evaluates
 * to NaN, which callers treat as "cannot decide", never as equal.
 *
 * @module
 */
import { type MathJson, mixedNumber } from "./parse.ts";
import { parseDecimal, toNumber } from "./rational.ts";

/** A complex double. */
export interface Complex {
  re: number;
  im: number;
}

const NAN: Complex = { re: NaN, im: NaN };

/** Symbols with a fixed meaning; every other symbol is a free variable. */
export const CONSTANTS: Readonly<Record<string, Complex>> = {
  Pi: { re: Math.PI, im: 0 },
  ExponentialE: { re: Math.E, im: 0 },
  e: { re: Math.E, im: 0 },
  i: { re: 0, im: 1 },
  ImaginaryUnit: { re: 0, im: 1 },
  PositiveInfinity: { re: Infinity, im: 0 },
  NegativeInfinity: { re: -Infinity, im: 0 },
};

/** The free variables of an expression (symbols that are not known constants, function names or indices). */
export function freeVariables(json: MathJson, into: Set<string> = new Set()): Set<string> {
  if (typeof json === "string") {
    if (!(json in CONSTANTS) && !json.startsWith("'")) into.add(json);
  } else if (Array.isArray(json)) {
    if (json[0] === "InverseFunction") return into;
    const range = bigOperatorRange(json);
    if (range) {
      const inner = freeVariables(json[1]);
      inner.delete(range.index);
      for (const name of inner) into.add(name);
      for (const bound of [range.low, range.high]) freeVariables(bound, into);
      return into;
    }
    for (const arg of json.slice(1)) freeVariables(arg, into);
  } else if (typeof json === "object" && json.sym !== undefined && !(json.sym in CONSTANTS)) {
    into.add(json.sym);
  }
  return into;
}

/**
 * Variables that must be integers for the expression to have a value: bounds of sums and products and
 * arguments of factorials and binomials (`n` in `\sum_{k=1}^{n} k` or `n!`).
 */
export function integerVariables(json: MathJson, into: Set<string> = new Set()): Set<string> {
  if (!Array.isArray(json)) return into;
  const range = bigOperatorRange(json);
  const integral = range
    ? [range.low, range.high]
    : json[0] === "Factorial" || json[0] === "Binomial"
    ? json.slice(1)
    : [];
  for (const part of integral) freeVariables(part, into);
  for (const arg of json.slice(1)) integerVariables(arg, into);
  return into;
}

/** The index and bounds of a `Sum` or `Product` such as `\sum_{k=1}^{n}`, or null. */
function bigOperatorRange(json: MathJson[]): { index: string; low: MathJson; high: MathJson } | null {
  if ((json[0] !== "Sum" && json[0] !== "Product") || json.length !== 3) return null;
  const range = json[2];
  if (!Array.isArray(range) || range[0] !== "Tuple" || range.length !== 4 || typeof range[1] !== "string") {
    return null;
  }
  return { index: range[1], low: range[2], high: range[3] };
}

/** Most terms of a sum or product that are evaluated. */
const MAX_TERMS = 1000;

const real = (re: number): Complex => ({ re, im: 0 });
const add = (a: Complex, b: Complex): Complex => ({ re: a.re + b.re, im: a.im + b.im });
const sub = (a: Complex, b: Complex): Complex => ({ re: a.re - b.re, im: a.im - b.im });
const mul = (a: Complex, b: Complex): Complex => ({
  re: a.re * b.re - a.im * b.im,
  im: a.re * b.im + a.im * b.re,
});

function div(a: Complex, b: Complex): Complex {
  const norm = b.re * b.re + b.im * b.im;
  if (norm === 0) return NAN;
  return { re: (a.re * b.re + a.im * b.im) / norm, im: (a.im * b.re - a.re * b.im) / norm };
}

function log(a: Complex): Complex {
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}

function exp(a: Complex): Complex {
  const scale = Math.exp(a.re);
  return a.im === 0 ? real(scale) : { re: scale * Math.cos(a.im), im: scale * Math.sin(a.im) };
}

function pow(base: Complex, exponent: Complex): Complex {
  if (base.im === 0 && exponent.im === 0) {
    const direct = Math.pow(base.re, exponent.re);
    if (!Number.isNaN(direct)) return real(direct);
  }
  if (exponent.im === 0 && Number.isInteger(exponent.re) && Math.abs(exponent.re) <= 64) {
    let result = real(1);
    for (let k = 0; k < Math.abs(exponent.re); k++) result = mul(result, base);
    return exponent.re < 0 ? div(real(1), result) : result;
  }
  if (base.re === 0 && base.im === 0) return NAN;
  return exp(mul(exponent, log(base)));
}

function rootOf(value: Complex, degree: number): Complex {
  if (value.im === 0 && value.re < 0 && degree % 2 === 1) return real(-Math.pow(-value.re, 1 / degree));
  return pow(value, real(1 / degree));
}

function gammaFactorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) return NaN;
  if (n > 170) return Infinity;
  let product = 1;
  for (let k = 2; k <= n; k++) product *= k;
  return product;
}

/** `3\frac{1}{2}` is 3 + 1/2, as in the exact evaluator. */
function mixedValue(args: MathJson[]): Complex | null {
  const parts = mixedNumber(args);
  if (!parts) return null;
  const value = parts.whole + parts.top / parts.bottom;
  return real(parts.negative ? -value : value);
}

/** `Apply(InverseFunction(Sin), x)` as `Arcsin(x)`, or null. */
function inverseFunction(json: MathJson[]): MathJson[] | null {
  const [head, fn, ...args] = json;
  if (head !== "Apply" || !Array.isArray(fn) || fn[0] !== "InverseFunction" || typeof fn[1] !== "string") {
    return null;
  }
  const name = INVERSES[fn[1]];
  return name ? [name, ...args] : null;
}

type RealFunction = (...args: number[]) => number;

/** The circular and hyperbolic functions, each with the name of its reciprocal (`Cot` is 1 / `Tan`). */
const RECIPROCALS: readonly [name: string, fn: (x: number) => number, reciprocal: string][] = [
  ["Sin", Math.sin, "Csc"],
  ["Cos", Math.cos, "Sec"],
  ["Tan", Math.tan, "Cot"],
  ["Sinh", Math.sinh, "Csch"],
  ["Cosh", Math.cosh, "Sech"],
  ["Tanh", Math.tanh, "Coth"],
];

/** Real-only functions: a complex argument gives NaN. */
const REAL_FUNCTIONS: Record<string, RealFunction> = {
  ...Object.fromEntries(
    RECIPROCALS.flatMap(([name, fn, reciprocal]) => [[name, fn], [reciprocal, (x: number) => 1 / fn(x)]]),
  ),
  Arcsin: Math.asin,
  Arccos: Math.acos,
  Arctan: Math.atan,
  Arcsec: (x) => Math.acos(1 / x),
  Arccsc: (x) => Math.asin(1 / x),
  // Conventions for arccot differ for negative arguments; only positive ones are evaluated.
  Arccot: (x) => x > 0 ? Math.atan(1 / x) : NaN,
  Arsinh: Math.asinh,
  Arcosh: Math.acosh,
  Artanh: Math.atanh,
  Lb: Math.log2,
  Lg: Math.log10,
  Log: (x, base = 10) => Math.log(x) / Math.log(base),
  Floor: Math.floor,
  Ceil: Math.ceil,
  Factorial: gammaFactorial,
  Binomial: (n, k) => gammaFactorial(n) / (gammaFactorial(k) * gammaFactorial(n - k)),
  Max: Math.max,
  Min: Math.min,
};

type ComplexOperator = (values: Complex[], args: MathJson[]) => Complex;

/** The operators evaluated in complex arithmetic, by head: `values` are the evaluated `args`. */
const COMPLEX_OPERATORS: ReadonlyMap<string, ComplexOperator> = new Map<string, ComplexOperator>([
  ["Add", (values) => values.reduce(add)],
  ["Subtract", (values) => values.reduce(sub)],
  ["Negate", ([x]) => sub(real(0), x)],
  ["Multiply", (values) => values.reduce(mul)],
  ["InvisibleOperator", (values, args) => mixedValue(args) ?? values.reduce(mul)],
  ["Divide", ([x, y]) => div(x, y)],
  ["Rational", ([x, y]) => div(x, y)],
  ["Delimiter", (values, args) => args.length === 1 ? values[0] : NAN],
  ["Complex", ([re, im]) => ({ re: re.re, im: im.re })],
  ["Power", ([x, y]) => pow(x, y)],
  ["Sqrt", ([x]) => rootOf(x, 2)],
  ["Root", ([x, n]) => rootOf(x, n.re)],
  ["Exp", ([x]) => exp(x)],
  ["Ln", ([x]) => log(x)],
  ["Abs", ([x]) => real(Math.hypot(x.re, x.im))],
]);

/** `\sin^{-1}` and friends, parsed as `Apply(InverseFunction(Sin), x)`, are these functions. */
const INVERSES: Readonly<Record<string, string>> = {
  Sin: "Arcsin",
  Cos: "Arccos",
  Tan: "Arctan",
  Sec: "Arcsec",
  Csc: "Arccsc",
  Cot: "Arccot",
  Sinh: "Arsinh",
  Cosh: "Arcosh",
  Tanh: "Artanh",
};

/** Options for {@link numericValue}. */
export interface NumericOptions {
  /** Real arithmetic only: any non-real intermediate value makes the result NaN (default false). */
  real?: boolean;
}

/** A value and the largest magnitude met on the way to it, which bounds its rounding error. */
export interface NumericSample {
  value: Complex;
  /** The largest |intermediate value| of the evaluation (cancellation below about 1e-15 of it is noise). */
  scale: number;
}

interface Evaluation {
  variables: Readonly<Record<string, number>>;
  realOnly: boolean;
  scale: number;
}

/** Evaluates `json` with `variables` bound; NaN parts mean it could not be evaluated. Never throws. */
export function numericValue(
  json: MathJson,
  variables: Readonly<Record<string, number>> = {},
  options: NumericOptions = {},
): Complex {
  return numericSample(json, variables, options).value;
}

/** Like {@link numericValue}, with the scale of the intermediate values. Never throws. */
export function numericSample(
  json: MathJson,
  variables: Readonly<Record<string, number>> = {},
  options: NumericOptions = {},
): NumericSample {
  const run: Evaluation = { variables, realOnly: options.real === true, scale: 0 };
  try {
    return { value: evaluate(json, run), scale: run.scale };
  } catch {
    return { value: NAN, scale: run.scale };
  }
}

function evaluate(json: MathJson, run: Evaluation): Complex {
  const value = evaluateNode(json, run);
  if (run.realOnly && value.im !== 0) return NAN;
  const size = Math.hypot(value.re, value.im);
  if (size > run.scale) run.scale = size;
  return value;
}

/** A sum or product over integer bounds, at most {@link MAX_TERMS} terms; NaN otherwise. */
function bigOperator(json: MathJson[], run: Evaluation): Complex {
  const range = bigOperatorRange(json)!;
  const low = evaluate(range.low, run);
  const high = evaluate(range.high, run);
  if (low.im !== 0 || high.im !== 0 || !Number.isInteger(low.re) || !Number.isInteger(high.re)) return NAN;
  if (high.re - low.re >= MAX_TERMS) return NAN;
  const outer = run.variables;
  let total = json[0] === "Sum" ? real(0) : real(1);
  try {
    for (let k = low.re; k <= high.re; k++) {
      run.variables = { ...outer, [range.index]: k };
      const term = evaluate(json[1], run);
      total = json[0] === "Sum" ? add(total, term) : mul(total, term);
    }
  } finally {
    run.variables = outer;
  }
  return total;
}

function evaluateNode(json: MathJson, run: Evaluation): Complex {
  if (typeof json === "number") return real(json);
  if (typeof json === "string") {
    return CONSTANTS[json] ?? (json in run.variables ? real(run.variables[json]) : NAN);
  }
  if (!Array.isArray(json)) {
    if (json.num !== undefined) {
      const exact = parseDecimal(json.num);
      return exact ? real(toNumber(exact)) : NAN;
    }
    return json.sym !== undefined ? evaluate(json.sym, run) : NAN;
  }
  if (bigOperatorRange(json)) return bigOperator(json, run);
  const inverse = inverseFunction(json);
  if (inverse) return evaluate(inverse, run);
  const [head, ...args] = json;
  const values = args.map((arg) => evaluate(arg, run));
  const operator = typeof head === "string" ? COMPLEX_OPERATORS.get(head) : undefined;
  if (operator) return operator(values, args);
  const fn = typeof head === "string" ? REAL_FUNCTIONS[head] : undefined;
  if (!fn || values.some((value) => value.im !== 0)) return NAN;
  return real(fn(...values.map((value) => value.re)));
}
