import assert from "node:assert/strict";
import { parseFlags, parseFlagsOrReport, stringFlags, UsageError } from "./args.ts";

const options = { to: { type: "string" }, force: { type: "boolean", default: false } } as const;

Deno.test("parseFlags returns parseArgs' values and positionals", () => {
  const { values, positionals } = parseFlags({ args: ["--to", "out", "a"], options, allowPositionals: true });
  assert.deepEqual({ ...values }, { to: "out", force: false });
  assert.deepEqual(positionals, ["a"]);
});

Deno.test("parseFlags turns an unknown flag, a missing value or a stray positional into a UsageError", () => {
  for (const args of [["--nope"], ["--to"], ["stray"]]) {
    assert.throws(() => parseFlags({ args, options }), (error) => {
      assert.ok(error instanceof UsageError, `${args}: ${error}`);
      assert.ok((error as Error).message.length > 0);
      return true;
    });
  }
});

Deno.test("parseFlagsOrReport prints the command, the reason and the usage line, and returns undefined", () => {
  const printed: string[] = [];
  const original = console.error;
  console.error = (text: string) => printed.push(text);
  try {
    assert.equal(
      parseFlagsOrReport("demo", "usage: demo [--to DIR]", { args: ["--nope"], options }),
      undefined,
    );
    assert.deepEqual(
      parseFlagsOrReport("demo", "usage: demo", { args: ["--force"], options })?.values.force,
      true,
    );
  } finally {
    console.error = original;
  }
  assert.equal(printed.length, 1);
  assert.match(printed[0], /^demo: .*'--nope'.*\nusage: demo \[--to DIR\]$/s);
});

Deno.test("stringFlags declares value flags without defaults", () => {
  assert.deepEqual(stringFlags("in", "out"), { in: { type: "string" }, out: { type: "string" } });
  const { values } = parseFlags({ args: ["--out", "b"], options: stringFlags("in", "out") });
  assert.deepEqual({ ...values }, { out: "b" });
});
