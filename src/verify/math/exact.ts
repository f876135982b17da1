/**
 * Exact evaluation of constant MathJSON expressions to Gaussian rationals with big integers.
 *
 * Returns null for anything that is not exactly a complex rational (π, √2, unknown functions, variables) or
 * whose value or any intermediate value would need more than {@link MAX_BITS} bits, so callers fall back to
 * numeric comparison. The work is bounded by the input: sizes, factorials and binomials are capped.
 *
 * @module
 */
import { type MathJson, mixedNumber } from "./parse.ts";
import {
  cadd,
  cdiv,
  cmul,
  complex,
  type ComplexRational,
  csub,
  exactSqrt,
  isZero,
  ONE,
  parseDecimal,
  type Rational,
  rational,
  ZERO,
} from "./rational.ts";

/** The largest intermediate size, in bits, that exact evaluation accepts. */
export const MAX_BITS = 200_000;

const I = complex(ZERO, ONE);

function isReal(value: ComplexRational): boolean {
  return isZero(value.im);
}

function integerOf(value: ComplexRational | null): bigint | null {
  return value && isReal(value) && value.re.den === 1n ? value.re.num : null;
}

function tooBig(value: ComplexRational): boolean {
  const bits = (n: bigint) => (n < 0n ? -n : n).toString(16).length * 4;
  return bits(value.re.num) + bits(value.re.den) + bits(value.im.num) + bits(value.im.den) > MAX_BITS;
}

/** The exact value of a numeric literal or constant symbol, or null. */
function atomValue(json: MathJson): ComplexRational | null {
  if (typeof json === "number") return Number.isFinite(json) ? realOf(parseDecimal(String(json))) : null;
  if (typeof json === "string") return json === "i" || json === "ImaginaryUnit" ? I : null;
  if (!Array.isArray(json) && json.num !== undefined) return realOf(parseDecimal(json.num));
  return null;
}

function realOf(value: Rational | null): ComplexRational | null {
  return value ? complex(value) : null;
}

/** Exact value of a MathJSON expression, or null when it is not an exact complex rational. Never throws. */
export function exactValue(json: MathJson): ComplexRational | null {
  try {
    const value = evaluate(json);
    return value && !tooBig(value) ? value : null;
  } catch {
    return null;
  }
}

/** Evaluates one node; every intermediate value is held to {@link MAX_BITS}, so the work stays bounded. */
function evaluate(json: MathJson): ComplexRational | null {
  const value = evaluateNode(json);
  return value && !tooBig(value) ? value : null;
}

function evaluateNode(json: MathJson): ComplexRational | null {
  if (!Array.isArray(json)) return atomValue(json);
  const [head, ...args] = json;
  const values = () => {
    const out = args.map((arg) => evaluate(arg));
    return out.every((value) => value !== null) ? out as ComplexRational[] : null;
  };
  switch (head) {
    case "Add":
      return values()?.reduce(cadd) ?? null;
    case "Subtract": {
      const all = values();
      return all && all.length > 0 ? all.reduce(csub) : null;
    }
    case "Negate": {
      const [value] = values() ?? [];
      return value ? csub(complex(ZERO), value) : null;
    }
    case "Multiply":
      return product(values());
    case "InvisibleOperator":
      return mixedValue(args) ?? product(values());
    case "Divide":
    case "Rational": {
      const all = values();
      return all && all.length === 2 && !isZeroComplex(all[1]) ? cdiv(all[0], all[1]) : null;
    }
    case "Delimiter":
      return args.length === 1 ? evaluate(args[0]) : null;
    case "Complex": {
      const all = values();
      return all && all.length === 2 && isReal(all[0]) && isReal(all[1])
        ? complex(all[0].re, all[1].re)
        : null;
    }
    case "Power":
      return power(evaluate(args[0]), evaluate(args[1]));
    case "Sqrt":
      return root(evaluate(args[0]), 2n);
    case "Root":
      return root(evaluate(args[0]), integerOf(evaluate(args[1])));
    case "Factorial":
      return factorial(integerOf(evaluate(args[0])));
    case "Binomial":
      return binomial(integerOf(evaluate(args[0])), integerOf(evaluate(args[1])));
    case "Abs":
      return absolute(evaluate(args[0]));
    default:
      return null;
  }
}

