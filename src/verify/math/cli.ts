/**
 * `pipeline verify-math --in FILE --out FILE [--fail-fast]`: checks a JSONL file of records with `answer`
 * (gold), `response` (full model output) and optional `problem`, writing each record with `correct`,
 * `extracted` and `reason` added. A malformed line gets a one-line error with its line number and is left out;
 * the other lines are still checked unless `--fail-fast` is given.
 *
 * @module
 */
import { jsonlLines } from "../../data/jsonl.ts";
import { parseFlagsOrReport, stringFlags } from "../../util/args.ts";
import { DEFAULT_MAPPING, type FieldMapping, verifyRecord } from "./records.ts";

const USAGE = "usage: pipeline verify-math --in FILE --out FILE [--fail-fast] [--time-budget-ms N] " +
  "[--answer-field F] [--response-field F] [--problem-field F]";

/** Runs the CLI; returns 0 when every line was checked, 1 on an I/O failure, 2 on bad input or flags. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseFlagsOrReport("verify-math", USAGE, {
    args,
    options: {
      ...stringFlags("in", "out", "time-budget-ms"),
      "fail-fast": { type: "boolean", default: false },
      "answer-field": { type: "string", default: DEFAULT_MAPPING.answer },
      "response-field": { type: "string", default: DEFAULT_MAPPING.response },
      "problem-field": { type: "string", default: DEFAULT_MAPPING.problem },
      help: { type: "boolean", default: false },
    },
  });
  if (!parsed) return 2;
  const flags = parsed.values;
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (!flags.in || !flags.out) {
    console.error(`verify-math: --in and --out are required\n${USAGE}`);
    return 2;
  }
  const timeBudgetMs = flags["time-budget-ms"] === undefined ? undefined : Number(flags["time-budget-ms"]);
  if (timeBudgetMs !== undefined && !(timeBudgetMs > 0)) {
    console.error(
      `verify-math: --time-budget-ms must be a positive number, got "${flags["time-budget-ms"]}"`,
    );
    return 2;
  }
  const mapping: FieldMapping = {
    ...DEFAULT_MAPPING,
    answer: flags["answer-field"],
    response: flags["response-field"],
    problem: flags["problem-field"],
  };
  let text: string;
  try {
    text = await Deno.readTextFile(flags.in);
  } catch (error) {
    console.error(`verify-math: cannot read --in ${flags.in}: ${(error as Error).message}`);
    return 1;
  }
  const { lines, correct, bad } = verifyLines(text, flags.in, mapping, timeBudgetMs, flags["fail-fast"]);
  try {
    await Deno.writeTextFile(flags.out, lines.map((line) => line + "\n").join(""));
  } catch (error) {
    console.error(`verify-math: cannot write --out ${flags.out}: ${(error as Error).message}`);
    return 1;
  }
  console.error(`verify-math: ${lines.length} checked, ${correct} correct, ${bad} malformed line(s) skipped`);
  return bad > 0 ? 2 : 0;
}

/** Checks every non-empty line; reports malformed ones on stderr as `FILE:LINE: why`. */
function verifyLines(
  text: string,
  source: string,
  mapping: FieldMapping,
  timeBudgetMs: number | undefined,
  failFast: boolean,
): { lines: string[]; correct: number; bad: number } {
  const lines: string[] = [];
  let correct = 0;
  let bad = 0;
  for (const entry of jsonlLines(text)) {
    try {
      if (entry.error !== undefined) throw new Error(entry.error);
      const record = verifyRecord(entry.value, [mapping], { timeBudgetMs });
      if (record[mapping.correct] === true) correct++;
      lines.push(JSON.stringify(record));
    } catch (error) {
      bad++;
      console.error(`${source}:${entry.line}: ${(error as Error).message}`);
      if (failFast) break;
    }
  }
  return { lines, correct, bad };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
