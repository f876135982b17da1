/**
 * The verdicts of every labelled set (`_pairs.ts`, `_classes.ts`, `_heldout.ts`) as comparable strings, for
 * the determinism test; run as a script it prints them as JSON (`--reverse` checks them in reverse order).
 *
 * @module
 */
import { CLASS_GROUPS } from "./_classes.ts";
import { HELD_OUT } from "./_heldout.ts";
import { PAIR_GROUPS } from "./_pairs.ts";
import { checkAnswer, type CheckOptions, compareAnswers } from "./check.ts";

/** One labelled check: a bare pair (`compareAnswers`) or a full response (`checkAnswer`). */
interface LabelledCheck {
  full: boolean;
  gold: string;
  response: string;
  problem?: string;
}

/** Every labelled check, in a fixed order. */
export function labelledChecks(): LabelledCheck[] {
  const pairs = [...PAIR_GROUPS, ...CLASS_GROUPS].flatMap(([, rows]) => rows);
  return [
    ...pairs.map(([gold, response, , problem]) => ({ full: false, gold, response, problem })),
    ...HELD_OUT.map(([gold, response]) => ({ full: true, gold, response })),
  ];
}

/**
 * The verdict of each labelled check as `correct path reason`, in the order of {@link labelledChecks} (also
 * when `reverse` checks them last to first).
 */
export function labelledVerdicts(
  reverse = false,
  options: Pick<CheckOptions, "timeBudgetMs"> = {},
): string[] {
  const checks = labelledChecks();
  const order = checks.map((_, index) => index);
  if (reverse) order.reverse();
  const verdicts: string[] = new Array(checks.length);
  for (const index of order) {
    const { full, gold, response, problem } = checks[index];
    const result = full
      ? checkAnswer(response, gold, { ...options, problem })
      : compareAnswers(gold, response, { ...options, problem });
    verdicts[index] = `${result.correct} ${result.path} ${result.reason}`;
  }
  return verdicts;
}

if (import.meta.main) console.log(JSON.stringify(labelledVerdicts(Deno.args.includes("--reverse"))));
