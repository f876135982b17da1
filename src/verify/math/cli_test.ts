import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./cli.ts";

async function runCli(lines: string[], extra: string[] = []) {
  const dir = await Deno.makeTempDir();
  const input = join(dir, "in.jsonl");
  const output = join(dir, "out.jsonl");
  await Deno.writeTextFile(input, lines.join("\n") + "\n");
  const errors: string[] = [];
  const originalError = console.error;
  console.error = (message: string) => errors.push(message);
  try {
    const code = await main(["--in", input, "--out", output, ...extra]);
    const written = await Deno.readTextFile(output).catch(() => "");
    const records = written.trim() === "" ? [] : written.trim().split("\n").map((line) => JSON.parse(line));
    return { code, records, errors };
  } finally {
    console.error = originalError;
    await Deno.remove(dir, { recursive: true });
  }
}

const GOOD = JSON.stringify({ answer: "\\frac12", response: "so $\\boxed{0.5}$", problem: "p", id: 1 });
const WRONG = JSON.stringify({ answer: "10", response: "The answer is 1000.", id: 3 });

Deno.test("verify-math adds correct, extracted and reason to every record", async () => {
  const { code, records } = await runCli([GOOD, WRONG]);
  assert.equal(code, 0);
  assert.deepEqual(records.map((r) => [r.id, r.correct, r.extracted]), [[1, true, "0.5"], [
    3,
    false,
    "1000",
  ]]);
  assert.ok(records.every((r) => typeof r.reason === "string"));
});

Deno.test("a malformed line gets a one-line error with its number and the others are checked", async () => {
  const { code, records, errors } = await runCli([
    GOOD,
    "{not json",
    JSON.stringify({ response: "x" }),
    WRONG,
  ]);
  assert.equal(code, 2);
  assert.deepEqual(records.map((r) => r.id), [1, 3]);
  assert.equal(errors.filter((e) => /in\.jsonl:2: /.test(e)).length, 1);
  assert.ok(errors.some((e) => /in\.jsonl:3: field "answer"/.test(e)));
});

Deno.test("--fail-fast stops at the first malformed line", async () => {
  const { code, records } = await runCli([GOOD, "{not json", WRONG], ["--fail-fast"]);
  assert.equal(code, 2);
  assert.deepEqual(records.map((r) => r.id), [1]);
});

Deno.test("missing flags are bad input", async () => {
  const originalError = console.error;
  console.error = () => {};
  try {
    assert.equal(await main(["--in", "x.jsonl"]), 2);
  } finally {
    console.error = originalError;
  }
});
