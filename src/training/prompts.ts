/**
 * The two contexts of SCoRe's rollouts: attempt 1 sees the problem in the first-attempt template; attempt 2
 * sees [problem, attempt 1, instruction] as built by the inference module's {@link secondAttemptPrompt}, so
 * training, evaluation and the `correct` step all show the model the same text.
 *
 * @module
 */
import { z } from "zod";
import { secondAttemptPrompt } from "../inference/correction.ts";
import type { PromptInput } from "../inference/model.ts";
import { ChatTemplate } from "../model/chat.ts";
import type { Checkpoint } from "../model/checkpoint.ts";
import { TextTokenizer } from "../model/tokenizer.ts";

/** The placeholder of the problem statement in {@link PromptSettings.template}. */
export const PROBLEM_PLACEHOLDER = "{problem}";

/** How problems are shown to the model; workflow settings. */
export const PromptSettings = z.strictObject({
  /** The first-attempt prompt; `{problem}` is replaced by the problem statement. */
  template: z.string().refine((t) => t.includes(PROBLEM_PLACEHOLDER), {
    message: `the prompt template must contain ${PROBLEM_PLACEHOLDER}`,
  }).default("{problem}\n"),
  /** `plain`: the template is completed as text; `chat`: it is the user turn of the chat template. */
  style: z.enum(["plain", "chat"]).default("plain"),
  /** The self-correction instruction shown between the attempts. */
  instruction: z.string().min(1),
});
/** How problems are shown to the model. */
export type PromptSettings = z.infer<typeof PromptSettings>;

/** The first-attempt prompt of a problem. */
export function firstPrompt(problem: string, settings: PromptSettings): PromptInput {
  const text = settings.template.replaceAll(PROBLEM_PLACEHOLDER, problem);
  return settings.style === "chat" ? { messages: [{ role: "user", content: text }] } : { prompt: text };
}

/** The second-attempt prompt: the problem, attempt 1 and the instruction. */
export function secondPrompt(problem: string, attempt1: string, settings: PromptSettings): PromptInput {
  return secondAttemptPrompt(firstPrompt(problem, settings), attempt1, settings.instruction);
}

/** Turns prompts and completions into token ids the way the generator does (see GenerationModel.encode). */
export class PromptEncoder {
  readonly #tokenizer: TextTokenizer;
  readonly #chat: ChatTemplate;
  /** The token that ends a completion. */
  readonly eosId: number;

  /** Builds the encoder of a checkpoint's tokenizer files. */
  constructor(policy: Checkpoint) {
    if (!policy.tokenizer) {
      throw new Error("PromptEncoder: the checkpoint has no tokenizer.json; give the model its tokenizer");
    }
    const config = policy.tokenizerConfig ?? {};
    this.#tokenizer = new TextTokenizer(policy.tokenizer, config);
    this.#chat = ChatTemplate.fromTokenizerConfig(config);
    const eos = policy.config.eos_token_id;
    const id = Array.isArray(eos) ? eos[0] : eos ?? this.#tokenizer.eosId;
    if (id === null || id === undefined) {
      throw new Error(
        "PromptEncoder: neither config.json nor the tokenizer names an EOS token; set eos_token_id",
      );
    }
    this.eosId = id;
  }

  /** The prompt's token ids. */
  prompt(input: PromptInput): number[] {
    if ("messages" in input) {
      const text = this.#chat.apply(input.messages, { addGenerationPrompt: true });
      return this.#tokenizer.encode(text, { addSpecialTokens: false });
    }
    return this.#tokenizer.encode(input.prompt, { addSpecialTokens: true });
  }

  /** A completion's token ids, ending in EOS as a generated completion does. */
  completion(text: string): number[] {
    return [...this.#tokenizer.encode(text, { addSpecialTokens: false }), this.eosId];
  }
}
