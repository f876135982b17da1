import assert from "node:assert/strict";
import { z } from "zod";
import { stepKinds } from "../steps/mod.ts";
import { inputPaths } from "./inputs.ts";
import { type ArtifactRef, ArtifactRef as ArtifactRefSchema, PathParam } from "./step.ts";

const ref: ArtifactRef = {
  artifact: true,
  step: "s",
  output: "model",
  path: "/runs/r/steps/s/out/model",
  kind: "dir",
  sha256: "abc",
  count: 1,
};

Deno.test("inputPaths finds path parameters in nested, optional, array and union positions", () => {
  const schema = z.strictObject({
    data: PathParam,
    tokenizer: PathParam.optional(),
    shards: z.array(PathParam).default([]),
    model: z.union([ArtifactRefSchema, PathParam]),
    nested: z.strictObject({ extra: PathParam.optional(), name: z.string() }).optional(),
    name: z.string(),
  });
  const parsed = schema.parse({
    data: "a.jsonl",
    shards: ["s1", "s2", "a.jsonl"],
    model: "models/base",
    nested: { extra: "x.txt", name: "not-a-path" },
    name: "also-not-a-path",
  });
  assert.deepEqual(inputPaths(schema, parsed), ["a.jsonl", "s1", "s2", "models/base", "x.txt"]);
  assert.deepEqual(inputPaths(schema, schema.parse({ data: "d", model: ref, name: "n" })), ["d"]);
});

Deno.test("the registered kinds declare their dataset and model paths", () => {
  const paths = (kind: string, params: unknown) =>
    inputPaths(stepKinds.get(kind)!.params, stepKinds.get(kind)!.params.parse(params));
  assert.deepEqual(paths("dataset.load", { path: "d.jsonl" }), ["d.jsonl"]);
  assert.deepEqual(paths("generate", { model: "models/base", prompts: ref }), ["models/base"]);
  assert.deepEqual(
    paths("score.stage1", {
      model: "m",
      reference: "base",
      problems: ref,
      prompts: { instruction: "fix" },
    }),
    ["m", "base"],
  );
});
