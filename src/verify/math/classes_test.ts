/**
 * The answer forms and equivalence classes of issue 14 (`_classes.ts`), one test per class with positives and
 * near-miss negatives.
 */
import assert from "node:assert/strict";
import { CLASS_GROUPS } from "./_classes.ts";
import { mislabelled } from "./_pairs.ts";

for (const [group, rows] of CLASS_GROUPS) {
  Deno.test(`equivalence class: ${group}`, () => {
    assert.ok(rows.some(([, , equal]) => equal) && rows.some(([, , equal]) => !equal), "both verdicts");
    assert.deepEqual(mislabelled(rows), []);
  });
}
