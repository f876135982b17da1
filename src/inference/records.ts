/**
 * Prompt records in, sample records out: the shape shared by `pipeline generate` and the `generate` and
 * `correct` step kinds. Each output record is the input record plus the sample, the model's identity, the
 * sampling settings and the seed, so any sample can be traced and reproduced.
 *
 * @module
 */
import type { ChatMessage } from "../model/chat.ts";
import type { Completion } from "./generator.ts";
import type { GenerationModel, PromptInput } from "./model.ts";
import { generationSettings, type SamplingParams, samplingRecord } from "./settings.ts";

/** A JSON object read from a records file. */
export type JsonRecord = Record<string, unknown>;

/** One generated sample as written to JSONL (snake_case fields follow the input record's own fields). */
export interface SampleFields {
  sample_index: number;
  completion: string;
  token_ids: number[];
  logprobs: number[];
  raw_logprobs: number[];
  finish_reason: Completion["finishReason"];
  stop_string?: string;
  model: GenerationModel["identity"];
  provider: string;
  sampling: ReturnType<typeof samplingRecord>;
  seed: number;
  /** The prompt key the sample's random stream was derived from (with `seed` and `sample_index`). */
  seed_key: string | number;
}

/** Reads the prompt of a record: `messages` (chat) or `prompt` (plain text); `where` names it in errors. */
export function promptOf(record: JsonRecord, where: string): PromptInput {
  if (Array.isArray(record.messages)) {
    const messages = record.messages as unknown[];
    const bad = messages.findIndex((m) =>
      typeof (m as ChatMessage)?.role !== "string" || typeof (m as ChatMessage)?.content !== "string"
    );
    if (bad >= 0) throw new Error(`${where}: messages[${bad}] needs string fields "role" and "content"`);
    return { messages: messages as ChatMessage[] };
  }
  if (typeof record.prompt === "string") return { prompt: record.prompt };
  throw new Error(`${where}: needs a string "prompt" or an array "messages" of {role, content}`);
}

/** The seed key of a record: its `id` when it has one (string or number), else its index. */
export function seedKeyOf(record: JsonRecord, index: number): string | number {
  return typeof record.id === "string" || typeof record.id === "number" ? record.id : index;
}

/**
 * Generates `params.n` samples for each prompt and returns the output records, in input order, the samples
 * of a prompt together. `keys` seeds each prompt's samples (see {@link seedKeyOf}).
 */
export async function generateForPrompts(
  model: GenerationModel,
  items: readonly { record: JsonRecord; prompt: PromptInput; key: string | number }[],
  params: SamplingParams,
  signal?: AbortSignal,
): Promise<(JsonRecord & SampleFields)[]> {
  const requests = items.map((item) => ({ key: item.key, promptIds: model.encode(item.prompt) }));
  const settings = generationSettings(params, model.eosTokenIds);
  const completions = await model.generator.generate(requests, settings, { signal });
  const sampling = samplingRecord(params);
  return completions.flatMap((samples, i) =>
    samples.map((c) => ({
      ...items[i].record,
      ...sampleFields(c),
      model: model.identity,
      provider: model.provider,
      sampling,
      seed: params.seed,
      seed_key: items[i].key,
    }))
  );
}

function sampleFields(c: Completion) {
  const fields = {
    sample_index: c.sampleIndex,
    completion: c.text,
    token_ids: c.tokenIds,
    logprobs: c.logprobs,
    raw_logprobs: c.rawLogprobs,
    finish_reason: c.finishReason,
  };
  return c.stopString === undefined ? fields : { ...fields, stop_string: c.stopString };
}
