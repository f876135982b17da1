/**
 * Exact arithmetic on rational and Gaussian-rational numbers with big integers.
 *
 * Answers such as `1/2004!` or `10^{-30}` must compare exactly, so no tolerance is ever applied here.
 *
 * @module
 */

/** A rational number `num/den` in lowest terms with `den > 0`. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** A complex number whose real and imaginary parts are rationals. */
export interface ComplexRational {
  readonly re: Rational;
  readonly im: Rational;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Builds `num/den` in lowest terms; throws a RangeError when `den` is zero. */
export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new RangeError("rational: division by zero");
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** Parses an exact decimal or integer literal such as `-12.5`, `.35625` or `1.5e-3`; null if not one. */
export function parseDecimal(text: string): Rational | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/.exec(text.trim());
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return null;
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  let num = BigInt((whole || "0") + fraction);
  let den = 10n ** BigInt(fraction.length);
  const shift = Number(exponent);
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  return rational(sign === "-" ? -num : num, den);
}

/** `a + b`. */
export function add(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

/** `a - b`. */
export function sub(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den - b.num * a.den, a.den * b.den);
}

/** `a * b`. */
export function mul(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

/** `a / b`; throws a RangeError when `b` is zero. */
export function div(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den, a.den * b.num);
}

/** True when `a` and `b` are the same number. */
export function equals(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

/** True when `a` is zero. */
export function isZero(a: Rational): boolean {
  return a.num === 0n;
}

/** Exact integer square root of a non-negative bigint, or null when it is not a perfect square. */
export function exactSqrt(n: bigint): bigint | null {
  if (n < 0n) return null;
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton steps correct the float estimate for numbers beyond 2^53.
  for (let step = 0; step < 200; step++) {
    const next = (x + n / x) >> 1n;
    if (next >= x && x * x <= n) break;
    x = next;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x * x === n ? x : null;
}

/** Approximates a rational as a double (0 or ±Infinity when the magnitude is beyond double range). */
export function toNumber(a: Rational): number {
  const digits = a.num.toString().length - a.den.toString().length;
  if (Math.abs(digits) < 290) return Number(a.num) / Number(a.den);
  const shift = 20 - digits;
  const scaled = shift >= 0
    ? (a.num * 10n ** BigInt(shift)) / a.den
    : a.num / (a.den * 10n ** BigInt(-shift));
  return Number(scaled) * 10 ** -shift;
}

/** The complex rational `re + im·i`. */
export function complex(re: Rational, im: Rational = ZERO): ComplexRational {
  return { re, im };
}

/** Zero as a rational. */
export const ZERO: Rational = { num: 0n, den: 1n };
/** One as a rational. */
export const ONE: Rational = { num: 1n, den: 1n };

/** Complex `a + b`. */
export function cadd(a: ComplexRational, b: ComplexRational): ComplexRational {
  return complex(add(a.re, b.re), add(a.im, b.im));
}

/** Complex `a - b`. */
export function csub(a: ComplexRational, b: ComplexRational): ComplexRational {
  return complex(sub(a.re, b.re), sub(a.im, b.im));
}

/** Complex `a * b`. */
export function cmul(a: ComplexRational, b: ComplexRational): ComplexRational {
  return complex(sub(mul(a.re, b.re), mul(a.im, b.im)), add(mul(a.re, b.im), mul(a.im, b.re)));
}

/** Complex `a / b`; throws a RangeError when `b` is zero. */
export function cdiv(a: ComplexRational, b: ComplexRational): ComplexRational {
  const norm = add(mul(b.re, b.re), mul(b.im, b.im));
  const conjugate = complex(b.re, rational(-b.im.num, b.im.den));
  const top = cmul(a, conjugate);
  return complex(div(top.re, norm), div(top.im, norm));
}

/** True when two complex rationals are equal. */
export function cequals(a: ComplexRational, b: ComplexRational): boolean {
  return equals(a.re, b.re) && equals(a.im, b.im);
}
