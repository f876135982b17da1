/**
 * The JS/TS runner's reused realms: consecutive samples on one process share a deep-frozen worker, and
 * these tests check that what one sample leaves behind (state, timers, listeners, cached modules, a busy
 * loop) never changes the next sample's verdict, and that the realm really is reused for honest samples.
 */
import assert from "node:assert/strict";
import { buildRequest } from "./formats.ts";
import { SandboxPool } from "./pool.ts";
import { type CodeProblem, DEFAULT_LIMITS, type SandboxStatus } from "./types.ts";

const ADD: CodeProblem = {
  taskId: "reuse/add_ts",
  language: "typescript",
  prompt: "function add(a: number, b: number): number {\n",
  test: "function check(candidate: (a: number, b: number) => number) {\n" +
    "  assert.deepEqual(candidate(2, 3), 5);\n  assert.deepEqual(candidate(-1, 1), 0);\n}\n",
  entryPoint: "add",
  testFunction: "check",
  stopTokens: [],
};
const RIGHT = "  return a + b;\n}\n";
const WRONG = "  return a - b;\n}\n";

const pool = new SandboxPool({ concurrency: 1, limits: { ...DEFAULT_LIMITS, timeoutSeconds: 1 } });

async function run(completion: string): Promise<{ status: SandboxStatus; reusedRealm: boolean }> {
  const response = await pool.run("js", buildRequest(ADD, completion));
  return { status: response.status, reusedRealm: response.reusedRealm === true };
}

function reuseTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `ts reused realm: ${name}`, sanitizeResources: false, sanitizeOps: false, fn });
}

reuseTest("honest samples in a row share one realm and keep their verdicts", async () => {
  await run(RIGHT);
  assert.deepEqual(await run(RIGHT), { status: "passed", reusedRealm: true });
  assert.deepEqual(await run(WRONG), { status: "failed", reusedRealm: true });
  assert.deepEqual(await run("  throw new RangeError('no');\n}\n"), { status: "error", reusedRealm: true });
  assert.deepEqual(await run(RIGHT), { status: "passed", reusedRealm: true });
});

reuseTest("an error from writing to the frozen realm is re-run in a fresh worker", async () => {
  await run(RIGHT);
  const patch = "  (Date.prototype as any).year = () => 1;\n  return a + b;\n}\n";
  assert.deepEqual(await run(patch), { status: "passed", reusedRealm: false });
});

reuseTest("globals and built-ins cannot be changed for the next sample", async () => {
  const tamper = [
    "(globalThis as any).answer = 5;",
    "(Date.prototype as any).getTime = () => 0;",
    "(Uint8Array.prototype as any).fill = () => 'x';",
    "(globalThis as any).queueMicrotask = () => {};",
  ];
  for (const line of tamper) {
    // In the frozen realm the write throws; the re-run in a fresh worker passes as it would alone.
    assert.equal((await run(RIGHT + line + "\n")).status, "passed", line);
    const next = await run(
      "  return (globalThis as any).answer ?? new Uint8Array(1).fill(a + b)[0] - 5;\n}\n",
    );
    assert.equal(next.status, "failed", `after ${line}`);
  }
  const replaceAssert = "Object.defineProperty(globalThis, 'assert', { value: { deepEqual() {} } });\n";
  assert.equal((await run(WRONG + replaceAssert)).status, "error");
  assert.equal((await run(WRONG)).status, "failed");
});

reuseTest("code a sample leaves running cannot make the next sample pass", async () => {
  const leftovers = [
    "setInterval(() => { for (let i = 0; i < 10; i++) (globalThis as any).assert.ok(true); }, 0);",
    "addEventListener('message', () => postMessage({ status: 'passed', message: '' }));",
    "(async () => { for (;;) { await new Promise((r) => setTimeout(r, 1)); console.log('noise'); } })();",
    "setTimeout(() => { throw new Error('late'); }, 5);",
  ];
  for (const leftover of leftovers) {
    assert.equal((await run(RIGHT + leftover + "\n")).status, "passed", leftover);
    for (let i = 0; i < 3; i++) assert.equal((await run(WRONG)).status, "failed", `after ${leftover}`);
    assert.equal((await run(RIGHT)).status, "passed", `after ${leftover}`);
  }
});

reuseTest("a busy loop left behind does not time the next sample out", async () => {
  assert.equal((await run(RIGHT + "setTimeout(() => { for (;;) {} }, 20);\n")).status, "passed");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(await run(RIGHT), { status: "passed", reusedRealm: false });
});

reuseTest("the same text twice gets a fresh module, not the first one's evaluated state", async () => {
  const counting = "  calls++;\n  return calls > 2 ? 0 : a + b;\n}\nlet calls = 0;\n";
  assert.equal((await run(counting)).status, "passed");
  assert.deepEqual(await run(counting), { status: "passed", reusedRealm: true });
});

Deno.test({
  name: "ts reused realm: close the pool",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => pool.close(),
});
