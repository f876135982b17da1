/**
 * Every registered step kind rejects unknown keys in `with:`, at the top level and in every nested settings
 * object, with the file, line and column of the bad key. The `with:` blocks are generated from each kind's
 * zod schema: a minimal valid block, then one block per object in the schema with an unknown key added there.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { z } from "zod";
import { stepKinds } from "./mod.ts";
import { testStepKinds } from "./testing.ts";
import { WorkflowError } from "../workflow/errors.ts";
import { parseWorkflow } from "../workflow/spec.ts";
import { OPTIONAL_WRAPPERS, type SchemaDef, schemaDef, WRAPPERS } from "../workflow/schema_def.ts";
import { ArtifactRef, type StepKind } from "../workflow/step.ts";

const TYPO = "unknown_key_typo";
/** A records output of the workflow's first step, standing in for every artifact parameter. */
const SOURCE_REF = "${{ steps.source.outputs.results }}";

/** The definitions of the checks of a number, string or array schema. */
function checks(def: SchemaDef) {
  return (def.checks ?? []).map((c) => c._zod.def);
}

function exampleNumber(def: SchemaDef): number {
  let value = 1;
  for (const check of checks(def)) {
    if (check.check === "greater_than" && check.value !== undefined) {
      value = Math.max(value, check.inclusive ? check.value : check.value + 1);
    }
  }
  for (const check of checks(def)) {
    if (check.check === "less_than" && check.value !== undefined) {
      value = Math.min(value, check.inclusive ? check.value : check.value - 0.5);
    }
  }
  return value;
}

function exampleString(def: SchemaDef): string {
  const min = checks(def).find((c) => c.check === "min_length")?.minimum ?? 1;
  return "x".repeat(Math.max(1, min));
}

/** A minimal valid YAML value of a schema: required fields only, artifacts as references. */
function example(schema: z.ZodType): unknown {
  if (schema === ArtifactRef) return SOURCE_REF;
  const def = schemaDef(schema);
  switch (def.type) {
    case "object":
      return Object.fromEntries(
        Object.entries(def.shape!).filter(([, field]) => !OPTIONAL_WRAPPERS.has(schemaDef(field).type))
          .map(([key, field]) => [key, example(field)]),
      );
    case "array": {
      const min = checks(def).find((c) => c.check === "min_length")?.minimum ?? 0;
      return Array.from({ length: min }, () => example(def.element!));
    }
    case "union":
      return example(def.options![0]);
    case "string":
      return exampleString(def);
    case "number":
      return exampleNumber(def);
    case "boolean":
      return true;
    case "enum":
      return Object.values(def.entries!)[0];
    case "literal":
      return def.values![0];
    case "record":
      return {};
    case "pipe":
      return example(def.in!);
    default:
      if (WRAPPERS.has(def.type)) return example(def.innerType!);
      return null;
  }
}

/** A value of `schema` with {@link TYPO} added to one of its objects, and the path of that object. */
interface TypoSite {
  path: (string | number)[];
  value: unknown;
}

/** One {@link TypoSite} per object the schema can hold (artifact references excepted: the engine makes them). */
function typoSites(schema: z.ZodType): TypoSite[] {
  if (schema === ArtifactRef) return [];
  const def = schemaDef(schema);
  if (WRAPPERS.has(def.type)) return typoSites(def.innerType!);
  switch (def.type) {
    case "object": {
      const base = example(schema) as Record<string, unknown>;
      const own = { path: [], value: { ...base, [TYPO]: 1 } };
      const nested = Object.entries(def.shape!).flatMap(([key, field]) =>
        typoSites(field).map((site) => ({ path: [key, ...site.path], value: { ...base, [key]: site.value } }))
      );
      return [own, ...nested];
    }
    case "array":
      return typoSites(def.element!).map((site) => ({ path: [0, ...site.path], value: [site.value] }));
    case "union":
      return def.options!.flatMap(typoSites);
    case "record":
      return typoSites(def.valueType!).map((site) => ({
        path: ["key", ...site.path],
        value: { key: site.value },
      }));
    case "pipe":
      return typoSites(def.in!);
    default:
      return [];
  }
}

/** A workflow with a `test.work` source step and one step of `kind` with the given `with:`. */
function workflowText(kind: StepKind, withBlock: unknown): string {
  return stringify({
    name: "strict",
    steps: [
      { id: "source", uses: "test.work", with: { items: 1 } },
      { id: "under_test", uses: kind.name, needs: ["source"], with: withBlock },
    ],
  });
}

Deno.test("every step kind accepts its generated minimal with: block", () => {
  for (const kind of stepKinds.values()) {
    const source = workflowText(kind, example(kind.params));
    assert.doesNotThrow(
      () => parseWorkflow(source, "wf.yaml", testStepKinds),
      `${kind.name}: the generated minimal with: block does not validate:\n${source}`,
    );
  }
});

/** Parses a workflow; returns the error, or a description of what went wrong instead. */
function typoProblem(source: string, where: string): string | undefined {
  try {
    parseWorkflow(source, "wf.yaml", testStepKinds);
  } catch (error) {
    if (!(error instanceof WorkflowError)) return `${where}: not a WorkflowError: ${error}`;
    const lines = source.split("\n");
    const line = lines.findIndex((text) => text.includes(`${TYPO}:`));
    const expected = `${line + 1}:${lines[line].indexOf(TYPO) + 1}`;
    const got = `${error.position.line}:${error.position.col}`;
    if (got !== expected) return `${where}: reported at ${got}, the key is at ${expected}: ${error.message}`;
    if (!new RegExp(`unrecognized key.*${TYPO}`, "i").test(error.message)) {
      return `${where}: the message does not name the key: ${error.message}`;
    }
    return undefined;
  }
  return `${where}: an unknown key was accepted`;
}

Deno.test("every step kind rejects an unknown key in with:, nested ones included, at its line and column", () => {
  const problems: string[] = [];
  let checked = 0;
  for (const kind of stepKinds.values()) {
    const sites = typoSites(kind.params);
    if (sites.length === 0) problems.push(`${kind.name}: its with: schema is not an object`);
    for (const site of sites) {
      const where = `${kind.name} with.${site.path.join(".") || "(top level)"}`;
      const problem = typoProblem(workflowText(kind, site.value), where);
      if (problem) problems.push(problem);
      checked++;
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > stepKinds.size, `only ${checked} objects checked`);
});

Deno.test("pipeline validate: misspelled verify.code keys fail with their position, exit code 2", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/typo.yaml`;
  await Deno.writeTextFile(
    file,
    `name: typo
steps:
  - id: problems
    uses: dataset.load
    with: { path: problems.jsonl }
  - id: verify
    uses: verify.code
    needs: [problems]
    with:
      problems: "\${{ steps.problems.outputs.records }}"
      samples: "\${{ steps.problems.outputs.records }}"
      completion_field: attempt1
      timeout_s: 5
`,
  );
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "validate", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 2, stderr);
  assert.match(stderr, new RegExp(`${file}:12:7: step 'verify' \\(verify\\.code\\): .*completion_field`));
  await Deno.remove(dir, { recursive: true });
});
