/**
 * The held-out labelled responses (`_heldout.ts`): no false positive and no false negative.
 */
import assert from "node:assert/strict";
import { HELD_OUT } from "./_heldout.ts";
import { checkAnswer } from "./check.ts";

Deno.test("held-out labelled responses: no false positives, no false negatives", () => {
  const positives = HELD_OUT.filter(([, , correct]) => correct).length;
  assert.ok(positives > 0 && positives < HELD_OUT.length, "both verdicts");
  const wrong = HELD_OUT.flatMap(([gold, response, correct]) => {
    const result = checkAnswer(response, gold);
    if (result.correct === correct) return [];
    const kind = result.correct ? "false positive" : "false negative";
    return [`${kind}: ${gold} vs ${JSON.stringify(response)} -> ${result.extracted} (${result.reason})`];
  });
  assert.deepEqual(wrong, []);
});
