import assert from "node:assert/strict";
import type { EventRow } from "../workflow/store.ts";
import { downsample, recentRate } from "./summaries.ts";

function progress(done: number, ts: number): EventRow {
  return {
    id: ts,
    run_id: "r",
    step_id: "s",
    type: "progress",
    data: JSON.stringify({ done, total: 100 }),
    ts,
  };
}

Deno.test("recentRate uses the newest attempt's progress only", () => {
  // newest first: 30 items in 3 s, then an older attempt that had reached 50
  const events = [progress(40, 5000), progress(25, 3500), progress(10, 2000), progress(50, 1000)];
  assert.equal(recentRate(events), 10);
  assert.equal(recentRate([progress(5, 1000)]), null);
  assert.equal(recentRate([progress(5, 2000), progress(5, 1000)]), null);
});

Deno.test("downsample keeps the first and last points", () => {
  const points = Array.from({ length: 101 }, (_, i) => i);
  assert.deepEqual(downsample(points, 5), [0, 25, 50, 75, 100]);
  assert.deepEqual(downsample([1, 2], 5), [1, 2]);
});
