/**
 * Generates the toy datasets (datasets/toy-sign, datasets/toy-math and datasets/toy-code) from a seed.
 *
 *     deno run --allow-write=datasets datasets/toy/generate.ts           # write the files
 *     deno run --allow-read=datasets datasets/toy/generate.ts --check    # exit 1 if they differ from the seed's
 *
 * Every split holds distinct problems, and no problem appears in two splits: test problems are held out from
 * both RL training (train.jsonl) and the base model's SFT corpus (sft.jsonl).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createRng } from "../../src/model/random.ts";
import {
  DEFAULT_MATH_OPTIONS,
  DEFAULT_TRACE_OPTIONS,
  drawProblem,
  type MathRecord,
  type MathTaskOptions,
  type SftRecord,
  traceFor,
  type TraceOptions,
  type Uniform,
} from "./math_task.ts";
import {
  type CodeRecord,
  codeTraceFor,
  DEFAULT_CODE_OPTIONS,
  DEFAULT_CODE_TRACE_OPTIONS,
  drawCodeProblem,
} from "./code_task.ts";
import {
  DEFAULT_SIGN_OPTIONS,
  DEFAULT_SIGN_TRACE_OPTIONS,
  drawSignPuzzle,
  hintedFixFor,
  signSolutionExample,
  type SignTaskOptions,
  signTraceFor,
  type SignTraceOptions,
} from "./sign_task.ts";

/** The seed of the committed files. */
export const TOY_SEED = 20240917;

/** How many records each split holds. */
export interface SplitSizes {
  test: number;
  train: number;
  /** Problems whose worked solution is an SFT example. */
  sftSolutions: number;
  /** Two-attempt traces in the SFT corpus, on the same problems as the solutions. */
  sftTraces: number;
}

/** Sizes of toy-math. */
export const MATH_SIZES: SplitSizes = { test: 200, train: 1000, sftSolutions: 2000, sftTraces: 1000 };
/** Sizes of toy-code (its problem space has 1,200 distinct prompts). */
export const CODE_SIZES: SplitSizes = { test: 150, train: 350, sftSolutions: 500, sftTraces: 500 };

/** File contents by path relative to datasets/. */
export type DatasetFiles = Record<string, string>;

function jsonl(records: readonly unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join("\n") + "\n";
}

/** Draws `count` records whose `key` differs from every key seen so far (in `seen`, which it extends). */
function drawDistinct<T>(
  count: number,
  seen: Set<string>,
  draw: (index: number) => T,
  key: (record: T) => string,
): T[] {
  const records: T[] = [];
  for (let attempts = 0; records.length < count; attempts++) {
    if (attempts > count * 100) {
      throw new Error(
        `toy datasets: found only ${records.length} of ${count} distinct problems; lower the sizes`,
      );
    }
    const record = draw(records.length);
    if (seen.has(key(record))) continue;
    seen.add(key(record));
    records.push(record);
  }
  return records;
}

/** The meta.json of a toy dataset: what generated it, with which knobs and sizes, its fields and checker. */
function datasetMeta(
  task: string,
  seed: number,
  knobs: { options: unknown; traces: unknown },
  sizes: unknown,
  fields: Record<string, string>,
  checker: string,
) {
  return { task, seed, generator: "datasets/toy/generate.ts", ...knobs, sizes, fields, checker };
}

function pad(index: number): string {
  return String(index).padStart(4, "0");
}

/** Difficulty and trace mix of toy-math (the knobs of {@linkcode generateToyMath}). */
export interface ToyMathKnobs {
  task: MathTaskOptions;
  traces: TraceOptions;
}

/** The committed toy-math knobs. */
export const DEFAULT_MATH_KNOBS: ToyMathKnobs = { task: DEFAULT_MATH_OPTIONS, traces: DEFAULT_TRACE_OPTIONS };

