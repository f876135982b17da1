/**
 * `deno task bench math`: throughput of the MATH answer checker on MATH500-style pairs (each gold answer
 * against its solution's boxed answer, a Minerva-style full response, and a wrong answer from another
 * item), split by the path that decided (exact/string vs numeric/100-digit/structure), the worst-case
 * time of a single check, and how many checks the wall-clock guard stopped (an error, never a verdict; 0
 * expected). The parse cache is cleared before every round so parses are measured cold.
 */
import { checkAnswer } from "../src/verify/math/check.ts";
import { loadMathJsonl } from "../src/verify/math/dataset.ts";
import { extractAnswer } from "../src/verify/math/extract.ts";
import { clearParseCache } from "../src/verify/math/parse.ts";
import { sharedData } from "../src/testing/shared_data.ts";

const ROUNDS = 3;
const EXACT_PATHS = new Set(["string", "exact", "none"]);

const path = sharedData("math/math500.jsonl").path;
const items = await loadMathJsonl(path);
const pairs: { response: string; gold: string; problem: string }[] = [];
items.forEach((item, index) => {
  const gold = item.answer ?? "";
  const boxed = extractAnswer(item.solution) ?? "";
  const other = items[(index + 7) % items.length].answer ?? "";
  pairs.push({ response: `\\boxed{${boxed}}`, gold, problem: item.problem });
  pairs.push({
    response: `Final Answer: The final answer is $${boxed}$. I hope it is correct.`,
    gold,
    problem: item.problem,
  });
  pairs.push({ response: `So the answer is $\\boxed{${other}}$.`, gold, problem: item.problem });
});

checkAnswer("\\boxed{x^2}", "x \\cdot x"); // creates the compute engine (about 200 ms) before timing

const totals = { exact: { n: 0, ms: 0 }, numeric: { n: 0, ms: 0 } };
let worst = { ms: 0, gold: "", response: "" };
let guarded = 0;
const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  clearParseCache();
  for (const pair of pairs) {
    const t0 = performance.now();
    const result = checkAnswer(pair.response, pair.gold, { problem: pair.problem });
    const ms = performance.now() - t0;
    if (result.path === "error") guarded++;
    const bucket = EXACT_PATHS.has(result.path) ? totals.exact : totals.numeric;
    bucket.n++;
    bucket.ms += ms;
    if (ms > worst.ms) worst = { ms, gold: pair.gold, response: pair.response };
  }
}
const elapsed = performance.now() - started;
const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
console.log(
  `pairs per round: ${pairs.length}, rounds: ${ROUNDS} (parse cache cleared each round), one thread`,
);
console.log(
  `exact path (string/exact rationals):         ${totals.exact.n} checks, ${
    rate(totals.exact.n, totals.exact.ms)
  } checks/s`,
);
console.log(
  `numeric path (points/100-digit/structures): ${totals.numeric.n} checks, ${
    rate(totals.numeric.n, totals.numeric.ms)
  } checks/s`,
);
console.log(`overall: ${rate(totals.exact.n + totals.numeric.n, elapsed)} checks/s on one core`);
console.log(
  `worst single check: ${worst.ms.toFixed(2)} ms (gold ${JSON.stringify(worst.gold)}, response ${
    JSON.stringify(worst.response.slice(0, 80))
  })`,
);
console.log(`checks stopped by the time guard: ${guarded}`);
