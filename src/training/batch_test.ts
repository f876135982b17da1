import assert from "node:assert/strict";
import { lengthSortedChunks, packRows } from "./batch.ts";

const row = (context: number, completion: number) => ({
  context: Array.from({ length: context }, (_, i) => i + 1),
  completion: Array.from({ length: completion }, (_, i) => i + 1),
});

Deno.test("lengthSortedChunks groups rows of similar length, longest first, each row once", () => {
  const rows = [row(2, 1), row(5, 4), row(3, 1), row(4, 4)];
  assert.deepEqual(lengthSortedChunks(rows, 2), [[1, 3], [2, 0]]);
  assert.deepEqual(
    lengthSortedChunks([row(2, 2), row(1, 3), row(3, 1)], 2),
    [[0, 1], [2]],
    "ties keep order",
  );
  const padded = (groups: number[][]) =>
    groups.reduce((sum, g) => sum + packRows(g.map((i) => rows[i])).tokens.inputIds.length, 0);
  assert.ok(padded(lengthSortedChunks(rows, 2)) < padded([[0, 1], [2, 3]]), "sorting saves no padding here");
});
