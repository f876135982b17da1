/**
 * A model ready to generate: the decoder graph on its provider, the tokenizer, the chat template, and the
 * model's identity (recorded with every generated sample). Prompts are plain text or chat messages.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type ChatMessage, ChatTemplate } from "../model/chat.ts";
import { TextTokenizer } from "../model/tokenizer.ts";
import { DecoderSession, findDecoderGraph } from "./decoder_session.ts";
import { Generator } from "./generator.ts";
import type { SessionSettings } from "./provider.ts";

/** A prompt: plain text completed as is, or a conversation rendered with the chat template. */
export type PromptInput = { prompt: string } | { messages: ChatMessage[] };

/** Which model produced a sample. */
export interface ModelIdentity {
  /** Absolute path of the model directory. */
  path: string;
  /** `_name_or_path` from config.json, else the directory's name. */
  name: string;
  /** sha256 of config.json and the ONNX graph (with its external data). */
  sha256: string;
}

/** A loaded model with everything generation needs. */
export class GenerationModel {
  readonly generator: Generator;
  readonly tokenizer: TextTokenizer;
  readonly chat: ChatTemplate;
  readonly identity: ModelIdentity;

  private constructor(
    generator: Generator,
    tokenizer: TextTokenizer,
    chat: ChatTemplate,
    identity: ModelIdentity,
  ) {
    this.generator = generator;
    this.tokenizer = tokenizer;
    this.chat = chat;
    this.identity = identity;
  }

  /** Loads a model directory (config.json, tokenizer.json, an ONNX graph with past inputs). */
  static async load(dir: string, settings: SessionSettings = {}): Promise<GenerationModel> {
    const session = await DecoderSession.open(dir, settings);
    const tokenizer = await TextTokenizer.load(dir);
    const chat = await ChatTemplate.load(dir);
    const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
    const identity = await modelIdentity(dir, session.graphPath);
    return new GenerationModel(new Generator(session, decode), tokenizer, chat, identity);
  }

  /** The provider actually running the model. */
  get provider(): string {
    return this.generator.session.provider;
  }

  /** EOS ids: the model config's and the tokenizer's. */
  get eosTokenIds(): number[] {
    const ids = new Set(this.generator.session.eosTokenIds);
    if (this.tokenizer.eosId !== null) ids.add(this.tokenizer.eosId);
    return [...ids];
  }

  /** The prompt's token ids: chat messages through the chat template (ending in the assistant's turn). */
  encode(input: PromptInput): number[] {
    if ("messages" in input) {
      const text = this.chat.apply(input.messages, { addGenerationPrompt: true });
      return this.tokenizer.encode(text, { addSpecialTokens: false });
    }
    return this.tokenizer.encode(input.prompt, { addSpecialTokens: true });
  }

  /** Releases the session. */
  async close(): Promise<void> {
    await this.generator.session.release();
  }
}

/** Hashes config.json, the graph and its external data files, streaming (models can be large). */
export async function modelIdentity(
  dir: string,
  graphPath = findDecoderGraph(dir).graph,
): Promise<ModelIdentity> {
  const hash = createHash("sha256");
  const configPath = join(dir, "config.json");
  const config = JSON.parse(await Deno.readTextFile(configPath));
  const files = [configPath, graphPath, ...externalDataFiles(graphPath)];
  for (const file of files) {
    hash.update(`${basename(file)}\u0000`);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Uint8Array);
  }
  const name = typeof config._name_or_path === "string" ? config._name_or_path : basename(resolve(dir));
  return { path: resolve(dir), name, sha256: hash.digest("hex") };
}

/** The `<graph>_data` / `<graph>.data` files that hold a graph's large weights, when present. */
function externalDataFiles(graphPath: string): string[] {
  return [`${graphPath}_data`, `${graphPath}.data`].filter((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}
