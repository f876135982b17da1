/**
 * Twenty small TypeScript problems in the verifier's native format (HumanEval-like: `test` defines
 * `check(candidate)`, which the harness calls), each with a canonical solution. Written for the code
 * verification benchmark; the ideas echo early HumanEval tasks.
 *
 * @module
 */

/** A native-format TypeScript problem. */
export interface NativeTsProblem {
  task_id: string;
  language: "typescript";
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point: string;
}

function problem(
  id: number,
  entry: string,
  signature: string,
  body: string,
  checks: string[],
): NativeTsProblem {
  return {
    task_id: `TsBench/${id}`,
    language: "typescript",
    prompt: `function ${entry}${signature} {\n`,
    canonical_solution: `${body}\n}\n`,
    test: `function check(candidate: any) {\n${checks.map((line) => `  ${line}`).join("\n")}\n}\n`,
    entry_point: entry,
  };
}

/** The benchmark's TypeScript problems. */
export const TS_BENCH_PROBLEMS: NativeTsProblem[] = [
  problem(
    0,
    "hasCloseElements",
    "(xs: number[], t: number): boolean",
    "  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (Math.abs(xs[i] - xs[j]) < t) return true;\n  return false;",
    [
      "assert.deepEqual(candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3), true);",
      "assert.deepEqual(candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05), false);",
    ],
  ),
  problem(1, "truncateNumber", "(x: number): number", "  return x % 1.0;", [
    "assert.ok(Math.abs(candidate(3.5) - 0.5) < 1e-9);",
  ]),
  problem(
    2,
    "belowZero",
    "(ops: number[]): boolean",
    "  let balance = 0;\n  for (const op of ops) { balance += op; if (balance < 0) return true; }\n  return false;",
    [
      "assert.deepEqual(candidate([]), false);",
      "assert.deepEqual(candidate([1, 2, -4, 5]), true);",
    ],
  ),
  problem(
    3,
    "intersperse",
    "(xs: number[], d: number): number[]",
    "  return xs.flatMap((x, i) => (i === 0 ? [x] : [d, x]));",
    [
      "assert.deepEqual(candidate([], 7), []);",
      "assert.deepEqual(candidate([5, 6, 3, 2], 8), [5, 8, 6, 8, 3, 8, 2]);",
    ],
  ),
  problem(
    4,
    "sumProduct",
    "(xs: number[]): [number, number]",
    "  return [xs.reduce((a, b) => a + b, 0), xs.reduce((a, b) => a * b, 1)];",
    [
      "assert.deepEqual(candidate([]), [0, 1]);",
      "assert.deepEqual(candidate([3, 5, 7]), [15, 105]);",
    ],
  ),
  problem(
    5,
    "rollingMax",
    "(xs: number[]): number[]",
    "  let best = -Infinity;\n  return xs.map((x) => (best = Math.max(best, x)));",
    [
      "assert.deepEqual(candidate([1, 2, 3, 2, 3, 4, 2]), [1, 2, 3, 3, 3, 4, 4]);",
    ],
  ),
  problem(6, "isPalindrome", "(s: string): boolean", '  return s === [...s].reverse().join("");', [
    'assert.deepEqual(candidate("aba"), true);',
    'assert.deepEqual(candidate("ab"), false);',
  ]),
  problem(
    7,
    "greatestCommonDivisor",
    "(a: number, b: number): number",
    "  while (b) [a, b] = [b, a % b];\n  return a;",
    [
      "assert.deepEqual(candidate(3, 7), 1);",
      "assert.deepEqual(candidate(49, 14), 7);",
    ],
  ),
  problem(8, "allPrefixes", "(s: string): string[]", "  return [...s].map((_, i) => s.slice(0, i + 1));", [
    'assert.deepEqual(candidate("asdfgh"), ["a", "as", "asd", "asdf", "asdfg", "asdfgh"]);',
  ]),
  problem(9, "countDistinctCharacters", "(s: string): number", "  return new Set(s.toLowerCase()).size;", [
    'assert.deepEqual(candidate("abcdecadeCADE"), 5);',
  ]),
  problem(
    10,
    "howManyTimes",
    "(s: string, sub: string): number",
    "  let n = 0;\n  for (let i = 0; i + sub.length <= s.length; i++) if (s.slice(i, i + sub.length) === sub) n++;\n  return n;",
    [
      'assert.deepEqual(candidate("cacacacac", "cac"), 4);',
    ],
  ),
  problem(11, "strlen", "(s: string): number", "  return s.length;", [
    'assert.deepEqual(candidate("asdasnakj"), 9);',
  ]),
  problem(
    12,
    "largestDivisor",
    "(n: number): number",
    "  for (let d = n - 1; d > 0; d--) if (n % d === 0) return d;\n  return 1;",
    [
      "assert.deepEqual(candidate(100), 50);",
      "assert.deepEqual(candidate(49), 7);",
    ],
  ),
  problem(
    13,
    "factorize",
    "(n: number): number[]",
    "  const out: number[] = [];\n  for (let d = 2; d * d <= n; d++) while (n % d === 0) { out.push(d); n /= d; }\n  if (n > 1) out.push(n);\n  return out;",
    [
      "assert.deepEqual(candidate(57), [3, 19]);",
      "assert.deepEqual(candidate(3 * 2 * 3), [2, 3, 3]);",
    ],
  ),
  problem(
    14,
    "removeDuplicates",
    "(xs: number[]): number[]",
    "  const counts = new Map<number, number>();\n  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);\n  return xs.filter((x) => counts.get(x) === 1);",
    [
      "assert.deepEqual(candidate([1, 2, 3, 2, 4, 3, 5]), [1, 4, 5]);",
    ],
  ),
  problem(
    15,
    "flipCase",
    "(s: string): string",
    '  return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");',
    [
      'assert.deepEqual(candidate("Hello!"), "hELLO!");',
    ],
  ),
  problem(16, "getPositive", "(xs: number[]): number[]", "  return xs.filter((x) => x > 0);", [
    "assert.deepEqual(candidate([-1, 2, -4, 5, 6]), [2, 5, 6]);",
  ]),
  problem(
    17,
    "isPrime",
    "(n: number): boolean",
    "  if (n < 2) return false;\n  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;\n  return true;",
    [
      "assert.deepEqual(candidate(6), false);",
      "assert.deepEqual(candidate(101), true);",
    ],
  ),
  problem(
    18,
    "uniqueSorted",
    "(xs: number[]): number[]",
    "  return [...new Set(xs)].sort((a, b) => a - b);",
    [
      "assert.deepEqual(candidate([5, 3, 5, 2, 3, 3, 9, 0, 123]), [0, 2, 3, 5, 9, 123]);",
    ],
  ),
  problem(
    19,
    "fizzBuzzSevens",
    "(n: number): number",
    '  let count = 0;\n  for (let i = 0; i < n; i++) if (i % 11 === 0 || i % 13 === 0) count += [...String(i)].filter((c) => c === "7").length;\n  return count;',
    [
      "assert.deepEqual(candidate(50), 0);",
      "assert.deepEqual(candidate(79), 3);",
    ],
  ),
];
