import assert from "node:assert/strict";
import { join } from "node:path";
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from "./chat.ts";
import { assertThrowsWith } from "./testing.ts";

const MESSAGES = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "2+2?" },
];

Deno.test("chat: the default ChatML template renders turns and the generation prompt", () => {
  const template = new ChatTemplate(DEFAULT_CHAT_TEMPLATE);
  const expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n";
  assert.equal(template.apply(MESSAGES), expected);
  assert.equal(template.apply(MESSAGES, { addGenerationPrompt: true }), expected + "<|im_start|>assistant\n");
});

Deno.test("chat: a tokenizer_config template sees special tokens, including {content} objects", () => {
  const config = {
    bos_token: { content: "<s>", special: true },
    eos_token: "</s>",
    chat_template:
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}" +
      "{% if add_generation_prompt %}[assistant] {% endif %}",
  };
  const rendered = ChatTemplate.fromTokenizerConfig(config).apply(MESSAGES, { addGenerationPrompt: true });
  assert.equal(rendered, "<s>[system] Be brief.</s>[user] 2+2?</s>[assistant] ");
});

Deno.test("chat: named template lists pick 'default', and extra variables reach the template", () => {
  const config = {
    chat_template: [
      { name: "tool_use", template: "tools" },
      { name: "default", template: "{{ messages | length }} {{ greeting }}" },
    ],
  };
  const rendered = ChatTemplate.fromTokenizerConfig(config).apply(MESSAGES, {
    variables: { greeting: "hi" },
  });
  assert.equal(rendered, "2 hi");
});

Deno.test("chat: templates may raise_exception, as Hugging Face templates do", () => {
  const template = new ChatTemplate(
    "{% if messages[0].role != 'user' %}{{ raise_exception('user first') }}{% endif %}",
  );
  assertThrowsWith(() => template.apply(MESSAGES), "user first");
});

Deno.test("chat: a folder's chat_template.jinja is used when tokenizer_config has none", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "tokenizer_config.json"), JSON.stringify({ eos_token: "<e>" }));
  await Deno.writeTextFile(join(dir, "chat_template.jinja"), "{{ messages[1].content }}{{ eos_token }}");
  assert.equal((await ChatTemplate.load(dir)).apply(MESSAGES), "2+2?<e>");
});

Deno.test("chat: a template that does not parse names where it came from", () => {
  assertThrowsWith(
    () => new ChatTemplate("{% for %}", {}, "x/tokenizer_config.json"),
    "x/tokenizer_config.json",
  );
});
