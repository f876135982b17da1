/**
 * The user's path from nothing to a first generation, through the CLI and a loopback stand-in for the
 * Hugging Face Hub: `pipeline model fetch` downloads a small model (made with this project's own
 * `model init`), `pipeline datasets fetch math500` downloads and converts MATH500, and `pipeline generate`
 * runs the fetched model on the fetched problems. Then, offline, the same fetch is served from the cache.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI } from "./fixtures/chain.ts";
import { readJsonl, writeJsonl } from "../src/data/jsonl.ts";
import { addDatasetFixtures, FakeHub } from "../src/hub/testing.ts";
import { tinyConfig } from "../src/inference/testing.ts";
import { main as modelMain } from "../src/model/cli.ts";

/** Runs the pipeline CLI with the Hugging Face variables pointing at the fake Hub and a fresh HF_HOME. */
async function pipeline(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: { HF_TOKEN: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/** Every file of a folder, by relative path. */
async function readTree(dir: string, prefix = ""): Promise<Record<string, Uint8Array<ArrayBuffer>>> {
  const files: Record<string, Uint8Array<ArrayBuffer>> = {};
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(files, await readTree(dir, path));
    else files[path] = await Deno.readFile(join(dir, path));
  }
  return files;
}

Deno.test({
  name: "model fetch and datasets fetch from a loopback Hub, then the fetched model runs pipeline generate",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "hub_fetch_" });
    const hub = FakeHub.start();
    try {
      await Deno.writeTextFile(join(root, "config.json"), JSON.stringify(tinyConfig()));
      const made = join(root, "made");
      assert.equal(
        await modelMain(["init", "--config", join(root, "config.json"), "--out", made, "--seed", "3"]),
        0,
      );
      const modelFiles = await readTree(made);
      const commit = hub.addRepo("model", "test-org/tiny-llama", { ...modelFiles, "README.md": "# tiny" });
      addDatasetFixtures(hub);
      const env = { HF_ENDPOINT: hub.url, HF_HOME: join(root, "hf") };

      const model = join(root, "models", "base");
      const fetchModel = await pipeline(["model", "fetch", "test-org/tiny-llama", "--to", model], env);
      assert.equal(fetchModel.code, 0, fetchModel.stderr);
      assert.match(
        fetchModel.stdout,
        new RegExp(`models/base: \\d+ files of test-org/tiny-llama@${commit.slice(0, 12)}`),
      );
      const snapshot = join(root, "hf", "hub", "models--test-org--tiny-llama", "snapshots", commit);
      assert.ok((await Deno.lstat(join(snapshot, "config.json"))).isSymlink, "the cache holds the snapshot");
      for (const file of ["config.json", "model.safetensors", "tokenizer.json"]) {
        assert.deepEqual(await Deno.readFile(join(model, file)), modelFiles[file], file);
      }
      assert.equal(await Deno.stat(join(model, "README.md")).catch(() => null), null, "only model files");
      assert.ok(
        (await Deno.stat(join(model, "onnx", "model.onnx"))).isFile,
        "the inference graph is exported",
      );
      assert.equal(await Deno.stat(join(snapshot, "onnx")).catch(() => null), null, "outside the cache");

      const data = join(root, "data", "math500");
      const fetchData = await pipeline(["datasets", "fetch", "math500", "--to", data], env);
      assert.equal(fetchData.code, 0, fetchData.stderr);
      assert.match(fetchData.stdout, /math500\/test\.jsonl: 2 records \(from HuggingFaceH4\/MATH-500@/);

      const problems = await readJsonl(join(data, "test.jsonl"));
      const prompts = join(root, "prompts.jsonl");
      await writeJsonl(prompts, problems.map((p) => ({ id: p.unique_id, prompt: p.problem })));
      const out = join(root, "samples.jsonl");
      const generate = await pipeline(
        ["generate", "--model", model, "--prompts", prompts, "--out", out, "--max-new-tokens", "6"],
        env,
      );
      assert.equal(generate.code, 0, generate.stderr);
      const samples = await readJsonl(out);
      assert.deepEqual(samples.map((s) => s.id), ["test/prealgebra/1.json", "test/prealgebra/2.json"]);
      for (const sample of samples) {
        assert.equal(typeof sample.completion, "string");
        assert.ok((sample.token_ids as number[]).length >= 1);
      }

      await hub.close();
      const offline = { ...env, HF_HUB_OFFLINE: "1", HF_ENDPOINT: "http://127.0.0.1:9" };
      const again = await pipeline(
        ["model", "fetch", "test-org/tiny-llama", "--to", join(root, "again")],
        offline,
      );
      assert.equal(again.code, 0, again.stderr);
      const missing = await pipeline(["datasets", "fetch", "humaneval", "--to", join(root, "he")], offline);
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /HF_HUB_OFFLINE is set and dataset openai\/openai_humaneval at main is not in the cache/,
      );
      const bad = await pipeline(["datasets", "fetch", "gsm8k"], offline);
      assert.equal(bad.code, 2);
    } finally {
      await hub.close().catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});
