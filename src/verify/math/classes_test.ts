/**
 * The answer forms and equivalence classes of issue 14 (`_classes.ts`), one test per class with positives and
 * near-miss negatives.
 */
import assert from "node:assert/strict";
import { CLASS_GROUPS } from "./_classes.ts";
import { compareAnswers } from "./check.ts";

for (const [group, rows] of CLASS_GROUPS) {
  Deno.test(`equivalence class: ${group}`, () => {
    assert.ok(rows.some(([, , equal]) => equal) && rows.some(([, , equal]) => !equal), "both verdicts");
    const wrong = rows.flatMap(([gold, response, equal, problem]) => {
      const result = compareAnswers(gold, response, { problem });
      return result.correct === equal
        ? []
        : [`${gold} vs ${response}: expected ${equal}, got ${result.correct} (${result.reason})`];
    });
    assert.deepEqual(wrong, []);
  });
}
