/**
 * The checker's verdicts do not depend on the machine: the same labelled set gives the same verdicts, with
 * the same reasons, on an idle machine and on one loaded with CPU-burning processes, in another order, with
 * a cold parse cache and in a fresh process; the wall-clock guard shows up as an error, never as a verdict.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { labelledChecks, labelledVerdicts } from "./_verdicts.ts";
import { compareAnswers } from "./check.ts";
import { clearParseCache } from "./parse.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Starts `count` processes that spin a core each; returns a function that stops them. */
async function burnCpus(count: number): Promise<() => Promise<void>> {
  const burners = Array.from({ length: count }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", "for (;;) {}"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn());
  await new Promise((resolve) => setTimeout(resolve, 500));
  return async () => {
    for (const burner of burners) {
      try {
        burner.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    const statuses = await Promise.all(burners.map((burner) => burner.status));
    assert.ok(
      statuses.every((status) => status.signal === "SIGKILL"),
      "every burner ran until it was stopped",
    );
  };
}

async function freshProcessVerdicts(): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "src/verify/math/_verdicts.ts", "--reverse"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("verdicts are identical on an idle and a loaded machine, in any order, in a fresh process", async () => {
  const idle = labelledVerdicts();
  assert.ok(idle.length > 600, `only ${idle.length} labelled checks`);
  assert.deepEqual(idle.filter((verdict) => verdict.includes(" error ")), [], "no time guard fired");
  // One spinning process per core, only while the loaded run lasts (a few seconds), so other tests suffer little.
  const stop = await burnCpus(navigator.hardwareConcurrency);
  let loaded: string[];
  try {
    clearParseCache();
    loaded = labelledVerdicts(true);
  } finally {
    await stop();
  }
  assert.deepEqual(loaded, idle);
  assert.deepEqual(await freshProcessVerdicts(), idle);
});

Deno.test("the wall-clock guard is reported as an error, and a tiny guard changes no verdict", () => {
  const checks = labelledChecks().filter((check) => !check.full);
  let errors = 0;
  for (const { gold, response, problem } of checks) {
    const normal = compareAnswers(gold, response, { problem });
    const guarded = compareAnswers(gold, response, { problem, timeBudgetMs: 1e-9 });
    if (guarded.path === "error") {
      errors++;
      assert.match(guarded.reason, /^error: time guard/);
      assert.equal(guarded.correct, false);
      assert.equal(normal.path, "symbolic", `${gold} vs ${response}: only engine calls are guarded`);
    } else {
      assert.deepEqual(guarded, normal, `${gold} vs ${response}`);
    }
  }
  assert.ok(errors > 0, "some labelled checks reach the engine");
});

Deno.test("an extreme constant is confirmed at 100 digits; the guard stops it only as an error", () => {
  const confirmed = compareAnswers("\\pi \\cdot 10^{-20}", "\\frac{\\pi}{10^{20}}");
  assert.deepEqual([confirmed.correct, confirmed.path], [true, "symbolic"]);
  const stopped = compareAnswers("\\pi \\cdot 10^{-20}", "\\frac{\\pi}{10^{20}}", { timeBudgetMs: 1e-9 });
  assert.deepEqual([stopped.correct, stopped.path], [false, "error"]);
  assert.match(stopped.reason, /^error: time guard: /);
});
