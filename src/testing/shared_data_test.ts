import assert from "node:assert/strict";
import { join } from "node:path";

const MODULE = new URL("./shared_data.ts", import.meta.url).href;

/** Looks `relative` up in a fresh process with `env`; returns what a test would see and what was printed. */
async function lookUp(relative: string, env: Record<string, string>) {
  const code = `
    import { sharedData } from "${MODULE}";
    const data = sharedData(${JSON.stringify(relative)});
    let path;
    try { path = data.path; } catch (error) { path = "throws: " + error.message; }
    console.log(JSON.stringify({ ignore: data.ignore, skips: data.test === Deno.test.ignore, path }));`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { CI: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return {
    ...JSON.parse(new TextDecoder().decode(output.stdout)),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("sharedData finds files under PIPELINE_SHARED_DATA, skips missing ones, and fails them under CI", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "math"));
    await Deno.writeTextFile(join(dir, "math", "math500.jsonl"), "{}\n");
    const found = await lookUp("math/math500.jsonl", { PIPELINE_SHARED_DATA: dir });
    assert.deepEqual(found, {
      ignore: false,
      skips: false,
      path: join(dir, "math", "math500.jsonl"),
      stderr: "",
    });

    const missing = await lookUp("humaneval/HumanEval.jsonl.gz", { PIPELINE_SHARED_DATA: dir });
    assert.equal(missing.ignore, true);
    assert.equal(missing.skips, true, "the test is registered with Deno.test.ignore");
    assert.equal(
      missing.stderr.trim(),
      `skipping the tests that need ${dir}/humaneval/HumanEval.jsonl.gz: it is missing ` +
        "(set PIPELINE_SHARED_DATA=DIR to use a copy; with CI set they fail instead)",
    );

    const ci = await lookUp("humaneval/HumanEval.jsonl.gz", { PIPELINE_SHARED_DATA: dir, CI: "true" });
    assert.equal(ci.ignore, false);
    assert.equal(ci.skips, false, "under CI the test runs");
    assert.match(
      ci.path,
      /^throws: .*HumanEval\.jsonl\.gz is missing; CI is set, so the tests that need it fail/,
    );
    assert.equal(ci.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
