import assert from "node:assert/strict";
import { join } from "node:path";
import { readJsonl } from "../data/jsonl.ts";
import { loadMathJsonl } from "../verify/math/dataset.ts";
import { defaultDatasetDir, fetchDataset } from "./datasets.ts";
import { SilentProgress } from "./progress.ts";
import type { HubSettings } from "./settings.ts";
import { addDatasetFixtures, DATASET_FIXTURES, FakeHub } from "./testing.ts";

async function setUp() {
  const hub = FakeHub.start();
  addDatasetFixtures(hub);
  const root = await Deno.makeTempDir({ prefix: "hub_datasets_" });
  const settings: HubSettings = { endpoint: hub.url, cacheDir: join(root, "cache"), offline: false };
  return {
    root,
    hub,
    fetch: (name: string, config?: string) =>
      fetchDataset(name, { config, to: join(root, name), settings, progress: new SilentProgress() }),
    [Symbol.asyncDispose]: async () => {
      await hub.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

Deno.test("datasets fetch humaneval: the parquet split becomes HumanEval.jsonl", async () => {
  await using t = await setUp();
  const fetched = await t.fetch("humaneval");
  assert.deepEqual(fetched.outputs, [{ file: "HumanEval.jsonl", records: 2 }]);
  assert.deepEqual(await readJsonl(join(fetched.dir, "HumanEval.jsonl")), DATASET_FIXTURES.humaneval);
  assert.deepEqual(fetched.snapshot.files, ["openai_humaneval/test-00000-of-00001.parquet"]);
  const source = JSON.parse(await Deno.readTextFile(join(fetched.dir, "source.json")));
  assert.equal(source.repo, "openai/openai_humaneval");
  assert.equal(source.commit, fetched.snapshot.commit);
  assert.ok(
    !t.hub.requests.some((r) => r.path.endsWith("README.md")),
    "only the files the conversion reads are downloaded",
  );
});

Deno.test("datasets fetch math: 7 subjects' parquet files become train.jsonl and test.jsonl", async () => {
  await using t = await setUp();
  const fetched = await t.fetch("math");
  assert.deepEqual(fetched.outputs, [{ file: "train.jsonl", records: 14 }, {
    file: "test.jsonl",
    records: 14,
  }]);
  const train = await readJsonl(join(fetched.dir, "train.jsonl"));
  assert.deepEqual(train[0], {
    unique_id: "train/algebra/0",
    problem: "train algebra problem 1: what is 1+1?",
    level: "Level 1",
    type: "Algebra",
    solution: "It is $\\boxed{2}$.",
  });
  assert.deepEqual(
    [...new Set(train.map((r) => r.type))],
    Object.values(DATASET_FIXTURES.mathSubjects),
    "subjects in alphabetical order of their folders",
  );
  const problems = await loadMathJsonl(join(fetched.dir, "test.jsonl"));
  assert.deepEqual(problems.slice(0, 2).map((p) => [p.id, p.answer, p.level]), [
    ["test/algebra/0", "2", 1],
    ["test/algebra/1", "4", 2],
  ]);
});

Deno.test("datasets fetch math500: the JSONL file is checked and copied", async () => {
  await using t = await setUp();
  const fetched = await t.fetch("math500");
  assert.deepEqual(await readJsonl(join(fetched.dir, "test.jsonl")), DATASET_FIXTURES.math500);
  const problems = await loadMathJsonl(join(fetched.dir, "test.jsonl"));
  assert.deepEqual(problems.map((p) => p.answer), ["5", "\\frac{2}{3}"]);
});

Deno.test("datasets fetch mbpp: every split in HumanEval format, full and sanitized", async () => {
  await using t = await setUp();
  const full = await t.fetch("mbpp");
  assert.deepEqual(full.outputs.map((o) => [o.file, o.records]), [
    ["train.jsonl", 2],
    ["test.jsonl", 1],
    ["validation.jsonl", 1],
    ["prompt.jsonl", 1],
  ]);
  const [first, second] = await readJsonl(join(full.dir, "train.jsonl"));
  assert.deepEqual(first, {
    task_id: "MBPP/601",
    prompt:
      "# Write a function to find the largest of three numbers.\n# Your code should pass these tests:\n" +
      "# assert max_of_three(1, 5, 3) == 5\n# assert max_of_three(-1, -5, -3) == -1\n",
    entry_point: "max_of_three",
    canonical_solution: "def max_of_three(a, b, c):\n  return max(a, b, c)\n",
    test:
      "def check(candidate):\n    assert max_of_three(1, 5, 3) == 5\n    assert max_of_three(-1, -5, -3) == -1\n",
  });
  assert.equal(second.entry_point, "digit_sum", "the function the tests call, not the first helper");
  const [circle] = await readJsonl(join(full.dir, "test.jsonl"));
  assert.match(String(circle.test), /^import math\n\n\ndef check\(candidate\):\n {4}assert math\.isclose/);
  const sanitized = await t.fetch("mbpp", "sanitized");
  const [sanitizedCircle] = await readJsonl(join(sanitized.dir, "test.jsonl"));
  assert.equal(sanitizedCircle.test, circle.test, "test_imports play the part of test_setup_code");
  assert.equal(defaultDatasetDir("mbpp", "sanitized"), "data/mbpp-sanitized");
  assert.equal(defaultDatasetDir("mbpp"), "data/mbpp");
});

Deno.test("datasets fetch names unknown datasets, configs and changed layouts", async () => {
  await using t = await setUp();
  await assert.rejects(t.fetch("gsm8k"), /unknown dataset 'gsm8k' \(known: humaneval, mbpp, math, math500\)/);
  await assert.rejects(t.fetch("mbpp", "tiny"), /mbpp has no config 'tiny' \(configs: full, sanitized\)/);
  t.hub.addRepo("dataset", "HuggingFaceH4/MATH-500", { "data/test.parquet": new Uint8Array(8) });
  await assert.rejects(t.fetch("math500"), /has no file matching \["test\.jsonl"\]/);
});
