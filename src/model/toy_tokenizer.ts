/**
 * Creates small byte-level BPE tokenizers for the project's own toy models, written as standard Hugging Face
 * `tokenizer.json` and `tokenizer_config.json` objects that this project, transformers.js and Python
 * `tokenizers` all load.
 *
 * The base vocabulary is the 256 bytes (in GPT-2's printable byte-to-character mapping), so every text
 * encodes without unknown tokens; merges are learned from a corpus until the vocabulary reaches the requested
 * size; the special tokens come last.
 *
 * @module
 */
import { ByteLevelPreTokenizer } from "@huggingface/tokenizers";
import { DEFAULT_CHAT_TEMPLATE } from "./chat.ts";
import type { JsonObject } from "./checkpoint.ts";

/** The special tokens of toy tokenizers: end of text (also padding) and the ChatML turn markers. */
export const TOY_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

/** Options for {@linkcode createToyTokenizer}. */
export interface ToyTokenizerOptions {
  /** Text to learn BPE merges from; without it the vocabulary is the 256 bytes plus the special tokens. */
  corpus?: string;
  /** Total vocabulary size, special tokens included; merges stop there or when no pair occurs twice. */
  vocabSize?: number;
}

/** The two files that describe a tokenizer. */
export interface TokenizerFiles {
  tokenizer: JsonObject;
  tokenizerConfig: JsonObject;
}

const BYTE_COUNT = 256;
const BYTE_LEVEL = {
  type: "ByteLevel",
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
} as const;

/** Creates a byte-level BPE tokenizer, learning merges from `options.corpus` up to `options.vocabSize`. */
export function createToyTokenizer(options: ToyTokenizerOptions = {}): TokenizerFiles {
  const specials = TOY_SPECIAL_TOKENS.length;
  const vocabSize = options.vocabSize ?? BYTE_COUNT + specials;
  if (vocabSize < BYTE_COUNT + specials) {
    throw new Error(
      `toy tokenizer: vocabSize ${vocabSize} is below the ${BYTE_COUNT + specials} bytes and specials`,
    );
  }
  const vocab = new Map(byteAlphabet().map((char, id) => [char, id]));
  const merges = learnMerges(options.corpus ?? "", vocab, vocabSize - specials);
  const addedTokens = TOY_SPECIAL_TOKENS.map((content, i) => ({
    id: vocab.size + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    unk_token: null,
    clean_up_tokenization_spaces: false,
    model_max_length: 32768,
    chat_template: DEFAULT_CHAT_TEMPLATE,
  };
  return { tokenizer, tokenizerConfig };
}

/**
 * GPT-2's mapping of the 256 bytes to printable characters: printable Latin-1 bytes map to themselves, the
 * rest to code points from 256 upwards, in byte order. Index = byte value.
 */
export function byteAlphabet(): string[] {
  const isPrintable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
  const alphabet: string[] = [];
  let nextSpare = BYTE_COUNT;
  for (let b = 0; b < BYTE_COUNT; b++) alphabet.push(String.fromCodePoint(isPrintable(b) ? b : nextSpare++));
  return alphabet;
}

/**
 * Classic BPE training: repeatedly merge the most frequent adjacent pair (ties broken by the pair's text, so
 * the result is deterministic) over the corpus's byte-level words, adding each new symbol to `vocab`.
 * Cost is O(merges x distinct-word symbols), which suits toy corpora.
 */
function learnMerges(corpus: string, vocab: Map<string, number>, targetSize: number): [string, string][] {
  const wordCounts = new Map<string, number>();
  for (const word of new ByteLevelPreTokenizer(BYTE_LEVEL).pre_tokenize_text(corpus)) {
    wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const words = [...wordCounts].map(([word, count]) => ({ symbols: Array.from(word), count }));
  const merges: [string, string][] = [];
  while (vocab.size < targetSize) {
    const best = mostFrequentPair(words);
    if (best === null) break;
    merges.push(best);
    const merged = best[0] + best[1];
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const word of words) word.symbols = mergePair(word.symbols, best[0], best[1], merged);
  }
  return merges;
}

function mostFrequentPair(words: { symbols: string[]; count: number }[]): [string, string] | null {
  const pairCounts = new Map<string, number>();
  for (const { symbols, count } of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
    }
  }
  let bestKey: string | null = null;
  let bestCount = 1;
  for (const [key, count] of pairCounts) {
    if (count > bestCount || (count === bestCount && bestKey !== null && key < bestKey)) {
      bestKey = key;
      bestCount = count;
    }
  }
  if (bestKey === null) return null;
  const [left, right] = bestKey.split(" ");
  return [left, right];
}

function mergePair(symbols: string[], left: string, right: string, merged: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}
