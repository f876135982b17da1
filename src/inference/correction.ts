/**
 * SCoRe's second-attempt context: [problem, attempt 1, instruction], optionally with the verifier's feedback
 * on attempt 1 placed before the instruction. Chat prompts get attempt 1 as an assistant turn and the
 * instruction as a user turn; plain prompts get them appended as text.
 *
 * @module
 */
import type { PromptInput } from "./model.ts";

/**
 * The default self-correction instruction (the substance of the paper's MATH instruction, in this project's
 * words), asking for the answer in the Minerva form that the math checker reads.
 */
export const DEFAULT_CORRECTION_INSTRUCTION = "Your solution above may contain a mistake, for example from " +
  "misreading the question. Find and fix the mistake, if there is one, and write out the complete corrected " +
  "solution, and nothing else. End with the line: Final Answer: The final answer is $X$. I hope it is correct. " +
  "(with X replaced by your answer)";

/** Builds the second-attempt prompt from the first prompt, the first attempt and the instruction. */
export function secondAttemptPrompt(
  first: PromptInput,
  attempt1: string,
  instruction: string,
  feedback?: string,
): PromptInput {
  const request = feedback === undefined
    ? instruction
    : `Feedback on your solution: ${feedback}\n\n${instruction}`;
  if ("messages" in first) {
    return {
      messages: [...first.messages, { role: "assistant", content: attempt1 }, {
        role: "user",
        content: request,
      }],
    };
  }
  return { prompt: `${first.prompt}${attempt1}\n\n${request}\n\n` };
}

/** Renders a feedback value from a record (a string, or any JSON value) as text; undefined when absent. */
export function feedbackText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}
