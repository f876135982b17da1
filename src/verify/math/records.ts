/**
 * Checking whole records: reads the gold answer, response(s) and problem from configurable fields and adds
 * the verdict fields. Shared by the `verify.math` step kind and the `verify-math` CLI, so generated records
 * can be checked for attempt 1 and attempt 2 in one pass.
 *
 * @module
 */
import { checkAnswer, type CheckOptions } from "./check.ts";
import { DEFAULT_MAPPING, type FieldMapping } from "./mapping.ts";

export { DEFAULT_MAPPING, type FieldMapping };

/** Returns a copy of `record` with the verdict fields of every mapping added; throws when a field is missing. */
export function verifyRecord(
  record: unknown,
  mappings: readonly FieldMapping[] = [DEFAULT_MAPPING],
  options: Pick<CheckOptions, "timeBudgetMs" | "extractors"> = {},
): Record<string, unknown> {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new Error("expected a JSON object with the gold answer and the response");
  }
  const out: Record<string, unknown> = { ...record };
  for (const mapping of mappings) {
    const gold = out[mapping.answer];
    const responses = out[mapping.response];
    if (typeof gold !== "string") throw new Error(`field "${mapping.answer}" (gold answer) must be a string`);
    const problemValue = mapping.problem === undefined ? undefined : out[mapping.problem];
    const problem = typeof problemValue === "string" ? problemValue : undefined;
    const check = (response: unknown, where: string) => {
      if (typeof response !== "string") throw new Error(`field "${where}" (response) must be a string`);
      return checkAnswer(response, gold, { ...options, problem });
    };
    if (Array.isArray(responses)) {
      const results = responses.map((response, index) => check(response, `${mapping.response}[${index}]`));
      out[mapping.correct] = results.map((result) => result.correct);
      out[mapping.extracted] = results.map((result) => result.extracted);
      out[mapping.reason] = results.map((result) => result.reason);
    } else {
      const result = check(responses, mapping.response);
      out[mapping.correct] = result.correct;
      out[mapping.extracted] = result.extracted;
      out[mapping.reason] = result.reason;
    }
  }
  return out;
}
