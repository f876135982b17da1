import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { stepKinds } from "../steps/mod.ts";
import { codeVersion, moduleClosure, sourceDigest } from "./code_version.ts";
import type { StepKind } from "./step.ts";

/** A small project: a step module, what it imports, a runner directory it points at, and an unrelated file. */
async function project(): Promise<{ root: string; step: string }> {
  const root = await Deno.makeTempDir();
  const files: Record<string, string> = {
    "deno.json": JSON.stringify({ imports: { zod: "npm:zod@4.6.7", yaml: "npm:yaml@2.9.1" } }),
    "src/steps/step.ts": [
      'import { z } from "zod";',
      'import { helper } from "../lib/helper.ts";',
      'const RUNNERS = new URL("../../runners/", import.meta.url);',
      'export const load = () => import("../lib/lazy.ts");',
    ].join("\n"),
    "src/lib/helper.ts": 'import { deep } from "./deep.ts";\nexport const helper = deep;',
    "src/lib/deep.ts": "export const deep = 1;",
    "src/lib/lazy.ts": 'import { parse } from "yaml";\nexport { parse };',
    "runners/run.ts": "console.log('runner');",
    "src/lib/unrelated.ts": "export const unrelated = 1;",
    "node_modules/zod/index.js": "module.exports = {};",
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return { root, step: pathToFileURL(`${root}/src/steps/step.ts`).href };
}

Deno.test("a step's source digest covers its static, dynamic and URL imports and pinned packages", async () => {
  const { root, step } = await project();
  const closure = moduleClosure(step);
  assert.deepEqual([...closure.files.keys()].sort(), [
    "runners",
    "runners/run.ts",
    "src/lib/deep.ts",
    "src/lib/helper.ts",
    "src/lib/lazy.ts",
    "src/steps/step.ts",
  ]);
  assert.deepEqual([...closure.packages].sort(), ["yaml=npm:yaml@2.9.1", "zod=npm:zod@4.6.7"]);

  const before = sourceDigest(step);
  await Deno.writeTextFile(`${root}/src/lib/unrelated.ts`, "export const unrelated = 2;");
  assert.equal(sourceDigest(step), before, "a file the step does not reach does not count");
  const changes: [string, string][] = [
    ["src/lib/deep.ts", "export const deep = 2;"],
    ["src/lib/lazy.ts", 'import { parse } from "yaml";\nexport { parse as p };'],
    ["runners/run.ts", "console.log('runner 2');"],
    ["deno.json", JSON.stringify({ imports: { zod: "npm:zod@4.6.8", yaml: "npm:yaml@2.9.1" } })],
  ];
  let previous = before;
  for (const [path, text] of changes) {
    await Deno.writeTextFile(`${root}/${path}`, text);
    const now = sourceDigest(step);
    assert.notEqual(now, previous, `changing ${path} changes the digest`);
    previous = now;
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a kind's code version is its manual version and source digest, computed once per kind", async () => {
  const { root, step } = await project();
  const kind: StepKind = {
    name: "x",
    version: "3",
    source: step,
    description: "",
    params: z.strictObject({}),
    outputs: {},
    run: () => Promise.resolve(),
  };
  const version = codeVersion(kind);
  assert.equal(version, `3+${sourceDigest(step).slice(0, 16)}`);
  await Deno.writeTextFile(`${root}/src/lib/deep.ts`, "export const deep = 3;");
  assert.equal(codeVersion(kind), version, "kept for the process");
  assert.notEqual(codeVersion({ ...kind }), version);
  await Deno.remove(root, { recursive: true });
});

Deno.test("registered kinds' code versions reach their libraries, verifiers and sandbox runners", () => {
  const reaches = (kind: string, file: string) =>
    assert.ok(moduleClosure(stepKinds.get(kind)!.source).files.has(file), `${kind} reaches ${file}`);
  reaches("verify.math", "src/verify/math/check.ts");
  reaches("verify.code", "sandbox/python_runner.ts");
  reaches("score.stage2", "src/steps/_score_loop.ts");
  reaches("score.stage1", "src/training/score_trainer.ts");
  reaches("eval.selfcorrect", "src/training/math_verifier.ts");
  reaches("dataset.load", "src/data/jsonl.ts");
  for (const kind of stepKinds.values()) {
    assert.ok(moduleClosure(kind.source).files.has(`src/steps/${kind.source.split("/").at(-1)}`), kind.name);
  }
  const versions = new Set([...stepKinds.values()].map(codeVersion));
  assert.ok(versions.size >= stepKinds.size - 2, "kinds in different files have different versions");
});
