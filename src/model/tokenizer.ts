/**
 * Hugging Face tokenizers (`tokenizer.json` plus `tokenizer_config.json`) through `@huggingface/tokenizers`,
 * with the special tokens (bos, eos, pad) resolved to ids.
 *
 * @module
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { join } from "node:path";
import { type JsonObject, readJson } from "./checkpoint.ts";
import { exists } from "../util/fs.ts";

/** Options for {@linkcode TextTokenizer.encode}. */
export interface EncodeOptions {
  /** Add the tokens the tokenizer's post-processor adds (such as bos); default false. */
  addSpecialTokens?: boolean;
}

/** Options for {@linkcode TextTokenizer.decode}. */
export interface DecodeOptions {
  /** Leave special tokens (eos, chat markers) out of the text; default false. */
  skipSpecialTokens?: boolean;
}

/** A loaded tokenizer: text to token ids and back. */
export class TextTokenizer {
  /** Id of the beginning-of-sequence token, or null when the tokenizer has none. */
  readonly bosId: number | null;
  /** Id of the end-of-sequence token, or null when the tokenizer has none. */
  readonly eosId: number | null;
  /** Id of the padding token; falls back to eos when no pad token is configured. */
  readonly padId: number | null;
  /** Number of token ids, added tokens included. */
  readonly vocabSize: number;
  readonly #tokenizer: Tokenizer;

  /** Builds a tokenizer from the parsed `tokenizer.json` and `tokenizer_config.json`. */
  constructor(tokenizerJson: JsonObject, tokenizerConfig: JsonObject = {}, source = "tokenizer.json") {
    try {
      this.#tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new Error(`${source}: cannot build the tokenizer (${(error as Error).message})`);
    }
    let largestId = -1;
    for (const id of this.#tokenizer.get_vocab(true).values()) largestId = Math.max(largestId, id);
    this.vocabSize = largestId + 1;
    const idOf = (field: string) => this.#specialId(tokenizerConfig[field], `${source}: ${field}`);
    this.bosId = idOf("bos_token");
    this.eosId = idOf("eos_token");
    this.padId = idOf("pad_token") ?? this.eosId;
  }

  /** Loads `tokenizer.json` and (when present) `tokenizer_config.json` from a checkpoint folder. */
  static async load(dir: string): Promise<TextTokenizer> {
    const tokenizerPath = join(dir, "tokenizer.json");
    const configPath = join(dir, "tokenizer_config.json");
    const config = await exists(configPath) ? await readJson(configPath) : {};
    return new TextTokenizer(await readJson(tokenizerPath), config, tokenizerPath);
  }

  /** Token ids of a text. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).ids;
  }

  /** The text of token ids. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    return this.#tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of a token string (such as "<|im_end|>"), or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token);
  }

  /** The token string of an id, or undefined when the id is out of range. */
  idToToken(id: number): string | undefined {
    return this.#tokenizer.id_to_token(id);
  }

  #specialId(value: unknown, where: string): number | null {
    const token = specialTokenText(value);
    if (token === null) return null;
    const id = this.tokenToId(token);
    if (id === undefined) {
      throw new Error(`${where}: token ${JSON.stringify(token)} is not in the vocabulary`);
    }
    return id;
  }
}

/** The text of a special-token field of `tokenizer_config.json`: a string, `{content}` object, or null. */
export function specialTokenText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (
    typeof value === "object" && value !== null && "content" in value && typeof value.content === "string"
  ) {
    return value.content;
  }
  return null;
}