/** The product of `factors`, or null as soon as a partial product exceeds {@link MAX_BITS}. */
function product(factors: ComplexRational[] | null): ComplexRational | null {
  if (!factors || factors.length === 0) return null;
  let result = factors[0];
  for (const factor of factors.slice(1)) {
    result = cmul(result, factor);
    if (tooBig(result)) return null;
  }
  return result;
}

function isZeroComplex(value: ComplexRational): boolean {
  return isZero(value.re) && isZero(value.im);
}

/** `3\frac{1}{2}` as written in MATH means 3 + 1/2. */
function mixedValue(args: MathJson[]): ComplexRational | null {
  const parts = mixedNumber(args);
  if (!parts) return null;
  const value = rational(
    BigInt(parts.whole) * BigInt(parts.bottom) + BigInt(parts.top),
    BigInt(parts.bottom),
  );
  return complex(parts.negative ? rational(-value.num, value.den) : value);
}

function power(base: ComplexRational | null, exponent: ComplexRational | null): ComplexRational | null {
  if (!base || !exponent || !isReal(exponent)) return null;
  const { num, den } = exponent.re;
  if (den === 2n) return power(root(base, 2n), complex(rational(num)));
  if (den !== 1n) return null;
  const magnitude = num < 0n ? -num : num;
  const baseBits = [base.re.num, base.re.den, base.im.num, base.im.den]
    .reduce((sum, n) => sum + (n < 0n ? -n : n).toString(16).length * 4, 0);
  if (baseBits * Number(magnitude) > MAX_BITS * 2 && !isUnitLike(base)) return null;
  let result = complex(ONE);
  let square = base;
  for (let k = magnitude; k > 0n; k >>= 1n) {
    if (k & 1n) result = cmul(result, square);
    if (k > 1n) square = cmul(square, square);
  }
  if (num >= 0n) return result;
  return isZeroComplex(result) ? null : cdiv(complex(ONE), result);
}

function isUnitLike(value: ComplexRational): boolean {
  return value.re.den === 1n && value.im.den === 1n && (value.re.num ** 2n + value.im.num ** 2n) <= 1n;
}

function root(value: ComplexRational | null, degree: bigint | null): ComplexRational | null {
  if (!value || !degree || degree < 2n || degree > 64n || !isReal(value)) return null;
  const { num, den } = value.re;
  if (num < 0n) {
    if (degree % 2n === 1n) {
      const positive = root(complex(rational(-num, den)), degree);
      return positive ? csub(complex(ZERO), positive) : null;
    }
    if (degree !== 2n) return null;
    const positive = root(complex(rational(-num, den)), 2n);
    return positive ? cmul(positive, I) : null;
  }
  const top = integerRoot(num, degree);
  const bottom = integerRoot(den, degree);
  return top !== null && bottom !== null ? complex(rational(top, bottom)) : null;
}

/** The exact `degree`-th root of a non-negative integer, or null when it is not a perfect power. */
function integerRoot(n: bigint, degree: bigint): bigint | null {
  if (degree === 2n) return exactSqrt(n);
  let low = 0n;
  let high = 1n;
  while (high ** degree <= n) high <<= 1n;
  while (low < high) {
    const mid = (low + high + 1n) >> 1n;
    if (mid ** degree <= n) low = mid;
    else high = mid - 1n;
  }
  return low ** degree === n ? low : null;
}

/** Factorials up to this argument are computed exactly. */
const MAX_FACTORIAL = 5000n;

function factorial(n: bigint | null): ComplexRational | null {
  if (n === null || n < 0n || n > MAX_FACTORIAL) return null;
  let product = 1n;
  for (let k = 2n; k <= n; k++) product *= k;
  return complex(rational(product));
}

function binomial(n: bigint | null, k: bigint | null): ComplexRational | null {
  if (n === null || k === null || n < 0n || k < 0n || n > 100_000n) return null;
  if (k > n) return complex(ZERO);
  let result = 1n;
  const small = k < n - k ? k : n - k;
  if (small > MAX_FACTORIAL) return null;
  for (let j = 1n; j <= small; j++) result = (result * (n - small + j)) / j;
  return complex(rational(result));
}

function absolute(value: ComplexRational | null): ComplexRational | null {
  if (!value) return null;
  if (isReal(value)) return complex(rational(value.re.num < 0n ? -value.re.num : value.re.num, value.re.den));
  return root(
    cadd(cmul(complex(value.re), complex(value.re)), cmul(complex(value.im), complex(value.im))),
    2n,
  );
}