/** The toy-math files for a seed. */
export function generateToyMath(
  seed = TOY_SEED,
  sizes = MATH_SIZES,
  knobs = DEFAULT_MATH_KNOBS,
): DatasetFiles {
  const random: Uniform = createRng(seed).uniform;
  const seen = new Set<string>();
  const draw = (id: string) => drawProblem(random, id, knobs.task);
  const split = (name: string, count: number) =>
    drawDistinct(count, seen, (i) => draw(`toy-math/${name}/${pad(i)}`), (r) => r.problem);
  const test = split("test", sizes.test);
  const train = split("train", sizes.train);
  const sftProblems = split("sft", sizes.sftSolutions);
  const sft: SftRecord[] = [
    ...sftProblems.map((r: MathRecord, i) => ({
      id: `toy-math/sft/solution/${pad(i)}`,
      kind: "solution" as const,
      problem: r.problem,
      completion: r.solution,
    })),
    ...sftProblems.slice(0, sizes.sftTraces).map((r, i) =>
      traceFor(random, r, `toy-math/sft/trace/${pad(i)}`, knobs.traces)
    ),
  ];
  const meta = datasetMeta("toy-math", seed, { options: knobs.task, traces: knobs.traces }, sizes, {
    "train.jsonl, test.jsonl": "id, problem, solution (worked, ending in \\boxed{answer}), answer (gold)",
    "sft.jsonl": "id, kind (solution | trace), problem, attempt1 (traces), completion (the target text)",
  }, "the math checker (verify.math): the answer is the last \\boxed{} of a response");
  return {
    "toy-math/test.jsonl": jsonl(test),
    "toy-math/train.jsonl": jsonl(train),
    "toy-math/sft.jsonl": jsonl(sft),
    "toy-math/meta.json": JSON.stringify(meta, null, 2) + "\n",
  };
}

/** The toy-code files for a seed. */
export function generateToyCode(seed = TOY_SEED + 1, sizes = CODE_SIZES): DatasetFiles {
  const random: Uniform = createRng(seed).uniform;
  const seen = new Set<string>();
  const split = (name: string, count: number) =>
    drawDistinct(count, seen, (i) => drawCodeProblem(random, `toy-code/${name}/${pad(i)}`), (r) => r.prompt);
  const test = split("test", sizes.test);
  const train = split("train", sizes.train);
  const sftProblems = split("sft", sizes.sftSolutions);
  const traceOptions = DEFAULT_CODE_TRACE_OPTIONS;
  const sft: SftRecord[] = [
    ...sftProblems.map((r: CodeRecord, i) => ({
      id: `toy-code/sft/solution/${pad(i)}`,
      kind: "solution" as const,
      problem: r.prompt,
      completion: r.canonical_solution,
    })),
    ...sftProblems.slice(0, sizes.sftTraces).map((r, i) =>
      codeTraceFor(random, r, `toy-code/sft/trace/${pad(i)}`, traceOptions)
    ),
  ];
  const meta = datasetMeta("toy-code", seed, { options: DEFAULT_CODE_OPTIONS, traces: traceOptions }, sizes, {
    "train.jsonl, test.jsonl": "HumanEval format: task_id, prompt, canonical_solution, test, entry_point",
    "sft.jsonl": "id, kind (solution | trace), problem (the prompt), attempt1 (traces), completion (a body)",
  }, "the code sandbox (verify.code): runs prompt + completion + test + check(f)");
  return {
    "toy-code/test.jsonl": jsonl(test),
    "toy-code/train.jsonl": jsonl(train),
    "toy-code/sft.jsonl": jsonl(sft),
    "toy-code/meta.json": JSON.stringify(meta, null, 2) + "\n",
  };
}

/** Sizes of toy-sign: a development split for experiments beside the held-out test split. */
export const SIGN_SIZES = { test: 200, dev: 200, train: 2000, sftSolutions: 3000, sftTraces: 2000 };

