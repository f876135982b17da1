/**
 * `pipeline generate`: completes the prompts of a JSONL file with a model directory and writes one JSONL
 * record per sample.
 *
 * ```
 * pipeline generate --model DIR --prompts FILE --out FILE [--max-new-tokens N] [--temperature T] [--top-p P]
 *   [--top-k K] [--n N] [--batch-size B] [--seed S] [--stop STR ...] [--provider cpu|cuda|webgpu]
 *   [--provider-fallback error|cpu] [--memory-budget-mb MB]
 * ```
 *
 * Each prompt line is {"id", "prompt"} or {"id", "messages": [{role, content}, ...]}; each output line is the
 * prompt line plus `completion`, `token_ids`, `logprobs`, `raw_logprobs`, `finish_reason`, `sample_index`,
 * `model`, `sampling`, `seed`. Exit codes: 0 done, 1 generation failed, 2 bad input.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readJsonlLines } from "../data/jsonl.ts";
import { GenerationModel, type PromptInput } from "./model.ts";
import { generateForPrompts, type JsonRecord, promptOf, seedKeyOf } from "./records.ts";
import { SamplingParams } from "./settings.ts";

const USAGE = "usage: pipeline generate --model DIR --prompts FILE --out FILE [--max-new-tokens N] " +
  "[--temperature T] [--top-p P] [--top-k K] [--n N] [--batch-size B] [--seed S] [--stop STR]... " +
  "[--provider cpu|cuda|webgpu] [--provider-fallback error|cpu] [--memory-budget-mb MB]";

/** An error in the user's input (exit code 2). */
class InputError extends Error {}

/** A prompt line ready to generate. */
interface PromptLine {
  record: JsonRecord;
  prompt: PromptInput;
  key: string | number;
}

/** Runs `pipeline generate`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const options = parseOptions(args);
    const lines = await readPromptLines(options.prompts);
    const model = await GenerationModel.load(options.model, {
      provider: options.params.provider,
      fallback: options.params.provider_fallback,
      log: (message) => console.error(`generate: ${message}`),
    });
    try {
      await writeSamples(model, lines, options);
    } finally {
      await model.close();
    }
    return 0;
  } catch (error) {
    console.error(`generate: ${(error as Error).message}`);
    return error instanceof InputError ? 2 : 1;
  }
}

/** Parsed command line. */
interface Options {
  model: string;
  prompts: string;
  out: string;
  params: SamplingParams;
}

function parseOptions(args: string[]): Options {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        model: { type: "string" },
        prompts: { type: "string" },
        out: { type: "string" },
        "max-new-tokens": { type: "string" },
        temperature: { type: "string" },
        "top-p": { type: "string" },
        "top-k": { type: "string" },
        n: { type: "string" },
        "batch-size": { type: "string" },
        seed: { type: "string" },
        stop: { type: "string", multiple: true },
        provider: { type: "string" },
        "provider-fallback": { type: "string" },
        "memory-budget-mb": { type: "string" },
      },
    }).values;
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n${USAGE}`);
  }
  for (const required of ["model", "prompts", "out"] as const) {
    if (!values[required]) throw new InputError(`--${required} is required\n${USAGE}`);
  }
  const number = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new InputError(`--${flag} must be a number, got "${text}"`);
    return value;
  };
  const parsed = SamplingParams.safeParse({
    max_new_tokens: number("max-new-tokens", values["max-new-tokens"]),
    temperature: number("temperature", values.temperature),
    top_p: number("top-p", values["top-p"]),
    top_k: number("top-k", values["top-k"]),
    n: number("n", values.n),
    batch_size: number("batch-size", values["batch-size"]),
    seed: number("seed", values.seed),
    stop: values.stop,
    provider: values.provider,
    provider_fallback: values["provider-fallback"],
    memory_budget_mb: number("memory-budget-mb", values["memory-budget-mb"]),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`--${String(issue.path[0]).replaceAll("_", "-")}: ${issue.message}`);
  }
  return { model: values.model!, prompts: values.prompts!, out: values.out!, params: parsed.data };
}

/** Reads and checks every prompt line before any work starts. */
async function readPromptLines(path: string): Promise<PromptLine[]> {
  try {
    const lines = (await readJsonlLines(path)).map(({ line, value }, index): PromptLine => {
      const where = `${path}:${line}`;
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new InputError(`${where}: each line must be a JSON object with "prompt" or "messages"`);
      }
      const record = value as JsonRecord;
      return { record, prompt: promptOf(record, where), key: seedKeyOf(record, index) };
    });
    if (lines.length === 0) throw new InputError(`${path}: no prompts`);
    return lines;
  } catch (error) {
    throw error instanceof InputError ? error : new InputError((error as Error).message);
  }
}

/** Generates in chunks and appends each chunk's records, so progress reaches the file as it goes. */
async function writeSamples(model: GenerationModel, lines: PromptLine[], options: Options): Promise<void> {
  await Deno.writeTextFile(options.out, "");
  const chunk = Math.max(1, Math.floor(options.params.batch_size / options.params.n)) * 4;
  const started = performance.now();
  let tokens = 0;
  for (let start = 0; start < lines.length; start += chunk) {
    const records = await generateForPrompts(model, lines.slice(start, start + chunk), options.params);
    tokens += records.reduce((sum, r) => sum + r.token_ids.length, 0);
    const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    await Deno.writeTextFile(options.out, text, { append: true });
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `generate: ${Math.min(start + chunk, lines.length)}/${lines.length} prompts, ` +
        `${(tokens / seconds).toFixed(1)} tokens/s on ${model.provider}`,
    );
  }
}
