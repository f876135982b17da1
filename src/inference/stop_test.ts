import assert from "node:assert/strict";
import { cutAtStop, IncrementalDecoder, StopMatcher } from "./stop.ts";

Deno.test("the earliest stop string wins, and the text is cut exactly before it", () => {
  const matcher = new StopMatcher(["\n\n", "END", "D"]);
  assert.deepEqual(cutAtStop("abc END\n\n", matcher), { text: "abc ", stop: "END" });
  assert.deepEqual(cutAtStop("a D END", matcher), { text: "a ", stop: "D" });
  assert.deepEqual(cutAtStop("x\n\ny END", matcher), { text: "x", stop: "\n\n" });
  assert.deepEqual(cutAtStop("nothing here", matcher), { text: "nothing here" });
});

Deno.test("at one position the longest stop string wins", () => {
  assert.deepEqual(cutAtStop("a###b", new StopMatcher(["#", "###"])), { text: "a", stop: "###" });
});

Deno.test("an incremental search finds a stop string split across pieces, searching only the new tail", () => {
  const matcher = new StopMatcher(["</answer>"]);
  let text = "";
  let found;
  for (const piece of ["The answer is 4</", "ans", "wer> trailing"]) {
    const from = text.length;
    text += piece;
    found ??= matcher.find(text, from);
  }
  assert.deepEqual(found, { index: 15, stop: "</answer>" });
});

Deno.test("the incremental decoder rebuilds the text and holds back incomplete characters", () => {
  const bytes = new TextEncoder().encode("héllo wörld");
  const decodeBytes = (ids: readonly number[]) => new TextDecoder().decode(Uint8Array.from(ids));
  const decoder = new IncrementalDecoder(decodeBytes);
  const seen: string[] = [];
  for (const byte of bytes) {
    decoder.push(byte);
    seen.push(decoder.text);
  }
  assert.equal(decoder.text, "héllo wörld");
  assert.ok(seen.every((text) => !text.includes("\uFFFD")), "no partial character is ever exposed");
});

Deno.test("an empty stop string is rejected", () => {
  assert.throws(() => new StopMatcher(["ok", ""]), /non-empty/);
});