/** Difficulty and trace mix of toy-sign (the knobs of {@linkcode generateToySign}). */
export interface ToySignKnobs {
  task: SignTaskOptions;
  traces: SignTraceOptions;
}

/** The committed toy-sign knobs. */
export const DEFAULT_SIGN_KNOBS: ToySignKnobs = {
  task: DEFAULT_SIGN_OPTIONS,
  traces: DEFAULT_SIGN_TRACE_OPTIONS,
};

/**
 * The toy-sign files for a seed. The splits are drawn in a fixed order (test, dev, train, sft) from one
 * stream, and the SFT traces from a stream of their own, so changing the trace mix (`knobs.traces`) leaves
 * the test, dev and train problems exactly as they are.
 */
export function generateToySign(
  seed = TOY_SEED + 2,
  sizes = SIGN_SIZES,
  knobs = DEFAULT_SIGN_KNOBS,
): DatasetFiles {
  const random: Uniform = createRng(seed).uniform;
  const seen = new Set<string>();
  const split = (name: string, count: number) =>
    drawDistinct(
      count,
      seen,
      (i) => drawSignPuzzle(random, `toy-sign/${name}/${pad(i)}`, knobs.task),
      (r) => r.problem,
    );
  const test = split("test", sizes.test);
  const dev = split("dev", sizes.dev);
  const train = split("train", sizes.train);
  const sftProblems = split("sft", sizes.sftSolutions);
  const traceRandom: Uniform = createRng(seed + 1).uniform;
  const sft = [
    ...sftProblems.map((r, i) =>
      signSolutionExample(traceRandom, r, `toy-sign/sft/solution/${pad(i)}`, knobs.traces)
    ),
    ...sftProblems.slice(0, sizes.sftTraces).map((r, i) =>
      signTraceFor(traceRandom, r, `toy-sign/sft/trace/${pad(i)}`, knobs.traces)
    ),
    ...sftProblems.slice(sizes.sftSolutions - knobs.traces.hintedFixes).flatMap((r, i) =>
      hintedFixFor(traceRandom, r, `toy-sign/sft/hinted/${pad(i)}`, knobs.traces) ?? []
    ),
  ];
  const meta = datasetMeta(
    "toy-sign",
    seed,
    { options: knobs.task, traces: knobs.traces },
    sizes,
    {
      "train.jsonl, dev.jsonl, test.jsonl":
        "id, problem, target, operands, solution (a worked chain ending in \\boxed{expression}), answer (its expression)",
      "sft.jsonl": "id, kind (solution | trace), problem, attempt1 (traces), completion (the target text)",
    },
    "the sign checker (src/verify/sign): the last \\boxed{} must use the operands in order and equal the target",
  );
  return {
    "toy-sign/test.jsonl": jsonl(test),
    "toy-sign/dev.jsonl": jsonl(dev),
    "toy-sign/train.jsonl": jsonl(train),
    "toy-sign/sft.jsonl": jsonl(sft),
    "toy-sign/meta.json": JSON.stringify(meta, null, 2) + "\n",
  };
}

/** Every toy dataset's files. */
export function generateToyDatasets(): DatasetFiles {
  return { ...generateToySign(), ...generateToyMath(), ...generateToyCode() };
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { check: { type: "boolean", default: false } } });
  const root = new URL("../", import.meta.url);
  const files = generateToyDatasets();
  for (const [path, content] of Object.entries(files)) {
    const url = new URL(path, root);
    if (values.check) {
      const current = await Deno.readTextFile(url).catch(() => "");
      if (current !== content) {
        console.error(`datasets/${path} differs from what seed generates; run datasets/toy/generate.ts`);
        return 1;
      }
      continue;
    }
    await Deno.mkdir(new URL(".", url), { recursive: true });
    await Deno.writeTextFile(url, content);
    console.log(`wrote datasets/${path} (${content.length} bytes)`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
