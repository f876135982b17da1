import assert from "node:assert/strict";
import { feedbackText, secondAttemptPrompt } from "./correction.ts";

Deno.test("chat prompts get attempt 1 as the assistant's turn and feedback plus instruction as the user's", () => {
  const first = { messages: [{ role: "user", content: "What is 2+3?" }] };
  assert.deepEqual(secondAttemptPrompt(first, "6", "Fix it.", "wrong answer"), {
    messages: [
      { role: "user", content: "What is 2+3?" },
      { role: "assistant", content: "6" },
      { role: "user", content: "Feedback on your solution: wrong answer\n\nFix it." },
    ],
  });
});

Deno.test("plain prompts get attempt 1 and the instruction appended as text", () => {
  assert.deepEqual(secondAttemptPrompt({ prompt: "Q: 2+3?\nA: " }, "6", "Fix it."), {
    prompt: "Q: 2+3?\nA: 6\n\nFix it.\n\n",
  });
});

Deno.test("feedback values that are not strings are shown as JSON; absent ones are left out", () => {
  assert.equal(feedbackText({ status: "failed" }), '{"status":"failed"}');
  assert.equal(feedbackText(null), undefined);
});
