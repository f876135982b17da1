/**
 * Chat templates: the Jinja template of a Hugging Face tokenizer (`chat_template` in `tokenizer_config.json`,
 * or a `chat_template.jinja` file) rendered with `@huggingface/jinja`, as `apply_chat_template` does.
 *
 * @module
 */
import { Template } from "@huggingface/jinja";
import { join } from "node:path";
import { type JsonObject, readJson } from "./checkpoint.ts";
import { specialTokenText } from "./tokenizer.ts";

/** One turn of a conversation. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** Options for {@linkcode ChatTemplate.apply}. */
export interface ApplyOptions {
  /** End with the opening of an assistant turn, so a model continues as the assistant; default false. */
  addGenerationPrompt?: boolean;
  /** Extra variables some templates read (such as `tools` or `enable_thinking`). */
  variables?: Record<string, unknown>;
}

/** ChatML, the template of the project's toy models: `<|im_start|>role\ncontent<|im_end|>\n` per turn. */
export const DEFAULT_CHAT_TEMPLATE = "{%- for message in messages %}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const SPECIAL_TOKEN_FIELDS = ["bos_token", "eos_token", "pad_token", "unk_token"] as const;

/** A compiled chat template together with the special-token strings templates may refer to. */
export class ChatTemplate {
  readonly #template: Template;
  readonly #specialTokens: Record<string, string>;

  /** Compiles a Jinja chat template; `specialTokens` maps names such as `eos_token` to their text. */
  constructor(source: string, specialTokens: Record<string, string> = {}, where = "chat template") {
    try {
      this.#template = new Template(source);
    } catch (error) {
      throw new Error(`${where}: cannot parse the Jinja template (${(error as Error).message})`);
    }
    this.#specialTokens = specialTokens;
  }

  /**
   * The chat template of a parsed `tokenizer_config.json`: its `chat_template` (a string, or a list of named
   * templates of which "default" or the first is used), else `fallback`, else {@linkcode DEFAULT_CHAT_TEMPLATE}.
   */
  static fromTokenizerConfig(
    config: JsonObject,
    fallback?: string,
    where = "tokenizer_config.json",
  ): ChatTemplate {
    const specialTokens: Record<string, string> = {};
    for (const field of SPECIAL_TOKEN_FIELDS) {
      const text = specialTokenText(config[field]);
      if (text !== null) specialTokens[field] = text;
    }
    return new ChatTemplate(
      templateSource(config.chat_template) ?? fallback ?? DEFAULT_CHAT_TEMPLATE,
      specialTokens,
      where,
    );
  }

  /** Loads the chat template of a checkpoint folder (`tokenizer_config.json`, then `chat_template.jinja`). */
  static async load(dir: string): Promise<ChatTemplate> {
    const configPath = join(dir, "tokenizer_config.json");
    const config = (await readOptionalText(configPath)) === null ? {} : await readJson(configPath);
    const jinjaFile = await readOptionalText(join(dir, "chat_template.jinja"));
    return ChatTemplate.fromTokenizerConfig(config, jinjaFile ?? undefined, configPath);
  }

  /** Renders a conversation to the text the model sees. */
  apply(messages: readonly ChatMessage[], options: ApplyOptions = {}): string {
    return this.#template.render({
      ...this.#specialTokens,
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    });
  }
}

function templateSource(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return null;
  const named = value.filter((t): t is { name: string; template: string } =>
    typeof t?.name === "string" && typeof t?.template === "string"
  );
  return (named.find((t) => t.name === "default") ?? named[0])?.template ?? null;
}

async function readOptionalText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
