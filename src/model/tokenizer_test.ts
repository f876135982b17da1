import assert from "node:assert/strict";
import { join } from "node:path";
import { TextTokenizer } from "./tokenizer.ts";
import { byteAlphabet, createToyTokenizer, TOY_SPECIAL_TOKENS } from "./toy_tokenizer.ts";
import { assertRejectsWith, assertThrowsWith } from "./testing.ts";

const CORPUS = "the cat sat on the mat. the cat ate the rat. 12 + 30 = 42\n".repeat(20);
const SAMPLES = ["the cat sat", "héllo wörld ✓ 🙂", "  leading spaces\nand\ttabs", "x = 3^2 + 4^2", ""];

Deno.test("toy tokenizer: the byte alphabet is 256 distinct printable characters", () => {
  const alphabet = byteAlphabet();
  assert.equal(new Set(alphabet).size, 256);
  assert.equal(alphabet[0x41], "A");
  assert.equal(alphabet[0x20], "Ġ");
  assert.equal(alphabet[0x0a], "Ċ");
});

Deno.test("toy tokenizer: bytes-only vocabulary encodes any text and decodes it back", () => {
  const files = createToyTokenizer();
  const tokenizer = new TextTokenizer(files.tokenizer, files.tokenizerConfig);
  assert.equal(tokenizer.vocabSize, 256 + TOY_SPECIAL_TOKENS.length);
  for (const text of SAMPLES) {
    const ids = tokenizer.encode(text);
    assert.equal(ids.length, new TextEncoder().encode(text).length, text);
    assert.equal(tokenizer.decode(ids), text);
  }
});

Deno.test("toy tokenizer: learned merges shorten common words and keep the round trip exact", () => {
  const files = createToyTokenizer({ corpus: CORPUS, vocabSize: 280 });
  const tokenizer = new TextTokenizer(files.tokenizer, files.tokenizerConfig);
  assert.equal(tokenizer.vocabSize, 280);
  assert.ok(tokenizer.tokenToId("Ġcat") !== undefined, "the frequent word ' cat' became one token");
  assert.equal(tokenizer.encode(" the cat").length, 2);
  for (const text of SAMPLES) assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
});

Deno.test("toy tokenizer: merges stop when no pair occurs twice", () => {
  const files = createToyTokenizer({ corpus: "abab", vocabSize: 1000 });
  assert.deepEqual((files.tokenizer.model as { merges: string[] }).merges, ["a b"]);
});

Deno.test("toy tokenizer: creation is deterministic", () => {
  const first = createToyTokenizer({ corpus: CORPUS, vocabSize: 290 });
  const second = createToyTokenizer({ corpus: CORPUS, vocabSize: 290 });
  assert.deepEqual(first, second);
});

Deno.test("toy tokenizer: a vocabulary too small for the bytes is refused", () => {
  assertThrowsWith(() => createToyTokenizer({ vocabSize: 100 }), "vocabSize 100 is below the 259");
});

Deno.test("tokenizer: special tokens resolve to ids and encode as single tokens", () => {
  const files = createToyTokenizer({ corpus: CORPUS, vocabSize: 280 });
  const tokenizer = new TextTokenizer(files.tokenizer, files.tokenizerConfig);
  const imEnd = tokenizer.tokenToId("<|im_end|>");
  assert.equal(tokenizer.eosId, imEnd);
  assert.equal(tokenizer.padId, tokenizer.tokenToId("<|endoftext|>"));
  assert.equal(tokenizer.bosId, null);
  const ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|>");
  assert.equal(ids[0], tokenizer.tokenToId("<|im_start|>"));
  assert.equal(ids.at(-1), imEnd);
  assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), "user\nhi");
  assert.equal(tokenizer.idToToken(imEnd!), "<|im_end|>");
});

Deno.test("tokenizer: loads from a folder, and transformers.js reads the same files identically", async () => {
  const dir = await Deno.makeTempDir();
  const files = createToyTokenizer({ corpus: CORPUS, vocabSize: 300 });
  await Deno.writeTextFile(join(dir, "tokenizer.json"), JSON.stringify(files.tokenizer));
  await Deno.writeTextFile(join(dir, "tokenizer_config.json"), JSON.stringify(files.tokenizerConfig));
  const tokenizer = await TextTokenizer.load(dir);
  const { PreTrainedTokenizer } = await import("@huggingface/transformers");
  const reference = new PreTrainedTokenizer(files.tokenizer, files.tokenizerConfig);
  for (const text of SAMPLES.filter((s) => s.length > 0)) {
    assert.deepEqual(tokenizer.encode(text), reference.encode(text, { add_special_tokens: false }), text);
  }
});

Deno.test("tokenizer: an eos token outside the vocabulary names the file and field", () => {
  const files = createToyTokenizer();
  assertThrowsWith(
    () => new TextTokenizer(files.tokenizer, { eos_token: "</s>" }, "m/tokenizer.json"),
    `m/tokenizer.json: eos_token: token "</s>" is not in the vocabulary`,
  );
});

Deno.test("tokenizer: a folder without tokenizer.json names the missing file", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejectsWith(() => TextTokenizer.load(dir), `${join(dir, "tokenizer.json")}: file not found`);
});
