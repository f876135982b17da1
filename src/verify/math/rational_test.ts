import assert from "node:assert/strict";
import { exactValue } from "./exact.ts";
import { parseLatex } from "./parse.ts";
import { cequals, div, equals, exactSqrt, parseDecimal, rational, toNumber } from "./rational.ts";

Deno.test("parseDecimal reads literals exactly", () => {
  assert.deepEqual(parseDecimal("-12.50"), rational(-25n, 2n));
  assert.deepEqual(parseDecimal(".0000672"), rational(672n, 10_000_000n));
  assert.deepEqual(parseDecimal("1.5e-3"), rational(3n, 2000n));
  assert.equal(parseDecimal("1.2.3"), null);
  assert.equal(parseDecimal(""), null);
});

Deno.test("rationals stay in lowest terms and refuse division by zero", () => {
  assert.ok(equals(div(rational(2n, 4n), rational(1n, 2n)), rational(1n)));
  assert.throws(() => rational(1n, 0n), /division by zero/);
});

Deno.test("exactSqrt recognises perfect squares beyond double precision", () => {
  assert.equal(exactSqrt(12345678901234567891n ** 2n), 12345678901234567891n);
  assert.equal(exactSqrt(12345678901234567891n ** 2n + 1n), null);
});

Deno.test("toNumber approximates extreme magnitudes without NaN", () => {
  assert.equal(toNumber(rational(10n ** 400n, 3n * 10n ** 390n)), 10 ** 10 / 3);
  assert.equal(toNumber(rational(1n, 10n ** 400n)), 0);
});

Deno.test("exactValue tells 1/2004! from 1/2006! where doubles cannot", () => {
  const a = exactValue(parseLatex("\\frac{1}{2004!}")!);
  const b = exactValue(parseLatex("\\frac{1}{2006!}")!);
  assert.ok(a && b && !cequals(a, b));
  assert.equal(toNumber(a!.re), toNumber(b!.re));
});
