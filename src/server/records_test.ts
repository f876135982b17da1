import assert from "node:assert/strict";
import { readJsonlPage } from "./records.ts";

Deno.test("readJsonlPage pages records and ignores bytes past the committed limit", async () => {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  const lines = Array.from(
    { length: 10 },
    (_, i) => JSON.stringify({ i, text: "x".repeat(i * 5000) }) + "\n",
  );
  const committed = lines.slice(0, 7).join("");
  await Deno.writeTextFile(path, committed + lines.slice(7).join("") + '{"torn":');
  const page = await readJsonlPage(path, 5, 10, new TextEncoder().encode(committed).length);
  assert.equal(page.total, 7);
  assert.deepEqual(page.records.map((r) => (r as { i: number }).i), [5, 6]);
  const whole = await readJsonlPage(path, 0, 3);
  assert.deepEqual(whole.records.map((r) => (r as { i: number }).i), [0, 1, 2]);
  const tail = await readJsonlPage(path, 10, 1);
  assert.deepEqual(tail, { records: [], total: 10 }, "a torn last line is not a record yet");
  await Deno.writeTextFile(path, '{"ok":1}\n{"torn":\n');
  await assert.rejects(() => readJsonlPage(path, 0, 5), /:2: malformed JSON/);
  await Deno.remove(path);
});
